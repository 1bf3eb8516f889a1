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
    int base64;      /* the payload was Base64 and has been decoded */
    char tag[64];    /* MessageTag of the envelope; "" when none */
    char topic[256]; /* TopicName of the envelope; "" when none */
    char message_id[128];
    struct mg_buf payload; /* the publisher's body, decoded */
};

void mns_notification_init(struct mns_notification *n);
void mns_notification_release(struct mns_notification *n);

/*
 * Decode a queue message body. Base64 is undone only when the text is
 * strict Base64 that decodes to valid UTF-8 starting with '{', '[' or
 * '<'; anything else is kept as it is. Returns 0, or -1 with err classed
 * MG_INVALID when an envelope is recognised but broken, or the body is
 * empty or over MNS_MAX_BODY.
 */
int mns_notification_decode(const char *body, size_t len,
                            struct mns_notification *out, struct mg_error *err);

#endif
