#include "common/limiter.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/clock.h"
#include "common/crypto.h"

#include "common/banned.h"

struct mg_limiter {
    char family[16];
    pthread_mutex_t lock;
    double configured; /* requests per second; 0 = unlimited */
    double rate;       /* current, after throttling feedback */
    double tokens;
    int64_t last_ms;
    int64_t paused_until_ms;
    int64_t last_cut_ms; /* one cut a second: a burst of throttling
                            answers is one signal, not fifty */
    /* requests let through, counted per second, to learn a safe rate
     * when no rate was configured and the service throttles anyway */
    int64_t window_ms;
    long window_count;
    double measured;
};

struct mg_limiter *mg_limiter_new(const char *family, double per_second)
{
    struct mg_limiter *l = calloc(1, sizeof(*l));

    if (l == NULL) {
        return NULL;
    }
    snprintf(l->family, sizeof(l->family), "%s", family);
    pthread_mutex_init(&l->lock, NULL);
    l->configured = per_second > 0 ? per_second : 0;
    l->rate = l->configured;
    l->tokens = 1;
    l->last_ms = mg_mono_ms();
    l->window_ms = l->last_ms;
    return l;
}

void mg_limiter_free(struct mg_limiter *l)
{
    if (l) {
        pthread_mutex_destroy(&l->lock);
        free(l);
    }
}

const char *mg_limiter_family(const struct mg_limiter *l)
{
    return l ? l->family : "";
}

/* Refill tokens and let the rate recover; lock held. */
static void refill(struct mg_limiter *l, int64_t now)
{
    double dt = (double)(now - l->last_ms) / 1000.0;
    double burst;

    if (dt <= 0) {
        return;
    }
    l->last_ms = now;
    /* Recover by a tenth plus two requests a second, each second. */
    if (l->configured > 0 && l->rate < l->configured) {
        l->rate += (l->rate * 0.1 + 2.0) * dt;
        if (l->rate > l->configured) {
            l->rate = l->configured;
        }
    } else if (l->configured == 0 && l->rate > 0) {
        /* A learned rate grows back; far above what was ever seen, the
         * limit is gone again. */
        l->rate += (l->rate * 0.1 + 2.0) * dt;
        if (l->rate > 4 * l->measured + 100) {
            l->rate = 0;
        }
    }
    /* Allow a burst of a tenth of a second's worth, at least one. */
    burst = l->rate / 10.0 < 1.0 ? 1.0 : l->rate / 10.0;
    l->tokens += dt * l->rate;
    if (l->tokens > burst) {
        l->tokens = burst;
    }
}

/* Count a request that goes out, per one-second window. */
static void measure(struct mg_limiter *l, int64_t now)
{
    if (now - l->window_ms >= 1000) {
        l->measured =
            (double)l->window_count * 1000.0 / (double)(now - l->window_ms);
        l->window_ms = now;
        l->window_count = 0;
    }
    l->window_count++;
}

/* How long the caller must wait, or 0 after taking a token; lock held. */
static int64_t try_take(struct mg_limiter *l, int64_t now)
{
    if (now < l->paused_until_ms) {
        return l->paused_until_ms - now;
    }
    if (l->rate <= 0) {
        measure(l, now);
        return 0;
    }
    refill(l, now);
    if (l->tokens >= 1.0) {
        l->tokens -= 1.0;
        measure(l, now);
        return 0;
    }
    return (int64_t)((1.0 - l->tokens) * 1000.0 / l->rate) + 1;
}

void mg_limiter_acquire(struct mg_limiter *l, volatile const int *stop)
{
    int64_t wait;

    if (l == NULL) {
        return;
    }
    for (;;) {
        pthread_mutex_lock(&l->lock);
        wait = try_take(l, mg_mono_ms());
        pthread_mutex_unlock(&l->lock);
        if (wait <= 0 || (stop && *stop)) {
            return;
        }
        mg_sleep_ms(wait, stop);
    }
}

void mg_limiter_throttled(struct mg_limiter *l, int64_t pause_ms)
{
    int64_t now;
    int64_t until;

    if (l == NULL) {
        return;
    }
    pthread_mutex_lock(&l->lock);
    now = mg_mono_ms();
    until = now + pause_ms;
    if (until > l->paused_until_ms) {
        l->paused_until_ms = until;
    }
    if (now - l->last_cut_ms < 1000) {
        pthread_mutex_unlock(&l->lock);
        return;
    }
    l->last_cut_ms = now;
    if (l->rate > 0) {
        l->rate *= 0.75;
    } else {
        /* No limit was set, yet the service says slow down: start from
         * half of what went through in the last second. */
        double seen = l->measured > l->window_count ? l->measured
                                                    : (double)l->window_count;
        l->rate = seen / 2;
        l->tokens = 0;
        l->last_ms = mg_mono_ms();
    }
    if (l->rate < 1.0) {
        l->rate = 1.0;
    }
    pthread_mutex_unlock(&l->lock);
}

double mg_limiter_rate(struct mg_limiter *l)
{
    double r;

    if (l == NULL) {
        return 0;
    }
    pthread_mutex_lock(&l->lock);
    r = l->rate;
    pthread_mutex_unlock(&l->lock);
    return r;
}

int64_t mg_retry_delay(const struct mg_retry_policy *p, int attempt,
                       int64_t hint_ms)
{
    int64_t d = p->base_ms;
    int64_t delay;
    int i;

    for (i = 1; i < attempt && d < p->cap_ms; i++) {
        d *= 2;
    }
    if (d > p->cap_ms) {
        d = p->cap_ms;
    }
    delay = d / 2 + (int64_t)mg_rand_below((uint64_t)(d / 2 + 1));
    return delay > hint_ms ? delay : hint_ms;
}
