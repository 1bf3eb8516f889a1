/*
 * mg_b64_decode is strict: what it accepts is a padded multiple of four
 * in the standard alphabet whose unused bits are zero, so encoding the
 * decoded bytes again must give exactly the input. In the other
 * direction, any bytes encode to the expected length in the alphabet and
 * decode to themselves. The buffers are bounded to the exact size the
 * result needs, as the callers' are.
 */
#include <string.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "fuzz.h"

#include "common/banned.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

static void check_decoded(const uint8_t *data, size_t size,
                          const struct mg_buf *plain)
{
    struct mg_buf again = MG_BUF_INIT(size);

    FUZZ_CHECK(size > 0 && size % 4 == 0);
    FUZZ_CHECK(plain->len <= size / 4 * 3 && plain->len + 2 >= size / 4 * 3);
    FUZZ_CHECK(mg_b64_encode(&again, plain->data, plain->len) == 0);
    FUZZ_CHECK(fuzz_same(again.data, again.len, data, size));
    mg_buf_release(&again);
}

/* Encode the input as bytes, then decode the text back. */
static void check_round_trip(const uint8_t *data, size_t size)
{
    size_t want = (size + 2) / 3 * 4;
    struct mg_buf text = MG_BUF_INIT(want);
    struct mg_buf back = MG_BUF_INIT(size);

    FUZZ_CHECK(mg_b64_encode(&text, data, size) == 0);
    FUZZ_CHECK(text.len == want && text.data != NULL);
    FUZZ_CHECK(strspn(text.data, alphabet) == text.len);
    if (size > 0) {
        FUZZ_CHECK(mg_b64_decode(&back, text.data, text.len) == 0);
        FUZZ_CHECK(fuzz_same(back.data, back.len, data, size));
    }
    mg_buf_release(&back);
    mg_buf_release(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mg_buf plain = MG_BUF_INIT(size / 4 * 3);

    if (mg_b64_decode(&plain, (const char *)data, size) == 0) {
        check_decoded(data, size, &plain);
    } else {
        FUZZ_CHECK(plain.len <= size / 4 * 3);
    }
    mg_buf_release(&plain);

    check_round_trip(data, size);
    return 0;
}
