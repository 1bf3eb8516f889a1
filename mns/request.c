#include "mns/request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cred.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/xml.h"
#include "mns/mns.h"
#include "mns/xmlio.h"

/* Last: its renames must not reach the headers above. */
#include "common/banned.h"

#define MAX_SIGNED_HEADERS 32
#define MAX_HEADER_NAME    128

struct signed_header {
    char name[MAX_HEADER_NAME]; /* lower-cased */
    const char *value;          /* trimmed; value_len bytes */
    size_t value_len;
};

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/*
 * Split "Name: value" into a lower-cased name and a trimmed value.
 * Returns 1 for an x-mns-* header, 0 for any other, -1 when malformed.
 */
static int split_header(const char *line, struct signed_header *h)
{
    const char *colon = strchr(line, ':');
    const char *end;
    size_t n;
    size_t i;

    if (colon == NULL || colon == line) {
        return -1;
    }
    n = (size_t)(colon - line);
    while (n > 0 && is_blank(line[n - 1])) {
        n--;
    }
    if (n == 0 || n >= sizeof(h->name)) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        h->name[i] = lower(line[i]);
    }
    h->name[n] = '\0';

    h->value = colon + 1;
    while (is_blank(*h->value)) {
        h->value++;
    }
    end = h->value + strlen(h->value);
    while (end > h->value && is_blank(end[-1])) {
        end--;
    }
    h->value_len = (size_t)(end - h->value);
    return strncmp(h->name, "x-mns-", 6) == 0;
}

static int header_cmp(const void *a, const void *b)
{
    const struct signed_header *x = a;
    const struct signed_header *y = b;

    return strcmp(x->name, y->name);
}

/* The x-mns-* part: lower-cased names, sorted, "name:value\n" each. */
static int add_mns_headers(struct mg_buf *out, const char *const *headers)
{
    struct signed_header h[MAX_SIGNED_HEADERS];
    size_t n = 0;
    size_t i;

    for (; headers && *headers; headers++) {
        int kind;

        if (n == MAX_SIGNED_HEADERS) {
            return -1;
        }
        kind = split_header(*headers, &h[n]);
        if (kind < 0) {
            return -1;
        }
        n += (size_t)kind;
    }

    qsort(h, n, sizeof(h[0]), header_cmp);
    for (i = 0; i < n; i++) {
        if (mg_buf_addf(out, "%s:%.*s\n", h[i].name, (int)h[i].value_len,
                        h[i].value) != 0) {
            return -1;
        }
    }
    return 0;
}

int mns_string_to_sign(struct mg_buf *out, const char *verb,
                       const char *content_md5, const char *content_type,
                       const char *date, const char *const *mns_headers,
                       const char *resource)
{
    if (verb == NULL || date == NULL || resource == NULL) {
        return -1;
    }
    if (mg_buf_addf(out, "%s\n%s\n%s\n%s\n", verb,
                    content_md5 ? content_md5 : "",
                    content_type ? content_type : "", date) != 0) {
        return -1;
    }
    if (add_mns_headers(out, mns_headers) != 0) {
        return -1;
    }
    return mg_buf_adds(out, resource);
}

int mns_signature(const char *secret, const char *string_to_sign, char *sig,
                  size_t siglen)
{
    if (secret == NULL || string_to_sign == NULL) {
        return -1;
    }
    return mg_hmac_sha1_b64(secret, strlen(secret), string_to_sign,
                            strlen(string_to_sign), sig, siglen);
}

int mns_authorization(const char *id, const char *secret, const char *sts,
                      char *out, size_t cap)
{
    char sig[64];
    int n;

    if (mns_signature(secret, sts, sig, sizeof(sig)) != 0) {
        return -1;
    }
    n = snprintf(out, cap, "MNS %s:%s", id, sig);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* A header line into a fixed field; -1 when it does not fit. */
static int put_header(char *field, size_t cap, const char *name,
                      const char *value)
{
    int n = snprintf(field, cap, "%s: %s", name, value);

    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int mns_sign_request(const struct mns_request *rq, const struct mg_cred *cred,
                     const char *date, struct mns_headers *h,
                     struct mg_buf *sts)
{
    static const char *const version[] = { "x-mns-version:" MNS_API_VERSION,
                                           NULL };
    struct mg_buf own = MG_BUF_INIT(MNS_MAX_RESOURCE + 1024);
    struct mg_buf *s = sts ? sts : &own;
    const char *type = rq->body.len > 0 ? MNS_CONTENT_TYPE : "";
    size_t k = 0;
    int rc = -1;

    memset(h->list, 0, sizeof(h->list));
    if (put_header(h->date, sizeof(h->date), "Date", date) != 0 ||
        put_header(h->version, sizeof(h->version), "x-mns-version",
                   MNS_API_VERSION) != 0 ||
        put_header(h->content_type, sizeof(h->content_type), "Content-Type",
                   type) != 0) {
        goto out;
    }
    h->list[k++] = h->date;
    h->list[k++] = h->version;
    if (rq->body.len > 0) {
        h->list[k++] = h->content_type;
    }

    /* The token travels beside the signature, not inside it. */
    if (cred) {
        char auth[sizeof(h->authorization)];

        if (mns_string_to_sign(s, rq->verb, "", type, date, version,
                               mg_buf_str(&rq->resource)) != 0 ||
            mns_authorization(cred->id, cred->secret, mg_buf_str(s), auth,
                              sizeof(auth)) != 0 ||
            put_header(h->authorization, sizeof(h->authorization),
                       "Authorization", auth) != 0) {
            goto out;
        }
        h->list[k++] = h->authorization;
        if (cred->token[0]) {
            if (put_header(h->token, sizeof(h->token), "security-token",
                           cred->token) != 0) {
                goto out;
            }
            h->list[k++] = h->token;
        }
    }
    rc = 0;
out:
    mg_buf_release(&own);
    return rc;
}

void mns_request_init(struct mns_request *rq)
{
    rq->verb = "GET";
    rq->action = "";
    mg_buf_init(&rq->resource, MNS_MAX_RESOURCE);
    mg_buf_init(&rq->body, MNS_MAX_REQUEST);
    rq->timeout_ms = 0;
    rq->max_answer = 0;
}

void mns_request_release(struct mns_request *rq)
{
    mg_buf_release(&rq->resource);
    mg_buf_release(&rq->body);
}

/*
 * Queue, topic and subscription names go into the path unencoded, so only
 * characters that need no encoding pass: letters, digits, '-' and '_',
 * starting with a letter or digit (which also rules out "." and "..").
 * The service applies its own, stricter rules on top.
 */
static int valid_name(const char *s)
{
    size_t i;

    if (s == NULL || s[0] == '\0' || s[0] == '-' || s[0] == '_') {
        return 0;
    }
    for (i = 0; s[i]; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '-' || c == '_';

        if (!ok || i >= 256) {
            return 0;
        }
    }
    return 1;
}

/* Text that an XML 1.0 element can carry: UTF-8 without control bytes
 * other than tab, line feed and carriage return. */
static int xml_text_ok(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            return 0;
        }
    }
    return mns_utf8_valid(s, n);
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

static int invalid(struct mg_error *err, const char *what)
{
    return mg_error_set(err, MG_INVALID, "InvalidArgument", "%s", what);
}

static int too_large(struct mg_error *err)
{
    return mg_error_set(err, MG_INVALID, "RequestTooLarge",
                        "request does not fit its buffer");
}

static void begin(struct mns_request *rq, const char *verb, const char *action)
{
    rq->verb = verb;
    rq->action = action;
    rq->timeout_ms = 0;
    rq->max_answer = 0;
    mg_buf_reset(&rq->resource);
    mg_buf_reset(&rq->body);
}

/* "?ReceiptHandle=" and the handle, percent-encoded: a raw '+' would be
 * read as a space, and the encoded form is what gets signed. */
static int add_receipt(struct mns_request *rq, const char *receipt,
                       struct mg_error *err)
{
    size_t n = receipt ? strlen(receipt) : 0;

    if (n == 0 || n > 1024) {
        return invalid(err, "receipt handle empty or too long");
    }
    if (mg_buf_adds(&rq->resource, "?ReceiptHandle=") != 0 ||
        mg_pct_encode(&rq->resource, receipt, n) != 0) {
        return too_large(err);
    }
    return 0;
}

static int open_body(struct mns_request *rq, const char *root)
{
    return mg_buf_addf(&rq->body,
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                       "<%s xmlns=\"" MNS_XMLNS "\">",
                       root);
}

static int add_element(struct mns_request *rq, const char *name,
                       const char *value, size_t n)
{
    if (mg_buf_addf(&rq->body, "<%s>", name) != 0 ||
        mg_xml_escape(&rq->body, value, n) != 0) {
        return -1;
    }
    return mg_buf_addf(&rq->body, "</%s>", name);
}

static int add_number(struct mns_request *rq, const char *name, long v)
{
    return mg_buf_addf(&rq->body, "<%s>%ld</%s>", name, v, name);
}

static int close_body(struct mns_request *rq, const char *root)
{
    return mg_buf_addf(&rq->body, "</%s>", root);
}

int mns_build_receive(struct mns_request *rq, const char *queue, int max,
                      int wait_s, struct mg_error *err)
{
    begin(rq, "GET", "BatchReceiveMessage");
    if (!valid_name(queue)) {
        return invalid(err, "queue name");
    }
    if (max < 1 || max > 16 || wait_s < 0 || wait_s > 30) {
        return invalid(err, "receive wants 1..16 messages, 0..30 seconds");
    }

    /* The answer may take the whole wait; allow for the trip besides. */
    rq->timeout_ms = (long)(wait_s + 10) * 1000;
    rq->max_answer = MNS_MAX_RECEIVE_ANSWER;
    if (mg_buf_addf(&rq->resource,
                    "/queues/%s/messages?numOfMessages=%d&waitseconds=%d",
                    queue, max, wait_s) != 0) {
        return too_large(err);
    }
    return 0;
}

int mns_build_delete(struct mns_request *rq, const char *queue,
                     const char *receipt, struct mg_error *err)
{
    begin(rq, "DELETE", "DeleteMessage");
    if (!valid_name(queue)) {
        return invalid(err, "queue name");
    }
    if (mg_buf_addf(&rq->resource, "/queues/%s/messages", queue) != 0) {
        return too_large(err);
    }
    return add_receipt(rq, receipt, err);
}

int mns_build_delete_batch(struct mns_request *rq, const char *queue,
                           const char *const *receipts, size_t n,
                           struct mg_error *err)
{
    size_t i;

    begin(rq, "DELETE", "BatchDeleteMessage");
    if (!valid_name(queue)) {
        return invalid(err, "queue name");
    }
    if (n < 1 || n > 16) {
        return invalid(err, "batch delete takes 1..16 handles");
    }
    if (mg_buf_addf(&rq->resource, "/queues/%s/messages", queue) != 0 ||
        open_body(rq, "ReceiptHandles") != 0) {
        return too_large(err);
    }

    for (i = 0; i < n; i++) {
        size_t len = receipts[i] ? strlen(receipts[i]) : 0;

        if (len == 0 || len > 1024 || !xml_text_ok(receipts[i], len)) {
            return invalid(err, "receipt handle empty, too long or binary");
        }
        if (add_element(rq, "ReceiptHandle", receipts[i], len) != 0) {
            return too_large(err);
        }
    }
    return close_body(rq, "ReceiptHandles") == 0 ? 0 : too_large(err);
}

int mns_build_change_visibility(struct mns_request *rq, const char *queue,
                                const char *receipt, int timeout_s,
                                struct mg_error *err)
{
    begin(rq, "PUT", "ChangeMessageVisibility");
    if (!valid_name(queue)) {
        return invalid(err, "queue name");
    }
    if (timeout_s < 0 || timeout_s > 43200) {
        return invalid(err, "visibility timeout outside 0..43200 seconds");
    }
    if (mg_buf_addf(&rq->resource, "/queues/%s/messages", queue) != 0) {
        return too_large(err);
    }
    if (add_receipt(rq, receipt, err) != 0) {
        return -1;
    }
    if (mg_buf_addf(&rq->resource, "&VisibilityTimeout=%d", timeout_s) != 0) {
        return too_large(err);
    }
    return 0;
}

/* The MessageBody element shared by SendMessage and PublishMessage. */
static int add_message_body(struct mns_request *rq, const char *body,
                            size_t len, struct mg_error *err)
{
    if (body == NULL || len > MNS_MAX_BODY) {
        return invalid(err, "message body missing or over 64 KiB");
    }
    if (!xml_text_ok(body, len)) {
        return invalid(err, "message body is not UTF-8 text (use Base64)");
    }
    if (open_body(rq, "Message") != 0 ||
        add_element(rq, "MessageBody", body, len) != 0) {
        return too_large(err);
    }
    return 0;
}

int mns_build_send(struct mns_request *rq, const char *queue, const char *body,
                   size_t len, int delay_s, struct mg_error *err)
{
    begin(rq, "POST", "SendMessage");
    if (!valid_name(queue)) {
        return invalid(err, "queue name");
    }
    if (delay_s < 0 || delay_s > 604800) {
        return invalid(err, "delay outside 0..604800 seconds");
    }
    if (mg_buf_addf(&rq->resource, "/queues/%s/messages", queue) != 0) {
        return too_large(err);
    }
    if (add_message_body(rq, body, len, err) != 0) {
        return -1;
    }

    /* Without a delay the element is left out, so that the queue's own
     * DelaySeconds still applies. */
    if ((delay_s > 0 && add_number(rq, "DelaySeconds", delay_s) != 0) ||
        close_body(rq, "Message") != 0) {
        return too_large(err);
    }
    return 0;
}

int mns_build_publish(struct mns_request *rq, const char *topic,
                      const char *body, size_t len, const char *tag,
                      struct mg_error *err)
{
    size_t taglen = tag ? strlen(tag) : 0;

    begin(rq, "POST", "PublishMessage");
    if (!valid_name(topic)) {
        return invalid(err, "topic name");
    }
    if (taglen > 0 && (!xml_text_ok(tag, taglen) || utf8_chars(tag) > 16)) {
        return invalid(err, "message tag over 16 characters or not text");
    }
    if (mg_buf_addf(&rq->resource, "/topics/%s/messages", topic) != 0) {
        return too_large(err);
    }
    if (add_message_body(rq, body, len, err) != 0) {
        return -1;
    }
    if ((taglen > 0 && add_element(rq, "MessageTag", tag, taglen) != 0) ||
        close_body(rq, "Message") != 0) {
        return too_large(err);
    }
    return 0;
}

int mns_build_queue_attributes(struct mns_request *rq, const char *queue,
                               struct mg_error *err)
{
    begin(rq, "GET", "GetQueueAttributes");
    if (!valid_name(queue)) {
        return invalid(err, "queue name");
    }
    if (mg_buf_addf(&rq->resource, "/queues/%s", queue) != 0) {
        return too_large(err);
    }
    return 0;
}

int mns_build_create_queue(struct mns_request *rq, const char *queue,
                           int visibility_timeout_s, struct mg_error *err)
{
    begin(rq, "PUT", "CreateQueue");
    if (!valid_name(queue)) {
        return invalid(err, "queue name");
    }
    if (visibility_timeout_s < 1 || visibility_timeout_s > 43200) {
        return invalid(err, "visibility timeout outside 1..43200 seconds");
    }
    if (mg_buf_addf(&rq->resource, "/queues/%s", queue) != 0 ||
        open_body(rq, "Queue") != 0 ||
        add_number(rq, "VisibilityTimeout", visibility_timeout_s) != 0 ||
        close_body(rq, "Queue") != 0) {
        return too_large(err);
    }
    return 0;
}

int mns_build_topic_attributes(struct mns_request *rq, const char *topic,
                               struct mg_error *err)
{
    begin(rq, "GET", "GetTopicAttributes");
    if (!valid_name(topic)) {
        return invalid(err, "topic name");
    }
    if (mg_buf_addf(&rq->resource, "/topics/%s", topic) != 0) {
        return too_large(err);
    }
    return 0;
}

int mns_build_create_topic(struct mns_request *rq, const char *topic,
                           struct mg_error *err)
{
    begin(rq, "PUT", "CreateTopic");
    if (!valid_name(topic)) {
        return invalid(err, "topic name");
    }
    if (mg_buf_addf(&rq->resource, "/topics/%s", topic) != 0 ||
        open_body(rq, "Topic") != 0 ||
        add_number(rq, "MaximumMessageSize", MNS_TOPIC_MESSAGE_SIZE) != 0 ||
        close_body(rq, "Topic") != 0) {
        return too_large(err);
    }
    return 0;
}

int mns_build_subscription_attributes(struct mns_request *rq, const char *topic,
                                      const char *subscription,
                                      struct mg_error *err)
{
    begin(rq, "GET", "GetSubscriptionAttributes");
    if (!valid_name(topic) || !valid_name(subscription)) {
        return invalid(err, "topic or subscription name");
    }
    if (mg_buf_addf(&rq->resource, "/topics/%s/subscriptions/%s", topic,
                    subscription) != 0) {
        return too_large(err);
    }
    return 0;
}

static int known_format(const char *format)
{
    return format &&
           (strcmp(format, "XML") == 0 || strcmp(format, "JSON") == 0 ||
            strcmp(format, "SIMPLIFIED") == 0);
}

int mns_build_subscribe(struct mns_request *rq, const char *topic,
                        const char *subscription, const char *endpoint,
                        const char *format, struct mg_error *err)
{
    size_t n = endpoint ? strlen(endpoint) : 0;

    begin(rq, "PUT", "Subscribe");
    if (!valid_name(topic) || !valid_name(subscription)) {
        return invalid(err, "topic or subscription name");
    }
    if (!known_format(format)) {
        return invalid(err, "format must be XML, JSON or SIMPLIFIED");
    }
    if (n == 0 || n >= 512 || !xml_text_ok(endpoint, n)) {
        return invalid(err, "subscription endpoint empty, long or binary");
    }
    if (mg_buf_addf(&rq->resource, "/topics/%s/subscriptions/%s", topic,
                    subscription) != 0 ||
        open_body(rq, "Subscription") != 0 ||
        add_element(rq, "Endpoint", endpoint, n) != 0 ||
        add_element(rq, "NotifyContentFormat", format, strlen(format)) != 0 ||
        close_body(rq, "Subscription") != 0) {
        return too_large(err);
    }
    return 0;
}
