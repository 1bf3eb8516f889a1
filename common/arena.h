#ifndef MG_ARENA_H
#define MG_ARENA_H

#include <stddef.h>

/*
 * Copies of many small strings, freed all at once. Strings never move
 * once copied, so pointers to them stay valid until mg_arena_free. Used
 * where ten thousand user names would otherwise each sit in a fixed-size
 * slot several times their length.
 */
struct mg_arena;

struct mg_arena *mg_arena_new(void);
void mg_arena_free(struct mg_arena *a);

/* A copy of s, or NULL when memory ran out. */
const char *mg_arena_strdup(struct mg_arena *a, const char *s);

/* Bytes held, for benchmarks. */
size_t mg_arena_size(const struct mg_arena *a);

#endif
