#include "worker/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "common/pool.h"
#include "worker/app.h"
#include "worker/cache.h"

#include "common/banned.h"

#define MAX_GROUPS 256

int wrk_rule_parse(struct wrk_rule *r, const char *dangerous_actions,
                   int only_custom, char *errbuf, size_t errlen)
{
    const char *p = dangerous_actions ? dangerous_actions : "";

    memset(r, 0, sizeof(*r));
    r->only_custom = only_custom;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        /* Trim spaces and tabs around each pattern. */
        while (len > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
            len--;
        }
        if (len >= WRK_PATTERN_MAX) {
            snprintf(errbuf, errlen, "dangerous pattern longer than %d bytes",
                     WRK_PATTERN_MAX - 1);
            return -1;
        }
        if (len > 0 && r->npatterns == WRK_MAX_PATTERNS) {
            snprintf(errbuf, errlen, "more than %d dangerous patterns",
                     WRK_MAX_PATTERNS);
            return -1;
        }
        if (len > 0) {
            memcpy(r->storage[r->npatterns], p, len);
            r->storage[r->npatterns][len] = '\0';
            r->patterns[r->npatterns] = r->storage[r->npatterns];
            r->npatterns++;
        }
        p = end ? end + 1 : p + strlen(p);
    }
    return 0;
}

const char *wrk_compliance_name(enum wrk_compliance c)
{
    switch (c) {
    case WRK_COMPLIANT:
        return "COMPLIANT";
    case WRK_NON_COMPLIANT:
        return "NON_COMPLIANT";
    case WRK_NOT_APPLICABLE:
        return "NOT_APPLICABLE";
    }
    return "NOT_APPLICABLE";
}

void wrk_verdict_init(struct wrk_verdict *v)
{
    memset(v, 0, sizeof(*v));
    v->compliance = WRK_NOT_APPLICABLE;
    v->annotation = "";
}

void wrk_verdict_release(struct wrk_verdict *v)
{
    free(v->grants);
    free(v->owned);
    free(v->mfa_serial);
    wrk_verdict_init(v);
}

void wrk_verdict_trim(struct wrk_verdict *v)
{
    if (v->compliance != WRK_NON_COMPLIANT) {
        free(v->grants);
        v->grants = NULL;
        v->ngrants = 0;
    }
}

/* Keep text as the annotation, cut to WRK_ANNOTATION_MAX bytes. */
static void annotate(struct wrk_verdict *v, const char *text)
{
    char cut[WRK_ANNOTATION_MAX + 1];

    wrk_utf8_truncate(cut, sizeof(cut), text);
    free(v->owned);
    v->owned = strdup(cut);
    v->annotation = v->owned ? v->owned : "(out of memory)";
}

void wrk_utf8_truncate(char *out, size_t n, const char *s)
{
    size_t len = strlen(s);
    size_t cut;

    if (n == 0) {
        return;
    }
    if (len < n) {
        memcpy(out, s, len + 1);
        return;
    }
    /* Room for "..." and the NUL; back off continuation bytes. */
    cut = n > 4 ? n - 4 : 0;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) {
        cut--;
    }
    memcpy(out, s, cut);
    snprintf(out + cut, n - cut, "%s", n > 4 ? "..." : "");
}

void wrk_verdict_not_applicable(struct wrk_verdict *v, const char *why)
{
    v->compliance = WRK_NOT_APPLICABLE;
    annotate(v, why);
}

static int copy_grants(const struct wrk_rule *r, const struct wrk_source *src,
                       const struct ram_grant_list *gl, struct wrk_verdict *v)
{
    size_t i;

    v->grants = gl->n ? calloc(gl->n, sizeof(*v->grants)) : NULL;
    if (gl->n && v->grants == NULL) {
        return -1;
    }
    for (i = 0; i < gl->n; i++) {
        const struct ram_grant *g = &gl->v[i];
        const struct wrk_source *s = &src[g->source];
        struct wrk_grant *out = &v->grants[i];

        snprintf(out->pattern, sizeof(out->pattern), "%s",
                 r->patterns[g->dangerous]);
        snprintf(out->action, sizeof(out->action), "%s", g->action);
        snprintf(out->policy, sizeof(out->policy), "%s", s->name);
        snprintf(out->policy_type, sizeof(out->policy_type), "%s", s->type);
        snprintf(out->group, sizeof(out->group), "%s", s->group);
        out->statement = g->statement;
    }
    v->ngrants = gl->n;
    return 0;
}

int wrk_verdict_decide(const struct wrk_rule *r, struct wrk_source *src,
                       size_t n, struct wrk_verdict *v, struct mg_error *err)
{
    struct ram_source *rs = n ? calloc(n, sizeof(*rs)) : NULL;
    struct wrk_source *sorted = n ? calloc(n, sizeof(*sorted)) : NULL;
    struct ram_grant_list gl = { NULL, 0, 0 };
    size_t i;
    int rc = -1;

    if (n && (rs == NULL || sorted == NULL)) {
        mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
        goto out;
    }
    for (i = 0; i < n; i++) {
        rs[i].policy_name = src[i].name;
        rs[i].policy_type = src[i].type;
        rs[i].group = src[i].group[0] ? src[i].group : NULL;
        rs[i].policy = src[i].doc;
    }
    ram_sources_sort(rs, n);

    /* Keep our copy in the same order, so grant indices match: each
     * policy_name points into src[k], which tells k. */
    for (i = 0; i < n; i++) {
        size_t k =
            (size_t)((const char *)rs[i].policy_name - (const char *)src) /
            sizeof(*src);
        sorted[i] = src[k];
    }
    if (ram_analyze(rs, n, r->patterns, r->npatterns, &gl, err) != 0 ||
        copy_grants(r, sorted, &gl, v) != 0) {
        mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
        goto out;
    }
    rc = 0;
out:
    ram_grant_list_release(&gl);
    free(rs);
    free(sorted);
    return rc;
}

static void describe_grant(char *out, size_t n, const struct wrk_grant *g)
{
    if (g->group[0]) {
        snprintf(out, n, "%s granted by %s (%s, via group %s)", g->pattern,
                 g->policy, g->policy_type, g->group);
    } else {
        snprintf(out, n, "%s granted by %s (%s, on user)", g->pattern,
                 g->policy, g->policy_type);
    }
}

static void take_mfa(struct wrk_verdict *v, const struct ram_mfa *mfa)
{
    v->mfa_bound = mfa->bound;
    snprintf(v->mfa_type, sizeof(v->mfa_type), "%s", mfa->type);
    free(v->mfa_serial);
    v->mfa_serial = mfa->bound && mfa->serial[0] ? strdup(mfa->serial) : NULL;
}

void wrk_verdict_finish(struct wrk_verdict *v, const struct ram_mfa *mfa)
{
    char first[600];
    char text[900];
    char more[40] = "";

    if (mfa) {
        take_mfa(v, mfa);
    }
    if (v->ngrants == 0) {
        /* Most users of an account: one constant, no memory each. */
        v->compliance = WRK_COMPLIANT;
        free(v->owned);
        v->owned = NULL;
        v->annotation = "no dangerous action granted without MFA";
        return;
    }

    describe_grant(first, sizeof(first), &v->grants[0]);
    if (v->ngrants > 1) {
        snprintf(more, sizeof(more), " and %zu more", v->ngrants - 1);
    }
    if (v->mfa_bound) {
        v->compliance = WRK_COMPLIANT;
        snprintf(text, sizeof(text), "%s%s; MFA device %s bound", first, more,
                 v->mfa_type[0] ? v->mfa_type : "(unknown type)");
    } else {
        v->compliance = WRK_NON_COMPLIANT;
        snprintf(text, sizeof(text), "%s%s; no MFA device", first, more);
    }
    annotate(v, text);
}

/* Documents: cache first, then GetPolicy side by side for the misses. */
struct doc_job {
    struct wrk_app *app;
    const struct ram_policy_ref *refs;
    const struct ram_policy **docs;
    struct mg_error *errs;
};

static void fetch_document(size_t i, void *arg)
{
    struct doc_job *j = arg;
    const struct ram_policy_ref *ref = &j->refs[i];
    char version[32] = "";
    char *text = NULL;
    struct ram_policy *p;

    if (j->docs[i] != NULL) {
        return;
    }
    if (ram_get_policy(j->app->ram, ref->name, ref->type, &text, version,
                       sizeof(version), &j->errs[i]) != 0) {
        return;
    }
    p = ram_policy_parse(text, strlen(text), &j->errs[i]);
    free(text);
    if (p == NULL) {
        /* RAM holds a document we cannot read: retrying will not help. */
        j->errs[i].cls = MG_FINAL;
        snprintf(j->errs[i].api, sizeof(j->errs[i].api), "ram.GetPolicy");
        return;
    }
    j->docs[i] = wrk_cache_add(
        j->app->cache, ref->type, ref->name,
        ref->default_version[0] ? ref->default_version : version, p);
}

int wrk_get_documents(struct wrk_app *app, const struct ram_policy_ref *refs,
                      size_t n, const struct ram_policy **docs,
                      struct mg_error *err)
{
    struct mg_error *errs = n ? calloc(n, sizeof(*errs)) : NULL;
    struct doc_job job = { app, refs, docs, errs };
    size_t i;
    int rc = 0;

    if (n && errs == NULL) {
        return mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
    }
    for (i = 0; i < n; i++) {
        docs[i] = refs[i].default_version[0]
                      ? wrk_cache_get(app->cache, refs[i].type, refs[i].name,
                                      refs[i].default_version)
                      : NULL;
    }
    mg_pool_for(app->pool, n, 0, fetch_document, &job);

    for (i = 0; i < n && rc == 0; i++) {
        if (errs[i].cls == MG_NOT_FOUND) {
            mg_log_warn("policy.missing", MG_LS("policy", refs[i].name),
                        MG_LS("policy_type", refs[i].type), MG_LERR(&errs[i]));
        } else if (errs[i].cls != MG_OK) {
            *err = errs[i];
            rc = -1;
        }
    }
    free(errs);
    if (rc != 0) {
        wrk_put_documents(app, docs, n);
    }
    return rc;
}

void wrk_put_documents(struct wrk_app *app, const struct ram_policy **docs,
                       size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        wrk_cache_put(app->cache, docs[i]);
        docs[i] = NULL;
    }
}

/* The first round: the user's policies, groups and MFA state at once. */
struct user_job {
    struct wrk_app *app;
    const char *user;
    struct ram_policy_list policies;
    struct ram_name_list groups;
    struct ram_mfa mfa;
    struct mg_error errs[3];
};

static void user_call(size_t i, void *arg)
{
    struct user_job *j = arg;

    if (i == 0) {
        ram_list_policies_for_user(j->app->ram, j->user, &j->policies,
                                   &j->errs[0]);
    } else if (i == 1) {
        ram_list_groups_for_user(j->app->ram, j->user, &j->groups, &j->errs[1]);
    } else {
        ram_get_user_mfa_info(j->app->ram, j->user, &j->mfa, &j->errs[2]);
    }
}

/* The second round: each group's policies. */
struct group_job {
    struct wrk_app *app;
    const struct ram_name_list *groups;
    struct ram_policy_list *lists;
    struct mg_error *errs;
};

static void group_call(size_t i, void *arg)
{
    struct group_job *j = arg;

    ram_list_policies_for_group(j->app->ram, j->groups->v[i], &j->lists[i],
                                &j->errs[i]);
}

static int user_missing(const struct mg_error *e)
{
    return e->cls == MG_NOT_FOUND &&
           strcmp(e->code, "EntityNotExist.User") == 0;
}

/* Gather the user's and its groups' policies as sources (no documents). */
static int collect_sources(const struct wrk_rule *r, struct user_job *uj,
                           struct ram_policy_list *glists,
                           struct ram_policy_list *refs, char (**origin)[128])
{
    size_t g;
    size_t i;

    for (g = 0; g <= uj->groups.n; g++) {
        const struct ram_policy_list *l =
            g == 0 ? &uj->policies : &glists[g - 1];

        for (i = 0; i < l->n; i++) {
            char(*grown)[128];

            if (r->only_custom && strcmp(l->v[i].type, "Custom") != 0) {
                continue;
            }
            if (ram_policy_list_add(refs, &l->v[i]) != 0) {
                return -1;
            }
            grown = realloc(*origin, refs->n * sizeof(**origin));
            if (grown == NULL) {
                return -1;
            }
            *origin = grown;
            snprintf((*origin)[refs->n - 1], 128, "%s",
                     g == 0 ? "" : uj->groups.v[g - 1]);
        }
    }
    return 0;
}

static int analyse(struct wrk_app *app, const struct wrk_rule *r,
                   struct user_job *uj, struct ram_policy_list *glists,
                   struct wrk_verdict *v, struct mg_error *err)
{
    struct ram_policy_list refs = { NULL, 0, 0 };
    char(*origin)[128] = NULL;
    const struct ram_policy **docs = NULL;
    struct wrk_source *src = NULL;
    size_t i;
    size_t k = 0;
    int rc = -1;

    if (collect_sources(r, uj, glists, &refs, &origin) != 0 ||
        (refs.n && ((docs = calloc(refs.n, sizeof(*docs))) == NULL ||
                    (src = calloc(refs.n, sizeof(*src))) == NULL))) {
        mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
        goto out;
    }
    if (wrk_get_documents(app, refs.v, refs.n, docs, err) != 0) {
        goto out;
    }
    for (i = 0; i < refs.n; i++) {
        if (docs[i] == NULL) {
            continue;
        }
        snprintf(src[k].name, sizeof(src[k].name), "%s", refs.v[i].name);
        snprintf(src[k].type, sizeof(src[k].type), "%s", refs.v[i].type);
        snprintf(src[k].group, sizeof(src[k].group), "%s", origin[i]);
        src[k].doc = docs[i];
        k++;
    }
    rc = wrk_verdict_decide(r, src, k, v, err);
    if (rc == 0) {
        wrk_verdict_finish(v, &uj->mfa);
    }
    wrk_put_documents(app, docs, refs.n);
out:
    free(docs);
    free(src);
    free(origin);
    ram_policy_list_release(&refs);
    return rc;
}

static int check_groups(struct wrk_app *app, const struct wrk_rule *r,
                        struct user_job *uj, struct wrk_verdict *v,
                        struct mg_error *err)
{
    size_t n = uj->groups.n;
    struct ram_policy_list *lists = n ? calloc(n, sizeof(*lists)) : NULL;
    struct mg_error *errs = n ? calloc(n, sizeof(*errs)) : NULL;
    struct group_job gj = { app, &uj->groups, lists, errs };
    size_t i;
    int rc = -1;

    if (n && (lists == NULL || errs == NULL)) {
        mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
        goto out;
    }
    mg_pool_for(app->pool, n, 0, group_call, &gj);

    /* A group deleted since it was listed simply no longer counts. */
    for (i = 0; i < n; i++) {
        if (errs[i].cls == MG_NOT_FOUND) {
            mg_log_info("group.missing", MG_LS("group", uj->groups.v[i]));
            mg_error_clear(&errs[i]);
        }
    }
    if (mg_error_first(errs, n, err) == 0) {
        rc = analyse(app, r, uj, lists, v, err);
    }
out:
    for (i = 0; lists && i < n; i++) {
        ram_policy_list_release(&lists[i]);
    }
    free(lists);
    free(errs);
    return rc;
}

int wrk_check_user(struct wrk_app *app, const struct wrk_rule *r,
                   const char *user, struct wrk_verdict *v,
                   struct mg_error *err)
{
    struct user_job uj;
    int rc;
    size_t i;

    memset(&uj, 0, sizeof(uj));
    uj.app = app;
    uj.user = user;
    if (r->npatterns == 0) {
        wrk_verdict_not_applicable(v, "no dangerousActions configured");
        return 0;
    }

    mg_pool_for(app->pool, 3, 0, user_call, &uj);
    for (i = 0; i < 3; i++) {
        if (user_missing(&uj.errs[i])) {
            wrk_verdict_not_applicable(v, "user no longer exists");
            rc = 0;
            goto out;
        }
    }
    rc = mg_error_first(uj.errs, 3, err);
    if (rc == 0) {
        rc = check_groups(app, r, &uj, v, err);
    }
out:
    ram_policy_list_release(&uj.policies);
    ram_name_list_release(&uj.groups);
    return rc;
}
