/*
 * The readers of MNS answers (mns/xmlio.h) on any document: receive
 * (<Message> or <Messages>), ChangeMessageVisibility, the <Errors> of a
 * partial BatchDeleteMessage, an <Error> answer, and the attribute and
 * send answers. Every reader is bounded by its fixed fields; a failed
 * 2xx read is MG_RETRY; a receive returns at most what was asked for,
 * with bodies within MNS_MAX_BODY and mns_message_md5_ok agreeing with an
 * MD5 computed here; an error answer always names a code; a batch-delete
 * document either touches nothing or marks at least one handle failed.
 */
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "common/error.h"
#include "fuzz.h"
#include "mns/mns.h"
#include "mns/xmlio.h"

#include "common/banned.h"

#define MAX_MESSAGES 16

/* Handles that the seeds' <Errors> documents name, so that entries can
 * match a handle that was sent as well as miss. */
static const char *const receipts[] = {
    "1-ODU4OTkzNDU5My0xNDM1MTk3NjAwLTItNg==",
    "1-ODU4OTkzNDU5NC0xNDM1MTk3NjAwLTItNg==",
    "",
};

#define NRECEIPTS (sizeof(receipts) / sizeof(receipts[0]))

static void check_message(const struct mns_message *m)
{
    char hex[40];

    FUZZ_CHECK(fuzz_terminated(m->id, sizeof(m->id)));
    FUZZ_CHECK(fuzz_terminated(m->receipt, sizeof(m->receipt)));
    FUZZ_CHECK(fuzz_terminated(m->body_md5, sizeof(m->body_md5)));
    FUZZ_CHECK(m->body.data != NULL && m->body.len <= MNS_MAX_BODY);
    FUZZ_CHECK(!m->oversize || m->body.len == 0);

    mg_md5_hex(m->body.data, m->body.len, hex, 1);
    FUZZ_CHECK(mns_message_md5_ok(m) ==
               (m->body_md5[0] != '\0' && strcasecmp(hex, m->body_md5) == 0));
}

/* The receive reader, asked for max messages: MAX_MESSAGES, and a count
 * the input's last byte picks, as the consumer's batch size varies. */
static void check_receive(const uint8_t *data, size_t size, int max)
{
    struct mns_message msgs[MAX_MESSAGES];
    struct mg_error err;
    int n;
    int i;

    for (i = 0; i < MAX_MESSAGES; i++) {
        mns_message_init(&msgs[i]);
    }
    mg_error_clear(&err);
    n = mns_parse_messages((const char *)data, size, msgs, max, &err);
    FUZZ_CHECK(n >= -1 && n <= max);
    if (n < 0) {
        FUZZ_CHECK(err.cls == MG_RETRY && err.code[0] != '\0');
    }
    for (i = 0; i < n; i++) {
        check_message(&msgs[i]);
    }
    for (i = 0; i < MAX_MESSAGES; i++) {
        mns_message_release(&msgs[i]);
    }
}

static void check_error(const uint8_t *data, size_t size, long status)
{
    struct mg_error err;

    mg_error_clear(&err);
    FUZZ_CHECK(mns_parse_error((const char *)data, size, status, "header-id",
                               &err) == -1);
    FUZZ_CHECK(err.cls != MG_OK && err.code[0] != '\0');
    FUZZ_CHECK(fuzz_terminated(err.message, sizeof(err.message)));
    FUZZ_CHECK(err.request_id[0] != '\0');
}

static void check_delete_errors(const uint8_t *data, size_t size)
{
    int failed[NRECEIPTS] = { 0 };
    struct mg_error err;
    size_t marked = 0;
    size_t i;
    int rc;

    mg_error_clear(&err);
    rc = mns_parse_delete_errors((const char *)data, size, 404, receipts,
                                 NRECEIPTS, failed, &err);
    for (i = 0; i < NRECEIPTS; i++) {
        FUZZ_CHECK(failed[i] == 0 || failed[i] == 1);
        marked += (size_t)failed[i];
    }
    FUZZ_CHECK(rc == 0 || rc == 1);
    if (rc == 0) {
        FUZZ_CHECK(marked == 0 && err.cls == MG_OK && err.code[0] == '\0');
    } else {
        FUZZ_CHECK(marked > 0 && err.code[0] != '\0');
    }
}

static void check_visibility(const uint8_t *data, size_t size)
{
    char receipt[512];
    int64_t next = -1;
    struct mg_error err;

    mg_error_clear(&err);
    if (mns_parse_change_visibility((const char *)data, size, receipt,
                                    sizeof(receipt), &next, &err) == 0) {
        FUZZ_CHECK(receipt[0] != '\0');
        FUZZ_CHECK(fuzz_terminated(receipt, sizeof(receipt)));
        FUZZ_CHECK(err.cls == MG_OK);
    } else {
        FUZZ_CHECK(err.cls != MG_OK);
    }
}

static void check_small_readers(const uint8_t *data, size_t size)
{
    char id[16];
    struct mns_queue_attrs q;
    struct mns_topic_attrs t;
    struct mns_subscription_attrs s;
    struct mg_error err;

    mg_error_clear(&err);
    if (mns_parse_message_id((const char *)data, size, id, sizeof(id), &err) ==
        0) {
        FUZZ_CHECK(id[0] != '\0' && fuzz_terminated(id, sizeof(id)));
    }
    mg_error_clear(&err);
    (void)mns_parse_queue_attrs((const char *)data, size, &q, &err);
    mg_error_clear(&err);
    (void)mns_parse_topic_attrs((const char *)data, size, &t, &err);
    mg_error_clear(&err);
    if (mns_parse_subscription_attrs((const char *)data, size, &s, &err) == 0) {
        FUZZ_CHECK(fuzz_terminated(s.endpoint, sizeof(s.endpoint)));
        FUZZ_CHECK(fuzz_terminated(s.format, sizeof(s.format)));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int max = size > 0 ? 1 + data[size - 1] % MAX_MESSAGES : 1;

    check_receive(data, size, MAX_MESSAGES);
    check_receive(data, size, max);
    check_visibility(data, size);
    check_delete_errors(data, size);
    check_error(data, size, 404);
    check_error(data, size, 503);
    check_small_readers(data, size);
    return 0;
}
