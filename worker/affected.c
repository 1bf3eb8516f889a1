#include "worker/affected.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/pool.h"
#include "common/strmap.h"
#include "ram/ram.h"
#include "worker/app.h"
#include "worker/check.h"
#include "worker/report.h"
#include "worker/sweep.h"

#include "common/banned.h"

/* Add the users of src that are not in out yet. */
static int merge(struct ram_user_list *out, struct mg_strmap *seen,
                 const struct ram_user_list *src)
{
    size_t i;
    size_t ignored;

    for (i = 0; i < src->n; i++) {
        if (mg_strmap_get(seen, src->v[i].name, &ignored)) {
            continue;
        }
        if (mg_strmap_put(seen, src->v[i].name, out->n) != 0 ||
            ram_user_list_add(out, &src->v[i]) != 0) {
            return -1;
        }
    }
    return 0;
}

static int members_of(struct wrk_app *app, const char *group,
                      struct ram_user_list *out, struct mg_strmap *seen,
                      struct mg_error *err)
{
    struct ram_user_list members = { NULL, 0, 0 };
    int rc = ram_list_users_for_group(app->ram, group, &members, err);

    if (rc != 0 && err->cls == MG_NOT_FOUND) {
        mg_error_clear(err);
        rc = 0;
    } else if (rc == 0 && merge(out, seen, &members) != 0) {
        rc = mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
    }
    ram_user_list_release(&members);
    return rc;
}

/* Users a policy reaches, trying both policy types. */
static int reached_by_policy(struct wrk_app *app, const char *policy,
                             struct ram_user_list *out, struct mg_strmap *seen,
                             struct mg_error *err)
{
    static const char *types[] = { "Custom", "System" };
    size_t t;
    size_t g;
    int rc = 0;

    for (t = 0; t < 2 && rc == 0; t++) {
        struct ram_user_list users = { NULL, 0, 0 };
        struct ram_name_list groups = { NULL, 0, 0 };

        mg_error_clear(err);
        rc = ram_list_entities_for_policy(app->ram, policy, types[t], &users,
                                          &groups, err);
        if (rc != 0 && err->cls == MG_NOT_FOUND) {
            mg_error_clear(err);
            rc = 0;
        } else if (rc == 0 && merge(out, seen, &users) != 0) {
            rc = mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
        }
        for (g = 0; rc == 0 && g < groups.n; g++) {
            rc = members_of(app, groups.v[g], out, seen, err);
        }
        ram_user_list_release(&users);
        ram_name_list_release(&groups);
    }
    return rc;
}

/* ListUsersForGroup names members without their ids, which evaluations
 * and notifications need: ask GetUser for each of those. */
struct id_job {
    struct wrk_app *app;
    struct ram_user_list *users;
    struct mg_error *errs;
};

static void resolve_one(size_t i, void *arg)
{
    struct id_job *j = arg;
    struct ram_user *u = &j->users->v[i];
    struct ram_user full;

    if (u->id[0] != '\0') {
        return;
    }
    if (ram_get_user(j->app->ram, u->name, &full, &j->errs[i]) == 0) {
        *u = full;
    }
}

static int resolve_ids(struct wrk_app *app, struct ram_user_list *users,
                       struct mg_error *err)
{
    struct mg_error *errs = calloc(users->n ? users->n : 1, sizeof(*errs));
    struct id_job job = { app, users, errs };
    size_t i;
    size_t k = 0;
    int rc = 0;

    if (errs == NULL) {
        return mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
    }
    mg_pool_for(app->pool, users->n, 0, resolve_one, &job);
    for (i = 0; i < users->n; i++) {
        if (errs[i].cls == MG_NOT_FOUND) {
            continue; /* deleted since the group was listed */
        }
        if (errs[i].cls != MG_OK && rc == 0) {
            *err = errs[i];
            rc = -1;
        }
        users->v[k++] = users->v[i];
    }
    users->n = k;
    free(errs);
    return rc;
}

struct recheck {
    struct wrk_app *app;
    const struct wrk_rule *rule;
    const struct ram_user_list *users;
    struct wrk_verdict *verdicts;
    struct mg_error *errs;
};

static void recheck_one(size_t i, void *arg)
{
    struct recheck *j = arg;

    wrk_check_user(j->app, j->rule, j->users->v[i].name, &j->verdicts[i],
                   &j->errs[i]);
    wrk_verdict_trim(&j->verdicts[i]);
}

static int fill(struct wrk_app *app, const struct ram_user *u, int64_t account,
                int64_t ordering, struct wrk_subject *s)
{
    return wrk_subject_set(s, account, ordering, u->id, "ACS::RAM::User",
                           app->set.resource_region, u->name, u->name);
}

static int check_all(struct wrk_app *app, const struct wrk_rule *rule,
                     const struct ram_user_list *users, int64_t account,
                     int64_t ordering, struct wrk_subject **subjects,
                     struct wrk_verdict **verdicts, struct mg_error *err)
{
    size_t n = users->n ? users->n : 1;
    struct mg_error *errs = calloc(n, sizeof(*errs));
    struct recheck job;
    size_t i;
    int rc = 0;

    *subjects = calloc(n, sizeof(**subjects));
    *verdicts = calloc(n, sizeof(**verdicts));
    if (errs == NULL || *subjects == NULL || *verdicts == NULL) {
        free(errs);
        return mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
    }
    for (i = 0; i < users->n; i++) {
        wrk_verdict_init(&(*verdicts)[i]);
        if (fill(app, &users->v[i], account, ordering, &(*subjects)[i]) != 0) {
            free(errs);
            return mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
        }
    }
    job = (struct recheck){ app, rule, users, *verdicts, errs };
    mg_pool_for(app->pool, users->n, 0, recheck_one, &job);
    rc = mg_error_first(errs, users->n, err);
    free(errs);
    return rc;
}

int wrk_affected_users(struct wrk_app *app, const struct wrk_rule *rule,
                       const char *group, const char *policy,
                       int64_t account_id, int64_t ordering_ms,
                       struct wrk_subject **subjects,
                       struct wrk_verdict **verdicts, size_t *n,
                       struct mg_error *err)
{
    struct ram_user_list users = { NULL, 0, 0 };
    struct mg_strmap *seen = mg_strmap_new(64);
    int rc;

    *subjects = NULL;
    *verdicts = NULL;
    *n = 0;
    if (seen == NULL) {
        return mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
    }
    rc = group ? members_of(app, group, &users, seen, err)
               : reached_by_policy(app, policy, &users, seen, err);
    if (rc == 0) {
        rc = resolve_ids(app, &users, err);
    }
    if (rc == 0) {
        rc = check_all(app, rule, &users, account_id, ordering_ms, subjects,
                       verdicts, err);
        *n = users.n;
    }
    if (rc != 0) {
        wrk_sweep_free(*subjects, *verdicts, users.n);
        *subjects = NULL;
        *verdicts = NULL;
        *n = 0;
    }
    ram_user_list_release(&users);
    mg_strmap_free(seen);
    return rc;
}
