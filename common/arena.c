#include "common/arena.h"

#include <stdlib.h>
#include <string.h>

#include "common/banned.h"

#define CHUNK (64u * 1024u)

struct chunk {
    struct chunk *next;
    size_t used;
    size_t cap;
    char data[];
};

struct mg_arena {
    struct chunk *head;
    size_t total;
};

struct mg_arena *mg_arena_new(void)
{
    return calloc(1, sizeof(struct mg_arena));
}

void mg_arena_free(struct mg_arena *a)
{
    struct chunk *c;

    if (a == NULL) {
        return;
    }
    while ((c = a->head) != NULL) {
        a->head = c->next;
        free(c);
    }
    free(a);
}

const char *mg_arena_strdup(struct mg_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    struct chunk *c = a->head;
    char *p;

    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > CHUNK ? n : CHUNK;

        c = malloc(sizeof(*c) + cap);
        if (c == NULL) {
            return NULL;
        }
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
        a->total += sizeof(*c) + cap;
    }
    p = c->data + c->used;
    memcpy(p, s, n);
    c->used += n;
    return p;
}

size_t mg_arena_size(const struct mg_arena *a)
{
    return a ? a->total : 0;
}
