#include "worker/deadletter.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"
#include "mns/mns.h"
#include "worker/app.h"

#include "common/banned.h"

static int add_field(struct mg_buf *b, const char *key, const char *value)
{
    return mg_buf_addc(b, ',') || mg_json_quote(b, key) ||
                   mg_buf_addc(b, ':') || mg_json_quote(b, value)
               ? -1
               : 0;
}

static int record(struct mg_buf *b, struct wrk_app *app,
                  const struct mns_message *m, const struct mg_error *why,
                  const char *stage, const char *body_id)
{
    int rc = 0;

    rc |= mg_buf_adds(b, "{\"mfaguardDeadLetter\":1");
    rc |= add_field(b, "reason", why->code[0] ? why->code : "Unknown");
    rc |= add_field(b, "error", why->message);
    rc |= add_field(b, "class", mg_class_name(why->cls));
    rc |= add_field(b, "stage", stage);
    if (why->api[0]) {
        rc |= add_field(b, "api", why->api);
    }
    if (why->request_id[0]) {
        rc |= add_field(b, "requestId", why->request_id);
    }
    rc |= add_field(b, "sourceQueue", app->set.queue);
    rc |= add_field(b, "messageId", m->id);
    rc |= mg_buf_addf(b,
                      ",\"dequeueCount\":%d,\"enqueueTime\":%lld,"
                      "\"deadLetteredAt\":%lld",
                      m->dequeue_count, (long long)m->enqueue_ms,
                      (long long)mg_now_ms());
    if (body_id) {
        rc |= add_field(b, "bodyMessageId", body_id);
    } else {
        rc |= add_field(b, "body", mg_buf_str(&m->body));
    }
    rc |= mg_buf_addc(b, '}');
    return rc ? -1 : 0;
}

int wrk_dead_letter(struct wrk_app *app, const struct mns_message *m,
                    const struct mg_error *why, const char *stage,
                    struct mg_error *err)
{
    struct mg_buf b = MG_BUF_INIT(MNS_MAX_BODY);
    char body_id[128];
    char id[128];
    int rc;

    if (record(&b, app, m, why, stage, NULL) != 0) {
        /* Too big with the body inside: the body travels on its own. */
        mg_buf_release(&b);
        rc = mns_send(app->mns, app->set.dlq_queue, mg_buf_str(&m->body),
                      m->body.len, 0, body_id, sizeof(body_id), err);
        if (rc != 0 || record(&b, app, m, why, stage, body_id) != 0) {
            mg_buf_release(&b);
            return rc != 0 ? -1
                           : mg_error_set(err, MG_FINAL, "RecordTooLarge",
                                          "dead-letter record too large");
        }
    }
    rc = mns_send(app->mns, app->set.dlq_queue, b.data, b.len, 0, id,
                  sizeof(id), err);
    mg_buf_release(&b);
    if (rc == 0) {
        mg_counter_add("mfaguard_messages_total", "result=\"dead_lettered\"",
                       1);
        mg_log_warn("message.dead_lettered", MG_LS("stage", stage),
                    MG_LS("dlq_message_id", id), MG_LERR(why));
    }
    return rc;
}
