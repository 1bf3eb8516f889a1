#include "mns/xmlio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/xml.h"
#include "mns/mns.h"

/* Last: its renames must not reach the headers above. */
#include "common/banned.h"

/* Length of the UTF-8 sequence that starts with byte c, 0 if none does. */
static size_t utf8_seq_len(unsigned char c)
{
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        return 4;
    }
    return 0;
}

/* The second byte of a sequence has a narrower range for some leads:
 * that is where overlong forms, surrogates and values past U+10FFFF are
 * refused. */
static int second_ok(unsigned char lead, unsigned char c)
{
    if (lead == 0xE0) {
        return c >= 0xA0 && c <= 0xBF;
    }
    if (lead == 0xED) {
        return c >= 0x80 && c <= 0x9F;
    }
    if (lead == 0xF0) {
        return c >= 0x90 && c <= 0xBF;
    }
    if (lead == 0xF4) {
        return c >= 0x80 && c <= 0x8F;
    }
    return c >= 0x80 && c <= 0xBF;
}

int mns_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        size_t k = utf8_seq_len(p[i]);
        size_t j;

        if (k == 0 || k > n - i) {
            return 0;
        }
        if (k > 1 && !second_ok(p[i], p[i + 1])) {
            return 0;
        }
        for (j = 2; j < k; j++) {
            if ((p[i + j] & 0xC0) != 0x80) {
                return 0;
            }
        }
        i += k;
    }
    return 1;
}

void mns_copy_cut(char *out, size_t cap, const char *s, size_t n)
{
    if (cap == 0) {
        return;
    }
    if (n >= cap) {
        n = cap - 1;
        /* Step back over continuation bytes to a character start. */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

/* A 2xx answer that does not parse: worth another try. */
static xmlDocPtr parse_answer(const char *xml, size_t len, const char *action,
                              struct mg_error *err)
{
    struct mg_error why;
    xmlDocPtr doc;

    mg_error_clear(&why);
    doc = mg_xml_parse(xml, len, &why);
    if (doc == NULL) {
        mg_error_set(err, MG_RETRY, "MalformedResponse", "%s answer: %s",
                     action, why.message);
    }
    return doc;
}

static int malformed(struct mg_error *err, const char *what)
{
    return mg_error_set(err, MG_RETRY, "MalformedResponse", "%s", what);
}

void mns_xml_field(xmlNodePtr parent, const char *name, char *out, size_t cap)
{
    struct mg_buf b = MG_BUF_INIT(8192);

    if (mg_xml_text(mg_xml_child(parent, name), &b) == 0) {
        mns_copy_cut(out, cap, mg_buf_str(&b), b.len);
    } else {
        mns_copy_cut(out, cap, "", 0);
    }
    mg_buf_release(&b);
}

/* A named child as an integer; 0 when absent, empty or not a number. */
static int64_t child_i64(xmlNodePtr parent, const char *name)
{
    char text[40];
    char *end = NULL;
    long long v;

    if (mg_xml_child_text(parent, name, text, sizeof(text)) != 0) {
        return 0;
    }
    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || end == text) {
        return 0;
    }
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') {
        end++;
    }
    return *end == '\0' ? (int64_t)v : 0;
}

static void message_clear(struct mns_message *m)
{
    m->id[0] = '\0';
    m->receipt[0] = '\0';
    m->body_md5[0] = '\0';
    mg_buf_reset(&m->body);
    m->enqueue_ms = 0;
    m->first_dequeue_ms = 0;
    m->next_visible_ms = 0;
    m->dequeue_count = 0;
    m->priority = 0;
    m->oversize = 0;
}

/* A body past MNS_MAX_BODY is dropped whole rather than cut: an empty
 * body no longer matches its MD5, so nobody mistakes it for the message. */
static int read_body(xmlNodePtr node, struct mns_message *m)
{
    if (mg_xml_text(mg_xml_child(node, "MessageBody"), &m->body) != 0) {
        mg_buf_reset(&m->body);
        m->oversize = 1;
    }
    return m->body.data ? 0 : mg_buf_add(&m->body, "", 0);
}

static int read_message(xmlNodePtr node, struct mns_message *m,
                        struct mg_error *err)
{
    message_clear(m);
    if (mg_xml_child_text(node, "MessageId", m->id, sizeof(m->id)) != 0 ||
        mg_xml_child_text(node, "ReceiptHandle", m->receipt,
                          sizeof(m->receipt)) != 0 ||
        mg_xml_child_text(node, "MessageBodyMD5", m->body_md5,
                          sizeof(m->body_md5)) != 0) {
        return malformed(err, "message id, handle or MD5 too long");
    }
    if (read_body(node, m) != 0) {
        return mg_error_set(err, MG_RETRY, "NoMemory", "message body");
    }

    m->enqueue_ms = child_i64(node, "EnqueueTime");
    m->first_dequeue_ms = child_i64(node, "FirstDequeueTime");
    m->next_visible_ms = child_i64(node, "NextVisibleTime");
    m->dequeue_count = (int)child_i64(node, "DequeueCount");
    m->priority = (int)child_i64(node, "Priority");
    return 0;
}

/*
 * A receive answer that is not well-formed (one message with a byte XML
 * cannot hold would do it) would otherwise fail every receive of every
 * message it comes with, forever. The intact messages are recovered; a
 * damaged body fails its MD5 check, so the worker retries it and, after
 * max_attempts, dead-letters it.
 */
static xmlDocPtr parse_messages(const char *xml, size_t len, int *recovered,
                                struct mg_error *err)
{
    xmlDocPtr doc = parse_answer(xml, len, "receive", err);

    *recovered = 0;
    if (doc == NULL && strcmp(err->code, "MalformedResponse") == 0) {
        doc = mg_xml_parse_recover(xml, len, NULL);
        *recovered = doc != NULL;
    }
    return doc;
}

int mns_parse_messages(const char *xml, size_t len, struct mns_message *out,
                       int max, struct mg_error *err)
{
    int recovered;
    xmlDocPtr doc = parse_messages(xml, len, &recovered, err);
    xmlNodePtr root = mg_xml_root(doc);
    xmlNodePtr node;
    int n = 0;

    if (doc == NULL) {
        return -1;
    }
    if (mg_xml_is(root, "Message")) {
        node = root;
    } else if (mg_xml_is(root, "Messages")) {
        node = mg_xml_child(root, "Message");
    } else {
        xmlFreeDoc(doc);
        return recovered ? -1
                         : malformed(err, "receive answer is not <Messages>");
    }

    for (; node && n < max; node = mg_xml_next(node, "Message")) {
        if (read_message(node, &out[n], err) != 0) {
            xmlFreeDoc(doc);
            return -1;
        }
        /* From a recovered answer, only messages that can be deleted. */
        if (!recovered || (out[n].id[0] && out[n].receipt[0])) {
            n++;
        }
        if (node == root) {
            break;
        }
    }
    xmlFreeDoc(doc);
    if (recovered && n == 0) {
        return -1; /* err still says MalformedResponse */
    }
    if (recovered) {
        mg_log_warn("mns.answer_recovered", MG_LI("messages", n));
        mg_error_clear(err);
    }
    return n;
}

int mns_parse_error(const char *body, size_t len, long status,
                    const char *header_request_id, struct mg_error *err)
{
    xmlDocPtr doc = mg_xml_parse(body, len, NULL);
    xmlNodePtr root = mg_xml_root(doc);
    char code[64] = "";
    char message[256] = "";
    char request_id[64] = "";

    if (mg_xml_is(root, "Error")) {
        mns_xml_field(root, "Code", code, sizeof(code));
        mns_xml_field(root, "Message", message, sizeof(message));
        mns_xml_field(root, "RequestId", request_id, sizeof(request_id));
    }
    xmlFreeDoc(doc);

    mg_error_classify(err, status, code[0] ? code : NULL);
    if (code[0] == '\0') {
        snprintf(err->code, sizeof(err->code), "Http%ld", status);
    }
    snprintf(err->message, sizeof(err->message), "%s",
             message[0] ? message : "error answer without an MNS document");
    snprintf(err->request_id, sizeof(err->request_id), "%s",
             request_id[0]       ? request_id
             : header_request_id ? header_request_id
                                 : "");
    return -1;
}

static void mark_all(int *failed, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        failed[i] = 1;
    }
}

/* Which handle an <Errors> entry names; n when none of those sent. */
static size_t entry_index(xmlNodePtr entry, const char *const *receipts,
                          size_t n)
{
    char handle[2048];
    size_t i;

    if (mg_xml_child_text(entry, "ReceiptHandle", handle, sizeof(handle)) !=
        0) {
        return n;
    }
    for (i = 0; i < n; i++) {
        if (strcmp(receipts[i], handle) == 0) {
            return i;
        }
    }
    return n;
}

static void record_entry(xmlNodePtr entry, long status, size_t index,
                         struct mg_error *err)
{
    char code[64];
    char message[256];

    mns_xml_field(entry, "ErrorCode", code, sizeof(code));
    mns_xml_field(entry, "ErrorMessage", message, sizeof(message));
    mg_log_warn("mns.delete_failed", MG_LS("code", code),
                MG_LS("message", message), MG_LI("index", (long)index));

    /* The first entry speaks for the whole call. */
    if (err->code[0] == '\0') {
        mg_error_classify(err, status, code[0] ? code : NULL);
        if (code[0] == '\0') {
            snprintf(err->code, sizeof(err->code), "Http%ld", status);
        }
        snprintf(err->message, sizeof(err->message), "%s", message);
    }
}

int mns_parse_delete_errors(const char *xml, size_t len, long status,
                            const char *const *receipts, size_t n, int *failed,
                            struct mg_error *err)
{
    xmlDocPtr doc = mg_xml_parse(xml, len, NULL);
    xmlNodePtr root = mg_xml_root(doc);
    xmlNodePtr entry;
    int stray = 0;

    if (!mg_xml_is(root, "Errors")) {
        xmlFreeDoc(doc);
        return 0;
    }
    entry = mg_xml_child(root, "Error");
    stray = entry == NULL;
    for (; entry; entry = mg_xml_next(entry, "Error")) {
        size_t i = entry_index(entry, receipts, n);

        record_entry(entry, status, i, err);
        if (i < n) {
            failed[i] = 1;
        } else {
            stray = 1;
        }
    }
    xmlFreeDoc(doc);

    /* An entry we cannot place could be any handle: assume the worst. */
    if (stray) {
        mark_all(failed, n);
        if (err->code[0] == '\0') {
            mg_error_classify(err, status, NULL);
            snprintf(err->code, sizeof(err->code), "Http%ld", status);
            snprintf(err->message, sizeof(err->message), "%s",
                     "batch delete failed without naming a handle");
        }
    }
    return 1;
}

int mns_parse_change_visibility(const char *xml, size_t len, char *receipt,
                                size_t cap, int64_t *next_visible_ms,
                                struct mg_error *err)
{
    xmlDocPtr doc = parse_answer(xml, len, "ChangeMessageVisibility", err);
    xmlNodePtr root = mg_xml_root(doc);
    int rc = 0;

    if (doc == NULL) {
        return -1;
    }
    if (mg_xml_child_text(root, "ReceiptHandle", receipt, cap) != 0) {
        rc = mg_error_set(err, MG_INVALID, "BufferTooSmall",
                          "new receipt handle does not fit");
    } else if (receipt[0] == '\0') {
        rc = malformed(err, "answer carries no receipt handle");
    }
    if (next_visible_ms) {
        *next_visible_ms = child_i64(root, "NextVisibleTime");
    }
    xmlFreeDoc(doc);
    return rc;
}

int mns_parse_message_id(const char *xml, size_t len, char *id, size_t cap,
                         struct mg_error *err)
{
    xmlDocPtr doc = parse_answer(xml, len, "send", err);
    char got[128];
    int rc = 0;

    if (doc == NULL) {
        return -1;
    }
    if (mg_xml_child_text(mg_xml_root(doc), "MessageId", got, sizeof(got)) !=
            0 ||
        got[0] == '\0') {
        rc = malformed(err, "answer carries no usable MessageId");
    } else if (id && cap > 0 && (size_t)snprintf(id, cap, "%s", got) >= cap) {
        rc = mg_error_set(err, MG_INVALID, "BufferTooSmall",
                          "message id does not fit");
    }
    xmlFreeDoc(doc);
    return rc;
}

int mns_parse_queue_attrs(const char *xml, size_t len,
                          struct mns_queue_attrs *out, struct mg_error *err)
{
    xmlDocPtr doc = parse_answer(xml, len, "GetQueueAttributes", err);
    xmlNodePtr root = mg_xml_root(doc);

    if (doc == NULL) {
        return -1;
    }
    out->visibility_timeout_s = (int)child_i64(root, "VisibilityTimeout");
    out->polling_wait_s = (int)child_i64(root, "PollingWaitSeconds");
    out->maximum_message_size = (int)child_i64(root, "MaximumMessageSize");
    out->active = (long)child_i64(root, "ActiveMessages");
    out->inactive = (long)child_i64(root, "InactiveMessages");
    out->delayed = (long)child_i64(root, "DelayMessages");
    xmlFreeDoc(doc);
    return 0;
}

int mns_parse_topic_attrs(const char *xml, size_t len,
                          struct mns_topic_attrs *out, struct mg_error *err)
{
    xmlDocPtr doc = parse_answer(xml, len, "GetTopicAttributes", err);

    if (doc == NULL) {
        return -1;
    }
    out->maximum_message_size =
        (long)child_i64(mg_xml_root(doc), "MaximumMessageSize");
    xmlFreeDoc(doc);
    return 0;
}

int mns_parse_subscription_attrs(const char *xml, size_t len,
                                 struct mns_subscription_attrs *out,
                                 struct mg_error *err)
{
    xmlDocPtr doc = parse_answer(xml, len, "GetSubscriptionAttributes", err);
    xmlNodePtr root = mg_xml_root(doc);

    if (doc == NULL) {
        return -1;
    }
    mns_xml_field(root, "Endpoint", out->endpoint, sizeof(out->endpoint));
    mns_xml_field(root, "NotifyContentFormat", out->format,
                  sizeof(out->format));
    xmlFreeDoc(doc);
    return 0;
}
