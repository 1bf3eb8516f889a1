#ifndef MNS_REQUEST_H
#define MNS_REQUEST_H

#include <stddef.h>

#include "common/buf.h"
#include "mns/mns.h"

struct mg_cred;
struct mg_error;

/*
 * MNS requests as they go on the wire: the resource (path and query),
 * the XML body and the signed headers. Internal to mns/ and its tests,
 * which check here the exact bytes that are signed, without a server.
 */

#define MNS_API_VERSION  "2015-06-06"
#define MNS_XMLNS        "http://mns.aliyuncs.com/doc/v1/"
#define MNS_CONTENT_TYPE "text/xml;charset=UTF-8"

/* Longest resource a request may carry: a 256-character name and a
 * receipt handle of up to 511 bytes, each byte percent-encoded. */
#define MNS_MAX_RESOURCE 4096

/* Longest request body: a full-size message whose every byte became an
 * entity of up to six bytes, plus the elements around it. */
#define MNS_MAX_REQUEST (6 * MNS_MAX_BODY + 4096)

/* The topic size we ask for; a subscribed queue must hold as much. */
#define MNS_TOPIC_MESSAGE_SIZE MNS_MAX_BODY

/* Largest receive answer: sixteen full-size bodies, every byte of them
 * possibly an entity, with their other elements. */
#define MNS_MAX_RECEIVE_ANSWER (16 * (6 * MNS_MAX_BODY + 4096))

struct mns_request {
    const char *verb;       /* "GET", "PUT", "POST", "DELETE" */
    const char *action;     /* "BatchReceiveMessage": metrics, errors */
    struct mg_buf resource; /* path and query, exactly as sent */
    struct mg_buf body;     /* XML; len 0 when the request has none */
    long timeout_ms;        /* 0: the client's own timeout */
    size_t max_answer;      /* largest answer body read; 0: 256 KiB */
};

void mns_request_init(struct mns_request *rq);
void mns_request_release(struct mns_request *rq);

/*
 * Each builder fills rq afresh and returns 0, or -1 with err classed
 * MG_INVALID when an argument is out of range: a name with characters
 * MNS does not allow, a count or a time outside the documented range, a
 * body that is not UTF-8 text XML can carry.
 */
int mns_build_receive(struct mns_request *rq, const char *queue, int max,
                      int wait_s, struct mg_error *err);
int mns_build_delete(struct mns_request *rq, const char *queue,
                     const char *receipt, struct mg_error *err);
int mns_build_delete_batch(struct mns_request *rq, const char *queue,
                           const char *const *receipts, size_t n,
                           struct mg_error *err);
int mns_build_change_visibility(struct mns_request *rq, const char *queue,
                                const char *receipt, int timeout_s,
                                struct mg_error *err);
int mns_build_send(struct mns_request *rq, const char *queue, const char *body,
                   size_t len, int delay_s, struct mg_error *err);
int mns_build_publish(struct mns_request *rq, const char *topic,
                      const char *body, size_t len, const char *tag,
                      struct mg_error *err);
int mns_build_queue_attributes(struct mns_request *rq, const char *queue,
                               struct mg_error *err);
int mns_build_create_queue(struct mns_request *rq, const char *queue,
                           int visibility_timeout_s, struct mg_error *err);
int mns_build_topic_attributes(struct mns_request *rq, const char *topic,
                               struct mg_error *err);
int mns_build_create_topic(struct mns_request *rq, const char *topic,
                           struct mg_error *err);
int mns_build_subscription_attributes(struct mns_request *rq, const char *topic,
                                      const char *subscription,
                                      struct mg_error *err);
int mns_build_subscribe(struct mns_request *rq, const char *topic,
                        const char *subscription, const char *endpoint,
                        const char *format, struct mg_error *err);

/*
 * The headers of a request signed with cred at date (RFC 1123). list is
 * NULL-terminated and points into the structure: Date, x-mns-version,
 * Content-Type (only with a body), Authorization, and security-token when
 * cred carries a token. sts, when not NULL, receives what was signed.
 */
struct mns_headers {
    char date[64];
    char version[64];
    char content_type[64];
    char authorization[256];
    char token[4200];
    const char *list[6];
};

int mns_sign_request(const struct mns_request *rq, const struct mg_cred *cred,
                     const char *date, struct mns_headers *h,
                     struct mg_buf *sts);

/* "MNS id:signature" for a string-to-sign. */
int mns_authorization(const char *id, const char *secret, const char *sts,
                      char *out, size_t cap);

#endif
