#ifndef CFG_JSONW_H
#define CFG_JSONW_H

#include <stddef.h>
#include <stdint.h>

struct mg_buf;

/*
 * A small JSON writer for the texts this module sends (Evaluations, the
 * non-compliance notice). Integers are written from int64_t, never through
 * a double, so account ids above 2^53 stay exact; strings must be valid
 * UTF-8 and are escaped by mg_json_quote.
 *
 * Errors are sticky: after the first failure every call does nothing, and
 * cfg_jw_end() puts the buffer back to the length it had at cfg_jw_begin()
 * and returns -1. Keys are the caller's literals; NULL means "no key" (an
 * array element or the outermost value).
 */
struct cfg_jw {
    struct mg_buf *out;
    size_t start; /* length of out before this text */
    int comma;    /* the next member or element needs a separator */
    int failed;
};

void cfg_jw_begin(struct cfg_jw *w, struct mg_buf *out);
void cfg_jw_open(struct cfg_jw *w, const char *key, char bracket);
void cfg_jw_close(struct cfg_jw *w, char bracket);
void cfg_jw_str(struct cfg_jw *w, const char *key, const char *s);
void cfg_jw_i64(struct cfg_jw *w, const char *key, int64_t v);

/* json must already be one complete JSON value. */
void cfg_jw_raw(struct cfg_jw *w, const char *key, const char *json);

/* Mark the text as failed (a value the caller found invalid). */
void cfg_jw_fail(struct cfg_jw *w);

int cfg_jw_end(struct cfg_jw *w);

/* 1 when s is well-formed UTF-8 (no overlong forms, surrogates or values
 * above U+10FFFF), else 0. */
int cfg_utf8_valid(const char *s);

#endif
