#include "config/jsonw.h"

#include <inttypes.h>

#include "common/buf.h"
#include "common/json.h"

#include "common/banned.h"

void cfg_jw_begin(struct cfg_jw *w, struct mg_buf *out)
{
    w->out = out;
    w->start = out->len;
    w->comma = 0;
    w->failed = 0;
}

/* The separator before a value, and its key when inside an object. */
static void lead(struct cfg_jw *w, const char *key)
{
    if (w->comma && mg_buf_addc(w->out, ',') != 0) {
        w->failed = 1;
    }
    if (!w->failed && key != NULL &&
        (mg_json_quote(w->out, key) != 0 || mg_buf_addc(w->out, ':') != 0)) {
        w->failed = 1;
    }
    w->comma = 1;
}

void cfg_jw_open(struct cfg_jw *w, const char *key, char bracket)
{
    if (w->failed) {
        return;
    }
    lead(w, key);
    if (!w->failed && mg_buf_addc(w->out, bracket) != 0) {
        w->failed = 1;
    }
    w->comma = 0;
}

void cfg_jw_close(struct cfg_jw *w, char bracket)
{
    if (!w->failed && mg_buf_addc(w->out, bracket) != 0) {
        w->failed = 1;
    }
    w->comma = 1;
}

void cfg_jw_str(struct cfg_jw *w, const char *key, const char *s)
{
    if (w->failed) {
        return;
    }
    /* A strict reader refuses the whole text for one bad byte. */
    if (s == NULL || !cfg_utf8_valid(s)) {
        w->failed = 1;
        return;
    }
    lead(w, key);
    if (!w->failed && mg_json_quote(w->out, s) != 0) {
        w->failed = 1;
    }
}

void cfg_jw_i64(struct cfg_jw *w, const char *key, int64_t v)
{
    if (w->failed) {
        return;
    }
    lead(w, key);
    if (!w->failed && mg_buf_addf(w->out, "%" PRId64, v) != 0) {
        w->failed = 1;
    }
}

void cfg_jw_raw(struct cfg_jw *w, const char *key, const char *json)
{
    if (w->failed) {
        return;
    }
    lead(w, key);
    if (!w->failed && mg_buf_adds(w->out, json) != 0) {
        w->failed = 1;
    }
}

void cfg_jw_fail(struct cfg_jw *w)
{
    w->failed = 1;
}

int cfg_jw_end(struct cfg_jw *w)
{
    if (!w->failed) {
        return 0;
    }
    mg_buf_trim(w->out, w->out->len - w->start);
    return -1;
}

/* Length of the sequence that starts with byte c, 0 if c cannot start one. */
static int seq_len(unsigned char c)
{
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        return 2;
    }
    if (c >= 0xe0 && c <= 0xef) {
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        return 4;
    }
    return 0;
}

/* The second byte's range depends on the first: it is what excludes
 * overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
static int second_ok(unsigned char c, unsigned char d)
{
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;

    if (c == 0xe0) {
        lo = 0xa0;
    } else if (c == 0xed) {
        hi = 0x9f;
    } else if (c == 0xf0) {
        lo = 0x90;
    } else if (c == 0xf4) {
        hi = 0x8f;
    }
    return d >= lo && d <= hi;
}

int cfg_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        int n = seq_len(*p);
        int i;

        if (n == 0 || (n > 1 && !second_ok(p[0], p[1]))) {
            return 0;
        }
        for (i = 2; i < n; i++) {
            if (p[i] < 0x80 || p[i] > 0xbf) {
                return 0;
            }
        }
        p += n;
    }
    return 1;
}
