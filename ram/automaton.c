#include "ram/automaton.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"

#include "common/banned.h"

#define MIN_SLOTS 1024
#define NO_STATE  UINT32_MAX

/* Explored states are kept whole; this caps their memory at 32 MiB. */
#define MAX_STATE_WORDS ((size_t)1 << 22)

/*
 * A glob of length m is an NFA with positions 0..m: position i has read a
 * prefix that the first i pattern characters match. A '*' at i loops on
 * any byte and also lets i+1 be taken without reading; '?' and a literal
 * lead to i+1. Position m accepts. Every glob of a question owns m+1
 * consecutive bits of a state; every part starts on a fresh word, so a
 * part is a word range and a shift never leaves its glob (the bit moved
 * is never the last one of a glob).
 */
struct fa_glob {
    const char *s;
    size_t len;
    size_t base;
};

struct fa_part {
    int exclude;
    size_t glob0;
    size_t nglob;
    size_t w0;
    size_t w1;
};

struct ram_fa {
    struct fa_glob *glob;
    size_t nglob;
    size_t glob_cap;
    struct fa_part *part;
    size_t npart;
    size_t part_cap;
    size_t limit;

    /* The layout of the question being answered. */
    size_t pwords; /* words of positions */
    size_t words;  /* one state: positions, then one "settled" bit a part */
    unsigned char sym[256];
    size_t nsym;
    uint64_t *mask; /* adv per symbol, then star, fin, univ, two scratch */
    size_t mask_cap;

    /* Explored states, their BFS parents, and a hash index over them. */
    uint64_t *state;
    uint32_t *parent;
    unsigned char *via;
    size_t nstate;
    size_t state_cap; /* words */
    size_t link_cap;  /* states */
    uint32_t *slot;
    size_t slot_cap;

    size_t explored;
    int bounded;
    int found;
    uint32_t found_parent;
    unsigned char found_via;
};

static unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static void *grow(void *p, size_t *cap, size_t want, size_t size)
{
    size_t n = *cap ? *cap : 8;
    void *q;

    if (want <= *cap) {
        return p;
    }
    while (n < want) {
        if (n > SIZE_MAX / 2 / size) {
            return NULL;
        }
        n *= 2;
    }
    q = realloc(p, n * size);
    if (q != NULL) {
        *cap = n;
    }
    return q;
}

struct ram_fa *ram_fa_new(void)
{
    struct ram_fa *fa = calloc(1, sizeof(*fa));

    if (fa != NULL) {
        fa->limit = RAM_FA_DEFAULT_LIMIT;
    }
    return fa;
}

void ram_fa_free(struct ram_fa *fa)
{
    if (fa == NULL) {
        return;
    }
    free(fa->glob);
    free(fa->part);
    free(fa->mask);
    free(fa->state);
    free(fa->parent);
    free(fa->via);
    free(fa->slot);
    free(fa);
}

void ram_fa_clear(struct ram_fa *fa)
{
    fa->nglob = 0;
    fa->npart = 0;
    fa->found = 0;
    fa->bounded = 0;
    fa->explored = 0;
}

void ram_fa_set_limit(struct ram_fa *fa, size_t states)
{
    fa->limit = states ? states : RAM_FA_DEFAULT_LIMIT;
}

size_t ram_fa_explored(const struct ram_fa *fa)
{
    return fa->explored;
}

int ram_fa_bounded(const struct ram_fa *fa)
{
    return fa->bounded;
}

int ram_fa_part(struct ram_fa *fa, int exclude)
{
    struct fa_part *p;

    p = grow(fa->part, &fa->part_cap, fa->npart + 1, sizeof(*p));
    if (p == NULL) {
        return -1;
    }
    fa->part = p;
    p[fa->npart++] = (struct fa_part){ exclude != 0, fa->nglob, 0, 0, 0 };
    return 0;
}

int ram_fa_glob(struct ram_fa *fa, const char *glob)
{
    struct fa_glob *g;

    if (fa->npart == 0) {
        return -1;
    }
    g = grow(fa->glob, &fa->glob_cap, fa->nglob + 1, sizeof(*g));
    if (g == NULL) {
        return -1;
    }
    fa->glob = g;
    g[fa->nglob++] = (struct fa_glob){ glob, strlen(glob), 0 };
    fa->part[fa->npart - 1].nglob++;
    return 0;
}

/* Bits for every glob, words for every part. */
static void layout(struct ram_fa *fa)
{
    size_t w = 0;
    size_t i;
    size_t j;

    for (i = 0; i < fa->npart; i++) {
        struct fa_part *p = &fa->part[i];
        size_t bits = 0;

        p->w0 = w;
        for (j = p->glob0; j < p->glob0 + p->nglob; j++) {
            fa->glob[j].base = w * 64 + bits;
            bits += fa->glob[j].len + 1;
        }
        p->w1 = w + (bits + 63) / 64;
        w = p->w1;
    }
    fa->pwords = w;
    fa->words = w + (fa->npart + 63) / 64;
}

/*
 * Literal bytes never written in any glob all behave alike (only '?' and
 * '*' take them), so one of them stands for all: the search stays exact
 * with an alphabet of the folded literals plus that one.
 */
static void alphabet(struct ram_fa *fa)
{
    unsigned char seen[256] = { 0 };
    size_t i;
    size_t j;
    unsigned b;

    for (i = 0; i < fa->nglob; i++) {
        for (j = 0; j < fa->glob[i].len; j++) {
            unsigned char c = (unsigned char)fa->glob[i].s[j];

            if (c != '*' && c != '?') {
                seen[fold(c)] = 1;
            }
        }
    }
    fa->nsym = 0;
    for (b = 1; b < 256; b++) {
        if (seen[b]) {
            fa->sym[fa->nsym++] = (unsigned char)b;
        }
    }
    for (b = 1; b < 256; b++) {
        if (!seen[b] && fold((unsigned char)b) == b) {
            fa->sym[fa->nsym++] = (unsigned char)b;
            break;
        }
    }
}

static uint64_t *adv_mask(const struct ram_fa *fa, size_t k)
{
    return fa->mask + k * fa->pwords;
}

static uint64_t *star_mask(const struct ram_fa *fa)
{
    return fa->mask + fa->nsym * fa->pwords;
}

static uint64_t *fin_mask(const struct ram_fa *fa)
{
    return fa->mask + (fa->nsym + 1) * fa->pwords;
}

static uint64_t *univ_mask(const struct ram_fa *fa)
{
    return fa->mask + (fa->nsym + 2) * fa->pwords;
}

static uint64_t *scratch(const struct ram_fa *fa)
{
    return fa->mask + (fa->nsym + 3) * fa->pwords;
}

static void set_bit(uint64_t *v, size_t bit)
{
    v[bit / 64] |= (uint64_t)1 << (bit % 64);
}

/* The positions of one glob in the masks. */
static void glob_masks(struct ram_fa *fa, const struct fa_glob *g,
                       const unsigned char *index)
{
    size_t i;
    size_t k;

    for (i = 0; i < g->len; i++) {
        unsigned char c = (unsigned char)g->s[i];

        if (c == '*') {
            set_bit(star_mask(fa), g->base + i);
        } else if (c == '?') {
            for (k = 0; k < fa->nsym; k++) {
                set_bit(adv_mask(fa, k), g->base + i);
            }
        } else {
            set_bit(adv_mask(fa, index[fold(c)]), g->base + i);
        }
    }
    set_bit(fin_mask(fa), g->base + g->len);

    /* A star followed only by stars loops there and accepts: every name
     * that reaches it is accepted, whatever follows. */
    i = g->len;
    while (i > 0 && g->s[i - 1] == '*') {
        i--;
        set_bit(univ_mask(fa), g->base + i);
    }
}

static int build_masks(struct ram_fa *fa)
{
    unsigned char index[256] = { 0 };
    size_t need = (fa->nsym + 3) * fa->pwords + fa->words;
    uint64_t *m;
    size_t i;

    m = grow(fa->mask, &fa->mask_cap, need, sizeof(*m));
    if (m == NULL) {
        return -1;
    }
    fa->mask = m;
    memset(m, 0, need * sizeof(*m));
    for (i = 0; i < fa->nsym; i++) {
        index[fa->sym[i]] = (unsigned char)i;
    }
    for (i = 0; i < fa->nglob; i++) {
        glob_masks(fa, &fa->glob[i], index);
    }
    return 0;
}

/* Take every '*' that may be skipped without reading. */
static void closure(const struct ram_fa *fa, const struct fa_part *p,
                    uint64_t *v)
{
    const uint64_t *star = star_mask(fa);
    int changed = 1;
    size_t w;

    while (changed) {
        uint64_t carry = 0;

        changed = 0;
        for (w = p->w0; w < p->w1; w++) {
            uint64_t s = v[w] & star[w];
            uint64_t add = (s << 1) | carry;

            carry = s >> 63;
            if (add & ~v[w]) {
                v[w] |= add;
                changed = 1;
            }
        }
    }
}

static int any(const uint64_t *v, const uint64_t *m, const struct fa_part *p)
{
    size_t w;

    for (w = p->w0; w < p->w1; w++) {
        if (v[w] & m[w]) {
            return 1;
        }
    }
    return 0;
}

static int settled(const struct ram_fa *fa, const uint64_t *v, size_t i)
{
    return (v[fa->pwords + i / 64] >> (i % 64)) & 1;
}

/*
 * Put part i of v into canonical form after a step. A required part that
 * reached a position followed only by stars is satisfied for good: its
 * bits are dropped and its settled flag set, so that states differing
 * only there are one. An excluded part in that situation excludes every
 * longer name, and a required part with no position left matches no
 * longer name: both make the state dead. Returns 0 when dead.
 */
static int settle(const struct ram_fa *fa, uint64_t *v, size_t i)
{
    const struct fa_part *p = &fa->part[i];
    int universal = any(v, univ_mask(fa), p);
    size_t w;

    if (p->exclude) {
        return !universal;
    }
    if (universal) {
        for (w = p->w0; w < p->w1; w++) {
            v[w] = 0;
        }
        v[fa->pwords + i / 64] |= (uint64_t)1 << (i % 64);
        return 1;
    }
    return any(v, v, p);
}

static int start(const struct ram_fa *fa, uint64_t *v)
{
    size_t i;

    memset(v, 0, fa->words * sizeof(*v));
    for (i = 0; i < fa->nglob; i++) {
        set_bit(v, fa->glob[i].base);
    }
    for (i = 0; i < fa->npart; i++) {
        closure(fa, &fa->part[i], v);
        if (!settle(fa, v, i)) {
            return 0;
        }
    }
    return 1;
}

/* The state after reading symbol k from cur, in out; 0 when dead. */
static int step(const struct ram_fa *fa, const uint64_t *cur, size_t k,
                uint64_t *out)
{
    const uint64_t *adv = adv_mask(fa, k);
    const uint64_t *star = star_mask(fa);
    size_t i;
    size_t w;

    memcpy(out + fa->pwords, cur + fa->pwords,
           (fa->words - fa->pwords) * sizeof(*out));
    for (i = 0; i < fa->npart; i++) {
        const struct fa_part *p = &fa->part[i];
        uint64_t carry = 0;

        for (w = p->w0; w < p->w1; w++) {
            uint64_t t = cur[w] & adv[w];

            out[w] = (t << 1) | carry | (cur[w] & star[w]);
            carry = t >> 63;
        }
        if (!p->exclude && settled(fa, cur, i)) {
            continue;
        }
        closure(fa, p, out);
        if (!settle(fa, out, i)) {
            return 0;
        }
    }
    return 1;
}

static int accepting(const struct ram_fa *fa, const uint64_t *v)
{
    size_t i;

    for (i = 0; i < fa->npart; i++) {
        const struct fa_part *p = &fa->part[i];
        int fin = any(v, fin_mask(fa), p);

        if (p->exclude ? fin : !(fin || settled(fa, v, i))) {
            return 0;
        }
    }
    return 1;
}

static uint64_t hash_state(const uint64_t *v, size_t n)
{
    uint64_t h = 0x84222325cbf29ce4u;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= v[i];
        h *= 0x9e3779b97f4a7c15u;
        h ^= h >> 29;
    }
    return h;
}

static uint32_t *find_slot(const struct ram_fa *fa, const uint64_t *v)
{
    size_t mask = fa->slot_cap - 1;
    size_t at = (size_t)hash_state(v, fa->words) & mask;

    for (;; at = (at + 1) & mask) {
        uint32_t s = fa->slot[at];

        if (s == 0 || memcmp(fa->state + (size_t)(s - 1) * fa->words, v,
                             fa->words * sizeof(*v)) == 0) {
            return &fa->slot[at];
        }
    }
}

/* Keep the index at most half full. */
static int rehash(struct ram_fa *fa, size_t cap)
{
    uint32_t *old = fa->slot;
    size_t i;

    fa->slot = calloc(cap, sizeof(*fa->slot));
    if (fa->slot == NULL) {
        fa->slot = old;
        return -1;
    }
    free(old);
    fa->slot_cap = cap;
    for (i = 0; i < fa->nstate; i++) {
        *find_slot(fa, fa->state + i * fa->words) = (uint32_t)(i + 1);
    }
    return 0;
}

/* Room for one more state; capacities are in words for the states (their
 * size changes from one question to the next) and in states for links. */
static int reserve_state(struct ram_fa *fa)
{
    size_t want = fa->nstate + 1;
    size_t pcap = fa->link_cap;
    size_t vcap = fa->link_cap;
    uint64_t *s;
    uint32_t *p;
    unsigned char *v;

    if (want * fa->words > fa->state_cap) {
        s = grow(fa->state, &fa->state_cap, want * fa->words, sizeof(*s));
        if (s == NULL) {
            return -1;
        }
        fa->state = s;
    }
    if (want <= fa->link_cap) {
        return 0;
    }
    p = grow(fa->parent, &pcap, want, sizeof(*p));
    if (p == NULL) {
        return -1;
    }
    fa->parent = p;
    v = grow(fa->via, &vcap, want, sizeof(*v));
    if (v == NULL) {
        return -1;
    }
    fa->via = v;
    fa->link_cap = pcap < vcap ? pcap : vcap;
    return 0;
}

/* Returns 1 when v is new (and now stored), 0 when seen, -1 (memory). */
static int insert(struct ram_fa *fa, const uint64_t *v, uint32_t parent,
                  unsigned char via)
{
    uint32_t *slot = find_slot(fa, v);

    if (*slot != 0) {
        return 0;
    }
    if (reserve_state(fa) != 0) {
        return -1;
    }
    memcpy(fa->state + fa->nstate * fa->words, v, fa->words * sizeof(*v));
    fa->parent[fa->nstate] = parent;
    fa->via[fa->nstate] = via;
    *slot = (uint32_t)++fa->nstate;
    if (fa->nstate * 2 > fa->slot_cap) {
        return rehash(fa, fa->slot_cap * 2) == 0 ? 1 : -1;
    }
    return 1;
}

static int prepare(struct ram_fa *fa)
{
    layout(fa);
    alphabet(fa);
    if (build_masks(fa) != 0) {
        return -1;
    }
    fa->nstate = 0;
    fa->found = 0;
    fa->bounded = 0;

    /* A large index left by an earlier question costs a clear each time. */
    if (fa->slot_cap != MIN_SLOTS) {
        free(fa->slot);
        fa->slot = NULL;
        fa->slot_cap = 0;
        return rehash(fa, MIN_SLOTS);
    }
    memset(fa->slot, 0, fa->slot_cap * sizeof(*fa->slot));
    return 0;
}

static size_t limit_for(const struct ram_fa *fa)
{
    size_t by_memory = MAX_STATE_WORDS / fa->words;

    if (by_memory > UINT32_MAX - 1) {
        by_memory = UINT32_MAX - 1;
    }
    return fa->limit < by_memory ? fa->limit : by_memory;
}

static int found(struct ram_fa *fa, uint32_t parent, unsigned char via)
{
    fa->found = 1;
    fa->found_parent = parent;
    fa->found_via = via;
    return 1;
}

static int give_up(struct ram_fa *fa, size_t limit)
{
    fa->bounded = 1;
    mg_log_warn("ram.analysis.bounded", MG_LI("states", fa->nstate),
                MG_LI("limit", limit), MG_LI("globs", fa->nglob));
    return 1;
}

/* Breadth first, so the first accepting state gives a shortest name. */
static int search(struct ram_fa *fa, struct mg_error *err)
{
    uint64_t *next = scratch(fa);
    size_t limit = limit_for(fa);
    size_t q;
    size_t k;

    if (!start(fa, next)) {
        return 0;
    }
    if (accepting(fa, next)) {
        return found(fa, NO_STATE, 0);
    }
    if (insert(fa, next, NO_STATE, 0) < 0) {
        goto nomem;
    }
    for (q = 0; q < fa->nstate; q++) {
        for (k = 0; k < fa->nsym; k++) {
            int rc;

            if (!step(fa, fa->state + q * fa->words, k, next)) {
                continue;
            }
            if (accepting(fa, next)) {
                return found(fa, (uint32_t)q, (unsigned char)k);
            }
            rc = insert(fa, next, (uint32_t)q, (unsigned char)k);
            if (rc < 0) {
                goto nomem;
            }
            if (rc > 0 && fa->nstate >= limit) {
                return give_up(fa, limit);
            }
        }
    }
    return 0;

nomem:
    return mg_error_set(err, MG_RETRY, "NoMemory",
                        "out of memory analysing policy patterns");
}

int ram_fa_nonempty(struct ram_fa *fa, struct mg_error *err)
{
    size_t i;
    int rc;

    fa->found = 0;
    fa->bounded = 0;
    fa->explored = 0;
    if (fa->npart == 0) {
        return found(fa, NO_STATE, 0);
    }
    for (i = 0; i < fa->npart; i++) {
        if (!fa->part[i].exclude && fa->part[i].nglob == 0) {
            return 0;
        }
    }
    if (prepare(fa) != 0) {
        return mg_error_set(err, MG_RETRY, "NoMemory",
                            "out of memory analysing policy patterns");
    }
    rc = search(fa, err);
    fa->explored = fa->nstate;
    return rc;
}

int ram_fa_witness(const struct ram_fa *fa, char *out, size_t cap)
{
    size_t n = 0;
    uint32_t s;

    if (!fa->found || cap == 0) {
        return -1;
    }
    n = 1;
    for (s = fa->found_parent; s != NO_STATE && s != 0; s = fa->parent[s]) {
        n++;
    }
    if (fa->found_parent == NO_STATE) {
        n = 0;
    }
    if (n + 1 > cap) {
        return -1;
    }
    out[n] = '\0';
    if (n == 0) {
        return 0;
    }
    out[--n] = (char)fa->sym[fa->found_via];
    for (s = fa->found_parent; s != 0; s = fa->parent[s]) {
        out[--n] = (char)fa->sym[fa->via[s]];
    }
    return 0;
}
