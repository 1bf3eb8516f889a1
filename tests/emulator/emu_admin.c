#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "emu.h"
#include "emu_account.h"
#include "emu_events.h"
#include "emu_faults.h"
#include "emu_mns.h"
#include "emu_store.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

/*
 * The admin interface under /_emulator/: unsigned, JSON, never subject to
 * injected faults. Tests use it to load accounts, inject messages and
 * read back what the worker did. Documented in README.md.
 */

static void ok_json(struct emu_ctx *c, const char *text)
{
    mg_buf_reset(&c->out);
    mg_buf_adds(&c->out, text);
    emu_reply(c, 200, "application/json");
}

static void no_content(struct emu_ctx *c)
{
    mg_buf_reset(&c->out);
    emu_reply(c, 204, "application/json");
}

static void h_health(struct emu_ctx *c)
{
    ok_json(c, "{\"ok\":true}");
}

static void h_troubleshoot(struct emu_ctx *c)
{
    const char *code = emu_param(c, "q");

    mg_buf_adds(&c->out, "{\"code\":");
    mg_json_quote(&c->out, code ? code : "");
    mg_buf_adds(&c->out, ",\"see\":\"docs/emulator.md and "
                         "tests/emulator/README.md in the mfaguard tree\"}");
    emu_reply(c, 200, "application/json");
}

/* The account id services show: --account-id, else the fixture's. */
static void adopt_account_id(const struct emu_account *a)
{
    if (emu_g.account_id_fixed) {
        return;
    }
    snprintf(emu_g.account_id, sizeof(emu_g.account_id), "%s",
             a->account_id[0] ? a->account_id : "1000000000000001");
}

static void h_put_account(struct emu_ctx *c)
{
    char why[512];
    struct emu_account *a =
        emu_account_load(c->body, c->body_len, why, sizeof(why));
    struct emu_account *old;

    if (a == NULL) {
        emu_fail(c, 400, "InvalidFixture", "%s", why);
        return;
    }
    pthread_mutex_lock(&emu_g.lock);
    old = emu_account_current;
    emu_account_current = a;
    adopt_account_id(a);
    pthread_mutex_unlock(&emu_g.lock);
    emu_account_free(old);
    no_content(c);
}

static void set_mfa(struct emu_ctx *c, const cJSON *req)
{
    const char *type = mg_json_str(req, "type");
    const char *serial = mg_json_str(req, "serial");
    char dflt[400];
    char date[32];
    struct emu_user *u;

    if (type == NULL ||
        (strcmp(type, "VMFA") != 0 && strcmp(type, "U2F") != 0)) {
        emu_fail(c, 400, "InvalidArgument", "type must be VMFA or U2F");
        return;
    }
    emu_iso_time(c->now_ms, date, sizeof(date));
    pthread_mutex_lock(&emu_g.lock);
    u = emu_account_user(emu_account_current, c->arg[0]);
    snprintf(dflt, sizeof(dflt), "acs:ram::%s:mfa/%s", emu_g.account_id,
             c->arg[0]);
    if (u == NULL) {
        emu_fail(c, 404, "NoSuchUser", "no user %s in the account", c->arg[0]);
    } else {
        emu_account_set_mfa(emu_account_current, u, type,
                            serial ? serial : dflt, date);
        no_content(c);
    }
    pthread_mutex_unlock(&emu_g.lock);
}

static void h_mfa(struct emu_ctx *c)
{
    cJSON *req;
    struct emu_user *u;

    if (strcmp(c->method, "POST") == 0) {
        req = mg_json_parse(c->body, c->body_len, NULL);
        if (!cJSON_IsObject(req)) {
            emu_fail(c, 400, "InvalidArgument", "body must be a JSON object");
        } else {
            set_mfa(c, req);
        }
        cJSON_Delete(req);
        return;
    }
    pthread_mutex_lock(&emu_g.lock);
    u = emu_account_user(emu_account_current, c->arg[0]);
    if (u == NULL) {
        emu_fail(c, 404, "NoSuchUser", "no user %s in the account", c->arg[0]);
    } else {
        emu_account_clear_mfa(emu_account_current, u);
        no_content(c);
    }
    pthread_mutex_unlock(&emu_g.lock);
}

/* ---- settings ---------------------------------------------------- */

static int number(const cJSON *v, double lo, double hi, double *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi) {
        return -1;
    }
    *out = v->valuedouble;
    return 0;
}

/* {"ram":10,...} into per-family values. */
static int per_family(const cJSON *obj, double hi, double *out)
{
    const cJSON *m;
    double v;

    if (!cJSON_IsObject(obj)) {
        return -1;
    }
    cJSON_ArrayForEach(m, obj)
    {
        int f = emu_family_parse(m->string);

        if (f < 0 || number(m, 0, hi, &v) != 0) {
            return -1;
        }
        out[f] = v;
    }
    return 0;
}

static int burst(const cJSON *obj, struct emu_settings *s)
{
    double p;
    double l;

    if (!cJSON_IsObject(obj) ||
        number(cJSON_GetObjectItemCaseSensitive(obj, "period_ms"), 0, 1e9,
               &p) != 0 ||
        number(cJSON_GetObjectItemCaseSensitive(obj, "length_ms"), 0, p, &l) !=
            0) {
        return -1;
    }
    s->burst_period_ms = (int)p;
    s->burst_length_ms = (int)l;
    return 0;
}

/* One member of the settings object; -1 when it is unknown or invalid. */
static int apply_member(const cJSON *m, struct emu_settings *s, int *reseed)
{
    double latency[EMU_NFAMILIES];
    double v;
    int f;
    int rc;

    if (strcmp(m->string, "latency_ms") == 0) {
        for (f = 0; f < EMU_NFAMILIES; f++) {
            latency[f] = s->latency_ms[f];
        }
        rc = per_family(m, 600000, latency);
        for (f = 0; f < EMU_NFAMILIES; f++) {
            s->latency_ms[f] = (int)latency[f];
        }
        return rc;
    }
    if (strcmp(m->string, "rps") == 0) {
        return per_family(m, 1e9, s->rps);
    }
    if (strcmp(m->string, "throttle_burst") == 0) {
        return burst(m, s);
    }
    if (strcmp(m->string, "error_rate") == 0) {
        return number(m, 0, 1, &s->error_rate);
    }
    if (strcmp(m->string, "drop_rate") == 0) {
        return number(m, 0, 1, &s->drop_rate);
    }
    if (strcmp(m->string, "stall_rate") == 0) {
        return number(m, 0, 1, &s->stall_rate);
    }
    rc = number(m, 0, 1.8e19, &v);
    if (strcmp(m->string, "stall_ms") == 0 && rc == 0 && v <= 600000) {
        s->stall_ms = (int)v;
    } else if (strcmp(m->string, "seed") == 0 && rc == 0) {
        s->seed = (uint64_t)v;
        *reseed = 1;
    } else if (strcmp(m->string, "sts_ttl_ms") == 0 && rc == 0) {
        s->sts_ttl_ms = (int64_t)v;
    } else {
        return -1;
    }
    return 0;
}

static void settings_json(struct emu_ctx *c)
{
    struct emu_settings s;
    int f;

    emu_settings_get(&s);
    mg_buf_adds(&c->out, "{\"latency_ms\":{");
    for (f = 0; f < EMU_NFAMILIES; f++) {
        mg_buf_addf(&c->out, "%s\"%s\":%d", f ? "," : "", emu_family_name(f),
                    s.latency_ms[f]);
    }
    mg_buf_adds(&c->out, "},\"rps\":{");
    for (f = 0; f < EMU_NFAMILIES; f++) {
        mg_buf_addf(&c->out, "%s\"%s\":%g", f ? "," : "", emu_family_name(f),
                    s.rps[f]);
    }
    mg_buf_addf(&c->out,
                "},\"error_rate\":%g,\"drop_rate\":%g,\"stall_rate\":%g,"
                "\"stall_ms\":%d,\"throttle_burst\":{\"period_ms\":%d,"
                "\"length_ms\":%d},\"seed\":%llu,\"sts_ttl_ms\":%lld}",
                s.error_rate, s.drop_rate, s.stall_rate, s.stall_ms,
                s.burst_period_ms, s.burst_length_ms,
                (unsigned long long)s.seed, (long long)s.sts_ttl_ms);
    emu_reply(c, 200, "application/json");
}

static void h_settings(struct emu_ctx *c)
{
    struct emu_settings s;
    cJSON *req;
    const cJSON *m;
    int reseed = 0;

    if (strcmp(c->method, "GET") == 0) {
        settings_json(c);
        return;
    }
    req = mg_json_parse(c->body, c->body_len, NULL);
    emu_settings_get(&s);
    if (!cJSON_IsObject(req)) {
        emu_fail(c, 400, "InvalidArgument", "body must be a JSON object");
        cJSON_Delete(req);
        return;
    }
    cJSON_ArrayForEach(m, req)
    {
        if (apply_member(m, &s, &reseed) != 0) {
            emu_fail(c, 400, "InvalidArgument",
                     "setting \"%s\" is unknown or out of range", m->string);
            cJSON_Delete(req);
            return;
        }
    }
    cJSON_Delete(req);
    emu_settings_put(&s, reseed);
    no_content(c);
}

/* ---- messages ---------------------------------------------------- */

static void h_publish(struct emu_ctx *c)
{
    emu_mns_publish_raw(c, c->arg[0], emu_param(c, "tag"));
}

static void h_send(struct emu_ctx *c)
{
    const char *d = emu_param(c, "delay");
    long long delay = -1;

    if (d && emu_parse_int(d, 0, 604800, &delay) != 0) {
        emu_fail(c, 400, "InvalidArgument", "delay must be 0..604800");
        return;
    }
    emu_mns_send_raw(c, c->arg[0], delay);
}

static void h_topic_messages(struct emu_ctx *c)
{
    struct emu_topic *t;
    size_t first;
    size_t i;

    pthread_mutex_lock(&emu_g.lock);
    t = emu_topic_find(c->arg[0]);
    if (t == NULL) {
        emu_fail(c, 404, "TopicNotExist", "no topic %s", c->arg[0]);
    } else {
        first = (t->msgs_next + EMU_TOPIC_KEEP - t->msgs_used) % EMU_TOPIC_KEEP;
        mg_buf_adds(&c->out, "{\"messages\":[");
        for (i = 0; i < t->msgs_used; i++) {
            const struct emu_tmsg *m = &t->msgs[(first + i) % EMU_TOPIC_KEEP];

            mg_buf_addf(&c->out, "%s{\"seq\":%llu,\"message_id\":\"%s\",",
                        i ? "," : "", (unsigned long long)m->seq, m->id);
            mg_buf_adds(&c->out, "\"body\":");
            mg_json_quote(&c->out, m->body);
            mg_buf_adds(&c->out, ",\"tag\":");
            mg_json_quote(&c->out, m->tag);
            mg_buf_addf(&c->out, ",\"time_ms\":%lld}", (long long)m->time_ms);
        }
        mg_buf_adds(&c->out, "]}");
        emu_reply(c, 200, "application/json");
    }
    pthread_mutex_unlock(&emu_g.lock);
}

static void queue_attributes(struct emu_ctx *c, struct emu_queue *q)
{
    struct emu_queue_counts n;

    emu_queue_counts(q, c->now_ms, &n);
    mg_buf_addf(&c->out,
                "{\"QueueName\":\"%s\",\"CreateTime\":%lld,"
                "\"LastModifyTime\":%lld,\"DelaySeconds\":%lld,"
                "\"MaximumMessageSize\":%lld,\"MessageRetentionPeriod\":%lld,"
                "\"VisibilityTimeout\":%lld,\"PollingWaitSeconds\":%lld,"
                "\"ActiveMessages\":%zu,\"InactiveMessages\":%zu,"
                "\"DelayMessages\":%zu,\"LoggingEnabled\":%s}",
                q->name, (long long)q->create_s, (long long)q->modify_s,
                q->attrs.delay_seconds, q->attrs.maximum_message_size,
                q->attrs.message_retention_period, q->attrs.visibility_timeout,
                q->attrs.polling_wait_seconds, n.active, n.inactive, n.delayed,
                q->attrs.logging_enabled ? "true" : "false");
}

static void h_queue_messages(struct emu_ctx *c)
{
    struct emu_queue *q;
    const struct emu_msg *m;

    pthread_mutex_lock(&emu_g.lock);
    q = emu_queue_find(c->arg[0]);
    if (q == NULL) {
        emu_fail(c, 404, "QueueNotExist", "no queue %s", c->arg[0]);
    } else {
        mg_buf_adds(&c->out, "{\"attributes\":");
        queue_attributes(c, q);
        mg_buf_adds(&c->out, ",\"messages\":[");
        for (m = q->head; m; m = m->next) {
            mg_buf_addf(&c->out, "%s{\"message_id\":\"%s\",\"body\":",
                        m == q->head ? "" : ",", m->id);
            mg_json_quote(&c->out, m->body);
            mg_buf_addf(&c->out,
                        ",\"state\":\"%s\",\"dequeue_count\":%ld,"
                        "\"enqueue_ms\":%lld,\"next_visible_ms\":%lld,"
                        "\"priority\":%d}",
                        emu_msg_state(m, c->now_ms), m->dequeue_count,
                        (long long)m->enqueue_ms, (long long)m->visible_ms,
                        m->priority);
        }
        mg_buf_adds(&c->out, "]}");
        emu_reply(c, 200, "application/json");
    }
    pthread_mutex_unlock(&emu_g.lock);
}

/* ---- read back --------------------------------------------------- */

static void h_evaluations(struct emu_ctx *c)
{
    emu_evals_json(&c->out);
    emu_reply(c, 200, "application/json");
}

static void h_log(struct emu_ctx *c)
{
    long long since = 0;
    long long limit = 0;
    const char *s = emu_param(c, "since");
    const char *l = emu_param(c, "limit");

    if ((s && emu_parse_int(s, 0, INT64_MAX, &since) != 0) ||
        (l && emu_parse_int(l, 0, INT64_MAX, &limit) != 0)) {
        emu_fail(c, 400, "InvalidArgument", "since and limit are numbers");
        return;
    }
    if (emu_events_json(&c->out, (uint64_t)since, (size_t)limit) != 0) {
        emu_fail(c, 500, "TooLarge", "the log does not fit in one answer");
        return;
    }
    emu_reply(c, 200, "application/json");
}

static void h_stats(struct emu_ctx *c)
{
    emu_stats_json(&c->out);
    emu_reply(c, 200, "application/json");
}

static void h_reset(struct emu_ctx *c)
{
    pthread_mutex_lock(&emu_g.lock);
    emu_store_reset();
    pthread_mutex_unlock(&emu_g.lock);
    emu_events_reset();
    no_content(c);
}

struct admin_route {
    const char *method;
    const char *pattern;
    const char *action;
    emu_handler handler;
};

static const struct admin_route routes[] = {
    { "GET", "/_emulator/health", "health", h_health },
    { "GET", "/_emulator/troubleshoot", "troubleshoot", h_troubleshoot },
    { "PUT", "/_emulator/account", "account", h_put_account },
    { "POST", "/_emulator/users/*/mfa", "mfa", h_mfa },
    { "DELETE", "/_emulator/users/*/mfa", "mfa", h_mfa },
    { "GET", "/_emulator/settings", "settings", h_settings },
    { "POST", "/_emulator/settings", "settings", h_settings },
    { "POST", "/_emulator/topics/*/publish", "publish", h_publish },
    { "POST", "/_emulator/queues/*/send", "send", h_send },
    { "GET", "/_emulator/topics/*/messages", "topic_messages",
      h_topic_messages },
    { "GET", "/_emulator/queues/*/messages", "queue_messages",
      h_queue_messages },
    { "GET", "/_emulator/evaluations", "evaluations", h_evaluations },
    { "GET", "/_emulator/log", "log", h_log },
    { "GET", "/_emulator/stats", "stats", h_stats },
    { "POST", "/_emulator/reset", "reset", h_reset },
};

void emu_admin_route(struct emu_ctx *c)
{
    char why[128];
    size_t i;

    c->style = EMU_STYLE_ADMIN;
    if (emu_parse_pairs(c, c->query, strlen(c->query), 1, why, sizeof(why)) !=
        0) {
        return;
    }
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(routes[i].method, c->method) == 0 &&
            emu_path_match(c, routes[i].pattern, c->path)) {
            c->action = routes[i].action;
            c->handler = routes[i].handler;
            return;
        }
    }
}
