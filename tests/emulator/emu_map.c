#include "emu_map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/banned.h"

struct slot {
    char *key; /* NULL: empty */
    void *value;
    uint64_t hash;
};

struct emu_map {
    struct slot *slots;
    size_t cap; /* a power of two */
    size_t count;
};

/* FNV-1a, then a final mix so that linear probing spreads short keys. */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

struct emu_map *emu_map_new(size_t hint)
{
    struct emu_map *m = calloc(1, sizeof(*m));
    size_t cap = 16;

    if (m == NULL) {
        return NULL;
    }
    while (cap < hint * 2) {
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

void emu_map_free(struct emu_map *m)
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

static size_t find_slot(const struct emu_map *m, const char *key, uint64_t hash)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)hash & mask;

    while (m->slots[i].key != NULL) {
        if (m->slots[i].hash == hash && strcmp(m->slots[i].key, key) == 0) {
            return i;
        }
        i = (i + 1) & mask;
    }
    return i;
}

/* Double the table; keys move, their copies stay. */
static int grow(struct emu_map *m)
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
        if (old[i].key != NULL) {
            m->slots[find_slot(m, old[i].key, old[i].hash)] = old[i];
        }
    }
    free(old);
    return 0;
}

int emu_map_put(struct emu_map *m, const char *key, void *value)
{
    uint64_t hash = hash_str(key);
    size_t i;

    if ((m->count + 1) * 4 > m->cap * 3 && grow(m) != 0) {
        return -1;
    }
    i = find_slot(m, key, hash);
    if (m->slots[i].key == NULL) {
        m->slots[i].key = strdup(key);
        if (m->slots[i].key == NULL) {
            return -1;
        }
        m->slots[i].hash = hash;
        m->count++;
    }
    m->slots[i].value = value;
    return 0;
}

void *emu_map_get(const struct emu_map *m, const char *key)
{
    size_t i = find_slot(m, key, hash_str(key));

    return m->slots[i].key ? m->slots[i].value : NULL;
}

/*
 * Backward-shift deletion: move later members of the probe run into the
 * hole when their home slot allows it, so lookups never need tombstones.
 */
void *emu_map_del(struct emu_map *m, const char *key)
{
    size_t mask = m->cap - 1;
    size_t i = find_slot(m, key, hash_str(key));
    size_t j;
    void *value;

    if (m->slots[i].key == NULL) {
        return NULL;
    }
    value = m->slots[i].value;
    free(m->slots[i].key);
    m->slots[i].key = NULL;
    m->count--;

    for (j = (i + 1) & mask; m->slots[j].key != NULL; j = (j + 1) & mask) {
        size_t home = (size_t)m->slots[j].hash & mask;
        int movable =
            (i <= j) ? (home <= i || home > j) : (home <= i && home > j);

        if (movable) {
            m->slots[i] = m->slots[j];
            m->slots[j].key = NULL;
            i = j;
        }
    }
    return value;
}

size_t emu_map_count(const struct emu_map *m)
{
    return m->count;
}

void emu_map_each(const struct emu_map *m,
                  void (*fn)(const char *key, void *value, void *arg),
                  void *arg)
{
    size_t i;

    for (i = 0; i < m->cap; i++) {
        if (m->slots[i].key != NULL) {
            fn(m->slots[i].key, m->slots[i].value, arg);
        }
    }
}
