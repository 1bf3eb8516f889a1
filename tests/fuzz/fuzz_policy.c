/*
 * ram_policy_parse, then the analysis on what it parsed. A refused
 * document has an error class; a parsed one has statements whose ranges
 * stay inside the policy's arrays, patterns within the size limit, and
 * derived flags that agree with the effect (MFA-only Allows, Denies that
 * apply everywhere, ram_policy_has_deny).
 *
 * ram_analyze is run for a few dangerous patterns plus the document's own
 * first pattern. Its grants point at Allow statements that are not
 * MFA-only, come out in order, and name an Action pattern of that
 * statement that overlaps the dangerous one. ram_policy_may_grant must
 * agree with it, for all patterns and for one alone. The same policy reaching
 * the user twice (directly and through a group) must grant the same through
 * both; and with no Deny in the way, an Allow grants its own pattern.
 */
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "fuzz.h"
#include "ram/document.h"
#include "ram/policy.h"

#include "common/banned.h"

/* Few dangerous patterns: each one multiplies the questions the analysis
 * asks, and a question may cost a full bounded search. */
#define NDANGEROUS 4

/*
 * Globs like "*????????????????a" make the analysis search up to its
 * bound, which under the sanitizers takes seconds a question. When the
 * first analysis of an input was that slow, the cross-checks that would
 * repeat it are skipped, so that such inputs cost one analysis and not
 * four; the first analysis and its own checks always run.
 */
#define SLOW_MS 1000

static int64_t now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void check_statement(const struct ram_policy *p,
                            const struct ram_statement *st)
{
    size_t i;

    FUZZ_CHECK(st->pattern0 <= p->npattern &&
               st->npattern <= p->npattern - st->pattern0);
    FUZZ_CHECK(st->op0 <= p->nop && st->nop <= p->nop - st->op0);
    FUZZ_CHECK(!st->mfa_only || st->effect == RAM_EFFECT_ALLOW);
    FUZZ_CHECK(!st->deny_everywhere || st->effect == RAM_EFFECT_DENY);
    FUZZ_CHECK(!st->not_action || st->has_action);
    FUZZ_CHECK(st->has_action || st->npattern == 0);
    for (i = st->pattern0; i < st->pattern0 + st->npattern; i++) {
        FUZZ_CHECK(strlen(p->pattern[i]) <= RAM_POLICY_MAX_PATTERN_BYTES);
    }
    for (i = st->op0; i < st->op0 + st->nop; i++) {
        const struct ram_cond_op *op = &p->op[i];

        FUZZ_CHECK(op->key0 <= p->nkey && op->nkey <= p->nkey - op->key0);
    }
}

static void check_structure(const struct ram_policy *p)
{
    size_t i;
    int deny = 0;

    FUZZ_CHECK(ram_policy_statement_count(p) == p->nstmt);
    FUZZ_CHECK(p->nstmt <= RAM_POLICY_MAX_STATEMENTS);
    FUZZ_CHECK(p->text_len <= p->text_cap);
    for (i = 0; i < p->nkey; i++) {
        FUZZ_CHECK(p->key[i].value0 <= p->nvalue &&
                   p->key[i].nvalue <= p->nvalue - p->key[i].value0);
    }
    for (i = 0; i < p->nstmt; i++) {
        check_statement(p, &p->stmt[i]);
        deny |= p->stmt[i].deny_everywhere;
    }
    FUZZ_CHECK(ram_policy_has_deny(p) == deny);
}

/*
 * Is action one of the statement's patterns that overlaps the dangerous
 * one, or such a pattern too long for the grant, cut and marked "..."
 * (the cut steps back to a UTF-8 character start, so it may be short)?
 */
static int names_pattern(const struct ram_policy *p,
                         const struct ram_statement *st, const char *action,
                         const char *dangerous)
{
    size_t n = strlen(action);
    size_t i;

    for (i = st->pattern0; i < st->pattern0 + st->npattern; i++) {
        const char *pat = p->pattern[i];

        if (!ram_glob_overlap(pat, dangerous)) {
            continue;
        }
        if (strcmp(pat, action) == 0) {
            return 1;
        }
        if (strlen(pat) >= sizeof(((struct ram_grant *)0)->action) && n >= 3 &&
            strcmp(action + n - 3, "...") == 0 &&
            strncmp(pat, action, n - 3) == 0) {
            return 1;
        }
    }
    return 0;
}

static void check_grant(const struct ram_policy *p, const struct ram_grant *g,
                        const char *const *dangerous, size_t nsrc)
{
    const struct ram_statement *st;

    FUZZ_CHECK(g->dangerous < NDANGEROUS && g->source < nsrc);
    FUZZ_CHECK(g->statement < p->nstmt);
    st = &p->stmt[g->statement];
    FUZZ_CHECK(st->effect == RAM_EFFECT_ALLOW && st->has_action);
    FUZZ_CHECK(!st->mfa_only);
    FUZZ_CHECK(fuzz_terminated(g->action, sizeof(g->action)));
    if (st->not_action) {
        FUZZ_CHECK(strcmp(g->action, "NotAction") == 0);
    } else {
        FUZZ_CHECK(names_pattern(p, st, g->action, dangerous[g->dangerous]));
    }
}

/* Grants sorted by source, then statement, then dangerous pattern. */
static int in_order(const struct ram_grant *a, const struct ram_grant *b)
{
    if (a->source != b->source) {
        return a->source < b->source;
    }
    if (a->statement != b->statement) {
        return a->statement < b->statement;
    }
    return a->dangerous < b->dangerous;
}

static void analyze(const struct ram_source *src, size_t n,
                    const char *const *dangerous, size_t nd,
                    struct ram_grant_list *out)
{
    struct mg_error err;
    size_t i;

    mg_error_clear(&err);
    FUZZ_CHECK(ram_analyze(src, n, dangerous, nd, out, &err) == 0);
    for (i = 0; i < out->n; i++) {
        check_grant(src[0].policy, &out->v[i], dangerous, n);
        FUZZ_CHECK(i == 0 || in_order(&out->v[i - 1], &out->v[i]));
    }
}

static int grants_pattern(const struct ram_grant_list *l, size_t k)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (l->v[i].dangerous == k) {
            return 1;
        }
    }
    return 0;
}

/* ram_policy_may_grant agrees with the analysis: for all the patterns,
 * and for the one the input picks (checking each would redo the
 * analysis once a pattern). */
static void check_may_grant(const struct ram_policy *p,
                            const char *const *dangerous, size_t pick,
                            const struct ram_grant_list *l)
{
    size_t k = pick % NDANGEROUS;

    FUZZ_CHECK(ram_policy_may_grant(p, dangerous, NDANGEROUS) == (l->n > 0));
    FUZZ_CHECK(ram_policy_may_grant(p, &dangerous[k], 1) ==
               grants_pattern(l, k));
}

/*
 * The same policy attached directly and through a group: both sources
 * must grant the same, entry for entry. (Compared within one analysis:
 * a second copy of every Deny makes the questions larger, and past the
 * search bound the answer may rightly differ from a one-source run.)
 */
static void check_twice(const struct ram_policy *p,
                        const char *const *dangerous)
{
    struct ram_source src[2] = { { "fuzz", "Custom", "fuzz-group", p },
                                 { "fuzz", "Custom", NULL, p } };
    struct ram_grant_list l = { NULL, 0, 0 };
    size_t half;
    size_t i;

    ram_sources_sort(src, 2);
    FUZZ_CHECK(src[0].group == NULL);
    analyze(src, 2, dangerous, NDANGEROUS, &l);
    FUZZ_CHECK(l.n % 2 == 0);
    half = l.n / 2;
    for (i = 0; i < half; i++) {
        const struct ram_grant *a = &l.v[i];
        const struct ram_grant *b = &l.v[half + i];

        FUZZ_CHECK(a->source == 0 && b->source == 1);
        FUZZ_CHECK(a->statement == b->statement);
        FUZZ_CHECK(a->dangerous == b->dangerous);
        FUZZ_CHECK(strcmp(a->action, b->action) == 0);
    }
    ram_grant_list_release(&l);
}

/* Without Denies, the first plain Allow grants its own first pattern. */
static void check_self_grant(const struct ram_policy *p)
{
    struct ram_source src = { "fuzz", "Custom", NULL, p };
    struct ram_grant_list l = { NULL, 0, 0 };
    size_t i;

    if (ram_policy_has_deny(p)) {
        return;
    }
    for (i = 0; i < p->nstmt; i++) {
        const struct ram_statement *st = &p->stmt[i];
        const char *own;

        if (st->effect != RAM_EFFECT_ALLOW || st->not_action || st->mfa_only ||
            st->npattern == 0) {
            continue;
        }
        own = p->pattern[st->pattern0];
        analyze(&src, 1, &own, 1, &l);
        FUZZ_CHECK(l.n > 0 && l.v[0].statement <= i);
        ram_grant_list_release(&l);
        return;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dangerous[NDANGEROUS] = { "ecs:*", "*", "ecs:Delete?nstance",
                                          "" };
    struct ram_grant_list once = { NULL, 0, 0 };
    struct ram_source src;
    int64_t started;
    struct mg_error err;
    struct ram_policy *p;

    mg_error_clear(&err);
    p = ram_policy_parse((const char *)data, size, &err);
    if (p == NULL) {
        FUZZ_CHECK(err.cls == MG_INVALID || err.cls == MG_RETRY);
        return 0;
    }
    check_structure(p);
    if (p->npattern > 0) {
        dangerous[NDANGEROUS - 1] = p->pattern[0];
    }

    src = (struct ram_source){ "fuzz", "Custom", NULL, p };
    started = now_ms();
    analyze(&src, 1, dangerous, NDANGEROUS, &once);
    if (now_ms() - started < SLOW_MS) {
        check_may_grant(p, dangerous, size, &once);
        check_twice(p, dangerous);
    }
    check_self_grant(p);
    ram_grant_list_release(&once);
    ram_policy_free(p);
    return 0;
}
