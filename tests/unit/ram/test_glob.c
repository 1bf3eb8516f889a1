/* Globs and the automaton: tables of known answers, then every answer
 * checked against enumeration of short names. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ram/automaton.h"
#include "ram/policy.h"
#include "ram_tests.h"

struct pair {
    const char *a;
    const char *b;
    int want;
};

static const struct pair match_table[] = {
    { "ecs:*", "ecs:DeleteInstance", 1 },
    { "ECS:DeleteInstance", "ecs:deleteinstance", 1 },
    { "ecs:deleteinstance", "ECS:DELETEINSTANCE", 1 },
    { "ecs:Describe?nstances", "ecs:DescribeInstances", 1 },
    { "ecs:Describe?nstances", "ecs:Describenstances", 0 },
    { "oss:Get*", "oss:PutObject", 0 },
    { "ram:*", "ramx:GetUser", 0 },
    { "*", "", 1 },
    { "*", ":::", 1 },
    { "", "", 1 },
    { "", "a", 0 },
    { "?", "", 0 },
    { "?", "a", 1 },
    { "??", "a", 0 },
    { "*?", "", 0 },
    { "*?", "x", 1 },
    { "a**b", "ab", 1 },
    { "*a*", "bab", 1 },
    { "*a*", "bbb", 0 },
    { "a*b*c", "aXbYc", 1 },
    { "a*b*c", "acb", 0 },
    { "*sip*", "mississippi", 1 },
    { "*a?c*", "xxabdabc", 1 },
    { "*:*", "ecs:x", 1 },
    { "*:*", "ecsx", 0 },
};

/* Overlap answers; each is also checked with the patterns swapped. */
static const struct pair overlap_table[] = {
    /* config-ram-api.md 4.5, suggested unit cases */
    { "ecs:*", "ecs:*", 1 },
    { "ecs:Describe*", "ecs:*", 1 },
    { "*", "oss:*", 1 },
    { "ECS:DeleteInstance", "ecs:*", 1 },
    { "ecs:Describe?nstances", "ecs:DescribeInstances", 1 },
    { "rds:*", "ecs:*", 0 },
    { "oss:Get*", "oss:Put*", 0 },
    /* question marks only, and empty patterns */
    { "?", "??", 0 },
    { "??", "*", 1 },
    { "???", "a?c", 1 },
    { "?", "", 0 },
    { "", "", 1 },
    { "", "*", 1 },
    { "", "a", 0 },
    { "", "**", 1 },
    /* stars on both sides */
    { "*a*", "*b*", 1 },
    { "a*", "*b", 1 },
    { "a*", "b*", 0 },
    { "*a", "*b", 0 },
    { "a?", "?b", 1 },
    { "ab", "a?", 1 },
    { "ab", "?c", 0 },
    { "ecs:*", "*:DeleteInstance", 1 },
    { "ecs:Delete*", "*Instance", 1 },
    { "log:*", "logs:*", 0 },
    { "log:*", "*s:*", 1 },
    { "ecs:Delete*", "ecs:Describe*", 0 },
    { "ecs:De*", "ecs:D?scribe*", 1 },
    { "a*b*c", "*c*b*a*", 1 },
    { "a*b*a", "*b*a*b*", 1 },
    { "a*a", "?", 0 },
    { "*ab", "*ba", 0 },
    { "a*b", "*a", 0 },
};

/* a covers b: every name b matches, a matches. */
static const struct pair covers_table[] = {
    { "*", "oss:*", 1 },
    { "oss:*", "*", 0 },
    { "ecs:*", "ecs:Describe*", 1 },
    { "ecs:Describe*", "ecs:*", 0 },
    { "ecs:*", "ECS:DeleteInstance", 1 },
    { "ecs:DescribeInstances", "ecs:Describe?nstances", 0 },
    { "ecs:Describe?nstances", "ecs:DescribeInstances", 1 },
    { "rds:*", "ecs:*", 0 },
    { "ecs:*", "ecs:*", 1 },
    { "*", "", 1 },
    { "", "*", 0 },
    { "", "", 1 },
    { "?*", "*", 0 },
    { "*", "?*", 1 },
    { "?*", "??", 1 },
    { "*a*", "*a*b*", 1 },
    { "*a*b*", "*a*", 0 },
    { "a*", "a", 1 },
    { "a", "a*", 0 },
    { "**", "*", 1 },
    { "*?*", "?", 1 },
    { "*?*", "", 0 },
    { "*:*", "ecs:*", 1 },
    { "e*", "ecs:*", 1 },
    { "*s", "ecs:*", 0 },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int ref_match(const char *p, const char *s)
{
    if (*p == '\0') {
        return *s == '\0';
    }
    if (*p == '*') {
        return ref_match(p + 1, s) || (*s != '\0' && ref_match(p, s + 1));
    }
    if (*s == '\0') {
        return 0;
    }
    if (*p == '?' || (*p | 0x20) == (*s | 0x20) || *p == *s) {
        return ref_match(p + 1, s + 1);
    }
    return 0;
}

uint64_t test_rand(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1du;
}

void test_glob_match_table(void)
{
    size_t i;

    for (i = 0; i < NELEM(match_table); i++) {
        const struct pair *t = &match_table[i];

        if (ram_glob_match(t->a, t->b) != t->want) {
            fprintf(stderr, "match(%s, %s)\n", t->a, t->b);
        }
        CHECK_INT(ram_glob_match(t->a, t->b), t->want);
        CHECK_INT(ref_match(t->a, t->b), t->want);
    }
}

void test_glob_overlap_table(void)
{
    size_t i;

    for (i = 0; i < NELEM(overlap_table); i++) {
        const struct pair *t = &overlap_table[i];

        if (ram_glob_overlap(t->a, t->b) != t->want) {
            fprintf(stderr, "overlap(%s, %s)\n", t->a, t->b);
        }
        CHECK_INT(ram_glob_overlap(t->a, t->b), t->want);
        CHECK_INT(ram_glob_overlap(t->b, t->a), t->want);
    }
}

void test_glob_covers_table(void)
{
    size_t i;

    for (i = 0; i < NELEM(covers_table); i++) {
        const struct pair *t = &covers_table[i];

        if (ram_glob_covers(t->a, t->b) != t->want) {
            fprintf(stderr, "covers(%s, %s)\n", t->a, t->b);
        }
        CHECK_INT(ram_glob_covers(t->a, t->b), t->want);
    }
}

/* Patterns longer than the stack rows of the overlap table. */
void test_glob_long_patterns(void)
{
    char a[700];
    char b[700];

    memset(a, 'a', sizeof(a) - 1);
    a[sizeof(a) - 1] = '\0';
    memcpy(b, a, sizeof(b));
    b[0] = '*';
    CHECK(ram_glob_overlap(a, b));
    CHECK(ram_glob_overlap(b, a));
    CHECK(ram_glob_match(b, a));
    CHECK(ram_glob_covers(b, a));
    CHECK(!ram_glob_covers(a, b));
    b[sizeof(b) - 2] = 'b';
    CHECK(!ram_glob_overlap(a, b));
    CHECK(!ram_glob_match(b, a));
}

/*
 * Brute force. Patterns are short words over "aAbB*?"; names are every
 * word over "abc" up to MAX_LEN ('c' stands for any byte the patterns do
 * not name). Two patterns with at most PAT_LEN characters each that
 * overlap share a name no longer than their non-star characters, so the
 * enumeration decides overlap exactly. For questions with excluded parts
 * the witness the automaton returns is checked instead.
 */
#define PAT_LEN 4
#define MAX_LEN 8
#define POOL    400

struct names {
    char (*v)[MAX_LEN + 1];
    size_t n;
    size_t words; /* of a bitset over the names */
};

struct pool {
    char pat[POOL][PAT_LEN + 1];
    uint64_t *bits; /* POOL bitsets over the names */
};

static void fill_names(struct names *nm, char *prefix, size_t len)
{
    static const char letters[] = "abc";
    size_t i;

    memcpy(nm->v[nm->n++], prefix, len + 1);
    if (len == MAX_LEN) {
        return;
    }
    for (i = 0; i < 3; i++) {
        prefix[len] = letters[i];
        prefix[len + 1] = '\0';
        fill_names(nm, prefix, len + 1);
    }
    prefix[len] = '\0';
}

/* Names sorted by length, so the first found is a shortest one. */
static int by_length(const void *x, const void *y)
{
    size_t a = strlen(x);
    size_t b = strlen(y);

    return a < b ? -1 : a > b ? 1 : strcmp(x, y);
}

static void make_names(struct names *nm)
{
    size_t total = 0;
    size_t p = 1;
    size_t i;
    char prefix[MAX_LEN + 2] = "";

    for (i = 0; i <= MAX_LEN; i++, p *= 3) {
        total += p;
    }
    nm->v = calloc(total, sizeof(*nm->v));
    nm->n = 0;
    nm->words = (total + 63) / 64;
    fill_names(nm, prefix, 0);
    qsort(nm->v, nm->n, sizeof(*nm->v), by_length);
}

static void random_pattern(uint64_t *seed, char *out, size_t maxlen)
{
    static const char chars[] = "aAbB*?*a";
    size_t n = test_rand(seed) % (maxlen + 1);
    size_t i;

    for (i = 0; i < n; i++) {
        out[i] = chars[test_rand(seed) % (sizeof(chars) - 1)];
    }
    out[n] = '\0';
}

static void make_pool(struct pool *pl, const struct names *nm, uint64_t *seed)
{
    size_t i;
    size_t j;

    pl->bits = calloc(POOL * nm->words, sizeof(uint64_t));
    for (i = 0; i < POOL; i++) {
        uint64_t *b = pl->bits + i * nm->words;

        random_pattern(seed, pl->pat[i], PAT_LEN);
        for (j = 0; j < nm->n; j++) {
            if (ref_match(pl->pat[i], nm->v[j])) {
                b[j / 64] |= (uint64_t)1 << (j % 64);
            }
        }
    }
}

static int bit(const uint64_t *b, size_t j)
{
    return (b[j / 64] >> (j % 64)) & 1;
}

/* The matcher agrees with the reference on every name, in both cases. */
static void check_matcher(const struct pool *pl, const struct names *nm)
{
    size_t i;
    size_t j;
    int bad = 0;

    for (i = 0; i < POOL; i++) {
        const uint64_t *b = pl->bits + i * nm->words;

        for (j = 0; j < nm->n && bad < 5; j++) {
            char upper[MAX_LEN + 1];
            size_t k;

            for (k = 0; nm->v[j][k]; k++) {
                upper[k] = (char)(nm->v[j][k] - 'a' + 'A');
            }
            upper[k] = '\0';
            if (ram_glob_match(pl->pat[i], nm->v[j]) != bit(b, j) ||
                ram_glob_match(pl->pat[i], upper) != bit(b, j)) {
                fprintf(stderr, "match(%s, %s)\n", pl->pat[i], nm->v[j]);
                bad++;
            }
        }
    }
    CHECK_INT(bad, 0);
}

static int brute_overlap(const struct pool *pl, const struct names *nm,
                         size_t a, size_t b)
{
    size_t w;

    for (w = 0; w < nm->words; w++) {
        if (pl->bits[a * nm->words + w] & pl->bits[b * nm->words + w]) {
            return 1;
        }
    }
    return 0;
}

/* b covers-check: a counterexample from brute force, or the witness. */
static int check_covers(const struct pool *pl, const struct names *nm,
                        struct ram_fa *fa, size_t a, size_t b)
{
    int got = ram_glob_covers(pl->pat[a], pl->pat[b]);
    char w[64];
    size_t j;
    int brute = 1;

    for (j = 0; j < nm->n && brute; j++) {
        if (bit(pl->bits + b * nm->words, j) &&
            !bit(pl->bits + a * nm->words, j)) {
            brute = 0;
        }
    }
    if (got) {
        return brute; /* no name of b may escape a */
    }
    ram_fa_clear(fa);
    ram_fa_part(fa, 0);
    ram_fa_glob(fa, pl->pat[b]);
    ram_fa_part(fa, 1);
    ram_fa_glob(fa, pl->pat[a]);
    if (ram_fa_nonempty(fa, NULL) != 1 || ram_fa_witness(fa, w, sizeof(w))) {
        return 0;
    }
    return ref_match(pl->pat[b], w) && !ref_match(pl->pat[a], w);
}

void test_glob_brute_force(void)
{
    struct names nm;
    struct pool *pl = calloc(1, sizeof(*pl));
    struct ram_fa *fa = ram_fa_new();
    uint64_t seed = 0x5eed0001u;
    int bad_overlap = 0;
    int bad_covers = 0;
    int round;

    make_names(&nm);
    make_pool(pl, &nm, &seed);
    check_matcher(pl, &nm);
    for (round = 0; round < 4000; round++) {
        size_t a = test_rand(&seed) % POOL;
        size_t b = test_rand(&seed) % POOL;

        if (ram_glob_overlap(pl->pat[a], pl->pat[b]) !=
            brute_overlap(pl, &nm, a, b)) {
            fprintf(stderr, "overlap(%s, %s)\n", pl->pat[a], pl->pat[b]);
            bad_overlap++;
        }
        if (!check_covers(pl, &nm, fa, a, b)) {
            fprintf(stderr, "covers(%s, %s)\n", pl->pat[a], pl->pat[b]);
            bad_covers++;
        }
    }
    CHECK_INT(bad_overlap, 0);
    CHECK_INT(bad_covers, 0);
    ram_fa_free(fa);
    free(pl->bits);
    free(pl);
    free(nm.v);
}

struct question {
    size_t npart;
    int exclude[4];
    size_t nglob[4];
    size_t glob[4][3];
};

static void random_question(uint64_t *seed, struct question *q)
{
    size_t i;
    size_t j;

    q->npart = 1 + test_rand(seed) % 4;
    for (i = 0; i < q->npart; i++) {
        q->exclude[i] = i > 0 && test_rand(seed) % 2;
        q->nglob[i] = test_rand(seed) % 4;
        for (j = 0; j < q->nglob[i]; j++) {
            q->glob[i][j] = test_rand(seed) % POOL;
        }
    }
}

/* The shortest name satisfying the question, by enumeration; -1: none. */
static long brute_question(const struct pool *pl, const struct names *nm,
                           const struct question *q)
{
    size_t j;
    size_t i;
    size_t k;

    for (j = 0; j < nm->n; j++) {
        int ok = 1;

        for (i = 0; i < q->npart && ok; i++) {
            int in = 0;

            for (k = 0; k < q->nglob[i]; k++) {
                in |= bit(pl->bits + q->glob[i][k] * nm->words, j);
            }
            ok = q->exclude[i] ? !in : in;
        }
        if (ok) {
            return (long)strlen(nm->v[j]);
        }
    }
    return -1;
}

static int witness_fits(const struct pool *pl, const struct question *q,
                        const char *w)
{
    size_t i;
    size_t k;

    for (i = 0; i < q->npart; i++) {
        int in = 0;

        for (k = 0; k < q->nglob[i]; k++) {
            in |= ref_match(pl->pat[q->glob[i][k]], w);
        }
        if (q->exclude[i] ? in : !in) {
            return 0;
        }
    }
    return 1;
}

static int check_question(const struct pool *pl, const struct names *nm,
                          struct ram_fa *fa, const struct question *q)
{
    long shortest = brute_question(pl, nm, q);
    char w[256];
    size_t i;
    size_t k;
    int rc;

    ram_fa_clear(fa);
    for (i = 0; i < q->npart; i++) {
        ram_fa_part(fa, q->exclude[i]);
        for (k = 0; k < q->nglob[i]; k++) {
            ram_fa_glob(fa, pl->pat[q->glob[i][k]]);
        }
    }
    rc = ram_fa_nonempty(fa, NULL);
    if (rc == 0) {
        return shortest < 0;
    }
    if (rc != 1 || ram_fa_bounded(fa) || ram_fa_witness(fa, w, sizeof(w))) {
        return 0;
    }
    /* Breadth first: the witness is as short as any name there is. */
    return witness_fits(pl, q, w) &&
           (shortest < 0 ? strlen(w) > MAX_LEN : (long)strlen(w) == shortest);
}

void test_automaton_brute_force(void)
{
    struct names nm;
    struct pool *pl = calloc(1, sizeof(*pl));
    struct ram_fa *fa = ram_fa_new();
    uint64_t seed = 0x5eed0002u;
    int bad = 0;
    int round;

    make_names(&nm);
    make_pool(pl, &nm, &seed);
    for (round = 0; round < 6000; round++) {
        struct question q;

        random_question(&seed, &q);
        if (!check_question(pl, &nm, fa, &q)) {
            fprintf(stderr, "automaton question %d is answered wrongly\n",
                    round);
            bad++;
        }
    }
    CHECK_INT(bad, 0);
    ram_fa_free(fa);
    free(pl->bits);
    free(pl);
    free(nm.v);
}

void test_automaton_witness_is_shortest(void)
{
    struct ram_fa *fa = ram_fa_new();
    char w[64];

    ram_fa_part(fa, 0);
    ram_fa_glob(fa, "ecs:*");
    ram_fa_part(fa, 1);
    ram_fa_glob(fa, "ecs:D*");
    CHECK_INT(ram_fa_nonempty(fa, NULL), 1);
    CHECK(ram_fa_witness(fa, w, sizeof(w)) == 0);
    CHECK_STR(w, "ecs:");
    CHECK(ram_fa_witness(fa, w, 4) == -1); /* does not fit */

    /* Nothing left: NotAction-style exclusion of the whole pattern. */
    ram_fa_clear(fa);
    ram_fa_part(fa, 0);
    ram_fa_glob(fa, "ECS:*");
    ram_fa_part(fa, 1);
    ram_fa_glob(fa, "ecs:Describe*");
    ram_fa_glob(fa, "ecs:*");
    CHECK_INT(ram_fa_nonempty(fa, NULL), 0);
    CHECK(ram_fa_witness(fa, w, sizeof(w)) == -1);

    /* No parts: every name, the empty one first. */
    ram_fa_clear(fa);
    CHECK_INT(ram_fa_nonempty(fa, NULL), 1);
    CHECK(ram_fa_witness(fa, w, sizeof(w)) == 0);
    CHECK_STR(w, "");

    /* A required part without globs matches nothing. */
    ram_fa_part(fa, 0);
    CHECK_INT(ram_fa_nonempty(fa, NULL), 0);
    ram_fa_free(fa);
}

/*
 * "a then seven more bytes" needs 2^7 subsets to tell apart; with the
 * bound set below that, the search stops and answers "some name", never
 * "none".
 */
void test_automaton_bound_is_conservative(void)
{
    struct ram_fa *fa = ram_fa_new();

    ram_fa_part(fa, 0);
    ram_fa_glob(fa, "*a???????");
    ram_fa_part(fa, 1);
    ram_fa_glob(fa, "*a???????");
    CHECK_INT(ram_fa_nonempty(fa, NULL), 0);
    CHECK(!ram_fa_bounded(fa));
    CHECK(ram_fa_explored(fa) > 100);

    ram_fa_set_limit(fa, 20);
    CHECK_INT(ram_fa_nonempty(fa, NULL), 1);
    CHECK(ram_fa_bounded(fa));
    CHECK(ram_fa_explored(fa) <= 20);
    ram_fa_set_limit(fa, 0);
    ram_fa_free(fa);
}
