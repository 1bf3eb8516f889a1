#include "common/pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/banned.h"

struct batch {
    void (*fn)(size_t i, void *ctx);
    void *ctx;
    size_t n;
    size_t width;
    size_t next;    /* first index not yet claimed */
    size_t running; /* claimed and not finished */
    size_t done;
    pthread_cond_t finished;
    struct batch *link;
};

struct mg_pool {
    pthread_mutex_t lock;
    pthread_cond_t work;
    struct batch *batches; /* with unclaimed indices */
    int stopping;
    int nthreads;
    pthread_t *threads;
};

/* Claim an index of b if its width allows; lock held. */
static int claim(struct batch *b, size_t *i)
{
    if (b->next >= b->n || (b->width && b->running >= b->width)) {
        return 0;
    }
    *i = b->next++;
    b->running++;
    return 1;
}

static void unlink_batch(struct mg_pool *p, struct batch *b)
{
    struct batch **pp;

    for (pp = &p->batches; *pp; pp = &(*pp)->link) {
        if (*pp == b) {
            *pp = b->link;
            return;
        }
    }
}

/* Run index i of b with the lock released, then account for it. */
static void run_one(struct mg_pool *p, struct batch *b, size_t i)
{
    if (b->next >= b->n) {
        unlink_batch(p, b);
    }
    pthread_mutex_unlock(&p->lock);
    b->fn(i, b->ctx);
    pthread_mutex_lock(&p->lock);
    b->running--;
    b->done++;
    /* Wake the owner: to return, or to take the slot that came free. */
    pthread_cond_broadcast(&b->finished);
    /* A slot of a width-bound batch came free. */
    pthread_cond_broadcast(&p->work);
}

static void *helper(void *arg)
{
    struct mg_pool *p = arg;
    struct batch *b;
    size_t i;

    pthread_mutex_lock(&p->lock);
    while (!p->stopping) {
        for (b = p->batches; b; b = b->link) {
            if (claim(b, &i)) {
                break;
            }
        }
        if (b == NULL) {
            pthread_cond_wait(&p->work, &p->lock);
            continue;
        }
        run_one(p, b, i);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct mg_pool *mg_pool_new(int threads)
{
    struct mg_pool *p = calloc(1, sizeof(*p));
    int i;

    if (p == NULL) {
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    p->threads = calloc(threads > 0 ? (size_t)threads : 1, sizeof(pthread_t));
    if (p->threads == NULL) {
        free(p);
        return NULL;
    }
    for (i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, helper, p) != 0) {
            break;
        }
        p->nthreads++;
    }
    return p;
}

void mg_pool_free(struct mg_pool *p)
{
    int i;

    if (p == NULL) {
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (i = 0; i < p->nthreads; i++) {
        pthread_join(p->threads[i], NULL);
    }
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}

void mg_pool_for(struct mg_pool *p, size_t n, size_t width,
                 void (*fn)(size_t i, void *ctx), void *ctx)
{
    struct batch b = { fn,  ctx, n, width, 0, 0, 0, PTHREAD_COND_INITIALIZER,
                       NULL };
    size_t i;

    if (n == 0) {
        return;
    }
    if (p == NULL || p->nthreads == 0 || n == 1 || width == 1) {
        for (i = 0; i < n; i++) {
            fn(i, ctx);
        }
        return;
    }

    pthread_mutex_lock(&p->lock);
    b.link = p->batches;
    p->batches = &b;
    pthread_cond_broadcast(&p->work);
    while (b.done < b.n) {
        if (claim(&b, &i)) {
            run_one(p, &b, i);
        } else {
            pthread_cond_wait(&b.finished, &p->lock);
        }
    }
    unlink_batch(p, &b);
    pthread_mutex_unlock(&p->lock);
    pthread_cond_destroy(&b.finished);
}
