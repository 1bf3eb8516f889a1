#include "worker/cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/metrics.h"
#include "ram/policy.h"

#include "common/banned.h"

struct entry {
    char key[320];
    struct ram_policy *doc;
    int refs; /* holders, plus one while it is in the table */
    int64_t expires_ms;
    struct entry *prev; /* recency list, most recent first */
    struct entry *next;
};

struct wrk_cache {
    pthread_mutex_t lock;
    size_t max;
    int64_t ttl_ms;
    struct entry *head;
    struct entry *tail;
    size_t n;
    uint64_t hits;
    uint64_t misses;

    /* documents handed out, to find their entry on put */
    struct held {
        const struct ram_policy *doc;
        struct entry *e;
    } * held;

    size_t nheld;
    size_t capheld;
};

struct wrk_cache *wrk_cache_new(size_t max_entries, int64_t ttl_ms)
{
    struct wrk_cache *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->max = max_entries ? max_entries : 1;
    c->ttl_ms = ttl_ms;
    return c;
}

static void entry_unref(struct entry *e)
{
    if (--e->refs == 0) {
        ram_policy_free(e->doc);
        free(e);
    }
}

static void unlink_entry(struct wrk_cache *c, struct entry *e)
{
    if (e->prev) {
        e->prev->next = e->next;
    } else {
        c->head = e->next;
    }
    if (e->next) {
        e->next->prev = e->prev;
    } else {
        c->tail = e->prev;
    }
    e->prev = e->next = NULL;
    c->n--;
}

static void push_front(struct wrk_cache *c, struct entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head) {
        c->head->prev = e;
    }
    c->head = e;
    if (c->tail == NULL) {
        c->tail = e;
    }
    c->n++;
}

/* Remove from the table; holders keep their reference. */
static void drop(struct wrk_cache *c, struct entry *e)
{
    unlink_entry(c, e);
    entry_unref(e);
}

void wrk_cache_free(struct wrk_cache *c)
{
    if (c == NULL) {
        return;
    }
    while (c->head) {
        drop(c, c->head);
    }
    free(c->held);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void make_key(char *key, size_t len, const char *type, const char *name,
                     const char *version)
{
    snprintf(key, len, "%s\n%s\n%s", type, name, version ? version : "");
}

static struct entry *lookup(struct wrk_cache *c, const char *key)
{
    struct entry *e;

    for (e = c->head; e; e = e->next) {
        if (strcmp(e->key, key) == 0) {
            return e;
        }
    }
    return NULL;
}

/* Hand out e: count the reference and remember it; lock held. */
static const struct ram_policy *hold(struct wrk_cache *c, struct entry *e)
{
    if (c->nheld == c->capheld) {
        size_t cap = c->capheld ? 2 * c->capheld : 64;
        struct held *h = realloc(c->held, cap * sizeof(*h));

        if (h == NULL) {
            return NULL;
        }
        c->held = h;
        c->capheld = cap;
    }
    c->held[c->nheld].doc = e->doc;
    c->held[c->nheld].e = e;
    c->nheld++;
    e->refs++;
    return e->doc;
}

const struct ram_policy *wrk_cache_get(struct wrk_cache *c, const char *type,
                                       const char *name, const char *version)
{
    const struct ram_policy *doc = NULL;
    char key[320];
    struct entry *e;

    make_key(key, sizeof(key), type, name, version);
    pthread_mutex_lock(&c->lock);
    e = c->ttl_ms > 0 ? lookup(c, key) : NULL;
    if (e && e->expires_ms <= mg_mono_ms()) {
        drop(c, e);
        e = NULL;
    }
    if (e) {
        unlink_entry(c, e);
        push_front(c, e);
        doc = hold(c, e);
    }
    if (doc) {
        c->hits++;
    } else {
        c->misses++;
    }
    pthread_mutex_unlock(&c->lock);
    mg_counter_add("mfaguard_cache_requests_total",
                   doc ? "result=\"hit\"" : "result=\"miss\"", 1);
    return doc;
}

const struct ram_policy *wrk_cache_add(struct wrk_cache *c, const char *type,
                                       const char *name, const char *version,
                                       struct ram_policy *p)
{
    const struct ram_policy *doc;
    struct entry *e;
    struct entry *fresh = calloc(1, sizeof(*fresh));

    if (fresh == NULL) {
        ram_policy_free(p);
        return NULL;
    }
    make_key(fresh->key, sizeof(fresh->key), type, name, version);
    fresh->doc = p;
    fresh->refs = 1;
    fresh->expires_ms = mg_mono_ms() + c->ttl_ms;

    pthread_mutex_lock(&c->lock);
    e = lookup(c, fresh->key);
    if (e) {
        entry_unref(fresh);
    } else {
        e = fresh;
        push_front(c, e);
        while (c->n > c->max) {
            drop(c, c->tail);
        }
    }
    doc = hold(c, e);
    /* With a zero ttl nothing stays: the caller's hold keeps it alive. */
    if (c->ttl_ms <= 0 && e->prev == NULL && c->head == e) {
        drop(c, e);
    }
    pthread_mutex_unlock(&c->lock);
    return doc;
}

void wrk_cache_put(struct wrk_cache *c, const struct ram_policy *p)
{
    size_t i;

    if (p == NULL) {
        return;
    }
    pthread_mutex_lock(&c->lock);
    for (i = c->nheld; i-- > 0;) {
        if (c->held[i].doc == p) {
            struct entry *e = c->held[i].e;

            c->held[i] = c->held[--c->nheld];
            entry_unref(e);
            break;
        }
    }
    pthread_mutex_unlock(&c->lock);
}

/* Is e an entry of the policy (type may be NULL: any type)? */
static int is_policy(const struct entry *e, const char *type, const char *name)
{
    const char *nl = strchr(e->key, '\n');
    size_t tlen = nl ? (size_t)(nl - e->key) : 0;
    size_t nlen = strlen(name);

    if (nl == NULL ||
        (type && (strlen(type) != tlen || strncmp(e->key, type, tlen) != 0))) {
        return 0;
    }
    return strncmp(nl + 1, name, nlen) == 0 && nl[1 + nlen] == '\n';
}

void wrk_cache_invalidate(struct wrk_cache *c, const char *type,
                          const char *name)
{
    struct entry *e;
    struct entry *next;

    pthread_mutex_lock(&c->lock);
    for (e = c->head; e; e = next) {
        next = e->next;
        if (name == NULL || is_policy(e, type, name)) {
            drop(c, e);
        }
    }
    pthread_mutex_unlock(&c->lock);
}

void wrk_cache_stats(struct wrk_cache *c, uint64_t *hits, uint64_t *misses,
                     size_t *entries)
{
    pthread_mutex_lock(&c->lock);
    *hits = c->hits;
    *misses = c->misses;
    *entries = c->n;
    pthread_mutex_unlock(&c->lock);
}
