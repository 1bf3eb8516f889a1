#include "emu_events.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/json.h"
#include "emu.h"
#include "emu_map.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

#define NFIELDS 9

static const char *field_names[NFIELDS] = {
    "queue",        "topic", "subscription", "message_id", "topic_message_id",
    "result_token", "api",   "kind",         "code",
};

/* An event keeps its strings in one block: type, then the fields, each
 * NUL-terminated; an absent field is an empty string. */
struct event {
    uint64_t seq;
    int64_t time_ms;
    char *packed;
};

struct eval_call {
    uint64_t seq;
    int64_t time_ms;
    char version[16];
    char *token;
    char *raw;
};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct event *ring;
static size_t ring_next;
static size_t ring_used;
static uint64_t event_seq;

static struct eval_call *evals;
static size_t evals_next;
static size_t evals_used;
static uint64_t eval_seq;

static struct emu_map *calls; /* "family.Action" -> uint64_t counter */
static uint64_t family_calls[EMU_NFAMILIES];
static uint64_t injected[EMU_INJ_COUNT];

static char *pack_event(const struct emu_event_in *e)
{
    const char *f[NFIELDS + 1] = { e->type,         e->queue,
                                   e->topic,        e->subscription,
                                   e->message_id,   e->topic_message_id,
                                   e->result_token, e->api,
                                   e->kind,         e->code };
    size_t len = 0;
    size_t i;
    char *p;
    char *w;

    for (i = 0; i <= NFIELDS; i++) {
        len += (f[i] ? strlen(f[i]) : 0) + 1;
    }
    p = malloc(len);
    for (i = 0, w = p; p && i <= NFIELDS; i++) {
        size_t n = f[i] ? strlen(f[i]) : 0;

        memcpy(w, f[i] ? f[i] : "", n);
        w[n] = '\0';
        w += n + 1;
    }
    return p;
}

void emu_event(const struct emu_event_in *e)
{
    char *packed = pack_event(e);
    struct event *slot;

    if (packed == NULL) {
        return;
    }
    pthread_mutex_lock(&log_lock);
    if (ring == NULL) {
        ring = calloc(EMU_LOG_KEEP, sizeof(*ring));
    }
    if (ring == NULL) {
        pthread_mutex_unlock(&log_lock);
        free(packed);
        return;
    }
    slot = &ring[ring_next];
    if (ring_used == EMU_LOG_KEEP) {
        free(slot->packed);
    } else {
        ring_used++;
    }
    slot->seq = ++event_seq;
    slot->time_ms = mg_now_ms();
    slot->packed = packed;
    ring_next = (ring_next + 1) % EMU_LOG_KEEP;
    pthread_mutex_unlock(&log_lock);
}

static int event_json(struct mg_buf *out, const struct event *ev)
{
    const char *p = ev->packed;
    size_t i;
    int rc = 0;

    rc |= mg_buf_addf(out, "{\"seq\":%llu,\"time_ms\":%lld,\"type\":",
                      (unsigned long long)ev->seq, (long long)ev->time_ms);
    rc |= mg_json_quote(out, p);
    p += strlen(p) + 1;
    for (i = 0; i < NFIELDS; i++) {
        if (*p) {
            rc |= mg_buf_addf(out, ",\"%s\":", field_names[i]);
            rc |= mg_json_quote(out, p);
        }
        p += strlen(p) + 1;
    }
    rc |= mg_buf_addc(out, '}');
    return rc;
}

int emu_events_json(struct mg_buf *out, uint64_t since, size_t limit)
{
    size_t first;
    size_t i;
    size_t shown = 0;
    int rc = mg_buf_adds(out, "{\"events\":[");

    pthread_mutex_lock(&log_lock);
    first = (ring_next + EMU_LOG_KEEP - ring_used) % EMU_LOG_KEEP;
    for (i = 0; i < ring_used && rc == 0; i++) {
        const struct event *ev = &ring[(first + i) % EMU_LOG_KEEP];

        if (ev->seq <= since) {
            continue;
        }
        if (limit && shown == limit) {
            break;
        }
        rc |= shown++ ? mg_buf_addc(out, ',') : 0;
        rc |= event_json(out, ev);
    }
    rc |=
        mg_buf_addf(out, "],\"last_seq\":%llu}", (unsigned long long)event_seq);
    pthread_mutex_unlock(&log_lock);
    return rc ? -1 : 0;
}

void emu_evals_add(const char *version, const char *result_token,
                   const char *raw, size_t rawlen)
{
    struct eval_call e;

    memset(&e, 0, sizeof(e));
    snprintf(e.version, sizeof(e.version), "%s", version);
    e.time_ms = mg_now_ms();
    e.token = strdup(result_token);
    e.raw = malloc(rawlen + 1);
    if (e.token == NULL || e.raw == NULL) {
        free(e.token);
        free(e.raw);
        return;
    }
    memcpy(e.raw, raw, rawlen);
    e.raw[rawlen] = '\0';

    pthread_mutex_lock(&log_lock);
    if (evals == NULL) {
        evals = calloc(EMU_EVALS_KEEP, sizeof(*evals));
    }
    if (evals != NULL) {
        struct eval_call *slot = &evals[evals_next];

        if (evals_used == EMU_EVALS_KEEP) {
            free(slot->token);
            free(slot->raw);
        } else {
            evals_used++;
        }
        e.seq = ++eval_seq;
        *slot = e;
        evals_next = (evals_next + 1) % EMU_EVALS_KEEP;
    } else {
        free(e.token);
        free(e.raw);
    }
    pthread_mutex_unlock(&log_lock);
}

int emu_evals_json(struct mg_buf *out)
{
    size_t first;
    size_t i;
    int rc = mg_buf_adds(out, "{\"calls\":[");

    pthread_mutex_lock(&log_lock);
    first = (evals_next + EMU_EVALS_KEEP - evals_used) % EMU_EVALS_KEEP;
    for (i = 0; i < evals_used && rc == 0; i++) {
        const struct eval_call *e = &evals[(first + i) % EMU_EVALS_KEEP];

        rc |= i ? mg_buf_addc(out, ',') : 0;
        rc |= mg_buf_addf(out,
                          "{\"seq\":%llu,\"time_ms\":%lld,\"version\":\"%s\","
                          "\"result_token\":",
                          (unsigned long long)e->seq, (long long)e->time_ms,
                          e->version);
        rc |= mg_json_quote(out, e->token);
        rc |= mg_buf_adds(out, ",\"evaluations_raw\":");
        rc |= mg_json_quote(out, e->raw);
        rc |= mg_buf_addc(out, '}');
    }
    pthread_mutex_unlock(&log_lock);
    rc |= mg_buf_adds(out, "]}");
    return rc ? -1 : 0;
}

void emu_stats_call(int family, const char *action)
{
    char key[160];
    uint64_t *n;

    snprintf(key, sizeof(key), "%s.%s", emu_family_name(family),
             action ? action : "(unknown)");
    pthread_mutex_lock(&log_lock);
    if (family >= 0 && family < EMU_NFAMILIES) {
        family_calls[family]++;
    }
    if (calls == NULL) {
        calls = emu_map_new(128);
    }
    n = calls ? emu_map_get(calls, key) : NULL;
    if (n == NULL && calls != NULL) {
        n = calloc(1, sizeof(*n));
        if (n && emu_map_put(calls, key, n) != 0) {
            free(n);
            n = NULL;
        }
    }
    if (n) {
        (*n)++;
    }
    pthread_mutex_unlock(&log_lock);
}

void emu_stats_injected(enum emu_injected kind)
{
    pthread_mutex_lock(&log_lock);
    injected[kind]++;
    pthread_mutex_unlock(&log_lock);
}

struct json_walk {
    struct mg_buf *out;
    int first;
    int rc;
};

static void call_json(const char *key, void *value, void *arg)
{
    struct json_walk *w = arg;

    w->rc |= w->first ? 0 : mg_buf_addc(w->out, ',');
    w->first = 0;
    w->rc |= mg_json_quote(w->out, key);
    w->rc |=
        mg_buf_addf(w->out, ":%llu", (unsigned long long)*(uint64_t *)value);
}

int emu_stats_json(struct mg_buf *out)
{
    static const char *inj[EMU_INJ_COUNT] = { "error", "drop", "stall",
                                              "throttle", "fixture_fault" };
    struct json_walk w = { out, 1, 0 };
    int f;

    pthread_mutex_lock(&log_lock);
    w.rc |= mg_buf_adds(out, "{\"calls\":{");
    if (calls) {
        emu_map_each(calls, call_json, &w);
    }
    w.rc |= mg_buf_adds(out, "},\"families\":{");
    for (f = 0; f < EMU_NFAMILIES; f++) {
        w.rc |=
            mg_buf_addf(out, "%s\"%s\":%llu", f ? "," : "", emu_family_name(f),
                        (unsigned long long)family_calls[f]);
    }
    w.rc |= mg_buf_adds(out, "},\"injected\":{");
    for (f = 0; f < EMU_INJ_COUNT; f++) {
        w.rc |= mg_buf_addf(out, "%s\"%s\":%llu", f ? "," : "", inj[f],
                            (unsigned long long)injected[f]);
    }
    w.rc |= mg_buf_adds(out, "}}");
    pthread_mutex_unlock(&log_lock);
    return w.rc ? -1 : 0;
}

static void free_value(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    free(value);
}

/* Caller holds log_lock. */
static void clear_all(void)
{
    size_t i;

    for (i = 0; ring && i < EMU_LOG_KEEP; i++) {
        free(ring[i].packed);
        ring[i].packed = NULL;
    }
    for (i = 0; evals && i < EMU_EVALS_KEEP; i++) {
        free(evals[i].token);
        free(evals[i].raw);
        evals[i].token = NULL;
        evals[i].raw = NULL;
    }
    ring_next = ring_used = 0;
    evals_next = evals_used = 0;
    if (calls) {
        emu_map_each(calls, free_value, NULL);
        emu_map_free(calls);
        calls = NULL;
    }
    memset(family_calls, 0, sizeof(family_calls));
    memset(injected, 0, sizeof(injected));
}

void emu_events_reset(void)
{
    pthread_mutex_lock(&log_lock);
    clear_all();
    pthread_mutex_unlock(&log_lock);
}

void emu_events_free(void)
{
    pthread_mutex_lock(&log_lock);
    clear_all();
    free(ring);
    free(evals);
    ring = NULL;
    evals = NULL;
    pthread_mutex_unlock(&log_lock);
}
