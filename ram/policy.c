#include "ram/policy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "ram/automaton.h"
#include "ram/document.h"
#include "ram/glob.h"

#include "common/banned.h"

/*
 * The decision of docs/semantics.md. For a dangerous pattern D and an
 * Allow statement S, S is a grant when some name matches D, is granted
 * by S, and is removed by no Deny that applies everywhere. Denies come in
 * two kinds: with Action, they remove the names their patterns match
 * (together they form one excluded part); with NotAction, a name escapes
 * one only by matching one of its patterns (a required part for each such
 * statement). Patterns that match no name of D are dropped first, as they
 * cannot change the answer inside D; what remains is decided exactly by
 * ram_fa_nonempty.
 */

struct range {
    size_t off; /* into analysis.setpat */
    size_t n;
};

/* What the Denies leave of one dangerous pattern. */
struct dview {
    const char *glob;
    int gone;    /* every name of D is denied */
    size_t neg0; /* Deny Action patterns that overlap D, in analysis.neg */
    size_t nneg;
    size_t set0; /* one range per NotAction Deny, in analysis.sets */
};

/*
 * The automaton states one analysis (one user's policies) may explore in
 * all its questions together. Real policies need a few hundred; a
 * handful of pathological wildcard patterns could otherwise take seconds
 * for every user who holds them. Past it, what is left counts as granted.
 */
#define ANALYSIS_BUDGET 500000

struct analysis {
    const struct ram_source *src;
    size_t nsrc;
    struct dview *d;
    size_t nd;
    size_t nneg;    /* Action patterns of all Denies */
    size_t nsets;   /* NotAction Denies */
    size_t nsetpat; /* patterns of NotAction Denies */
    const char **neg;
    struct range *sets;
    const char **setpat;
    struct ram_fa *fa; /* made by the first question that needs it */
    size_t budget;     /* automaton states left for this analysis */
    int first_only;
    struct ram_grant_list *out;
    struct mg_error *err;
};

/* Walks the Denies that apply everywhere, over every source. */
struct deny_walk {
    size_t src;
    size_t stmt;
};

static int nomem(struct mg_error *err)
{
    return mg_error_set(err, MG_RETRY, "NoMemory",
                        "out of memory analysing policies");
}

static const struct ram_statement *next_deny(const struct analysis *an,
                                             struct deny_walk *w,
                                             const struct ram_policy **pp)
{
    for (; w->src < an->nsrc; w->src++, w->stmt = 0) {
        const struct ram_policy *p = an->src[w->src].policy;

        while (p != NULL && w->stmt < p->nstmt) {
            const struct ram_statement *st = &p->stmt[w->stmt++];

            if (st->deny_everywhere) {
                *pp = p;
                return st;
            }
        }
    }
    return NULL;
}

static void count_denies(struct analysis *an)
{
    struct deny_walk w = { 0, 0 };
    const struct ram_policy *p;
    const struct ram_statement *st;

    while ((st = next_deny(an, &w, &p)) != NULL) {
        if (st->not_action) {
            an->nsets++;
            an->nsetpat += st->npattern;
        } else {
            an->nneg += st->npattern;
        }
    }
}

static void view_action_deny(struct analysis *an, struct dview *d,
                             const char *const *pat, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (ram_glob_all_stars(pat[i])) {
            d->gone = 1;
        }
        if (ram_glob_overlap(pat[i], d->glob)) {
            an->neg[d->neg0 + d->nneg++] = pat[i];
        }
    }
}

/* A name of D escapes a NotAction Deny only through a pattern that
 * overlaps D; with none, the Deny takes all of D. */
static void view_not_action_deny(struct analysis *an, struct dview *d,
                                 const char *const *pat, size_t n,
                                 struct range *r)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (ram_glob_overlap(pat[i], d->glob)) {
            an->setpat[r->off + r->n++] = pat[i];
        }
    }
    if (r->n == 0) {
        d->gone = 1;
    }
}

static void view_denies(struct analysis *an, size_t k)
{
    struct dview *d = &an->d[k];
    struct deny_walk w = { 0, 0 };
    const struct ram_policy *p;
    const struct ram_statement *st;
    size_t set = 0;
    size_t used = k * an->nsetpat;

    d->neg0 = k * an->nneg;
    d->set0 = k * an->nsets;
    while ((st = next_deny(an, &w, &p)) != NULL) {
        const char *const *pat = p->pattern + st->pattern0;

        if (!st->not_action) {
            view_action_deny(an, d, pat, st->npattern);
        } else {
            struct range *r = &an->sets[d->set0 + set++];

            r->off = used;
            r->n = 0;
            view_not_action_deny(an, d, pat, st->npattern, r);
            used += r->n;
        }
    }
}

/* A table of rows of n entries each, one row per dangerous pattern. */
static void *table(size_t rows, size_t n, size_t size)
{
    if (n != 0 && rows > (SIZE_MAX - 1) / n) {
        return NULL;
    }
    return calloc(rows * n + 1, size);
}

static int prepare(struct analysis *an, const char *const *dangerous)
{
    size_t k;

    count_denies(an);
    an->d = table(an->nd, 1, sizeof(*an->d));
    an->neg = table(an->nd, an->nneg, sizeof(*an->neg));
    an->sets = table(an->nd, an->nsets, sizeof(*an->sets));
    an->setpat = table(an->nd, an->nsetpat, sizeof(*an->setpat));
    if (an->d == NULL || an->neg == NULL || an->sets == NULL ||
        an->setpat == NULL) {
        return nomem(an->err);
    }
    for (k = 0; k < an->nd; k++) {
        an->d[k].glob = dangerous[k];
        if (dangerous[k] == NULL) {
            an->d[k].gone = 1;
            continue;
        }
        view_denies(an, k);
    }
    return 0;
}

static void release(struct analysis *an)
{
    free(an->d);
    free((void *)an->neg);
    free(an->sets);
    free((void *)an->setpat);
    ram_fa_free(an->fa);
}

/*
 * Is there a name in D, in the Action pattern (when given), outside the
 * NotAction patterns (when given), that no Deny removes? 1, 0, or -1.
 */
static int ask(struct analysis *an, const struct dview *d, const char *action,
               const char *const *not_action, size_t nnot)
{
    struct ram_fa *fa;
    size_t i;
    size_t j;
    int rc = 0;

    if (an->fa == NULL && (an->fa = ram_fa_new()) == NULL) {
        return nomem(an->err);
    }
    fa = an->fa;
    ram_fa_clear(fa);
    rc |= ram_fa_part(fa, 0) | ram_fa_glob(fa, d->glob);
    if (action != NULL) {
        rc |= ram_fa_part(fa, 0) | ram_fa_glob(fa, action);
    }
    for (i = 0; i < an->nsets; i++) {
        const struct range *r = &an->sets[d->set0 + i];

        rc |= ram_fa_part(fa, 0);
        for (j = 0; j < r->n; j++) {
            rc |= ram_fa_glob(fa, an->setpat[r->off + j]);
        }
    }
    rc |= ram_fa_part(fa, 1);
    for (i = 0; i < d->nneg; i++) {
        rc |= ram_fa_glob(fa, an->neg[d->neg0 + i]);
    }
    for (i = 0; i < nnot; i++) {
        if (ram_glob_overlap(not_action[i], d->glob)) {
            rc |= ram_fa_glob(fa, not_action[i]);
        }
    }
    if (rc != 0) {
        return nomem(an->err);
    }
    if (an->budget == 0) {
        /* Spent: an unfinished analysis must never read as "nothing is
         * granted". */
        return 1;
    }
    ram_fa_set_limit(fa, an->budget < RAM_FA_DEFAULT_LIMIT
                             ? an->budget
                             : RAM_FA_DEFAULT_LIMIT);
    rc = ram_fa_nonempty(fa, an->err);
    an->budget -=
        ram_fa_explored(fa) < an->budget ? ram_fa_explored(fa) : an->budget;
    if (an->budget == 0) {
        mg_log_warn("ram.analysis.budget_spent",
                    MG_LI("states", ANALYSIS_BUDGET));
    }
    return rc;
}

static int no_denies(const struct analysis *an, const struct dview *d)
{
    return d->nneg == 0 && an->nsets == 0;
}

/* The first Action pattern through which a name of D survives. */
static int grant_by_action(struct analysis *an, const struct dview *d,
                           const char *const *pat, size_t n, size_t *which)
{
    size_t i;

    for (i = 0; i < n; i++) {
        int rc;

        if (!ram_glob_overlap(pat[i], d->glob)) {
            continue;
        }
        rc = no_denies(an, d) ? 1 : ask(an, d, pat[i], NULL, 0);
        if (rc != 0) {
            *which = i;
            return rc;
        }
    }
    return 0;
}

static int overlaps_any(const char *const *pat, size_t n, const char *glob)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (ram_glob_overlap(pat[i], glob)) {
            return 1;
        }
    }
    return 0;
}

static int grant_by_not_action(struct analysis *an, const struct dview *d,
                               const char *const *pat, size_t n)
{
    /* Nothing takes names of D away: every name of D is granted. */
    if (no_denies(an, d) && !overlaps_any(pat, n, d->glob)) {
        return 1;
    }
    return ask(an, d, NULL, pat, n);
}

/* The pattern as the grant names it; a longer one is cut visibly at a
 * UTF-8 character boundary. */
static void name_action(char *out, size_t cap, const char *pattern)
{
    size_t n = strlen(pattern);

    if (n < cap) {
        memcpy(out, pattern, n + 1);
        return;
    }
    n = cap - 4;
    while (n > 0 && ((unsigned char)pattern[n] & 0xc0) == 0x80) {
        n--;
    }
    memcpy(out, pattern, n);
    memcpy(out + n, "...", 4);
}

static int add_grant(struct ram_grant_list *l, const struct ram_grant *g)
{
    struct ram_grant *v = mg_grow(l->v, l->n, &l->cap, sizeof(*v));

    if (v == NULL) {
        return -1;
    }
    l->v = v;
    l->v[l->n++] = *g;
    return 0;
}

/* Every dangerous pattern the statement grants, in pattern order. */
static int statement_grants(struct analysis *an, size_t s, size_t i)
{
    const struct ram_policy *p = an->src[s].policy;
    const struct ram_statement *st = &p->stmt[i];
    const char *const *pat = p->pattern + st->pattern0;
    size_t k;

    for (k = 0; k < an->nd; k++) {
        struct ram_grant g = { k, s, i, "NotAction" };
        size_t which = 0;
        int rc;

        if (an->d[k].gone) {
            continue;
        }
        rc = st->not_action
                 ? grant_by_not_action(an, &an->d[k], pat, st->npattern)
                 : grant_by_action(an, &an->d[k], pat, st->npattern, &which);
        if (rc < 0) {
            return -1;
        }
        if (rc == 0) {
            continue;
        }
        if (!st->not_action) {
            name_action(g.action, sizeof(g.action), pat[which]);
        }
        if (add_grant(an->out, &g) != 0) {
            return nomem(an->err);
        }
        if (an->first_only) {
            return 0;
        }
    }
    return 0;
}

static int grants(struct analysis *an)
{
    size_t s;
    size_t i;

    for (s = 0; s < an->nsrc; s++) {
        const struct ram_policy *p = an->src[s].policy;

        for (i = 0; p != NULL && i < p->nstmt; i++) {
            const struct ram_statement *st = &p->stmt[i];

            if (st->effect != RAM_EFFECT_ALLOW || !st->has_action ||
                st->mfa_only) {
                continue;
            }
            if (statement_grants(an, s, i) != 0) {
                return -1;
            }
            if (an->first_only && an->out->n > 0) {
                return 0;
            }
        }
    }
    return 0;
}

static int analyze(const struct ram_source *src, size_t n,
                   const char *const *dangerous, size_t ndangerous,
                   int first_only, struct ram_grant_list *out,
                   struct mg_error *err)
{
    struct analysis an;
    size_t before = out->n;
    int rc;

    memset(&an, 0, sizeof(an));
    an.budget = ANALYSIS_BUDGET;
    an.src = src;
    an.nsrc = n;
    an.nd = ndangerous;
    an.first_only = first_only;
    an.out = out;
    an.err = err;
    rc = prepare(&an, dangerous);
    if (rc == 0) {
        rc = grants(&an);
    }
    release(&an);
    if (rc != 0) {
        out->n = before;
    }
    return rc;
}

int ram_analyze(const struct ram_source *src, size_t n,
                const char *const *dangerous, size_t ndangerous,
                struct ram_grant_list *out, struct mg_error *err)
{
    return analyze(src, n, dangerous, ndangerous, 0, out, err);
}

int ram_policy_may_grant(const struct ram_policy *p,
                         const char *const *dangerous, size_t ndangerous)
{
    struct ram_source src = { "", "", NULL, p };
    struct ram_grant_list l = { NULL, 0, 0 };
    struct mg_error err;
    int rc;

    mg_error_clear(&err);
    rc = analyze(&src, 1, dangerous, ndangerous, 1, &l, &err);
    rc = rc != 0 || l.n > 0; /* when unsure, the policy is worth following */
    ram_grant_list_release(&l);
    return rc;
}

int ram_policy_has_deny(const struct ram_policy *p)
{
    size_t i;

    for (i = 0; p != NULL && i < p->nstmt; i++) {
        if (p->stmt[i].deny_everywhere) {
            return 1;
        }
    }
    return 0;
}

void ram_grant_list_release(struct ram_grant_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
    l->cap = 0;
}

static int text_cmp(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int source_cmp(const void *x, const void *y)
{
    const struct ram_source *a = x;
    const struct ram_source *b = y;
    int c;

    if ((a->group == NULL) != (b->group == NULL)) {
        return a->group == NULL ? -1 : 1;
    }
    c = text_cmp(a->group, b->group);
    if (c == 0) {
        c = text_cmp(a->policy_type, b->policy_type);
    }
    if (c == 0) {
        c = text_cmp(a->policy_name, b->policy_name);
    }
    return c;
}

void ram_sources_sort(struct ram_source *src, size_t n)
{
    if (n > 1) {
        qsort(src, n, sizeof(*src), source_cmp);
    }
}
