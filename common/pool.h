#ifndef MG_POOL_H
#define MG_POOL_H

#include <stddef.h>

/*
 * A fixed set of helper threads for fan-out inside one piece of work:
 * fetch twenty policy documents at once, or a user's policies, groups and
 * MFA state side by side.
 *
 * mg_pool_for runs fn(i, ctx) for every i below n and returns when all
 * have finished. The calling thread takes part, so a caller never waits on
 * helpers that are busy elsewhere: with every helper occupied the work
 * still completes, only serially. width bounds how many run at once for
 * this call (caller included); 0 means no bound beyond the pool's size.
 */
struct mg_pool;

struct mg_pool *mg_pool_new(int threads);

/* Waits for running work, then stops the threads. */
void mg_pool_free(struct mg_pool *p);

void mg_pool_for(struct mg_pool *p, size_t n, size_t width,
                 void (*fn)(size_t i, void *ctx), void *ctx);

#endif
