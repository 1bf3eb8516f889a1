#include "mns/mns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/cred.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/http.h"
#include "common/limiter.h"
#include "common/log.h"
#include "common/metrics.h"
#include "mns/request.h"
#include "mns/xmlio.h"

/* Last: its renames must not reach the headers above. */
#include "common/banned.h"

#define DEFAULT_MAX_ANSWER (256u << 10)

struct mns_client {
    char *endpoint; /* scheme and host, no trailing slash */
    struct mg_cred_provider *cred;
    struct mg_limiter *limiter;
    struct mg_retry_policy retry;
    long timeout_ms;
    volatile const int *stop;
    volatile const int *stop_poll;
};

/*
 * What one API call does with an answer. answer sees every HTTP answer
 * (any status) and returns 0 when the call succeeded; start, when set,
 * runs before each attempt; once forbids retries.
 */
struct call {
    int (*answer)(const struct mg_http_response *rs, void *ctx,
                  struct mg_error *err);
    void (*start)(void *ctx);
    void *ctx;
    int once;
};

/*
 * Only a scheme and a host are accepted: the signed resource starts at
 * the path's first slash, so a path inside the endpoint would be sent
 * but not signed.
 */
static int endpoint_ok(const char *e)
{
    const char *host;
    const char *path;

    if (e == NULL) {
        return 0;
    }
    if (strncmp(e, "http://", 7) == 0) {
        host = e + 7;
    } else if (strncmp(e, "https://", 8) == 0) {
        host = e + 8;
    } else {
        return 0;
    }
    if (*host == '\0' || *host == '/' || strpbrk(host, "?# \t\r\n")) {
        return 0;
    }
    path = strchr(host, '/');
    return path == NULL || path[strspn(path, "/")] == '\0';
}

struct mns_client *mns_client_new(const struct mns_options *opt)
{
    struct mns_client *c;
    size_t n;

    if (opt == NULL || opt->cred == NULL || !endpoint_ok(opt->endpoint)) {
        mg_log_error(
            "mns.options_invalid",
            MG_LS("endpoint", opt && opt->endpoint ? opt->endpoint : ""));
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL || (c->endpoint = strdup(opt->endpoint)) == NULL) {
        free(c);
        return NULL;
    }
    n = strlen(c->endpoint);
    while (n > 0 && c->endpoint[n - 1] == '/') {
        c->endpoint[--n] = '\0';
    }

    c->cred = opt->cred;
    c->limiter = opt->limiter;
    c->retry = opt->retry;
    c->timeout_ms = opt->timeout_ms;
    c->stop = opt->stop;
    c->stop_poll = opt->stop_poll;
    return c;
}

void mns_client_free(struct mns_client *c)
{
    if (c) {
        free(c->endpoint);
        free(c);
    }
}

void mns_message_init(struct mns_message *m)
{
    memset(m, 0, sizeof(*m));
    mg_buf_init(&m->body, MNS_MAX_BODY);
}

void mns_message_release(struct mns_message *m)
{
    mg_buf_release(&m->body);
}

int mns_message_md5_ok(const struct mns_message *m)
{
    char hex[40];

    if (m->body_md5[0] == '\0') {
        return 0;
    }
    mg_md5_hex(mg_buf_str(&m->body), m->body.len, hex, 1);
    return strcasecmp(hex, m->body_md5) == 0;
}

/*
 * Sign with the current credentials and send; 0 when an answer came. The
 * limiter is waited for first, so that the signed Date is fresh.
 */
static int send_request(struct mns_client *c, const struct mns_request *rq,
                        struct mg_http_response *rs, struct mg_error *err)
{
    struct mg_cred cred;
    struct mns_headers h;
    struct mg_buf url = MG_BUF_INIT(strlen(c->endpoint) + MNS_MAX_RESOURCE);
    struct mg_http_request hr;
    char date[40];
    int rc = -1;

    memset(&cred, 0, sizeof(cred));
    memset(&h, 0, sizeof(h));
    mg_limiter_acquire(c->limiter, c->stop);
    if (mg_cred_get(c->cred, &cred, err) != 0) {
        goto out;
    }
    mg_fmt_rfc1123((time_t)(mg_now_ms() / 1000), date, sizeof(date));
    if (mns_sign_request(rq, &cred, date, &h, NULL) != 0) {
        mg_error_set(err, MG_FINAL, "SigningFailed",
                     "credentials do not fit the request headers");
        goto out;
    }
    if (mg_buf_addf(&url, "%s%s", c->endpoint, mg_buf_str(&rq->resource)) !=
        0) {
        mg_error_set(err, MG_INVALID, "RequestTooLarge", "URL too long");
        goto out;
    }

    memset(&hr, 0, sizeof(hr));
    hr.method = rq->verb;
    hr.url = url.data;
    hr.headers = h.list;
    hr.body = rq->body.len > 0 ? rq->body.data : NULL;
    hr.body_len = rq->body.len;
    hr.timeout_ms = rq->timeout_ms > 0 ? rq->timeout_ms : c->timeout_ms;
    /* A long poll ends at the first shutdown signal; other calls go on
     * until the worker gives up on them. */
    hr.abort = strcmp(rq->action, "BatchReceiveMessage") == 0 && c->stop_poll
                   ? c->stop_poll
                   : c->stop;
    rc = mg_http_perform(&hr, rs, err);
out:
    mg_cred_wipe(&cred);
    explicit_bzero(&h, sizeof(h));
    mg_buf_release(&url);
    return rc;
}

static int attempt(struct mns_client *c, const struct mns_request *rq,
                   const struct call *k, struct mg_error *err)
{
    struct mg_http_response rs;
    int64_t started = mg_mono_ms();
    int rc;

    mg_http_response_init(&rs,
                          rq->max_answer ? rq->max_answer : DEFAULT_MAX_ANSWER);
    if (k->start) {
        k->start(k->ctx);
    }
    rc = send_request(c, rq, &rs, err);
    if (rc == 0) {
        rc = k->answer(&rs, k->ctx, err);
    }
    if (rc != 0 && rs.request_id[0] && !err->request_id[0]) {
        snprintf(err->request_id, sizeof(err->request_id), "%s", rs.request_id);
    }
    err->retry_after_ms = rs.retry_after_ms;
    mg_api_observe("mns", rq->action, err, started);
    mg_http_response_release(&rs);
    return rc;
}

static int stopped(const struct mns_client *c)
{
    return c->stop && *c->stop;
}

static int call(struct mns_client *c, const struct mns_request *rq,
                const struct call *k, struct mg_error *err)
{
    int tries = c->retry.max_attempts > 0 ? c->retry.max_attempts : 1;
    int i;

    if (k->once) {
        tries = 1;
    }
    for (i = 1;; i++) {
        int64_t delay;

        mg_error_clear(err);
        if (attempt(c, rq, k, err) == 0) {
            return 0;
        }
        mg_error_set_api(err, "mns", rq->action);
        if (strcmp(err->code, "InvalidSecurityToken.Expired") == 0) {
            mg_cred_invalidate(c->cred);
        }

        /* Throttling slows every thread down, even on a last attempt. */
        delay = mg_retry_delay(&c->retry, i, err->retry_after_ms);
        if (err->throttled) {
            mg_limiter_throttled(c->limiter, delay);
        }
        if (err->cls != MG_RETRY || i >= tries || stopped(c)) {
            return -1;
        }
        mg_log_debug("api.retry", MG_LERR(err), MG_LI("attempt", i),
                     MG_LI("delay_ms", delay));
        mg_sleep_ms(delay, c->stop);
    }
}

/* Clear err and make rq ready for a builder. */
static void prepare(struct mns_request *rq, struct mg_error *err)
{
    mg_error_clear(err);
    mns_request_init(rq);
}

/* Perform a built request (built is the builder's result) and free it. */
static int run(struct mns_client *c, struct mns_request *rq, int built,
               const struct call *k, struct mg_error *err)
{
    int rc = built == 0 ? call(c, rq, k, err) : -1;

    if (rc != 0) {
        mg_error_set_api(err, "mns", rq->action);
    }
    mns_request_release(rq);
    return rc;
}

static int is_ok(const struct mg_http_response *rs)
{
    return rs->status >= 200 && rs->status <= 299;
}

static int answer_error(const struct mg_http_response *rs, struct mg_error *err)
{
    return mns_parse_error(rs->body.data, rs->body.len, rs->status,
                           rs->request_id, err);
}

static int on_plain(const struct mg_http_response *rs, void *ctx,
                    struct mg_error *err)
{
    (void)ctx;
    return is_ok(rs) ? 0 : answer_error(rs, err);
}

struct receive_ctx {
    struct mns_message *out;
    int max;
    int n;
};

static int on_receive(const struct mg_http_response *rs, void *ctx,
                      struct mg_error *err)
{
    struct receive_ctx *r = ctx;

    if (is_ok(rs)) {
        r->n = mns_parse_messages(rs->body.data, rs->body.len, r->out, r->max,
                                  err);
        return r->n < 0 ? -1 : 0;
    }
    answer_error(rs, err);

    /* An empty queue at the end of the wait is an answer, not a fault. */
    if (rs->status == 404 && strcmp(err->code, "MessageNotExist") == 0) {
        mg_error_clear(err);
        r->n = 0;
        return 0;
    }
    return -1;
}

int mns_receive(struct mns_client *c, const char *queue, int max, int wait_s,
                struct mns_message *out, struct mg_error *err)
{
    struct receive_ctx r = { out, max, 0 };
    struct call k = { on_receive, NULL, &r, 1 };
    struct mns_request rq;

    prepare(&rq, err);
    if (run(c, &rq, mns_build_receive(&rq, queue, max, wait_s, err), &k, err) !=
        0) {
        return -1;
    }
    return r.n;
}

int mns_delete(struct mns_client *c, const char *queue, const char *receipt,
               struct mg_error *err)
{
    struct call k = { on_plain, NULL, NULL, 0 };
    struct mns_request rq;

    prepare(&rq, err);
    return run(c, &rq, mns_build_delete(&rq, queue, receipt, err), &k, err);
}

struct batch_ctx {
    const char *const *receipts;
    size_t n;
    int *failed;
};

static void mark(int *failed, size_t n, int v)
{
    size_t i;

    for (i = 0; i < n; i++) {
        failed[i] = v;
    }
}

/* Until an answer says otherwise, nothing counts as deleted. */
static void batch_start(void *ctx)
{
    struct batch_ctx *b = ctx;

    mark(b->failed, b->n, 1);
}

static int on_batch(const struct mg_http_response *rs, void *ctx,
                    struct mg_error *err)
{
    struct batch_ctx *b = ctx;

    if (is_ok(rs)) {
        mark(b->failed, b->n, 0);
        return 0;
    }
    mark(b->failed, b->n, 0);
    if (mns_parse_delete_errors(rs->body.data, rs->body.len, rs->status,
                                b->receipts, b->n, b->failed, err) == 1) {
        return -1;
    }
    mark(b->failed, b->n, 1);
    return answer_error(rs, err);
}

int mns_delete_batch(struct mns_client *c, const char *queue,
                     const char *const *receipts, size_t n, int *failed,
                     struct mg_error *err)
{
    int local[16];
    struct batch_ctx b = { receipts, n, failed ? failed : local };
    struct call k = { on_batch, batch_start, &b, 0 };
    struct mns_request rq;
    int built;

    if (n == 0) {
        mg_error_clear(err);
        return 0;
    }
    if (failed == NULL && n > 16) {
        b.n = 16;
    }
    prepare(&rq, err);
    built = receipts ? mns_build_delete_batch(&rq, queue, receipts, n, err)
                     : mg_error_set(err, MG_INVALID, "InvalidArgument",
                                    "no receipt handles");
    if (built != 0) {
        mark(b.failed, b.n, 1);
    }
    return run(c, &rq, built, &k, err);
}

struct visibility_ctx {
    char *receipt;
    size_t cap;
    int64_t *next_visible_ms;
};

/* The new handle is read aside and copied only once it is whole, so the
 * caller may pass the old handle's own buffer to receive it. */
static int on_visibility(const struct mg_http_response *rs, void *ctx,
                         struct mg_error *err)
{
    struct visibility_ctx *v = ctx;
    char handle[2048];
    int64_t next = 0;

    if (!is_ok(rs)) {
        return answer_error(rs, err);
    }
    if (mns_parse_change_visibility(rs->body.data, rs->body.len, handle,
                                    sizeof(handle), &next, err) != 0) {
        return -1;
    }
    if (strlen(handle) >= v->cap) {
        return mg_error_set(err, MG_INVALID, "BufferTooSmall",
                            "new receipt handle does not fit");
    }
    memcpy(v->receipt, handle, strlen(handle) + 1);
    if (v->next_visible_ms) {
        *v->next_visible_ms = next;
    }
    return 0;
}

int mns_change_visibility(struct mns_client *c, const char *queue,
                          const char *receipt, int timeout_s, char *new_receipt,
                          size_t cap, int64_t *next_visible_ms,
                          struct mg_error *err)
{
    struct visibility_ctx v = { new_receipt, cap, next_visible_ms };
    struct call k = { on_visibility, NULL, &v, 0 };
    struct mns_request rq;
    int built;

    prepare(&rq, err);
    built =
        new_receipt && cap > 0
            ? mns_build_change_visibility(&rq, queue, receipt, timeout_s, err)
            : mg_error_set(err, MG_INVALID, "InvalidArgument",
                           "no room for the new receipt handle");
    return run(c, &rq, built, &k, err);
}

struct id_ctx {
    char *id;
    size_t cap;
};

/*
 * A 2xx status means the message was taken, even when the answer cannot
 * be read: retrying would send it twice. The id is then left empty.
 */
static int on_message_id(const struct mg_http_response *rs, void *ctx,
                         struct mg_error *err)
{
    struct id_ctx *m = ctx;

    if (!is_ok(rs)) {
        return answer_error(rs, err);
    }
    if (mns_parse_message_id(rs->body.data, rs->body.len, m->id, m->cap, err) ==
        0) {
        return 0;
    }
    if (err->cls == MG_INVALID) {
        return -1; /* the id does not fit the caller's buffer */
    }
    mg_log_warn("mns.answer_unreadable", MG_LERR(err));
    mg_error_clear(err);
    if (m->id && m->cap > 0) {
        m->id[0] = '\0';
    }
    return 0;
}

int mns_send(struct mns_client *c, const char *queue, const char *body,
             size_t len, int delay_s, char *id_out, size_t cap,
             struct mg_error *err)
{
    struct id_ctx m = { id_out, cap };
    struct call k = { on_message_id, NULL, &m, 0 };
    struct mns_request rq;

    prepare(&rq, err);
    return run(c, &rq, mns_build_send(&rq, queue, body, len, delay_s, err), &k,
               err);
}

int mns_publish(struct mns_client *c, const char *topic, const char *body,
                size_t len, const char *tag, char *id_out, size_t cap,
                struct mg_error *err)
{
    struct id_ctx m = { id_out, cap };
    struct call k = { on_message_id, NULL, &m, 0 };
    struct mns_request rq;

    prepare(&rq, err);
    return run(c, &rq, mns_build_publish(&rq, topic, body, len, tag, err), &k,
               err);
}

static int on_queue(const struct mg_http_response *rs, void *ctx,
                    struct mg_error *err)
{
    if (!is_ok(rs)) {
        return answer_error(rs, err);
    }
    return mns_parse_queue_attrs(rs->body.data, rs->body.len, ctx, err);
}

int mns_queue_attributes(struct mns_client *c, const char *queue,
                         struct mns_queue_attrs *out, struct mg_error *err)
{
    struct call k = { on_queue, NULL, out, 0 };
    struct mns_request rq;

    memset(out, 0, sizeof(*out));
    prepare(&rq, err);
    return run(c, &rq, mns_build_queue_attributes(&rq, queue, err), &k, err);
}

/* A 409 means "exists, but not as asked": the caller looks closer. */
struct create_ctx {
    int exists;
    char code[64];
};

static int on_create(const struct mg_http_response *rs, void *ctx,
                     struct mg_error *err)
{
    struct create_ctx *cr = ctx;

    if (is_ok(rs)) {
        return 0;
    }
    answer_error(rs, err);
    if (rs->status == 409) {
        cr->exists = 1;
        snprintf(cr->code, sizeof(cr->code), "%s", err->code);
        mg_error_clear(err);
        return 0;
    }
    return -1;
}

/* The resource exists but differs from what was asked for. */
static int conflict(struct mg_error *err, const struct create_ctx *cr,
                    const char *action, const char *what)
{
    mg_error_reset(err, MG_FINAL, cr->code, "exists with a different %s", what);
    err->http_status = 409;
    mg_error_set_api(err, "mns", action);
    return -1;
}

int mns_create_queue(struct mns_client *c, const char *queue,
                     int visibility_timeout_s, struct mg_error *err)
{
    struct create_ctx cr = { 0, "" };
    struct call k = { on_create, NULL, &cr, 0 };
    struct mns_queue_attrs a;
    struct mns_request rq;

    prepare(&rq, err);
    if (run(c, &rq,
            mns_build_create_queue(&rq, queue, visibility_timeout_s, err), &k,
            err) != 0) {
        return -1;
    }
    if (!cr.exists) {
        return 0;
    }
    if (mns_queue_attributes(c, queue, &a, err) != 0) {
        return -1;
    }
    if (a.visibility_timeout_s != visibility_timeout_s) {
        return conflict(err, &cr, "CreateQueue", "VisibilityTimeout");
    }
    return 0;
}

static int on_topic(const struct mg_http_response *rs, void *ctx,
                    struct mg_error *err)
{
    if (!is_ok(rs)) {
        return answer_error(rs, err);
    }
    return mns_parse_topic_attrs(rs->body.data, rs->body.len, ctx, err);
}

int mns_create_topic(struct mns_client *c, const char *topic,
                     struct mg_error *err)
{
    struct create_ctx cr = { 0, "" };
    struct call k = { on_create, NULL, &cr, 0 };
    struct mns_topic_attrs a = { 0 };
    struct call probe = { on_topic, NULL, &a, 0 };
    struct mns_request rq;

    prepare(&rq, err);
    if (run(c, &rq, mns_build_create_topic(&rq, topic, err), &k, err) != 0) {
        return -1;
    }
    if (!cr.exists) {
        return 0;
    }
    prepare(&rq, err);
    if (run(c, &rq, mns_build_topic_attributes(&rq, topic, err), &probe, err) !=
        0) {
        return -1;
    }
    if (a.maximum_message_size != MNS_TOPIC_MESSAGE_SIZE) {
        return conflict(err, &cr, "CreateTopic", "MaximumMessageSize");
    }
    return 0;
}

static int on_subscription(const struct mg_http_response *rs, void *ctx,
                           struct mg_error *err)
{
    if (!is_ok(rs)) {
        return answer_error(rs, err);
    }
    return mns_parse_subscription_attrs(rs->body.data, rs->body.len, ctx, err);
}

int mns_subscribe(struct mns_client *c, const char *topic,
                  const char *subscription, const char *endpoint,
                  const char *format, struct mg_error *err)
{
    struct create_ctx cr = { 0, "" };
    struct call k = { on_create, NULL, &cr, 0 };
    struct mns_subscription_attrs a;
    struct call probe = { on_subscription, NULL, &a, 0 };
    struct mns_request rq;

    memset(&a, 0, sizeof(a));
    prepare(&rq, err);
    if (run(c, &rq,
            mns_build_subscribe(&rq, topic, subscription, endpoint, format,
                                err),
            &k, err) != 0) {
        return -1;
    }
    if (!cr.exists) {
        return 0;
    }
    prepare(&rq, err);
    if (run(c, &rq,
            mns_build_subscription_attributes(&rq, topic, subscription, err),
            &probe, err) != 0) {
        return -1;
    }
    if (strcmp(a.endpoint, endpoint) != 0 || strcmp(a.format, format) != 0) {
        return conflict(err, &cr, "Subscribe", "Endpoint or format");
    }
    return 0;
}
