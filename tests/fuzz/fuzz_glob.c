/*
 * The glob decisions of the policy language, checked against each other.
 * The input is "a NUL b NUL s": two patterns and a name (a missing part
 * is empty). ram_glob_overlap must be symmetric and hold for a pattern
 * with itself; ram_glob_covers(a, a) must hold, and covers(a, b) implies
 * overlap(a, b) (every glob matches some name, the empty one included;
 * covers is asked only about pairs with few '?', see MAX_COVERS_QMARKS).
 * For a literal name, matching and overlapping are the same question, so
 * ram_glob_match and ram_glob_overlap must agree. A name made from b by
 * reading '*' as nothing and '?' as 'x' is matched by b, and by a when
 * covers(a, b). Finally the automaton (ram/automaton.h) must give the
 * same answers as the overlap table unless its search hit the bound, its
 * witnesses must satisfy the question they answer, and a pattern in upper
 * case must name nothing that the pattern itself does not.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ram/automaton.h"
#include "ram/policy.h"

#include "common/banned.h"

#define WITNESS_CAP 4096

/*
 * Each '?' after a '*' can double the states the automaton explores, up
 * to its bound of 200,000, and a search to the bound takes about a second
 * under the sanitizers: a few such inputs would slow the whole run to a
 * crawl. So ram_glob_covers, which searches with that bound, is asked
 * only about pairs with few '?'; the questions put to the automaton here
 * directly use a lower bound, which reaches the bounded path cheaply.
 */
#define MAX_COVERS_QMARKS 12
#define FA_LIMIT          20000

/* The next NUL-separated part of the input, copied; "" past its end. */
static char *next_part(const uint8_t **data, size_t *size)
{
    const uint8_t *end = memchr(*data, '\0', *size);
    size_t n = end ? (size_t)(end - *data) : *size;
    char *part = fuzz_text(*data, n);

    *data += end ? n + 1 : n;
    *size -= end ? n + 1 : n;
    return part;
}

/* Some name the glob matches: each '*' reads nothing, each '?' an 'x'. */
static char *instance(const char *glob)
{
    char *s = fuzz_text((const uint8_t *)glob, strlen(glob));
    size_t j = 0;
    size_t i;

    for (i = 0; glob[i] != '\0'; i++) {
        if (glob[i] != '*') {
            s[j++] = glob[i] == '?' ? 'x' : glob[i];
        }
    }
    s[j] = '\0';
    return s;
}

/* The glob with its ASCII letters in upper case. */
static char *upper(const char *glob)
{
    char *s = fuzz_text((const uint8_t *)glob, strlen(glob));
    size_t i;

    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] >= 'a' && s[i] <= 'z') {
            s[i] = (char)(s[i] - 'a' + 'A');
        }
    }
    return s;
}

/* The name with its wildcards dropped, so that it reads as a literal. */
static char *literal(const char *name)
{
    char *s = fuzz_text((const uint8_t *)name, strlen(name));
    size_t j = 0;
    size_t i;

    for (i = 0; name[i] != '\0'; i++) {
        if (name[i] != '*' && name[i] != '?') {
            s[j++] = name[i];
        }
    }
    s[j] = '\0';
    return s;
}

static size_t qmarks(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        n += *s == '?';
    }
    return n;
}

/* ram_glob_covers(a, b) when asked (1 or 0), else -1. */
static int check_pair(const char *a, const char *b, int ask_covers)
{
    int ab = ram_glob_overlap(a, b);
    int covers = ask_covers ? ram_glob_covers(a, b) : -1;
    char *w = instance(b);

    FUZZ_CHECK(ab == 0 || ab == 1);
    FUZZ_CHECK(ab == ram_glob_overlap(b, a));
    FUZZ_CHECK(ram_glob_overlap(a, a) == 1);
    FUZZ_CHECK(ram_glob_covers(a, a) == 1);
    FUZZ_CHECK(ram_glob_match(b, w) == 1);
    if (ram_glob_match(a, w)) {
        FUZZ_CHECK(ab == 1);
    }
    if (covers == 1) {
        FUZZ_CHECK(ab == 1);
        FUZZ_CHECK(ram_glob_match(a, w) == 1);
    }
    free(w);
    return covers;
}

static void check_literal(const char *a, const char *b, const char *s)
{
    FUZZ_CHECK(ram_glob_match(a, s) == ram_glob_overlap(a, s));
    FUZZ_CHECK(ram_glob_match(b, s) == ram_glob_overlap(b, s));
    FUZZ_CHECK(ram_glob_match(s, s) == 1);
}

/* Ask whether some name matches need and, when avoid is set, not avoid. */
static int ask(struct ram_fa *fa, const char *need, const char *also,
               const char *avoid, char *witness)
{
    int rc;

    ram_fa_clear(fa);
    FUZZ_CHECK(ram_fa_part(fa, 0) == 0 && ram_fa_glob(fa, need) == 0);
    if (also != NULL) {
        FUZZ_CHECK(ram_fa_part(fa, 0) == 0 && ram_fa_glob(fa, also) == 0);
    }
    if (avoid != NULL) {
        FUZZ_CHECK(ram_fa_part(fa, 1) == 0 && ram_fa_glob(fa, avoid) == 0);
    }
    rc = ram_fa_nonempty(fa, NULL);
    FUZZ_CHECK(rc == 0 || rc == 1);
    witness[0] = '\0';
    if (rc == 1 && !ram_fa_bounded(fa) &&
        ram_fa_witness(fa, witness, WITNESS_CAP) == 0) {
        FUZZ_CHECK(ram_glob_match(need, witness));
        FUZZ_CHECK(also == NULL || ram_glob_match(also, witness));
        FUZZ_CHECK(avoid == NULL || !ram_glob_match(avoid, witness));
    }
    return rc;
}

static void check_automaton(const char *a, const char *b, const char *up,
                            int covers)
{
    struct ram_fa *fa = ram_fa_new();
    char *witness = malloc(WITNESS_CAP);
    int rc;

    FUZZ_CHECK(fa != NULL && witness != NULL);
    ram_fa_set_limit(fa, FA_LIMIT);
    rc = ask(fa, a, b, NULL, witness);
    if (!ram_fa_bounded(fa)) {
        FUZZ_CHECK(rc == ram_glob_overlap(a, b));
    }

    /* A name of b outside a: what ram_glob_covers asked, with a lower
     * bound here (past a bound, the answer is "some name exists"). */
    rc = ask(fa, b, NULL, a, witness);
    if (covers == 0) {
        FUZZ_CHECK(rc == 1);
    } else if (covers == 1) {
        FUZZ_CHECK(rc == 0 || ram_fa_bounded(fa));
    }

    /* Letters compare without regard to case. */
    rc = ask(fa, up, NULL, a, witness);
    FUZZ_CHECK(rc == 0 || ram_fa_bounded(fa));
    FUZZ_CHECK(ram_glob_overlap(a, up) == 1);
    free(witness);
    ram_fa_free(fa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *a = next_part(&data, &size);
    char *b = next_part(&data, &size);
    char *name = next_part(&data, &size);
    char *s = literal(name);
    char *up = upper(a);
    int cheap = qmarks(a) + qmarks(b) <= MAX_COVERS_QMARKS;
    int covers = check_pair(a, b, cheap);

    check_pair(b, a, cheap);
    check_literal(a, b, s);
    check_automaton(a, b, up, covers);
    free(up);
    free(s);
    free(name);
    free(b);
    free(a);
    return 0;
}
