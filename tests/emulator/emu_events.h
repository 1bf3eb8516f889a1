#ifndef EMU_EVENTS_H
#define EMU_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct mg_buf;

/*
 * What tests read back through the admin interface: the event log (the
 * last EMU_LOG_KEEP events), every PutEvaluations call (the last
 * EMU_EVALS_KEEP), and call statistics. These have their own lock, taken
 * after emu_g.lock when both are needed, never before it.
 */
#define EMU_LOG_KEEP   1000000
#define EMU_EVALS_KEEP 100000

/* One event; absent fields stay NULL. */
struct emu_event_in {
    const char *type; /* send, publish, deliver, receive, delete, ... */
    const char *queue;
    const char *topic;
    const char *subscription;
    const char *message_id;
    const char *topic_message_id;
    const char *result_token;
    const char *api;
    const char *kind; /* fault kind: error, drop, stall, throttle, fixture */
    const char *code;
};

void emu_event(const struct emu_event_in *e);

/* Append {"events":[...]} for events after since, at most limit of them
 * (0: no limit). */
int emu_events_json(struct mg_buf *out, uint64_t since, size_t limit);

/* Remember one PutEvaluations call. */
void emu_evals_add(const char *version, const char *result_token,
                   const char *raw, size_t rawlen);

int emu_evals_json(struct mg_buf *out);

/* Kinds of injected failure counted in statistics. */
enum emu_injected {
    EMU_INJ_ERROR,
    EMU_INJ_DROP,
    EMU_INJ_STALL,
    EMU_INJ_THROTTLE,
    EMU_INJ_FIXTURE,
    EMU_INJ_COUNT,
};

void emu_stats_call(int family, const char *action);
void emu_stats_injected(enum emu_injected kind);
int emu_stats_json(struct mg_buf *out);

/* Forget events, evaluations and statistics. */
void emu_events_reset(void);
void emu_events_free(void);

#endif
