#ifndef MNS_MNS_H
#define MNS_MNS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/limiter.h"

struct mg_cred_provider;
struct mg_error;

/*
 * A client for Alibaba Cloud MNS (API version 2015-06-06): XML over HTTP,
 * signed with "MNS id:signature" (HMAC-SHA1). It is safe to use from many
 * threads at once.
 *
 * Every call returns 0 on success or -1 with err filled in: the class
 * (common/error.h) says whether to retry, the code is the service's.
 * Calls other than mns_receive retry transient failures themselves, as
 * the retry policy in the options says.
 */
struct mns_client;

struct mns_options {
    /* Account endpoint from settings, e.g. "https://<account>.mns.<region>..."
     * or "http://127.0.0.1:9100" for the emulator; no trailing slash. */
    const char *endpoint;
    struct mg_cred_provider *cred;
    struct mg_limiter *limiter; /* may be NULL */
    struct mg_retry_policy retry;
    long timeout_ms;               /* calls other than long polls */
    volatile const int *stop;      /* cuts every call and wait short */
    volatile const int *stop_poll; /* cuts long polls only; may be NULL */
};

/* NULL when cred is missing or the endpoint is not "http(s)://host[:port]"
 * (a path would be sent but not signed). The client keeps pointers to
 * cred, limiter and stop, which must outlive it; endpoint is copied. */
struct mns_client *mns_client_new(const struct mns_options *opt);
void mns_client_free(struct mns_client *c);

/* The largest message body MNS accepts, and so the largest we read. */
#define MNS_MAX_BODY 65536

struct mns_message {
    char id[128];
    char receipt[512];
    char body_md5[40];
    struct mg_buf body; /* the stored body text, as sent by the producer */
    int64_t enqueue_ms;
    int64_t first_dequeue_ms;
    int64_t next_visible_ms;
    int dequeue_count;
    int priority;
    int oversize; /* the body passed MNS_MAX_BODY: body is left empty */
};

/* init makes m ready for mns_receive; release frees its body. */
void mns_message_init(struct mns_message *m);
void mns_message_release(struct mns_message *m);

/*
 * BatchReceiveMessage: up to max (1..16) messages into out[], waiting up
 * to wait_s (0..30) seconds for the first. Returns how many arrived, 0
 * when the queue had none (404 MessageNotExist is not an error), or -1.
 * Each out[i] must have been through mns_message_init; the bodies of
 * earlier messages are reused. One attempt only, with a client timeout
 * of wait_s + 10 seconds: the caller loops. A message whose
 * MessageBodyMD5 does not match its body is still returned;
 * mns_message_md5_ok tells.
 */
int mns_receive(struct mns_client *c, const char *queue, int max, int wait_s,
                struct mns_message *out, struct mg_error *err);

/* Does the message's body match its MessageBodyMD5 (upper-case hex, any
 * case accepted)? A message without a MessageBodyMD5 does not match. */
int mns_message_md5_ok(const struct mns_message *m);

/*
 * DeleteMessage. A handle that expired or was replaced gives -1 with
 * class MG_NOT_FOUND (the lease was lost; the message will come back).
 */
int mns_delete(struct mns_client *c, const char *queue, const char *receipt,
               struct mg_error *err);

/*
 * BatchDeleteMessage for up to 16 handles. Returns 0 when all went; on a
 * partial failure returns -1 and sets failed[i] to 1 for each handle that
 * was not deleted (their codes are logged); on a whole-request failure
 * returns -1 with every failed[i] set.
 */
int mns_delete_batch(struct mns_client *c, const char *queue,
                     const char *const *receipts, size_t n, int *failed,
                     struct mg_error *err);

/*
 * ChangeMessageVisibility: the message stays invisible for timeout_s more
 * seconds from now. The new receipt handle replaces the old one, which
 * stops working; it is written to new_receipt.
 */
int mns_change_visibility(struct mns_client *c, const char *queue,
                          const char *receipt, int timeout_s, char *new_receipt,
                          size_t cap, int64_t *next_visible_ms,
                          struct mg_error *err);

/*
 * SendMessage with an optional delay (0: the queue's own DelaySeconds);
 * the new message id to id_out (may be NULL). The body is at most
 * MNS_MAX_BODY bytes of UTF-8 text that XML can carry; anything else is
 * refused with MG_INVALID (Base64 it first).
 */
int mns_send(struct mns_client *c, const char *queue, const char *body,
             size_t len, int delay_s, char *id_out, size_t cap,
             struct mg_error *err);

/* PublishMessage to a topic; the body as for mns_send; tag may be NULL or
 * "" (at most 16 characters, else MG_INVALID). */
int mns_publish(struct mns_client *c, const char *topic, const char *body,
                size_t len, const char *tag, char *id_out, size_t cap,
                struct mg_error *err);

struct mns_queue_attrs {
    int visibility_timeout_s;
    int polling_wait_s;
    int maximum_message_size;
    long active;
    long inactive;
    long delayed;
};

int mns_queue_attributes(struct mns_client *c, const char *queue,
                         struct mns_queue_attrs *out, struct mg_error *err);

/*
 * Set-up calls, for `mfaguard setup`, the demo and tests. Each succeeds
 * when the resource already exists with the same attributes. When MNS
 * answers 409 (it exists, with other attributes) the call reads the
 * resource back and succeeds only if what it asked for holds: the queue's
 * VisibilityTimeout, the topic's MaximumMessageSize (MNS_MAX_BODY), the
 * subscription's Endpoint and NotifyContentFormat. Otherwise -1 with
 * class MG_FINAL and the service's *AlreadyExist code.
 */
int mns_create_queue(struct mns_client *c, const char *queue,
                     int visibility_timeout_s, struct mg_error *err);
int mns_create_topic(struct mns_client *c, const char *topic,
                     struct mg_error *err);

/* format: "XML", "JSON" or "SIMPLIFIED"; endpoint: a queue ARN
 * "acs:mns:{region}:{account}:queues/{name}" or a URL. */
int mns_subscribe(struct mns_client *c, const char *topic,
                  const char *subscription, const char *endpoint,
                  const char *format, struct mg_error *err);

/*
 * The MNS V2 string-to-sign and signature, exposed for tests:
 * VERB\nMD5\nTYPE\nDATE\n + "x-mns-*" headers (lower-cased names, sorted,
 * "name:value\n" each) + resource (path and query as sent).
 * mns_headers is a NULL-terminated list of "Name: value" lines (or NULL);
 * lines whose name does not start with x-mns- are skipped. NULL md5 or
 * type count as "". Both return 0, or -1 on malformed input.
 */
int mns_string_to_sign(struct mg_buf *out, const char *verb,
                       const char *content_md5, const char *content_type,
                       const char *date, const char *const *mns_headers,
                       const char *resource);
int mns_signature(const char *secret, const char *string_to_sign, char *sig,
                  size_t siglen);

#endif
