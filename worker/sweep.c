#include "worker/sweep.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/log.h"
#include "common/pool.h"
#include "common/strmap.h"
#include "ram/policy.h"
#include "ram/ram.h"
#include "worker/app.h"
#include "worker/check.h"
#include "worker/report.h"

#include "common/banned.h"

/* How one policy reaches one user: directly, or through a group. */
struct link {
    size_t policy;
    const char *group; /* NULL: attached to the user */
};

struct user_links {
    struct link *v;
    size_t n;
    size_t cap;
    int dangerous; /* some linked policy could grant on its own */
};

/* Names (and ids) as the sweep keeps them: pointers into one arena, a
 * few dozen bytes a user instead of a fixed-size ram_user slot. */
struct name_table {
    const char **name;
    const char **id; /* NULL for tables of names only */
    size_t n;
    size_t cap;
};

struct sweep {
    struct wrk_app *app;
    const struct wrk_sweep_request *rq;
    pthread_mutex_t arena_lock; /* users and members arrive side by side */
    struct mg_arena *arena;
    struct name_table users;
    struct mg_strmap *by_name;
    struct ram_policy_list policies; /* attached ones */
    const struct ram_policy **docs;
    int *dangerous;
    int *follow;
    struct ram_user_list *entity_users;
    struct ram_name_list *entity_groups;
    struct ram_name_list groups; /* distinct groups to expand */
    struct name_table *members;
    struct ram_vmfa_list vmfa;
    struct user_links *links;
    struct mg_error list_err;
    struct mg_error policy_err;
};

void wrk_sweep_free(struct wrk_subject *subjects, struct wrk_verdict *verdicts,
                    size_t n)
{
    size_t i;

    for (i = 0; verdicts && i < n; i++) {
        wrk_verdict_release(&verdicts[i]);
    }
    for (i = 0; subjects && i < n; i++) {
        wrk_subject_release(&subjects[i]);
    }
    free(subjects);
    free(verdicts);
}

static int oom(struct mg_error *err)
{
    return mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
}

static int fill_subject(const struct wrk_sweep_request *rq, const char *id,
                        const char *name, struct wrk_subject *s)
{
    return wrk_subject_set(s, rq->account_id, rq->ordering_ms, id,
                           "ACS::RAM::User", rq->region, name, name);
}

static int alloc_results(size_t n, struct wrk_subject **subjects,
                         struct wrk_verdict **verdicts)
{
    size_t i;

    *subjects = calloc(n ? n : 1, sizeof(**subjects));
    *verdicts = calloc(n ? n : 1, sizeof(**verdicts));
    if (*subjects == NULL || *verdicts == NULL) {
        free(*subjects);
        free(*verdicts);
        *subjects = NULL;
        *verdicts = NULL;
        return -1;
    }
    for (i = 0; i < n; i++) {
        wrk_verdict_init(&(*verdicts)[i]);
    }
    return 0;
}

/* ---- user by user ---- */

struct per_user_job {
    struct wrk_app *app;
    const struct wrk_rule *rule;
    const struct ram_user_list *users;
    struct wrk_verdict *verdicts;
    struct mg_error *errs;
};

static void check_one(size_t i, void *arg)
{
    struct per_user_job *j = arg;

    wrk_check_user(j->app, j->rule, j->users->v[i].name, &j->verdicts[i],
                   &j->errs[i]);
    wrk_verdict_trim(&j->verdicts[i]);
    __atomic_add_fetch(&j->app->progress_done, 1, __ATOMIC_RELAXED);
}

static int sweep_users(struct wrk_app *app, const struct wrk_sweep_request *rq,
                       struct wrk_subject **subjects,
                       struct wrk_verdict **verdicts, size_t *n,
                       struct mg_error *err)
{
    struct ram_user_list users = { NULL, 0, 0 };
    struct mg_error *errs = NULL;
    struct per_user_job job;
    size_t i;
    int rc = -1;

    if (ram_list_users(app->ram, &users, err) != 0) {
        return -1;
    }
    if (alloc_results(users.n, subjects, verdicts) != 0 ||
        (errs = calloc(users.n ? users.n : 1, sizeof(*errs))) == NULL) {
        oom(err);
        goto out;
    }
    job = (struct per_user_job){ app, rq->rule, &users, *verdicts, errs };
    __atomic_store_n(&app->progress_total, users.n, __ATOMIC_RELAXED);
    mg_pool_for(app->pool, users.n, 0, check_one, &job);
    *n = users.n;
    rc = mg_error_first(errs, users.n, err);
    for (i = 0; i < users.n && rc == 0; i++) {
        if (fill_subject(rq, users.v[i].id, users.v[i].name, &(*subjects)[i]) !=
            0) {
            rc = oom(err);
        }
    }
out:
    if (rc != 0 && *verdicts) {
        wrk_sweep_free(*subjects, *verdicts, users.n);
        *subjects = NULL;
        *verdicts = NULL;
        *n = 0;
    }
    free(errs);
    ram_user_list_release(&users);
    return rc;
}

/* ---- from the policies' side ---- */

static void sweep_release(struct sweep *s)
{
    size_t i;

    if (s->docs) {
        wrk_put_documents(s->app, s->docs, s->policies.n);
    }
    for (i = 0; i < s->policies.n; i++) {
        if (s->entity_users) {
            ram_user_list_release(&s->entity_users[i]);
        }
        if (s->entity_groups) {
            ram_name_list_release(&s->entity_groups[i]);
        }
    }
    for (i = 0; s->members && i < s->groups.n; i++) {
        free(s->members[i].name);
    }
    for (i = 0; s->links && i < s->users.n; i++) {
        free(s->links[i].v);
    }
    free(s->links);
    free(s->members);
    free(s->entity_users);
    free(s->entity_groups);
    free(s->docs);
    free(s->dangerous);
    free(s->follow);
    ram_name_list_release(&s->groups);
    ram_vmfa_list_release(&s->vmfa);
    ram_policy_list_release(&s->policies);
    free(s->users.name);
    free(s->users.id);
    mg_arena_free(s->arena);
    pthread_mutex_destroy(&s->arena_lock);
    mg_strmap_free(s->by_name);
}

/* Copy a page of users into a table; the arena lock held. */
static int table_add(struct sweep *s, struct name_table *t,
                     const struct ram_user_list *page)
{
    size_t i;

    for (i = 0; i < page->n; i++) {
        if (t->n == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 256;
            const char **name = realloc(t->name, cap * sizeof(*name));
            const char **id;

            if (name == NULL) {
                return -1;
            }
            t->name = name;
            if (t->id || t == &s->users) {
                id = realloc(t->id, cap * sizeof(*id));
                if (id == NULL) {
                    return -1;
                }
                t->id = id;
            }
            t->cap = cap;
        }
        t->name[t->n] = mg_arena_strdup(s->arena, page->v[i].name);
        if (t->id) {
            t->id[t->n] = mg_arena_strdup(s->arena, page->v[i].id);
        }
        if (t->name[t->n] == NULL || (t->id && t->id[t->n] == NULL)) {
            return -1;
        }
        t->n++;
    }
    return 0;
}

struct page_target {
    struct sweep *s;
    struct name_table *t;
};

static int take_page(const struct ram_user_list *page, void *ctx)
{
    struct page_target *pt = ctx;
    int rc;

    pthread_mutex_lock(&pt->s->arena_lock);
    rc = table_add(pt->s, pt->t, page);
    pthread_mutex_unlock(&pt->s->arena_lock);
    return rc;
}

static int list_users(struct sweep *s, struct mg_error *err)
{
    struct page_target pt = { s, &s->users };
    size_t i;

    if (ram_list_users_paged(s->app->ram, take_page, &pt, err) != 0) {
        return -1;
    }
    s->by_name = mg_strmap_new(s->users.n);
    if (s->by_name == NULL) {
        return oom(err);
    }
    for (i = 0; i < s->users.n; i++) {
        if (mg_strmap_put(s->by_name, s->users.name[i], i) != 0) {
            return oom(err);
        }
    }
    return 0;
}

/* Attached policies only: an unattached one reaches nobody. */
static int list_attached(struct sweep *s, struct mg_error *err)
{
    struct ram_policy_list all = { NULL, 0, 0 };
    size_t i;
    int rc = 0;

    if (ram_list_policies(s->app->ram, NULL, &all, err) != 0) {
        return -1;
    }
    for (i = 0; i < all.n && rc == 0; i++) {
        const struct ram_policy_ref *p = &all.v[i];

        if (p->attachment_count == 0 ||
            (s->rq->rule->only_custom && strcmp(p->type, "Custom") != 0)) {
            continue;
        }
        rc = ram_policy_list_add(&s->policies, p) != 0 ? oom(err) : 0;
    }
    ram_policy_list_release(&all);
    return rc;
}

static int classify(struct sweep *s, struct mg_error *err)
{
    size_t n = s->policies.n;
    const struct wrk_rule *r = s->rq->rule;
    size_t i;

    s->docs = calloc(n ? n : 1, sizeof(*s->docs));
    s->dangerous = calloc(n ? n : 1, sizeof(*s->dangerous));
    s->follow = calloc(n ? n : 1, sizeof(*s->follow));
    if (s->docs == NULL || s->dangerous == NULL || s->follow == NULL) {
        return oom(err);
    }
    if (wrk_get_documents(s->app, s->policies.v, n, s->docs, err) != 0) {
        free(s->docs);
        s->docs = NULL;
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (s->docs[i] == NULL) {
            continue;
        }
        s->dangerous[i] =
            ram_policy_may_grant(s->docs[i], r->patterns, r->npatterns);
        s->follow[i] = s->dangerous[i] || ram_policy_has_deny(s->docs[i]);
    }
    return 0;
}

struct entity_job {
    struct sweep *s;
    struct mg_error *errs;
};

static void entity_call(size_t i, void *arg)
{
    struct entity_job *j = arg;
    struct sweep *s = j->s;

    if (s->follow[i]) {
        ram_list_entities_for_policy(s->app->ram, s->policies.v[i].name,
                                     s->policies.v[i].type, &s->entity_users[i],
                                     &s->entity_groups[i], &j->errs[i]);
    }
}

static int entities(struct sweep *s, struct mg_error *err)
{
    size_t n = s->policies.n;
    struct mg_error *errs = calloc(n ? n : 1, sizeof(*errs));
    struct entity_job job = { s, errs };
    size_t i;
    int rc;

    s->entity_users = calloc(n ? n : 1, sizeof(*s->entity_users));
    s->entity_groups = calloc(n ? n : 1, sizeof(*s->entity_groups));
    if (errs == NULL || s->entity_users == NULL || s->entity_groups == NULL) {
        free(errs);
        return oom(err);
    }
    mg_pool_for(s->app->pool, n, 0, entity_call, &job);

    /* A policy deleted since it was listed reaches nobody. */
    for (i = 0; i < n; i++) {
        if (errs[i].cls == MG_NOT_FOUND) {
            mg_error_clear(&errs[i]);
            s->follow[i] = 0;
            s->dangerous[i] = 0;
        }
    }
    rc = mg_error_first(errs, n, err);
    free(errs);
    return rc;
}

static int add_group(struct sweep *s, struct mg_strmap *seen, const char *name,
                     struct mg_error *err)
{
    size_t ignored;

    if (mg_strmap_get(seen, name, &ignored)) {
        return 0;
    }
    if (mg_strmap_put(seen, name, s->groups.n) != 0 ||
        ram_name_list_add(&s->groups, name) != 0) {
        return oom(err);
    }
    return 0;
}

struct member_job {
    struct sweep *s;
    struct mg_error *errs;
};

static void member_call(size_t i, void *arg)
{
    struct member_job *j = arg;
    struct page_target pt = { j->s, &j->s->members[i] };

    ram_list_users_for_group_paged(j->s->app->ram, j->s->groups.v[i], take_page,
                                   &pt, &j->errs[i]);
}

static int expand_groups(struct sweep *s, struct mg_error *err)
{
    struct mg_strmap *seen = mg_strmap_new(64);
    struct mg_error *errs = NULL;
    struct member_job job;
    size_t i;
    size_t k;
    int rc = seen ? 0 : oom(err);

    for (i = 0; rc == 0 && i < s->policies.n; i++) {
        for (k = 0; rc == 0 && s->follow[i] && k < s->entity_groups[i].n; k++) {
            rc = add_group(s, seen, s->entity_groups[i].v[k], err);
        }
    }
    if (rc == 0) {
        s->members = calloc(s->groups.n ? s->groups.n : 1, sizeof(*s->members));
        errs = calloc(s->groups.n ? s->groups.n : 1, sizeof(*errs));
        rc = s->members && errs ? 0 : oom(err);
    }
    if (rc == 0) {
        job = (struct member_job){ s, errs };
        mg_pool_for(s->app->pool, s->groups.n, 0, member_call, &job);
        for (i = 0; i < s->groups.n; i++) {
            if (errs[i].cls == MG_NOT_FOUND) {
                mg_error_clear(&errs[i]);
            }
        }
        rc = mg_error_first(errs, s->groups.n, err);
    }
    free(errs);
    mg_strmap_free(seen);
    return rc;
}

/* Everything on the policies' side, while the users are listed. */
static int policy_side(struct sweep *s, struct mg_error *err)
{
    if (list_attached(s, err) != 0 || classify(s, err) != 0 ||
        entities(s, err) != 0 || expand_groups(s, err) != 0) {
        return -1;
    }
    return ram_list_virtual_mfa_devices(s->app->ram, &s->vmfa, err);
}

static void first_phase(size_t i, void *arg)
{
    struct sweep *s = arg;

    if (i == 0) {
        list_users(s, &s->list_err);
    } else {
        policy_side(s, &s->policy_err);
    }
}

static int add_link(struct sweep *s, const char *user, size_t policy,
                    const char *group)
{
    struct user_links *l;
    size_t u;

    if (!mg_strmap_get(s->by_name, user, &u)) {
        return 0; /* created after ListUsers answered */
    }
    l = &s->links[u];
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4;
        struct link *v = realloc(l->v, cap * sizeof(*v));

        if (v == NULL) {
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (struct link){ policy, group };
    l->dangerous |= s->dangerous[policy];
    return 0;
}

static int group_index(const struct sweep *s, const char *name, size_t *out)
{
    size_t i;

    for (i = 0; i < s->groups.n; i++) {
        if (strcmp(s->groups.v[i], name) == 0) {
            *out = i;
            return 1;
        }
    }
    return 0;
}

/* Who each followed policy reaches, directly or through groups. */
static int build_links(struct sweep *s, struct mg_error *err)
{
    size_t p;
    size_t k;
    size_t m;
    size_t g;

    s->links = calloc(s->users.n ? s->users.n : 1, sizeof(*s->links));
    if (s->links == NULL) {
        return oom(err);
    }
    for (p = 0; p < s->policies.n; p++) {
        if (!s->follow[p]) {
            continue;
        }
        for (k = 0; k < s->entity_users[p].n; k++) {
            if (add_link(s, s->entity_users[p].v[k].name, p, NULL) != 0) {
                return oom(err);
            }
        }
        for (k = 0; k < s->entity_groups[p].n; k++) {
            if (!group_index(s, s->entity_groups[p].v[k], &g)) {
                continue;
            }
            for (m = 0; m < s->members[g].n; m++) {
                if (add_link(s, s->members[g].name[m], p, s->groups.v[g]) !=
                    0) {
                    return oom(err);
                }
            }
        }
    }
    return 0;
}

static int decide_user(struct sweep *s, size_t u, struct wrk_verdict *v,
                       struct mg_error *err)
{
    const struct user_links *l = &s->links[u];
    struct wrk_source *src = calloc(l->n ? l->n : 1, sizeof(*src));
    size_t i;
    int rc;

    if (src == NULL) {
        return oom(err);
    }
    for (i = 0; i < l->n; i++) {
        const struct ram_policy_ref *p = &s->policies.v[l->v[i].policy];

        snprintf(src[i].name, sizeof(src[i].name), "%s", p->name);
        snprintf(src[i].type, sizeof(src[i].type), "%s", p->type);
        snprintf(src[i].group, sizeof(src[i].group), "%s",
                 l->v[i].group ? l->v[i].group : "");
        src[i].doc = s->docs[l->v[i].policy];
    }
    rc = wrk_verdict_decide(s->rq->rule, src, l->n, v, err);
    free(src);
    return rc;
}

struct mfa_job {
    struct sweep *s;
    const size_t *users;
    struct ram_mfa *mfa;
    struct mg_error *errs;
};

static void mfa_call(size_t i, void *arg)
{
    struct mfa_job *j = arg;

    ram_get_user_mfa_info(j->s->app->ram, j->s->users.name[j->users[i]],
                          &j->mfa[i], &j->errs[i]);
    __atomic_add_fetch(&j->s->app->progress_done, 1, __ATOMIC_RELAXED);
}

/* MFA state of the dangerous users the virtual-device list misses. */
static int ask_mfa(struct sweep *s, struct wrk_verdict *verdicts,
                   const struct mg_strmap *vmfa, struct mg_error *err)
{
    size_t *need = NULL;
    struct ram_mfa *mfa = NULL;
    struct mg_error *errs = NULL;
    struct mfa_job job;
    size_t n = 0;
    size_t i;
    size_t ignored;
    int rc = 0;

    for (i = 0; i < s->users.n; i++) {
        n += verdicts[i].ngrants > 0 &&
             !mg_strmap_get(vmfa, s->users.name[i], &ignored);
    }
    need = calloc(n ? n : 1, sizeof(*need));
    mfa = calloc(n ? n : 1, sizeof(*mfa));
    errs = calloc(n ? n : 1, sizeof(*errs));
    if (need == NULL || mfa == NULL || errs == NULL) {
        rc = oom(err);
        goto out;
    }
    for (i = 0, n = 0; i < s->users.n; i++) {
        if (verdicts[i].ngrants > 0 &&
            !mg_strmap_get(vmfa, s->users.name[i], &ignored)) {
            need[n++] = i;
        }
    }
    job = (struct mfa_job){ s, need, mfa, errs };
    __atomic_store_n(&s->app->progress_total, n, __ATOMIC_RELAXED);
    mg_pool_for(s->app->pool, n, 0, mfa_call, &job);
    for (i = 0; i < n && rc == 0; i++) {
        struct wrk_verdict *v = &verdicts[need[i]];

        if (errs[i].cls == MG_NOT_FOUND) {
            wrk_verdict_release(v);
            wrk_verdict_not_applicable(v, "user no longer exists");
        } else if (errs[i].cls != MG_OK) {
            *err = errs[i];
            rc = -1;
        } else {
            wrk_verdict_finish(v, &mfa[i]);
        }
    }
out:
    free(need);
    free(mfa);
    free(errs);
    return rc;
}

static int vmfa_map(const struct sweep *s, struct mg_strmap **out,
                    struct mg_error *err)
{
    size_t i;

    *out = mg_strmap_new(s->vmfa.n);
    if (*out == NULL) {
        return oom(err);
    }
    for (i = 0; i < s->vmfa.n; i++) {
        if (mg_strmap_put(*out, s->vmfa.v[i].user_name, i) != 0) {
            return oom(err);
        }
    }
    return 0;
}

static int verdicts_for_all(struct sweep *s, struct wrk_verdict *verdicts,
                            struct mg_error *err)
{
    struct mg_strmap *vmfa = NULL;
    struct ram_mfa none = { 0, "", "" };
    size_t i;
    size_t d;
    int rc = vmfa_map(s, &vmfa, err);

    for (i = 0; rc == 0 && i < s->users.n; i++) {
        if (s->links[i].dangerous) {
            rc = decide_user(s, i, &verdicts[i], err);
        }
    }
    if (rc == 0) {
        rc = ask_mfa(s, verdicts, vmfa, err);
    }
    for (i = 0; rc == 0 && i < s->users.n; i++) {
        struct ram_mfa m = none;

        if (mg_strmap_get(vmfa, s->users.name[i], &d)) {
            m.bound = 1;
            snprintf(m.type, sizeof(m.type), "VMFA");
        }
        /* Users ask_mfa settled already carry their annotation. */
        if (verdicts[i].annotation[0] == '\0') {
            wrk_verdict_finish(&verdicts[i], &m);
        }
        wrk_verdict_trim(&verdicts[i]);
    }
    mg_strmap_free(vmfa);
    return rc;
}

static int sweep_policies(struct wrk_app *app,
                          const struct wrk_sweep_request *rq,
                          struct wrk_subject **subjects,
                          struct wrk_verdict **verdicts, size_t *n,
                          struct mg_error *err)
{
    struct sweep s;
    size_t i;
    int rc = -1;

    memset(&s, 0, sizeof(s));
    s.app = app;
    s.rq = rq;
    pthread_mutex_init(&s.arena_lock, NULL);
    s.arena = mg_arena_new();
    if (s.arena == NULL) {
        pthread_mutex_destroy(&s.arena_lock);
        return oom(err);
    }
    mg_pool_for(app->pool, 2, 0, first_phase, &s);
    if (mg_error_first(&s.list_err, 1, err) != 0 ||
        mg_error_first(&s.policy_err, 1, err) != 0 ||
        build_links(&s, err) != 0) {
        goto out;
    }
    if (alloc_results(s.users.n, subjects, verdicts) != 0) {
        oom(err);
        goto out;
    }
    rc = verdicts_for_all(&s, *verdicts, err);
    for (i = 0; i < s.users.n && rc == 0; i++) {
        if (fill_subject(rq, s.users.id[i], s.users.name[i], &(*subjects)[i]) !=
            0) {
            rc = oom(err);
        }
    }
    *n = s.users.n;
    if (rc != 0) {
        wrk_sweep_free(*subjects, *verdicts, s.users.n);
        *subjects = NULL;
        *verdicts = NULL;
        *n = 0;
    }
    mg_log_info("sweep.plan", MG_LI("users", s.users.n),
                MG_LI("policies", s.policies.n),
                MG_LI("groups_expanded", s.groups.n),
                MG_LI("virtual_mfa", s.vmfa.n));
out:
    sweep_release(&s);
    return rc;
}

int wrk_sweep(struct wrk_app *app, const struct wrk_sweep_request *rq,
              struct wrk_subject **subjects, struct wrk_verdict **verdicts,
              size_t *n, struct mg_error *err)
{
    *subjects = NULL;
    *verdicts = NULL;
    *n = 0;
    /* No patterns: every user is NOT_APPLICABLE, and the per-user path
     * says so without a RAM call each. */
    if (strcmp(rq->mode, "users") == 0 || rq->rule->npatterns == 0) {
        return sweep_users(app, rq, subjects, verdicts, n, err);
    }
    return sweep_policies(app, rq, subjects, verdicts, n, err);
}
