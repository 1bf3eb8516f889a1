#ifndef WRK_CACHE_H
#define WRK_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct ram_policy;

/*
 * Parsed policy documents, keyed by policy type, name and default
 * version, with a bounded size (least recently used entries go first)
 * and a time to live. A new default version has a new key, so a changed
 * policy is never answered from the cache once RAM lists the new version;
 * change events for a policy also drop its entries outright.
 *
 * wrk_cache_get hands out a reference: the document stays valid until
 * wrk_cache_put is called on it, even if the entry is evicted meanwhile.
 * Thread-safe.
 */
struct wrk_cache;

struct wrk_cache *wrk_cache_new(size_t max_entries, int64_t ttl_ms);
void wrk_cache_free(struct wrk_cache *c);

/* A held document, or NULL on a miss (or when ttl is 0). */
const struct ram_policy *wrk_cache_get(struct wrk_cache *c, const char *type,
                                       const char *name, const char *version);

/*
 * Store a document (the cache takes ownership of p) and return it held,
 * as wrk_cache_get would. If another thread stored the same key first,
 * p is freed and the stored one is returned.
 */
const struct ram_policy *wrk_cache_add(struct wrk_cache *c, const char *type,
                                       const char *name, const char *version,
                                       struct ram_policy *p);

/* Release a document obtained from get or add. */
void wrk_cache_put(struct wrk_cache *c, const struct ram_policy *p);

/* Drop every version of one policy (name NULL: everything). */
void wrk_cache_invalidate(struct wrk_cache *c, const char *type,
                          const char *name);

/* Hits and misses so far, for metrics and benchmarks. */
void wrk_cache_stats(struct wrk_cache *c, uint64_t *hits, uint64_t *misses,
                     size_t *entries);

#endif
