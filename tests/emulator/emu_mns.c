#include "emu_mns.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/xml.h"
#include "emu_events.h"
#include "emu_keys.h"
#include "emu_store.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

#define MAX_SKEW_S      (15 * 60)
#define MAX_QUEUE_NAME  120
#define MAX_BATCH       16
#define MAX_BATCH_BYTES 65536

/* ---- request and answer documents -------------------------------- */

static int namespace_ok(xmlNodePtr root)
{
    const char *href = root->ns ? (const char *)root->ns->href : NULL;

    return href == NULL || strcmp(href, EMU_MNS_NS) == 0 ||
           strcmp(href, "http://mns.aliyuncs.com/doc/v1") == 0;
}

int emu_mns_doc(struct emu_ctx *c, const char *root, int optional,
                xmlDocPtr *doc)
{
    xmlNodePtr r;

    *doc = NULL;
    if (c->body_len == 0) {
        if (optional) {
            return 0;
        }
        emu_fail(c, 400, "MalformedXML", "The request body is empty.");
        return -1;
    }
    *doc = mg_xml_parse(c->body, c->body_len, NULL);
    r = mg_xml_root(*doc);
    if (r == NULL || !mg_xml_is(r, root) || !namespace_ok(r)) {
        emu_fail(c, 400, "MalformedXML",
                 "The XML you provided was not well-formed: expected a <%s> "
                 "document in namespace " EMU_MNS_NS " (or none).",
                 root);
        xmlFreeDoc(*doc);
        *doc = NULL;
        return -1;
    }
    return 0;
}

int emu_mns_text(struct emu_ctx *c, xmlNodePtr parent, const char *name,
                 char *out, size_t max)
{
    xmlNodePtr n = mg_xml_child(parent, name);

    out[0] = '\0';
    if (n == NULL) {
        return 0;
    }
    if (mg_xml_child_text(parent, name, out, max + 1) != 0) {
        emu_fail(c, 400, "InvalidArgument",
                 "The value of %s is longer than %zu bytes.", name, max);
        return -1;
    }
    return 1;
}

int emu_mns_int(struct emu_ctx *c, xmlNodePtr parent, const char *name,
                long long lo, long long hi, long long *v)
{
    char text[32];
    int rc = emu_mns_text(c, parent, name, text, sizeof(text) - 1);

    if (rc <= 0) {
        return rc;
    }
    if (emu_parse_int(text, lo, hi, v) != 0) {
        emu_fail(c, 400, "InvalidArgument",
                 "The value of %s should between %lld and %lld.", name, lo, hi);
        return -1;
    }
    return 1;
}

int emu_mns_bool(struct emu_ctx *c, xmlNodePtr parent, const char *name, int *v)
{
    char text[16];
    int rc = emu_mns_text(c, parent, name, text, sizeof(text) - 1);

    if (rc <= 0) {
        return rc;
    }
    if (strcasecmp(text, "true") == 0 || strcasecmp(text, "false") == 0) {
        *v = strcasecmp(text, "true") == 0;
        return 1;
    }
    emu_fail(c, 400, "InvalidArgument",
             "The value of %s should be True or False.", name);
    return -1;
}

void emu_mns_begin(struct emu_ctx *c, const char *root)
{
    mg_buf_addf(&c->out,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<%s xmlns=\"" EMU_MNS_NS "\">",
                root);
}

void emu_mns_end(struct emu_ctx *c, const char *root)
{
    mg_buf_addf(&c->out, "</%s>", root);
    emu_reply(c, c->status ? c->status : 200, "text/xml;charset=utf-8");
}

void emu_mns_el(struct emu_ctx *c, const char *name, const char *text,
                size_t len)
{
    mg_buf_addf(&c->out, "<%s>", name);
    mg_xml_escape(&c->out, text, len);
    mg_buf_addf(&c->out, "</%s>", name);
}

void emu_mns_el_str(struct emu_ctx *c, const char *name, const char *text)
{
    emu_mns_el(c, name, text, strlen(text));
}

void emu_mns_el_ll(struct emu_ctx *c, const char *name, long long v)
{
    mg_buf_addf(&c->out, "<%s>%lld</%s>", name, v, name);
}

void emu_mns_created(struct emu_ctx *c, const char *location_path)
{
    char url[512];

    snprintf(url, sizeof(url), "%s%s", emu_g.base_url, location_path);
    emu_answer_header(c, "Location", url);
    mg_buf_reset(&c->out);
    emu_reply(c, 201, "text/xml;charset=utf-8");
}

void emu_mns_no_content(struct emu_ctx *c)
{
    mg_buf_reset(&c->out);
    emu_reply(c, 204, "text/xml;charset=utf-8");
}

int emu_mns_list_args(struct emu_ctx *c, const char **prefix,
                      const char **marker, size_t *max, int *meta)
{
    const char *num = emu_header(c, "x-mns-ret-number");
    const char *with = emu_header(c, "x-mns-with-meta");
    long long n = 1000;

    *prefix = emu_header(c, "x-mns-prefix");
    *marker = emu_header(c, "x-mns-marker");
    if (num && emu_parse_int(num, 1, 1000, &n) != 0) {
        emu_fail(c, 400, "InvalidArgument",
                 "The value of x-mns-ret-number should between 1 and 1000.");
        return -1;
    }
    *max = (size_t)n;
    *meta = with && strcasecmp(with, "true") == 0;
    return 0;
}

/* ---- queues -------------------------------------------------------- */

static struct emu_queue *find_queue(struct emu_ctx *c, const char *name)
{
    struct emu_queue *q = emu_queue_find(name);

    if (q == NULL) {
        emu_fail(c, 404, "QueueNotExist",
                 "The queue name you provided is not exist.");
    }
    return q;
}

/* Attributes present in a <Queue> document, over the values in a. */
static int read_queue_attrs(struct emu_ctx *c, xmlNodePtr r,
                            struct emu_queue_attrs *a)
{
    if (r == NULL) {
        return 0;
    }
    if (emu_mns_int(c, r, "DelaySeconds", 0, 604800, &a->delay_seconds) < 0 ||
        emu_mns_int(c, r, "MaximumMessageSize", 1024, 65536,
                    &a->maximum_message_size) < 0 ||
        emu_mns_int(c, r, "MessageRetentionPeriod", 60, 604800,
                    &a->message_retention_period) < 0 ||
        emu_mns_int(c, r, "VisibilityTimeout", 1, 43200,
                    &a->visibility_timeout) < 0 ||
        emu_mns_int(c, r, "PollingWaitSeconds", 0, 30,
                    &a->polling_wait_seconds) < 0 ||
        emu_mns_bool(c, r, "LoggingEnabled", &a->logging_enabled) < 0) {
        return -1;
    }
    return 0;
}

static int check_queue_name(struct emu_ctx *c, const char *name)
{
    if (strlen(name) > MAX_QUEUE_NAME) {
        emu_fail(c, 400, "QueueNameLengthError",
                 "The length of queue name should be at most %d.",
                 MAX_QUEUE_NAME);
        return -1;
    }
    if (!emu_valid_name(name, MAX_QUEUE_NAME)) {
        emu_fail(c, 400, "InvalidQueueName",
                 "The queue name you provided is not valid.");
        return -1;
    }
    return 0;
}

static void h_create_queue(struct emu_ctx *c)
{
    struct emu_queue_attrs a;
    struct emu_queue *q;
    xmlDocPtr doc;
    char path[300];

    emu_queue_defaults(&a);
    if (check_queue_name(c, c->arg[0]) != 0 ||
        emu_mns_doc(c, "Queue", 1, &doc) != 0) {
        return;
    }
    if (read_queue_attrs(c, mg_xml_root(doc), &a) == 0) {
        pthread_mutex_lock(&emu_g.lock);
        q = emu_queue_find(c->arg[0]);
        snprintf(path, sizeof(path), "/queues/%s", c->arg[0]);
        if (q && emu_queue_attrs_equal(&q->attrs, &a)) {
            emu_mns_no_content(c);
        } else if (q) {
            emu_fail(c, 409, "QueueAlreadyExist",
                     "The queue you want to create already exists with "
                     "different attributes.");
        } else if (emu_queue_create(c->arg[0], &a, c->now_ms) == NULL) {
            emu_fail(c, 500, "InternalError", "Out of memory.");
        } else {
            emu_mns_created(c, path);
        }
        pthread_mutex_unlock(&emu_g.lock);
    }
    xmlFreeDoc(doc);
}

static void h_set_queue(struct emu_ctx *c)
{
    struct emu_queue *q;
    struct emu_queue_attrs a;
    xmlDocPtr doc;

    if (emu_mns_doc(c, "Queue", 1, &doc) != 0) {
        return;
    }
    pthread_mutex_lock(&emu_g.lock);
    q = find_queue(c, c->arg[0]);
    if (q) {
        a = q->attrs;
        if (read_queue_attrs(c, mg_xml_root(doc), &a) == 0) {
            q->attrs = a;
            q->modify_s = c->now_ms / 1000;
            pthread_cond_broadcast(&q->cond);
            emu_mns_no_content(c);
        }
    }
    pthread_mutex_unlock(&emu_g.lock);
    xmlFreeDoc(doc);
}

/* The twelve fields of GetQueueAttributes, counters computed for real. */
static void queue_fields(struct emu_ctx *c, struct emu_queue *q)
{
    struct emu_queue_counts n;

    emu_queue_counts(q, c->now_ms, &n);
    emu_mns_el_str(c, "QueueName", q->name);
    emu_mns_el_ll(c, "CreateTime", q->create_s);
    emu_mns_el_ll(c, "LastModifyTime", q->modify_s);
    emu_mns_el_ll(c, "DelaySeconds", q->attrs.delay_seconds);
    emu_mns_el_ll(c, "MaximumMessageSize", q->attrs.maximum_message_size);
    emu_mns_el_ll(c, "MessageRetentionPeriod",
                  q->attrs.message_retention_period);
    emu_mns_el_ll(c, "VisibilityTimeout", q->attrs.visibility_timeout);
    emu_mns_el_ll(c, "PollingWaitSeconds", q->attrs.polling_wait_seconds);
    emu_mns_el_ll(c, "ActiveMessages", (long long)n.active);
    emu_mns_el_ll(c, "InactiveMessages", (long long)n.inactive);
    emu_mns_el_ll(c, "DelayMessages", (long long)n.delayed);
    emu_mns_el_str(c, "LoggingEnabled",
                   q->attrs.logging_enabled ? "True" : "False");
}

static void h_get_queue(struct emu_ctx *c)
{
    struct emu_queue *q;

    pthread_mutex_lock(&emu_g.lock);
    q = find_queue(c, c->arg[0]);
    if (q) {
        emu_mns_begin(c, "Queue");
        queue_fields(c, q);
        emu_mns_end(c, "Queue");
    }
    pthread_mutex_unlock(&emu_g.lock);
}

static void h_delete_queue(struct emu_ctx *c)
{
    struct emu_queue *q;

    pthread_mutex_lock(&emu_g.lock);
    q = find_queue(c, c->arg[0]);
    if (q) {
        emu_queue_delete(q);
        emu_mns_no_content(c);
    }
    pthread_mutex_unlock(&emu_g.lock);
}

static void h_list_queues(struct emu_ctx *c)
{
    const char *prefix;
    const char *marker;
    const char *next;
    size_t max;
    int meta;
    struct emu_queue **page;
    size_t n;
    size_t i;

    if (emu_mns_list_args(c, &prefix, &marker, &max, &meta) != 0) {
        return;
    }
    page = calloc(max, sizeof(*page));
    if (page == NULL) {
        emu_fail(c, 500, "InternalError", "Out of memory.");
        return;
    }
    pthread_mutex_lock(&emu_g.lock);
    n = emu_queue_list(prefix, marker, max, page, &next);
    emu_mns_begin(c, "Queues");
    for (i = 0; i < n; i++) {
        mg_buf_addf(&c->out, "<Queue><QueueURL>%s/queues/%s</QueueURL>",
                    emu_g.base_url, page[i]->name);
        if (meta) {
            queue_fields(c, page[i]);
        }
        mg_buf_adds(&c->out, "</Queue>");
    }
    if (next) {
        emu_mns_el_str(c, "NextMarker", next);
    }
    emu_mns_end(c, "Queues");
    pthread_mutex_unlock(&emu_g.lock);
    free(page);
}

/* ---- messages ------------------------------------------------------ */

static void message_fields(struct emu_ctx *c, const struct emu_msg *m,
                           int leased)
{
    emu_mns_el_str(c, "MessageId", m->id);
    if (leased) {
        emu_mns_el_str(c, "ReceiptHandle", m->handle);
    }
    emu_mns_el_str(c, "MessageBodyMD5", m->md5);
    emu_mns_el(c, "MessageBody", m->body, m->len);
    emu_mns_el_ll(c, "EnqueueTime", m->enqueue_ms);
    if (leased) {
        emu_mns_el_ll(c, "NextVisibleTime", m->visible_ms);
    }
    emu_mns_el_ll(c, "FirstDequeueTime", m->first_dequeue_ms);
    emu_mns_el_ll(c, "DequeueCount", m->dequeue_count);
    emu_mns_el_ll(c, "Priority", m->priority);
}

/* The answer for received or peeked messages: one <Message>, or a
 * <Messages> list for the batch forms. */
static void messages_answer(struct emu_ctx *c, struct emu_msg **msgs, size_t n,
                            int batch, int leased)
{
    size_t i;

    emu_mns_begin(c, batch ? "Messages" : "Message");
    for (i = 0; i < n; i++) {
        mg_buf_adds(&c->out, batch ? "<Message>" : "");
        message_fields(c, msgs[i], leased);
        mg_buf_adds(&c->out, batch ? "</Message>" : "");
    }
    emu_mns_end(c, batch ? "Messages" : "Message");
}

static int receive_args(struct emu_ctx *c, long long *num, long long *wait)
{
    const char *n = emu_param_ci(c, "numOfMessages");
    const char *w = emu_param_ci(c, "waitseconds");

    *num = 1;
    if (n && emu_parse_int(n, 1, MAX_BATCH, num) != 0) {
        emu_fail(c, 400, "InvalidArgument",
                 "The value of numOfMessages should between 1 and %d.",
                 MAX_BATCH);
        return -1;
    }
    if (w && emu_parse_int(w, 0, 30, wait) != 0) {
        emu_fail(c, 400, "InvalidArgument",
                 "The value of waitseconds should between 0 and 30.");
        return -1;
    }
    return 0;
}

static void wait_until(struct emu_queue *q, int64_t mono_deadline)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(mono_deadline / 1000);
    ts.tv_nsec = (long)(mono_deadline % 1000) * 1000000L;
    pthread_cond_timedwait(&q->cond, &emu_g.lock, &ts);
}

/*
 * Long poll: look, and if nothing is visible sleep until a message
 * arrives (the queue is signalled) or the next moment one becomes
 * visible, whichever is first, until the wait runs out. Caller holds
 * emu_g.lock and a reference on q.
 */
static size_t poll_queue(struct emu_ctx *c, struct emu_queue *q, size_t k,
                         long long wait, struct emu_msg **out)
{
    int64_t deadline = mg_mono_ms() + wait * 1000;

    for (;;) {
        int64_t now = mg_now_ms();
        int64_t mono = mg_mono_ms();
        int64_t wake;
        int64_t until;
        size_t n = emu_queue_pick(q, now, k, out, &wake);

        c->now_ms = now;
        if (n > 0 || q->dead || emu_g.stopping || mono >= deadline) {
            return n;
        }
        until = deadline;
        if (wake != INT64_MAX && mono + (wake - now) < until) {
            until = mono + (wake - now);
        }
        wait_until(q, until);
    }
}

static void receive_events(const char *queue, struct emu_msg **msgs, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        emu_event(&(struct emu_event_in){ .type = "receive",
                                          .queue = queue,
                                          .message_id = msgs[i]->id });
    }
}

static void h_receive(struct emu_ctx *c)
{
    struct emu_msg *msgs[MAX_BATCH];
    struct emu_queue *q;
    long long num;
    long long wait = -1;
    size_t n = 0;
    size_t i;
    int batch = emu_param_ci(c, "numOfMessages") != NULL;

    if (receive_args(c, &num, &wait) != 0) {
        return;
    }
    pthread_mutex_lock(&emu_g.lock);
    q = find_queue(c, c->arg[0]);
    if (q) {
        q->refs++;
        n = poll_queue(c, q, (size_t)num,
                       wait >= 0 ? wait : q->attrs.polling_wait_seconds, msgs);
        for (i = 0; i < n && !q->dead; i++) {
            emu_queue_lease(q, msgs[i], c->now_ms, q->attrs.visibility_timeout);
        }
        if (q->dead) {
            emu_fail(c, 404, "QueueNotExist", "The queue was deleted.");
        } else if (n == 0) {
            emu_fail(c, 404, "MessageNotExist", "Message not exist.");
        } else {
            messages_answer(c, msgs, n, batch, 1);
            receive_events(q->name, msgs, n);
        }
        emu_queue_release(q);
    }
    pthread_mutex_unlock(&emu_g.lock);
}

static void h_peek(struct emu_ctx *c)
{
    struct emu_msg *msgs[MAX_BATCH];
    struct emu_queue *q;
    long long num;
    long long wait = 0;
    int64_t wake;
    size_t n;

    if (receive_args(c, &num, &wait) != 0) {
        return;
    }
    pthread_mutex_lock(&emu_g.lock);
    q = find_queue(c, c->arg[0]);
    if (q) {
        n = emu_queue_pick(q, c->now_ms, (size_t)num, msgs, &wake);
        if (n == 0) {
            emu_fail(c, 404, "MessageNotExist", "Message not exist.");
        } else {
            messages_answer(c, msgs, n, emu_param_ci(c, "numOfMessages") != 0,
                            0);
        }
    }
    pthread_mutex_unlock(&emu_g.lock);
}

/* One message to send, read and checked but not yet stored. */
struct outgoing {
    struct mg_buf body;
    long long delay;
    long long priority;
    const char *code; /* set when this message failed its checks */
    char message[160];
};

static void check_outgoing(struct emu_ctx *c, xmlNodePtr m, long long max_size,
                           struct outgoing *o)
{
    xmlNodePtr b = mg_xml_child(m, "MessageBody");
    int saved = c->status;

    o->delay = -1;
    o->priority = 8;
    mg_buf_init(&o->body, EMU_MAX_BODY_MNS);
    if (b == NULL || mg_xml_text(b, &o->body) != 0 || o->body.len == 0 ||
        o->body.len > (size_t)max_size) {
        o->code = "InvalidArgument";
        snprintf(o->message, sizeof(o->message),
                 "The value of MessageBody should between 1 and %lld bytes.",
                 max_size);
        return;
    }
    if (emu_mns_int(c, m, "DelaySeconds", 0, 604800, &o->delay) < 0 ||
        emu_mns_int(c, m, "Priority", 1, 16, &o->priority) < 0) {
        /* Keep the per-message reason; the request itself goes on. */
        o->code = "InvalidArgument";
        snprintf(o->message, sizeof(o->message), "%s",
                 "The value of DelaySeconds should between 0 and 604800, "
                 "and Priority between 1 and 16.");
        mg_buf_reset(&c->out);
        c->status = saved;
    }
}

static struct emu_msg *store_outgoing(struct emu_queue *q, struct outgoing *o,
                                      int64_t now)
{
    struct emu_msg *m = emu_queue_send(q, o->body.data, o->body.len, o->delay,
                                       (int)o->priority, now);

    if (m) {
        emu_event(&(struct emu_event_in){ .type = "send",
                                          .queue = q->name,
                                          .message_id = m->id });
    }
    return m;
}

static void h_send(struct emu_ctx *c)
{
    struct outgoing o;
    struct emu_queue *q;
    struct emu_msg *m;
    xmlDocPtr doc;

    if (emu_mns_doc(c, "Message", 0, &doc) != 0) {
        return;
    }
    memset(&o, 0, sizeof(o));
    pthread_mutex_lock(&emu_g.lock);
    q = find_queue(c, c->arg[0]);
    if (q) {
        check_outgoing(c, mg_xml_root(doc), q->attrs.maximum_message_size, &o);
        m = o.code ? NULL : store_outgoing(q, &o, c->now_ms);
        if (o.code) {
            emu_fail(c, 400, o.code, "%s", o.message);
        } else if (m == NULL) {
            emu_fail(c, 500, "InternalError", "Out of memory.");
        } else {
            c->status = 201;
            emu_mns_begin(c, "Message");
            emu_mns_el_str(c, "MessageId", m->id);
            emu_mns_el_str(c, "MessageBodyMD5", m->md5);
            emu_mns_end(c, "Message");
        }
    }
    pthread_mutex_unlock(&emu_g.lock);
    mg_buf_release(&o.body);
    xmlFreeDoc(doc);
}

/* Count and size limits that fail the whole batch. */
static int batch_limits(struct emu_ctx *c, xmlNodePtr root, size_t *n)
{
    xmlNodePtr m;
    size_t bytes = 0;

    *n = 0;
    for (m = mg_xml_child(root, "Message"); m; m = mg_xml_next(m, "Message")) {
        struct mg_buf b = MG_BUF_INIT(EMU_MAX_BODY_MNS);

        mg_xml_text(mg_xml_child(m, "MessageBody"), &b);
        bytes += b.len;
        mg_buf_release(&b);
        (*n)++;
    }
    if (*n == 0 || *n > MAX_BATCH) {
        emu_fail(c, 400, "InvalidArgument",
                 "The count of messages should between 1 and %d.", MAX_BATCH);
        return -1;
    }
    if (bytes > MAX_BATCH_BYTES) {
        emu_fail(c, 400, "InvalidArgument",
                 "The total size of the messages should not be larger than "
                 "%d bytes.",
                 MAX_BATCH_BYTES);
        return -1;
    }
    return 0;
}

static void batch_send_answer(struct emu_ctx *c, struct outgoing *o,
                              struct emu_msg **sent, size_t n)
{
    size_t i;
    int failed = 0;

    for (i = 0; i < n; i++) {
        failed |= o[i].code != NULL;
    }
    c->status = failed ? 400 : 201;
    emu_mns_begin(c, "Messages");
    for (i = 0; i < n; i++) {
        mg_buf_adds(&c->out, "<Message>");
        if (o[i].code) {
            emu_mns_el_str(c, "ErrorCode", o[i].code);
            emu_mns_el_str(c, "ErrorMessage", o[i].message);
        } else {
            emu_mns_el_str(c, "MessageId", sent[i]->id);
            emu_mns_el_str(c, "MessageBodyMD5", sent[i]->md5);
        }
        mg_buf_adds(&c->out, "</Message>");
    }
    emu_mns_end(c, "Messages");
}

static void h_batch_send(struct emu_ctx *c)
{
    struct outgoing o[MAX_BATCH];
    struct emu_msg *sent[MAX_BATCH];
    struct emu_queue *q;
    xmlDocPtr doc;
    xmlNodePtr m;
    size_t n = 0;
    size_t i = 0;

    memset(o, 0, sizeof(o));
    if (emu_mns_doc(c, "Messages", 0, &doc) != 0) {
        return;
    }
    pthread_mutex_lock(&emu_g.lock);
    q = find_queue(c, c->arg[0]);
    if (q && batch_limits(c, mg_xml_root(doc), &n) == 0) {
        for (m = mg_xml_child(mg_xml_root(doc), "Message"); m;
             m = mg_xml_next(m, "Message"), i++) {
            check_outgoing(c, m, q->attrs.maximum_message_size, &o[i]);
            sent[i] = o[i].code ? NULL : store_outgoing(q, &o[i], c->now_ms);
            if (!o[i].code && sent[i] == NULL) {
                o[i].code = "InternalError";
                snprintf(o[i].message, sizeof(o[i].message), "Out of memory.");
            }
        }
        batch_send_answer(c, o, sent, n);
    }
    pthread_mutex_unlock(&emu_g.lock);
    for (i = 0; i < MAX_BATCH; i++) {
        mg_buf_release(&o[i].body);
    }
    xmlFreeDoc(doc);
}

/* Delete one message by handle; the failure's code, or NULL. */
static const char *delete_by_handle(struct emu_queue *q, const char *handle,
                                    int64_t now, const char **message)
{
    struct emu_msg *m = NULL;
    char id[64];

    switch (emu_queue_handle(q, handle, now, &m)) {
    case EMU_HANDLE_MALFORMED:
        *message = "The receipt handle you provide is not valid.";
        return "ReceiptHandleError";
    case EMU_HANDLE_DEAD:
        *message = "Message not exist or the receipt handle has expired.";
        return "MessageNotExist";
    default:
        break;
    }
    snprintf(id, sizeof(id), "%s", m->id);
    emu_queue_remove(q, m);
    emu_event(&(struct emu_event_in){ .type = "delete",
                                      .queue = q->name,
                                      .message_id = id });
    return NULL;
}

static void h_delete_message(struct emu_ctx *c)
{
    const char *handle = emu_param_ci(c, "ReceiptHandle");
    const char *code;
    const char *message = NULL;
    struct emu_queue *q;

    if (handle == NULL || *handle == '\0') {
        emu_fail(c, 400, "MissingReceiptHandle",
                 "The ReceiptHandle parameter is missing.");
        return;
    }
    pthread_mutex_lock(&emu_g.lock);
    q = find_queue(c, c->arg[0]);
    if (q) {
        code = delete_by_handle(q, handle, c->now_ms, &message);
        if (code) {
            emu_fail(c, code[0] == 'R' ? 400 : 404, code, "%s", message);
        } else {
            emu_mns_no_content(c);
        }
    }
    pthread_mutex_unlock(&emu_g.lock);
}

static int count_handles(struct emu_ctx *c, xmlNodePtr root)
{
    xmlNodePtr h;
    int n = 0;

    for (h = mg_xml_child(root, "ReceiptHandle"); h;
         h = mg_xml_next(h, "ReceiptHandle")) {
        n++;
    }
    if (n == 0 || n > MAX_BATCH) {
        emu_fail(c, 400, "InvalidArgument",
                 "The count of receipt handles should between 1 and %d.",
                 MAX_BATCH);
        return -1;
    }
    return n;
}

/* Partial failure: HTTP 404 and one <Error> per failed handle. */
static void batch_delete_one(struct emu_ctx *c, struct emu_queue *q,
                             const char *handle, int *failed)
{
    const char *message = NULL;
    const char *code = delete_by_handle(q, handle, c->now_ms, &message);

    if (code == NULL) {
        return;
    }
    if (!(*failed)++) {
        mg_buf_reset(&c->out);
        c->status = 404;
        emu_mns_begin(c, "Errors");
    }
    mg_buf_adds(&c->out, "<Error>");
    emu_mns_el_str(c, "ErrorCode", code);
    emu_mns_el_str(c, "ErrorMessage", message);
    emu_mns_el_str(c, "ReceiptHandle", handle);
    mg_buf_adds(&c->out, "</Error>");
}

static void h_batch_delete(struct emu_ctx *c)
{
    struct emu_queue *q;
    xmlDocPtr doc;
    xmlNodePtr h;
    int failed = 0;
    char handle[512];

    if (emu_mns_doc(c, "ReceiptHandles", 0, &doc) != 0) {
        return;
    }
    pthread_mutex_lock(&emu_g.lock);
    q = find_queue(c, c->arg[0]);
    if (q && count_handles(c, mg_xml_root(doc)) > 0) {
        for (h = mg_xml_child(mg_xml_root(doc), "ReceiptHandle"); h;
             h = mg_xml_next(h, "ReceiptHandle")) {
            struct mg_buf b = MG_BUF_INIT(sizeof(handle) - 1);

            mg_xml_text(h, &b);
            snprintf(handle, sizeof(handle), "%s", mg_buf_str(&b));
            mg_buf_release(&b);
            batch_delete_one(c, q, handle, &failed);
        }
        if (failed) {
            emu_mns_end(c, "Errors");
        } else {
            emu_mns_no_content(c);
        }
    }
    pthread_mutex_unlock(&emu_g.lock);
    xmlFreeDoc(doc);
}

static int visibility_args(struct emu_ctx *c, const char **handle,
                           long long *secs)
{
    const char *t = emu_param_ci(c, "VisibilityTimeout");

    *handle = emu_param_ci(c, "ReceiptHandle");
    if (*handle == NULL || **handle == '\0') {
        emu_fail(c, 400, "MissingReceiptHandle",
                 "The ReceiptHandle parameter is missing.");
        return -1;
    }
    if (t == NULL) {
        emu_fail(c, 400, "MissingVisibilityTimeout",
                 "The VisibilityTimeout parameter is missing.");
        return -1;
    }
    if (emu_parse_int(t, 1, 43200, secs) != 0) {
        emu_fail(c, 400, "InvalidArgument",
                 "The value of VisibilityTimeout should between 1 and 43200 "
                 "seconds.");
        return -1;
    }
    return 0;
}

static void h_change_visibility(struct emu_ctx *c)
{
    const char *handle;
    long long secs;
    struct emu_queue *q;
    struct emu_msg *m = NULL;
    enum emu_handle_state st;

    if (visibility_args(c, &handle, &secs) != 0) {
        return;
    }
    pthread_mutex_lock(&emu_g.lock);
    q = find_queue(c, c->arg[0]);
    st = q ? emu_queue_handle(q, handle, c->now_ms, &m) : EMU_HANDLE_DEAD;
    if (q && st == EMU_HANDLE_MALFORMED) {
        emu_fail(c, 400, "ReceiptHandleError",
                 "The receipt handle you provide is not valid.");
    } else if (q && st == EMU_HANDLE_DEAD) {
        emu_fail(c, 404, "MessageNotExist",
                 "Message not exist or the receipt handle has expired.");
    } else if (q) {
        /* A new lease from now: the old handle dies, a new one answers. */
        m->dequeue_count--;
        emu_queue_lease(q, m, c->now_ms, secs);
        pthread_cond_broadcast(&q->cond);
        emu_mns_begin(c, "ChangeVisibility");
        emu_mns_el_str(c, "ReceiptHandle", m->handle);
        emu_mns_el_ll(c, "NextVisibleTime", m->visible_ms);
        emu_mns_end(c, "ChangeVisibility");
        emu_event(&(struct emu_event_in){ .type = "change_visibility",
                                          .queue = q->name,
                                          .message_id = m->id });
    }
    pthread_mutex_unlock(&emu_g.lock);
}

/* Length of the UTF-8 sequence at p whose code point XML allows; 0 when
 * invalid or forbidden. */
static size_t xml_char(const unsigned char *p, size_t left)
{
    unsigned int cp;
    size_t n;
    size_t i;

    if (p[0] < 0x80) {
        return p[0] >= 0x20 || p[0] == '\t' || p[0] == '\n' || p[0] == '\r';
    }
    n = (p[0] & 0xE0) == 0xC0   ? 2
        : (p[0] & 0xF0) == 0xE0 ? 3
        : (p[0] & 0xF8) == 0xF0 ? 4
                                : 0;
    if (n == 0 || n > left) {
        return 0;
    }
    cp = p[0] & (0x7F >> n);
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) {
        return 0;
    }
    return n;
}

int emu_mns_xml_text_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    while (n > 0) {
        size_t k = xml_char(p, n);

        if (k == 0) {
            return 0;
        }
        p += k;
        n -= k;
    }
    return 1;
}

void emu_mns_send_raw(struct emu_ctx *c, const char *queue, long long delay)
{
    if (!emu_mns_xml_text_ok(c->body, c->body_len)) {
        emu_fail(c, 400, "InvalidArgument",
                 "The message body is not text XML can carry.");
        return;
    }
    struct emu_queue *q;
    struct emu_msg *m = NULL;

    pthread_mutex_lock(&emu_g.lock);
    q = find_queue(c, queue);
    if (q && (c->body_len == 0 ||
              c->body_len > (size_t)q->attrs.maximum_message_size)) {
        emu_fail(c, 400, "InvalidArgument",
                 "The value of MessageBody should between 1 and %lld bytes.",
                 q->attrs.maximum_message_size);
    } else if (q) {
        struct outgoing o;

        memset(&o, 0, sizeof(o));
        mg_buf_init(&o.body, EMU_MAX_BODY_ADMIN);
        o.delay = delay;
        o.priority = 8;
        if (mg_buf_add(&o.body, c->body, c->body_len) == 0) {
            m = store_outgoing(q, &o, c->now_ms);
        }
        mg_buf_release(&o.body);
        if (m) {
            mg_buf_addf(&c->out, "{\"message_id\":\"%s\"}", m->id);
            emu_reply(c, 200, "application/json");
        } else {
            emu_fail(c, 500, "InternalError", "Out of memory.");
        }
    }
    pthread_mutex_unlock(&emu_g.lock);
}

/* ---- routing ----------------------------------------------------- */

/* Features that tell apart actions sharing a method and a path. */
#define F_PEEK   1u  /* peekonly=true */
#define F_NUM    2u  /* numOfMessages given */
#define F_HANDLE 4u  /* ReceiptHandle given */
#define F_BATCH  8u  /* body root is the plural form */
#define F_META   16u /* metaoverride=true */

struct mns_route {
    const char *method;
    const char *pattern; /* '*' matches one path segment */
    unsigned mask;
    unsigned want;
    const char *action;
    emu_handler handler;
};

static const struct mns_route routes[] = {
    { "GET", "/queues", 0, 0, "ListQueue", h_list_queues },
    { "PUT", "/queues/*", F_META, F_META, "SetQueueAttributes", h_set_queue },
    { "PUT", "/queues/*", F_META, 0, "CreateQueue", h_create_queue },
    { "GET", "/queues/*", 0, 0, "GetQueueAttributes", h_get_queue },
    { "DELETE", "/queues/*", 0, 0, "DeleteQueue", h_delete_queue },
    { "POST", "/queues/*/messages", F_BATCH, F_BATCH, "BatchSendMessage",
      h_batch_send },
    { "POST", "/queues/*/messages", F_BATCH, 0, "SendMessage", h_send },
    { "GET", "/queues/*/messages", F_PEEK | F_NUM, F_PEEK | F_NUM,
      "BatchPeekMessage", h_peek },
    { "GET", "/queues/*/messages", F_PEEK, F_PEEK, "PeekMessage", h_peek },
    { "GET", "/queues/*/messages", F_NUM, F_NUM, "BatchReceiveMessage",
      h_receive },
    { "GET", "/queues/*/messages", 0, 0, "ReceiveMessage", h_receive },
    { "DELETE", "/queues/*/messages", F_HANDLE, F_HANDLE, "DeleteMessage",
      h_delete_message },
    { "DELETE", "/queues/*/messages", F_HANDLE, 0, "BatchDeleteMessage",
      h_batch_delete },
    { "PUT", "/queues/*/messages", 0, 0, "ChangeMessageVisibility",
      h_change_visibility },
    { "GET", "/topics", 0, 0, "ListTopic", emu_h_list_topics },
    { "PUT", "/topics/*", F_META, F_META, "SetTopicAttributes",
      emu_h_set_topic },
    { "PUT", "/topics/*", F_META, 0, "CreateTopic", emu_h_create_topic },
    { "GET", "/topics/*", 0, 0, "GetTopicAttributes", emu_h_get_topic },
    { "DELETE", "/topics/*", 0, 0, "DeleteTopic", emu_h_delete_topic },
    { "POST", "/topics/*/messages", 0, 0, "PublishMessage", emu_h_publish },
    { "GET", "/topics/*/subscriptions", 0, 0, "ListSubscriptionByTopic",
      emu_h_list_subscriptions },
    { "PUT", "/topics/*/subscriptions/*", F_META, F_META,
      "SetSubscriptionAttributes", emu_h_set_subscription },
    { "PUT", "/topics/*/subscriptions/*", F_META, 0, "Subscribe",
      emu_h_subscribe },
    { "GET", "/topics/*/subscriptions/*", 0, 0, "GetSubscriptionAttributes",
      emu_h_get_subscription },
    { "DELETE", "/topics/*/subscriptions/*", 0, 0, "Unsubscribe",
      emu_h_unsubscribe },
};

/* The root element's local name, without parsing the whole body. */
static int body_is_batch(const struct emu_ctx *c)
{
    const char *p = c->body;
    const char *end = c->body + c->body_len;

    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));

        if (lt == NULL || lt + 1 >= end) {
            return 0;
        }
        if (lt[1] != '?' && lt[1] != '!') {
            const char *name = lt + 1;
            size_t len = strcspn(name, " \t\r\n/>");
            const char *colon = memchr(name, ':', len);

            if (colon) {
                len -= (size_t)(colon + 1 - name);
                name = colon + 1;
            }
            return (len == 8 && strncmp(name, "Messages", 8) == 0) ||
                   (len == 14 && strncmp(name, "ReceiptHandles", 14) == 0);
        }
        p = lt + 1;
    }
    return 0;
}

static unsigned features(const struct emu_ctx *c)
{
    const char *peek = emu_param_ci(c, "peekonly");
    const char *meta = emu_param_ci(c, "metaoverride");
    unsigned f = 0;

    f |= peek && strcasecmp(peek, "true") == 0 ? F_PEEK : 0;
    f |= emu_param_ci(c, "numOfMessages") ? F_NUM : 0;
    f |= emu_param_ci(c, "ReceiptHandle") ? F_HANDLE : 0;
    f |= body_is_batch(c) ? F_BATCH : 0;
    f |= meta && strcasecmp(meta, "true") == 0 ? F_META : 0;
    return f;
}

void emu_mns_route(struct emu_ctx *c)
{
    char why[128];
    unsigned f;
    size_t i;

    c->family = EMU_MNS;
    c->style = EMU_STYLE_MNS;
    if (emu_parse_pairs(c, c->query, strlen(c->query), 0, why, sizeof(why)) !=
        0) {
        c->flags = 1; /* answered by emu_mns_unknown */
        return;
    }
    f = features(c);
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct mns_route *r = &routes[i];

        if (strcmp(r->method, c->method) == 0 && (f & r->mask) == r->want &&
            emu_path_match(c, r->pattern, c->path)) {
            c->action = r->action;
            c->handler = r->handler;
            return;
        }
    }
}

void emu_mns_unknown(struct emu_ctx *c)
{
    if (c->flags == 1) {
        emu_fail(c, 400, "InvalidQueryString",
                 "The query string is not correctly percent-encoded.");
        return;
    }
    emu_fail(c, 400, "InvalidRequestURL",
             "The request URL %s %s names no MNS operation.", c->method,
             c->path);
}

/* ---- authentication ---------------------------------------------- */

static int check_date(struct emu_ctx *c, const char **date)
{
    time_t t;
    long long skew;

    *date = emu_header(c, "x-mns-date");
    if (*date == NULL) {
        *date = emu_header(c, "Date");
    }
    if (*date == NULL) {
        emu_fail(c, 400, "MissingDateHeader", "The Date header is missing.");
        return -1;
    }
    if (mg_parse_rfc1123(*date, &t) != 0) {
        emu_fail(c, 400, "InvalidDateHeader",
                 "The Date header is not an RFC 1123 GMT date.");
        return -1;
    }
    skew = (long long)(c->now_ms / 1000) - (long long)t;
    if (skew > MAX_SKEW_S || skew < -MAX_SKEW_S) {
        emu_fail(c, 408, "TimeExpired",
                 "The http request you sent is expired: the Date is %lld "
                 "seconds away from the server time.",
                 skew);
        return -1;
    }
    return 0;
}

/* "MNS id:signature" -> id and signature. */
static int split_authorization(struct emu_ctx *c, char *id, size_t idlen,
                               const char **sig)
{
    const char *auth = emu_header(c, "Authorization");
    const char *colon;

    if (auth == NULL) {
        emu_fail(c, 400, "MissingAuthorizationHeader",
                 "The Authorization header is missing.");
        return -1;
    }
    colon = strncmp(auth, "MNS ", 4) == 0 ? strchr(auth + 4, ':') : NULL;
    if (colon == NULL || colon == auth + 4 || colon[1] == '\0' ||
        (size_t)(colon - auth - 4) >= idlen) {
        emu_fail(c, 400, "InvalidAuthorizationHeader",
                 "The Authorization header should be \"MNS "
                 "AccessKeyId:Signature\".");
        return -1;
    }
    snprintf(id, idlen, "%.*s", (int)(colon - auth - 4), auth + 4);
    *sig = colon + 1;
    return 0;
}

static int check_version(struct emu_ctx *c)
{
    const char *v = emu_header(c, "x-mns-version");

    if (v == NULL) {
        emu_fail(c, 400, "MissingVersionHeader",
                 "The x-mns-version header is missing.");
        return -1;
    }
    if (strcmp(v, "2015-06-06") != 0) {
        emu_fail(c, 400, "InvalidVersionHeader",
                 "The x-mns-version header should be 2015-06-06.");
        return -1;
    }
    return 0;
}

static int check_key(struct emu_ctx *c, const char *id, struct emu_key *k)
{
    const char *token = emu_header(c, "security-token");

    if (emu_keys_find(id, k) != 0) {
        emu_fail(c, 403, "InvalidAccessKeyId",
                 "The AccessKeyId you provided does not exist.");
        return -1;
    }
    if (k->sts && token == NULL) {
        emu_fail(c, 403, "AccessDenied",
                 "An STS AccessKeyId needs the security-token header.");
        return -1;
    }
    if (k->sts && strcmp(token, k->token) != 0) {
        emu_fail(c, 403, "AccessDenied",
                 "The security-token does not belong to this AccessKeyId.");
        return -1;
    }
    if (k->sts && c->now_ms >= k->expire_ms) {
        emu_fail(c, 403, "AccessDenied", "The security token has expired.");
        return -1;
    }
    return 0;
}

/* Show the string-to-sign on one line, with "\n" written out. */
static void escaped_newlines(struct mg_buf *out, const struct mg_buf *in)
{
    size_t i;

    for (i = 0; i < in->len; i++) {
        if (in->data[i] == '\n') {
            mg_buf_adds(out, "\\n");
        } else {
            mg_buf_addc(out, in->data[i]);
        }
    }
}

static int check_signature(struct emu_ctx *c, const struct emu_key *k,
                           const char *date, const char *sig)
{
    struct mg_buf sts = MG_BUF_INIT(64 * 1024);
    struct mg_buf shown = MG_BUF_INIT(128 * 1024);
    char want[64];
    int ok;

    ok = emu_mns_string_to_sign(&sts, c->method, emu_header(c, "Content-MD5"),
                                emu_header(c, "Content-Type"), date, c->headers,
                                c->nheaders, c->target) == 0 &&
         emu_mns_signature(k->secret, sts.data, sts.len, want, sizeof(want)) ==
             0 &&
         emu_sig_equal(want, sig);
    if (!ok) {
        escaped_newlines(&shown, &sts);
        emu_fail(c, 403, "SignatureDoesNotMatch",
                 "The request signature we calculated does not match the "
                 "signature you provided. Server string to sign is: %s",
                 mg_buf_str(&shown));
    }
    mg_buf_release(&sts);
    mg_buf_release(&shown);
    return ok ? 0 : -1;
}

int emu_mns_auth(struct emu_ctx *c)
{
    char id[128];
    const char *sig;
    const char *date;
    const char *md5 = emu_header(c, "Content-MD5");
    struct emu_key k;

    if (split_authorization(c, id, sizeof(id), &sig) != 0 ||
        check_version(c) != 0 || check_date(c, &date) != 0 ||
        check_key(c, id, &k) != 0 || check_signature(c, &k, date, sig) != 0) {
        return -1;
    }
    if (md5 && !emu_mns_md5_matches(md5, c->body, c->body_len)) {
        emu_fail(c, 400, "InvalidDegist",
                 "The Content-MD5 you specified is not valid.");
        return -1;
    }
    snprintf(c->key_id, sizeof(c->key_id), "%s", id);
    return 0;
}
