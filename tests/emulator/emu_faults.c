#include "emu_faults.h"

#include <pthread.h>
#include <string.h>

#include "common/clock.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

static pthread_mutex_t faults_lock = PTHREAD_MUTEX_INITIALIZER;
static struct emu_settings cur = { .stall_ms = 3000, .seed = 1 };
static uint64_t rng_state = 1;
static double tokens[EMU_NFAMILIES];
static int64_t refilled_ms[EMU_NFAMILIES];
static int64_t burst_epoch_ms;

/* splitmix64: small, and the same sequence for the same seed everywhere. */
static uint64_t next_random(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double uniform(void)
{
    return (double)(next_random() >> 11) / 9007199254740992.0;
}

void emu_settings_get(struct emu_settings *out)
{
    pthread_mutex_lock(&faults_lock);
    *out = cur;
    pthread_mutex_unlock(&faults_lock);
}

void emu_settings_put(const struct emu_settings *s, int reseed)
{
    int64_t now = mg_mono_ms();
    int f;

    pthread_mutex_lock(&faults_lock);
    if (s->burst_period_ms != cur.burst_period_ms ||
        s->burst_length_ms != cur.burst_length_ms) {
        burst_epoch_ms = now;
    }
    cur = *s;
    if (reseed) {
        rng_state = s->seed;
    }
    for (f = 0; f < EMU_NFAMILIES; f++) {
        tokens[f] = s->rps[f];
        refilled_ms[f] = now;
    }
    pthread_mutex_unlock(&faults_lock);
}

/* Token bucket holding one second's worth of requests. */
static int over_rate(int family, int64_t now)
{
    double rps = cur.rps[family];

    if (rps <= 0) {
        return 0;
    }
    tokens[family] += (double)(now - refilled_ms[family]) * rps / 1000.0;
    refilled_ms[family] = now;
    if (tokens[family] > rps) {
        tokens[family] = rps;
    }
    if (tokens[family] < 1.0) {
        return 1;
    }
    tokens[family] -= 1.0;
    return 0;
}

static int in_burst(int64_t now)
{
    if (cur.burst_period_ms <= 0 || cur.burst_length_ms <= 0) {
        return 0;
    }
    return (now - burst_epoch_ms) % cur.burst_period_ms < cur.burst_length_ms;
}

/*
 * Three draws per request whatever the outcome, so a seeded run makes
 * the same choices for the same sequence of requests.
 */
void emu_faults_decide(int family, struct emu_decision *d)
{
    int64_t now = mg_mono_ms();
    double u_drop;
    double u_error;
    double u_stall;

    memset(d, 0, sizeof(*d));
    pthread_mutex_lock(&faults_lock);
    u_drop = uniform();
    u_error = uniform();
    u_stall = uniform();
    d->throttle = in_burst(now) || over_rate(family, now);
    if (!d->throttle) {
        d->drop = u_drop < cur.drop_rate;
        d->error = !d->drop && u_error < cur.error_rate;
        d->stall = !d->drop && u_stall < cur.stall_rate;
    }
    d->sleep_ms = cur.latency_ms[family] + (d->stall ? cur.stall_ms : 0);
    pthread_mutex_unlock(&faults_lock);
}

int emu_family_parse(const char *name)
{
    int f;

    for (f = 0; f < EMU_NFAMILIES; f++) {
        if (strcmp(name, emu_family_name(f)) == 0) {
            return f;
        }
    }
    return -1;
}
