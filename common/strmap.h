#ifndef MG_STRMAP_H
#define MG_STRMAP_H

#include <stddef.h>

/*
 * A hash map from strings to indices, for joining lists by name (users by
 * user name, devices by owner). Keys are copied. Not thread-safe.
 */
struct mg_strmap;

struct mg_strmap *mg_strmap_new(size_t expected);
void mg_strmap_free(struct mg_strmap *m);

/* Set key to value (replacing an older value). 0, or -1 out of memory. */
int mg_strmap_put(struct mg_strmap *m, const char *key, size_t value);

/* 1 and *value when key is present, else 0. */
int mg_strmap_get(const struct mg_strmap *m, const char *key, size_t *value);

size_t mg_strmap_size(const struct mg_strmap *m);

#endif
