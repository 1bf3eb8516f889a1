#include "ram/glob.h"

#include <stdlib.h>
#include <string.h>

#include "ram/automaton.h"
#include "ram/policy.h"

#include "common/banned.h"

/* Rows of the overlap table up to this length live on the stack. */
#define STACK_ROW 512

static unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * The usual single-backtrack matcher: on a mismatch, let the last '*'
 * take one more byte. It never needs to go further back, because a later
 * '*' can absorb anything an earlier one could.
 */
int ram_glob_match(const char *pattern, const char *name)
{
    const unsigned char *p = (const unsigned char *)pattern;
    const unsigned char *s = (const unsigned char *)name;
    const unsigned char *star = NULL;
    const unsigned char *retry = NULL;

    while (*s) {
        if (*p == '*') {
            star = ++p;
            retry = s;
        } else if (*p && (*p == '?' || fold(*p) == fold(*s))) {
            p++;
            s++;
        } else if (star) {
            p = star;
            s = ++retry;
        } else {
            return 0;
        }
    }
    while (*p == '*') {
        p++;
    }
    return *p == '\0';
}

/* Can one byte be read by both pattern characters (neither a '*')? */
static int same_byte(unsigned char a, unsigned char b)
{
    return a == '?' || b == '?' || fold(a) == fold(b);
}

/*
 * Spread reachability from (i, j) of the product of the two patterns
 * (i bytes of a, j of b matched) within row i and into row i + 1. Every
 * move goes right or down, so one pass in reading order is enough.
 */
static void spread(const char *a, size_t m, const char *b, size_t n, size_t i,
                   unsigned char *row, unsigned char *below)
{
    size_t j;

    for (j = 0; j <= n; j++) {
        int as = i < m && a[i] == '*';
        int bs = j < n && b[j] == '*';

        if (!row[j]) {
            continue;
        }
        if (bs || (as && j < n)) {
            row[j + 1] = 1; /* b skips its star, or a's star reads b[j] */
        }
        if (as || (bs && i < m)) {
            below[j] = 1; /* a skips its star, or b's star reads a[i] */
        }
        if (i < m && j < n && !as && !bs &&
            same_byte((unsigned char)a[i], (unsigned char)b[j])) {
            below[j + 1] = 1;
        }
    }
}

/*
 * Before a wildcard, both patterns must spell the same bytes, and so
 * after the last one: most pairs of action patterns differ in their
 * service prefix and are told apart here without the table.
 */
static int ends_differ(const char *a, size_t m, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < m && i < n; i++) {
        unsigned char x = (unsigned char)a[i];
        unsigned char y = (unsigned char)b[i];

        if (x == '*' || y == '*') {
            break;
        }
        if (!same_byte(x, y)) {
            return 1;
        }
    }
    for (i = 1; i <= m && i <= n; i++) {
        unsigned char x = (unsigned char)a[m - i];
        unsigned char y = (unsigned char)b[n - i];

        if (x == '*' || y == '*') {
            break;
        }
        if (!same_byte(x, y)) {
            return 1;
        }
    }
    return 0;
}

int ram_glob_overlap(const char *a, const char *b)
{
    unsigned char stack[2 * STACK_ROW];
    unsigned char *row = stack;
    size_t m = strlen(a);
    size_t n = strlen(b);
    size_t i;
    int rc;

    if (ends_differ(a, m, b, n)) {
        return 0;
    }
    if (n + 2 > STACK_ROW) {
        row = malloc(2 * (n + 2));
        if (row == NULL) {
            return 1; /* unknown: say yes, as a grant must not vanish */
        }
    }
    memset(row, 0, 2 * (n + 2));
    row[0] = 1;
    for (i = 0;; i++) {
        unsigned char *cur = row + (i % 2) * (n + 2);
        unsigned char *below = row + ((i + 1) % 2) * (n + 2);

        memset(below, 0, n + 2);
        spread(a, m, b, n, i, cur, below);
        if (i == m) {
            rc = cur[n];
            break;
        }
    }
    if (row != stack) {
        free(row);
    }
    return rc;
}

int ram_glob_all_stars(const char *glob)
{
    if (*glob == '\0') {
        return 0;
    }
    while (*glob == '*') {
        glob++;
    }
    return *glob == '\0';
}

int ram_glob_covers(const char *a, const char *b)
{
    struct ram_fa *fa;
    int rc = -1;

    if (ram_glob_all_stars(a) || strcmp(a, b) == 0) {
        return 1;
    }
    fa = ram_fa_new();
    if (fa != NULL && ram_fa_part(fa, 0) == 0 && ram_fa_glob(fa, b) == 0 &&
        ram_fa_part(fa, 1) == 0 && ram_fa_glob(fa, a) == 0) {
        rc = ram_fa_nonempty(fa, NULL);
    }
    ram_fa_free(fa);

    /* A name of b outside a, or no answer: not covered. */
    return rc == 0;
}
