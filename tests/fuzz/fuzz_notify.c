/*
 * mns_notification_decode on any queue message body. A refusal is always
 * MG_INVALID; an accepted body yields a payload within MNS_MAX_BODY and
 * text fields that fit their arrays; a body without envelope or Base64
 * is its own payload; a Base64 body only ever uncovers UTF-8 that opens
 * like JSON or XML; and decoding again into the same structure (whose
 * memory is reused) gives the same answer.
 *
 * The input is also wrapped as the service would wrap a published body,
 * in an XML <Notification> and in a JSON envelope: both must unwrap to
 * the input itself, or to what its Base64 decodes to (line breaks inside
 * the Base64 are allowed, as MIME encoders write them). And the two UTF-8
 * checkers of the project (mns_utf8_valid, cfg_utf8_valid) must agree.
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/json.h"
#include "common/xml.h"
#include "config/jsonw.h"
#include "fuzz.h"
#include "mns/mns.h"
#include "mns/notify.h"
#include "mns/xmlio.h"

#include "common/banned.h"

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int opens_structured(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && is_space(s[i])) {
        i++;
    }
    return i < n && (s[i] == '{' || s[i] == '[' || s[i] == '<');
}

static void check_fields(const struct mns_notification *n)
{
    FUZZ_CHECK(fuzz_terminated(n->tag, sizeof(n->tag)));
    FUZZ_CHECK(fuzz_terminated(n->topic, sizeof(n->topic)));
    FUZZ_CHECK(fuzz_terminated(n->message_id, sizeof(n->message_id)));
    FUZZ_CHECK(fuzz_terminated(n->topic_owner, sizeof(n->topic_owner)));
    FUZZ_CHECK(n->payload.len <= MNS_MAX_BODY);
    if (n->envelope == MNS_ENVELOPE_XML) {
        /* libxml2 hands out UTF-8, and fields are cut at characters. */
        FUZZ_CHECK(mns_utf8_valid(n->tag, strlen(n->tag)));
        FUZZ_CHECK(mns_utf8_valid(n->topic, strlen(n->topic)));
        FUZZ_CHECK(mns_utf8_valid(n->message_id, strlen(n->message_id)));
    }
    /* Without an envelope, the Base64 layer was the body's own: what it
     * uncovered is the payload. (Around an envelope, the payload is the
     * envelope's Message, which may be any text.) */
    if (n->base64 && n->envelope == MNS_ENVELOPE_NONE) {
        FUZZ_CHECK(mns_utf8_valid(n->payload.data, n->payload.len));
        FUZZ_CHECK(fuzz_no_nul(n->payload.data, n->payload.len));
        FUZZ_CHECK(opens_structured(n->payload.data, n->payload.len));
    }
}

static void check_again(const uint8_t *data, size_t size, int rc,
                        struct mns_notification *n)
{
    struct mns_notification first = *n;
    struct mg_buf copy = MG_BUF_INIT(MNS_MAX_BODY);
    struct mg_error err;

    FUZZ_CHECK(mg_buf_add(&copy, mg_buf_str(&n->payload), n->payload.len) == 0);
    mg_error_clear(&err);
    FUZZ_CHECK(mns_notification_decode((const char *)data, size, n, &err) ==
               rc);
    FUZZ_CHECK(n->envelope == first.envelope && n->base64 == first.base64);
    FUZZ_CHECK(strcmp(n->tag, first.tag) == 0);
    FUZZ_CHECK(strcmp(n->topic, first.topic) == 0);
    FUZZ_CHECK(fuzz_same(mg_buf_str(&n->payload), n->payload.len, copy.data,
                         copy.len));
    mg_buf_release(&copy);
}

/* Could XML 1.0 carry this text in an element (escaped)? */
static int xml_can_carry(const uint8_t *s, size_t n)
{
    size_t i;

    if (!mns_utf8_valid((const char *)s, n)) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
            return 0;
        }
        /* U+FFFE and U+FFFF are not XML characters. */
        if (s[i] == 0xEF && i + 2 < n && s[i + 1] == 0xBF &&
            (s[i + 2] == 0xBE || s[i + 2] == 0xBF)) {
            return 0;
        }
    }
    return 1;
}

/* What the payload must be when the input is the published body: the
 * body itself, or what it decodes to as Base64 once the whitespace
 * around it and the line breaks inside it (MIME style) are taken out. */
static void check_unwrapped(const uint8_t *data, size_t size,
                            const struct mns_notification *n)
{
    struct mg_buf joined = MG_BUF_INIT(size);
    struct mg_buf plain = MG_BUF_INIT(MNS_MAX_BODY);
    size_t start = 0;
    size_t end = size;
    size_t i;

    if (!n->base64) {
        FUZZ_CHECK(
            fuzz_same(mg_buf_str(&n->payload), n->payload.len, data, size));
        return;
    }
    while (start < end && is_space((char)data[start])) {
        start++;
    }
    while (end > start && is_space((char)data[end - 1])) {
        end--;
    }
    for (i = start; i < end; i++) {
        if (data[i] != '\r' && data[i] != '\n') {
            FUZZ_CHECK(mg_buf_addc(&joined, (char)data[i]) == 0);
        }
    }
    FUZZ_CHECK(mg_b64_decode(&plain, mg_buf_str(&joined), joined.len) == 0);
    FUZZ_CHECK(
        fuzz_same(plain.data, plain.len, n->payload.data, n->payload.len));
    mg_buf_release(&plain);
    mg_buf_release(&joined);
}

static void check_envelope(const uint8_t *data, size_t size,
                           const struct mg_buf *body, enum mns_envelope kind)
{
    struct mns_notification n;
    struct mg_error err;

    if (body->len > MNS_MAX_BODY) {
        return;
    }
    mns_notification_init(&n);
    mg_error_clear(&err);
    FUZZ_CHECK(mns_notification_decode(body->data, body->len, &n, &err) == 0);
    FUZZ_CHECK(n.envelope == kind);
    FUZZ_CHECK(strcmp(n.topic, "fuzz-topic") == 0);
    check_unwrapped(data, size, &n);
    mns_notification_release(&n);
}

static void wrap_xml(const uint8_t *data, size_t size)
{
    struct mg_buf b = MG_BUF_INIT(8 * size + 512);

    if (!xml_can_carry(data, size)) {
        return;
    }
    FUZZ_CHECK(mg_buf_adds(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                               "<Notification xmlns=\"urn:mfaguard:fuzz\">"
                               "<TopicName>fuzz-topic</TopicName>"
                               "<MessageId>1</MessageId><Message>") == 0);
    FUZZ_CHECK(mg_xml_escape(&b, (const char *)data, size) == 0);
    FUZZ_CHECK(mg_buf_adds(&b, "</Message></Notification>") == 0);
    check_envelope(data, size, &b, MNS_ENVELOPE_XML);
    mg_buf_release(&b);
}

static void wrap_json(const uint8_t *data, size_t size)
{
    struct mg_buf b = MG_BUF_INIT(8 * size + 512);
    char *text;

    if (!mns_utf8_valid((const char *)data, size) || !fuzz_no_nul(data, size)) {
        return;
    }
    text = fuzz_text(data, size);
    FUZZ_CHECK(mg_buf_adds(&b, "{\"TopicName\":\"fuzz-topic\","
                               "\"MessageId\":\"1\",\"Message\":") == 0);
    FUZZ_CHECK(mg_json_quote(&b, text) == 0);
    FUZZ_CHECK(mg_buf_addc(&b, '}') == 0);
    check_envelope(data, size, &b, MNS_ENVELOPE_JSON);
    mg_buf_release(&b);
    free(text);
}

static void check_utf8_agree(const uint8_t *data, size_t size)
{
    char *text;

    if (!fuzz_no_nul(data, size)) {
        return;
    }
    text = fuzz_text(data, size);
    FUZZ_CHECK(mns_utf8_valid(text, size) == cfg_utf8_valid(text));
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mns_notification n;
    struct mg_error err;
    int rc;

    mns_notification_init(&n);
    mg_error_clear(&err);
    rc = mns_notification_decode((const char *)data, size, &n, &err);
    if (rc != 0) {
        FUZZ_CHECK(rc == -1 && err.cls == MG_INVALID);
    } else {
        check_fields(&n);
        if (n.envelope == MNS_ENVELOPE_NONE && !n.base64) {
            FUZZ_CHECK(fuzz_same(n.payload.data, n.payload.len, data, size));
        }
    }
    check_again(data, size, rc, &n);
    mns_notification_release(&n);

    if (size > 0 && size <= MNS_MAX_BODY) {
        wrap_xml(data, size);
        wrap_json(data, size);
    }
    check_utf8_agree(data, size);
    return 0;
}
