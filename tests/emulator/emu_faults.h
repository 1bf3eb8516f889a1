#ifndef EMU_FAULTS_H
#define EMU_FAULTS_H

#include <stdint.h>

#include "emu.h"

/*
 * Injected trouble: per-family latency and request-rate limits, random
 * errors, dropped connections and stalls drawn from a seeded generator,
 * and periodic throttling bursts. Settings come from the command line and
 * from POST /_emulator/settings; they have their own lock.
 */
struct emu_settings {
    int latency_ms[EMU_NFAMILIES];
    double rps[EMU_NFAMILIES]; /* 0: no limit */
    double error_rate;
    double drop_rate;
    double stall_rate;
    int stall_ms;
    int burst_period_ms;
    int burst_length_ms;
    uint64_t seed;
    int64_t sts_ttl_ms; /* cap on issued STS lifetimes; 0: none */
};

/* What happens to one request, decided before it takes effect. */
struct emu_decision {
    int throttle;
    int drop;
    int error;
    int stall;
    int sleep_ms; /* latency plus stall */
};

void emu_settings_get(struct emu_settings *out);

/*
 * Replace the settings. The random generator restarts from s->seed when
 * reseed is set; rate buckets refill and the burst clock restarts.
 */
void emu_settings_put(const struct emu_settings *s, int reseed);

void emu_faults_decide(int family, struct emu_decision *d);

/* Parse "ram" etc.; the family index or -1. */
int emu_family_parse(const char *name);

#endif
