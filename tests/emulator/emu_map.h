#ifndef EMU_MAP_H
#define EMU_MAP_H

#include <stddef.h>

/*
 * A string-keyed hash map (open addressing, linear probing, deletion by
 * backward shift, so no tombstones pile up in maps that churn such as the
 * nonce window). The map copies each key and owns the copy; values are
 * borrowed pointers the caller keeps alive. Not thread-safe: the caller
 * holds the emulator's state lock.
 */
struct emu_map;

/* A map sized for about hint entries; NULL when memory ran out. */
struct emu_map *emu_map_new(size_t hint);

/* Free the map and its key copies, not the values. NULL is fine. */
void emu_map_free(struct emu_map *m);

/* Insert or replace. Returns 0, or -1 when memory ran out. */
int emu_map_put(struct emu_map *m, const char *key, void *value);

/* The value for key, or NULL. */
void *emu_map_get(const struct emu_map *m, const char *key);

/* Remove key; returns its value, or NULL when it was absent. */
void *emu_map_del(struct emu_map *m, const char *key);

size_t emu_map_count(const struct emu_map *m);

/* Call fn for every entry, in no particular order. The map must not be
 * changed from inside fn. */
void emu_map_each(const struct emu_map *m,
                  void (*fn)(const char *key, void *value, void *arg),
                  void *arg);

#endif
