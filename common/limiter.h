#ifndef MG_LIMITER_H
#define MG_LIMITER_H

#include <stdint.h>

/*
 * A request-rate limit shared by every thread of the process, one per API
 * family (RAM, Config, MNS), so that a fleet of N processes can be sized
 * under the account's quota as N times this rate.
 *
 * It is a token bucket. When the service answers "throttled", callers
 * report it with mg_limiter_throttled(): every thread then waits out a
 * pause, and the rate drops by a quarter (at most once a second, however
 * many answers say so), growing back by a tenth plus two requests each
 * second while no throttling is seen. A limiter with rate 0 has no limit until
 * the service first throttles it; it then starts from half the rate it
 * measured over the last second, learns from there, and drops the limit
 * again once the learned rate is far above anything it has seen.
 */
struct mg_limiter;

struct mg_limiter *mg_limiter_new(const char *family, double per_second);
void mg_limiter_free(struct mg_limiter *l);

/* Block until one request may go out (or *stop becomes non-zero). */
void mg_limiter_acquire(struct mg_limiter *l, volatile const int *stop);

/* The service throttled us; pause everyone for at least pause_ms. */
void mg_limiter_throttled(struct mg_limiter *l, int64_t pause_ms);

/* Current allowed rate (0 when unlimited). */
double mg_limiter_rate(struct mg_limiter *l);

const char *mg_limiter_family(const struct mg_limiter *l);

/* Backoff before retry number attempt (1 for the first retry). */
struct mg_retry_policy {
    int max_attempts; /* total tries, including the first */
    int64_t base_ms;
    int64_t cap_ms;
};

/* Jittered exponential delay: half of min(cap, base * 2^(n-1)) plus a
 * random part of up to the other half; at least hint_ms. */
int64_t mg_retry_delay(const struct mg_retry_policy *p, int attempt,
                       int64_t hint_ms);

#endif
