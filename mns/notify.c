#include "mns/notify.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/json.h"
#include "common/xml.h"
#include "mns/mns.h"
#include "mns/xmlio.h"

/* Last: its renames must not reach the headers above. */
#include "common/banned.h"

/* What unwrap() found. */
enum unwrapped {
    BROKEN = -1, /* an envelope, or XML, that cannot be read */
    BARE = 0,    /* no envelope: the text is the payload */
    WRAPPED = 1, /* an envelope: its Message is in the payload */
};

void mns_notification_init(struct mns_notification *n)
{
    memset(n, 0, sizeof(*n));
    mg_buf_init(&n->payload, MNS_MAX_BODY);
}

void mns_notification_release(struct mns_notification *n)
{
    mg_buf_release(&n->payload);
}

static void clear(struct mns_notification *n)
{
    n->envelope = MNS_ENVELOPE_NONE;
    n->base64 = 0;
    n->tag[0] = '\0';
    n->topic[0] = '\0';
    n->message_id[0] = '\0';
    n->topic_owner[0] = '\0';
    mg_buf_reset(&n->payload);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t skip_space(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len && is_space(s[i])) {
        i++;
    }
    return i;
}

/* Does the text open like JSON or XML? */
static int looks_structured(const char *s, size_t len)
{
    size_t i = skip_space(s, len);

    return i < len && (s[i] == '{' || s[i] == '[' || s[i] == '<');
}

/*
 * MIME encoders (old Java ones among them) break Base64 into lines of 76
 * characters. Line breaks are taken out; any other whitespace inside
 * keeps the text from being Base64.
 */
static int join_lines(const char *s, size_t len, struct mg_buf *out)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] != '\r' && s[i] != '\n' && mg_buf_addc(out, s[i]) != 0) {
            return -1;
        }
    }
    return 0;
}

/*
 * Is s strict Base64 of UTF-8 text that opens like JSON or XML? Then the
 * decoded text is left in out and 1 returned. Whitespace around the
 * Base64 is ignored, and so are line breaks inside it; other whitespace
 * inside is refused. Decoded bytes that are not valid UTF-8, or hold a
 * NUL, are not text.
 */
static int base64_text(const char *s, size_t len, struct mg_buf *out)
{
    struct mg_buf joined = MG_BUF_INIT(len);
    size_t start = skip_space(s, len);
    size_t end = len;
    int ok;

    while (end > start && is_space(s[end - 1])) {
        end--;
    }
    mg_buf_reset(out);
    if (looks_structured(s, len) ||
        join_lines(s + start, end - start, &joined) != 0 ||
        mg_b64_decode(out, mg_buf_str(&joined), joined.len) != 0) {
        mg_buf_release(&joined);
        return 0;
    }
    mg_buf_release(&joined);
    ok = mns_utf8_valid(out->data, out->len) &&
         memchr(out->data, '\0', out->len) == NULL &&
         looks_structured(out->data, out->len);
    return ok;
}

static int set_payload(struct mns_notification *n, const char *s, size_t len,
                       struct mg_error *err)
{
    mg_buf_reset(&n->payload);
    if (mg_buf_add(&n->payload, s, len) != 0) {
        return mg_error_set(err, MG_INVALID, "BodyTooLarge",
                            "payload passes %d bytes", MNS_MAX_BODY);
    }
    return 0;
}

static enum unwrapped xml_envelope(const char *s, size_t len,
                                   struct mns_notification *n,
                                   struct mg_error *err)
{
    xmlDocPtr doc = mg_xml_parse(s, len, err);
    xmlNodePtr root = mg_xml_root(doc);
    xmlNodePtr message;
    enum unwrapped rc = WRAPPED;

    if (doc == NULL) {
        return BROKEN;
    }
    if (!mg_xml_is(root, "Notification")) {
        xmlFreeDoc(doc);
        return BARE;
    }

    message = mg_xml_child(root, "Message");
    mg_buf_reset(&n->payload);
    if (message == NULL) {
        mg_error_set(err, MG_INVALID, "NotificationWithoutMessage",
                     "XML notification has no <Message>");
        rc = BROKEN;
    } else if (mg_xml_text(message, &n->payload) != 0) {
        mg_error_set(err, MG_INVALID, "BodyTooLarge",
                     "notification message passes %d bytes", MNS_MAX_BODY);
        rc = BROKEN;
    }
    mns_xml_field(root, "MessageTag", n->tag, sizeof(n->tag));
    mns_xml_field(root, "TopicName", n->topic, sizeof(n->topic));
    mns_xml_field(root, "MessageId", n->message_id, sizeof(n->message_id));
    mns_xml_field(root, "TopicOwner", n->topic_owner, sizeof(n->topic_owner));
    n->envelope = MNS_ENVELOPE_XML;
    xmlFreeDoc(doc);
    return rc;
}

/* An envelope value: a string, or a number written as JSON writes it. */
static int json_value_text(const cJSON *v, struct mg_buf *out)
{
    char *printed;
    int rc;

    if (cJSON_IsString(v)) {
        return mg_buf_adds(out, v->valuestring);
    }
    printed = cJSON_PrintUnformatted(v);
    if (printed == NULL) {
        return -1;
    }
    rc = mg_buf_adds(out, printed);
    cJSON_free(printed);
    return rc;
}

static int scalar(const cJSON *v)
{
    return cJSON_IsString(v) || cJSON_IsNumber(v);
}

/*
 * Keys are matched with their exact MNS spelling. A Config event is a
 * JSON object too, but it never carries "Message" beside one of the
 * envelope's identifying keys.
 */
static int is_json_envelope(const cJSON *j)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "Message");

    return cJSON_IsObject(j) && scalar(m) &&
           (scalar(cJSON_GetObjectItemCaseSensitive(j, "TopicName")) ||
            scalar(cJSON_GetObjectItemCaseSensitive(j, "MessageId")) ||
            scalar(cJSON_GetObjectItemCaseSensitive(j, "TopicOwner")));
}

static void json_field(const cJSON *j, const char *key, char *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    struct mg_buf b = MG_BUF_INIT(4096);

    out[0] = '\0';
    if (scalar(v) && json_value_text(v, &b) == 0) {
        mns_copy_cut(out, cap, mg_buf_str(&b), b.len);
    }
    mg_buf_release(&b);
}

/* cJSON ends a string at an escaped NUL ("\u0000") and would silently
 * cut the message there. */
static int escapes_nul(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i++) {
        if (s[i] != '\\') {
            continue;
        }
        if (s[i + 1] == 'u' && len - i >= 6 &&
            memcmp(s + i + 2, "0000", 4) == 0) {
            return 1;
        }
        i++;
    }
    return 0;
}

static enum unwrapped json_envelope(const char *s, size_t len,
                                    struct mns_notification *n,
                                    struct mg_error *err)
{
    struct mg_error perr;
    cJSON *j;
    enum unwrapped rc = WRAPPED;

    /* mg_json_parse refuses \u0000 outright; such a body is broken,
     * whatever it wraps, rather than a bare payload. */
    mg_error_clear(&perr);
    j = mg_json_parse(s, len, &perr);
    if (j == NULL && strcmp(perr.code, "JsonEscapedNul") == 0) {
        mg_error_set(err, MG_INVALID, "EnvelopeNul",
                     "JSON notification escapes a NUL character");
        return BROKEN;
    }
    if (!is_json_envelope(j)) {
        cJSON_Delete(j);
        return BARE;
    }

    mg_buf_reset(&n->payload);
    if (escapes_nul(s, len)) {
        mg_error_set(err, MG_INVALID, "EnvelopeNul",
                     "JSON notification escapes a NUL character");
        rc = BROKEN;
    } else if (json_value_text(cJSON_GetObjectItemCaseSensitive(j, "Message"),
                               &n->payload) != 0) {
        mg_error_set(err, MG_INVALID, "BodyTooLarge",
                     "notification message passes %d bytes", MNS_MAX_BODY);
        rc = BROKEN;
    }
    json_field(j, "MessageTag", n->tag, sizeof(n->tag));
    json_field(j, "TopicName", n->topic, sizeof(n->topic));
    json_field(j, "MessageId", n->message_id, sizeof(n->message_id));
    json_field(j, "TopicOwner", n->topic_owner, sizeof(n->topic_owner));
    n->envelope = MNS_ENVELOPE_JSON;
    cJSON_Delete(j);
    return rc;
}

/* XML must be a well-formed document whatever its root; JSON that does
 * not parse, or is no envelope, is simply a payload. */
static enum unwrapped unwrap(const char *s, size_t len,
                             struct mns_notification *n, struct mg_error *err)
{
    size_t i = skip_space(s, len);

    if (i < len && s[i] == '<') {
        /* From the '<': an XML declaration must open the document. */
        return xml_envelope(s + i, len - i, n, err);
    }
    if (i < len && s[i] == '{') {
        return json_envelope(s, len, n, err);
    }
    return BARE;
}

/* The publisher may have Base64-encoded what it published. */
static void decode_payload(struct mns_notification *n)
{
    struct mg_buf plain = MG_BUF_INIT(MNS_MAX_BODY);

    if (base64_text(n->payload.data, n->payload.len, &plain)) {
        mg_buf_release(&n->payload);
        n->payload = plain;
        n->base64 = 1;
        return;
    }
    mg_buf_release(&plain);
}

int mns_notification_decode(const char *body, size_t len,
                            struct mns_notification *out, struct mg_error *err)
{
    struct mg_buf plain = MG_BUF_INIT(MNS_MAX_BODY);
    enum unwrapped rc;

    clear(out);
    if (body == NULL || len == 0) {
        return mg_error_set(err, MG_INVALID, "EmptyBody", "empty message");
    }
    if (len > MNS_MAX_BODY) {
        return mg_error_set(err, MG_INVALID, "BodyTooLarge",
                            "message body passes %d bytes", MNS_MAX_BODY);
    }

    /* A whole body in Base64 is decoded once, then looked into again. */
    rc = unwrap(body, len, out, err);
    if (rc == BARE && base64_text(body, len, &plain)) {
        out->base64 = 1;
        body = plain.data;
        len = plain.len;
        rc = unwrap(body, len, out, err);
    }

    if (rc == BARE && set_payload(out, body, len, err) != 0) {
        rc = BROKEN;
    } else if (rc == WRAPPED) {
        decode_payload(out);
    }
    mg_buf_release(&plain);
    return rc == BROKEN ? -1 : 0;
}
