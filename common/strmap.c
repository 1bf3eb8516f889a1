#include "common/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/banned.h"

struct slot {
    char *key; /* NULL when empty */
    size_t value;
};

struct mg_strmap {
    struct slot *slots;
    size_t cap; /* a power of two */
    size_t n;
};

/* FNV-1a: short keys, no adversary worth a keyed hash here. */
static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

struct mg_strmap *mg_strmap_new(size_t expected)
{
    struct mg_strmap *m = calloc(1, sizeof(*m));
    size_t cap = 16;

    if (m == NULL) {
        return NULL;
    }
    while (cap < expected * 2) {
        cap *= 2;
    }
    m->slots = calloc(cap, sizeof(*m->slots));
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    m->cap = cap;
    return m;
}

void mg_strmap_free(struct mg_strmap *m)
{
    size_t i;

    if (m == NULL) {
        return;
    }
    for (i = 0; i < m->cap; i++) {
        free(m->slots[i].key);
    }
    free(m->slots);
    free(m);
}

static struct slot *find(const struct mg_strmap *m, const char *key)
{
    size_t i = (size_t)hash(key) & (m->cap - 1);

    while (m->slots[i].key && strcmp(m->slots[i].key, key) != 0) {
        i = (i + 1) & (m->cap - 1);
    }
    return &m->slots[i];
}

static int grow(struct mg_strmap *m)
{
    struct slot *old = m->slots;
    size_t oldcap = m->cap;
    size_t i;

    m->slots = calloc(oldcap * 2, sizeof(*m->slots));
    if (m->slots == NULL) {
        m->slots = old;
        return -1;
    }
    m->cap = oldcap * 2;
    for (i = 0; i < oldcap; i++) {
        if (old[i].key) {
            *find(m, old[i].key) = old[i];
        }
    }
    free(old);
    return 0;
}

int mg_strmap_put(struct mg_strmap *m, const char *key, size_t value)
{
    struct slot *s;

    if ((m->n + 1) * 2 > m->cap && grow(m) != 0) {
        return -1;
    }
    s = find(m, key);
    if (s->key == NULL) {
        s->key = strdup(key);
        if (s->key == NULL) {
            return -1;
        }
        m->n++;
    }
    s->value = value;
    return 0;
}

int mg_strmap_get(const struct mg_strmap *m, const char *key, size_t *value)
{
    const struct slot *s = find(m, key);

    if (s->key == NULL) {
        return 0;
    }
    *value = s->value;
    return 1;
}

size_t mg_strmap_size(const struct mg_strmap *m)
{
    return m->n;
}
