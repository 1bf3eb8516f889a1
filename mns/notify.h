#ifndef MNS_NOTIFY_H
#define MNS_NOTIFY_H

#include <stddef.h>

#include "common/buf.h"

struct mg_error;

/*
 * What a topic subscription puts in a queue message, unwrapped.
 *
 * A queue subscribed to a topic receives the published body wrapped in an
 * XML <Notification> or a JSON object (with TopicName, MessageId,
 * MessageTag, Message, ...), or bare (SIMPLIFIED). A message sent straight
 * to the queue is bare too. Publishers may have Base64-encoded the body
 * (some SDKs do by default). mns_notification_decode finds out which of
 * these it has and yields the publisher's original body.
 */
enum mns_envelope {
    MNS_ENVELOPE_NONE, /* SIMPLIFIED, or sent straight to the queue */
    MNS_ENVELOPE_XML,
    MNS_ENVELOPE_JSON,
};

struct mns_notification {
    enum mns_envelope envelope;
    int base64;            /* a Base64 layer (around the payload, or around the
                              whole envelope) has been decoded */
    char tag[64];          /* MessageTag of the envelope; "" when none */
    char topic[256];       /* TopicName of the envelope; "" when none */
    char message_id[128];  /* MessageId of the envelope; "" when none */
    char topic_owner[32];  /* TopicOwner (the account id); "" when none */
    struct mg_buf payload; /* the publisher's body, decoded */
};

void mns_notification_init(struct mns_notification *n);
void mns_notification_release(struct mns_notification *n);

/*
 * Decode a queue message body. Base64 is undone only when the text is
 * strict Base64 that decodes to valid UTF-8 starting with '{', '[' or
 * '<'; anything else is kept as it is. A whole body that is such Base64
 * of an envelope is decoded once and then unwrapped. Returns 0, or -1
 * with err classed MG_INVALID when an envelope is recognised but broken
 * (XML that is not well-formed or has a DOCTYPE, a <Notification> without
 * <Message>, a JSON envelope whose text escapes a NUL), or the body is
 * empty or over MNS_MAX_BODY. out must have been through
 * mns_notification_init; its payload memory is reused.
 */
int mns_notification_decode(const char *body, size_t len,
                            struct mns_notification *out, struct mg_error *err);

#endif
