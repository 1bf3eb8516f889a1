#include "emu_json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

#define MAX_DEPTH 32

struct reader {
    const char *s;
    size_t len;
    size_t at;
    char *why;
    size_t whylen;
    int failed;
};

static cJSON *value(struct reader *r, int depth);

static cJSON *fail(struct reader *r, const char *what)
{
    if (!r->failed) {
        snprintf(r->why, r->whylen, "%s at byte %zu", what, r->at);
    }
    r->failed = 1;
    return NULL;
}

static void skip_ws(struct reader *r)
{
    while (r->at < r->len && (r->s[r->at] == ' ' || r->s[r->at] == '\t' ||
                              r->s[r->at] == '\n' || r->s[r->at] == '\r')) {
        r->at++;
    }
}

static int peek(struct reader *r)
{
    skip_ws(r);
    return r->at < r->len ? (unsigned char)r->s[r->at] : -1;
}

static int literal(struct reader *r, const char *word)
{
    size_t n = strlen(word);

    if (r->len - r->at < n || memcmp(r->s + r->at, word, n) != 0) {
        return -1;
    }
    r->at += n;
    return 0;
}

static int hex4(struct reader *r, unsigned *out)
{
    unsigned v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        int ch = r->at < r->len ? r->s[r->at++] : -1;

        if (ch < 0 || !isxdigit(ch)) {
            return -1;
        }
        v = v * 16 +
            (unsigned)(isdigit(ch) ? ch - '0' : (tolower(ch) - 'a' + 10));
    }
    *out = v;
    return 0;
}

static int put_utf8(struct mg_buf *b, unsigned cp)
{
    char u[4];

    if (cp < 0x80) {
        u[0] = (char)cp;
        return mg_buf_add(b, u, 1);
    }
    if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        return mg_buf_add(b, u, 2);
    }
    if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        return mg_buf_add(b, u, 3);
    }
    u[0] = (char)(0xF0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    return mg_buf_add(b, u, 4);
}

/* \uXXXX, joining a surrogate pair; a lone surrogate or \u0000 fails. */
static int unicode_escape(struct reader *r, struct mg_buf *b)
{
    unsigned cp;
    unsigned lo;

    if (hex4(r, &cp) != 0 || cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) {
        return -1;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (literal(r, "\\u") != 0 || hex4(r, &lo) != 0 || lo < 0xDC00 ||
            lo > 0xDFFF) {
            return -1;
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    return put_utf8(b, cp);
}

static int escape(struct reader *r, struct mg_buf *b)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    const char *hit;
    char ch = r->at < r->len ? r->s[r->at++] : '\0';

    if (ch == 'u') {
        return unicode_escape(r, b);
    }
    hit = ch ? strchr(from, ch) : NULL;
    return hit ? mg_buf_addc(b, to[hit - from]) : -1;
}

/* A string literal's decoded text into b (NUL-terminated). */
static int string_text(struct reader *r, struct mg_buf *b)
{
    if (peek(r) != '"') {
        return -1;
    }
    r->at++;
    mg_buf_add(b, "", 0);
    while (r->at < r->len) {
        unsigned char ch = (unsigned char)r->s[r->at++];

        if (ch == '"') {
            return 0;
        }
        if (ch < 0x20 ||
            (ch == '\\' ? escape(r, b) : mg_buf_addc(b, (char)ch))) {
            return -1;
        }
    }
    return -1;
}

static cJSON *string_value(struct reader *r)
{
    struct mg_buf b = MG_BUF_INIT(r->len + 1);
    cJSON *item = NULL;

    if (string_text(r, &b) == 0) {
        item = cJSON_CreateString(b.data);
    } else {
        fail(r, "invalid string");
    }
    mg_buf_release(&b);
    return item;
}

static size_t digits(struct reader *r)
{
    size_t n = 0;

    while (r->at < r->len && isdigit((unsigned char)r->s[r->at])) {
        r->at++;
        n++;
    }
    return n;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? kept as its text. */
static cJSON *number_value(struct reader *r)
{
    size_t start = r->at;
    struct mg_buf b = MG_BUF_INIT(r->len + 1);
    cJSON *item;

    if (r->s[r->at] == '-') {
        r->at++;
    }
    if (r->at < r->len && r->s[r->at] == '0') {
        r->at++;
    } else if (digits(r) == 0) {
        return fail(r, "invalid number");
    }
    if (r->at < r->len && r->s[r->at] == '.' && (r->at++, digits(r) == 0)) {
        return fail(r, "invalid number");
    }
    if (r->at < r->len && (r->s[r->at] == 'e' || r->s[r->at] == 'E')) {
        r->at++;
        if (r->at < r->len && (r->s[r->at] == '+' || r->s[r->at] == '-')) {
            r->at++;
        }
        if (digits(r) == 0) {
            return fail(r, "invalid number");
        }
    }
    mg_buf_add(&b, r->s + start, r->at - start);
    item = cJSON_CreateRaw(b.data);
    mg_buf_release(&b);
    return item;
}

static cJSON *array_value(struct reader *r, int depth)
{
    cJSON *arr = cJSON_CreateArray();

    r->at++;
    if (peek(r) == ']') {
        r->at++;
        return arr;
    }
    for (;;) {
        cJSON *v = value(r, depth + 1);

        if (v == NULL) {
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON_AddItemToArray(arr, v);
        if (peek(r) == ',') {
            r->at++;
        } else if (peek(r) == ']') {
            r->at++;
            return arr;
        } else {
            cJSON_Delete(arr);
            return fail(r, "expected ',' or ']'");
        }
    }
}

static int member(struct reader *r, cJSON *obj, int depth)
{
    struct mg_buf key = MG_BUF_INIT(r->len + 1);
    cJSON *v = NULL;
    int rc = -1;

    if (string_text(r, &key) != 0) {
        fail(r, "expected a member name");
    } else if (cJSON_GetObjectItemCaseSensitive(obj, key.data) != NULL) {
        fail(r, "duplicate member name");
    } else if (peek(r) != ':') {
        fail(r, "expected ':'");
    } else {
        r->at++;
        v = value(r, depth + 1);
        rc = v ? 0 : -1;
        if (v) {
            cJSON_AddItemToObject(obj, key.data, v);
        }
    }
    mg_buf_release(&key);
    return rc;
}

static cJSON *object_value(struct reader *r, int depth)
{
    cJSON *obj = cJSON_CreateObject();

    r->at++;
    if (peek(r) == '}') {
        r->at++;
        return obj;
    }
    for (;;) {
        if (member(r, obj, depth) != 0) {
            cJSON_Delete(obj);
            return NULL;
        }
        if (peek(r) == ',') {
            r->at++;
            peek(r);
        } else if (peek(r) == '}') {
            r->at++;
            return obj;
        } else {
            cJSON_Delete(obj);
            return fail(r, "expected ',' or '}'");
        }
    }
}

static cJSON *value(struct reader *r, int depth)
{
    int ch = peek(r);

    if (depth > MAX_DEPTH) {
        return fail(r, "nested too deeply");
    }
    if (ch == '{') {
        return object_value(r, depth);
    }
    if (ch == '[') {
        return array_value(r, depth);
    }
    if (ch == '"') {
        return string_value(r);
    }
    if (ch == '-' || (ch >= '0' && ch <= '9')) {
        return number_value(r);
    }
    if (literal(r, "true") == 0) {
        return cJSON_CreateTrue();
    }
    if (literal(r, "false") == 0) {
        return cJSON_CreateFalse();
    }
    if (literal(r, "null") == 0) {
        return cJSON_CreateNull();
    }
    return fail(r, ch < 0 ? "unexpected end of text" : "unexpected character");
}

cJSON *emu_json_strict(const char *text, size_t len, char *why, size_t whylen)
{
    struct reader r = { text, len, 0, why, whylen, 0 };
    cJSON *root;

    if (memchr(text, '\0', len) != NULL) {
        snprintf(why, whylen, "NUL byte in JSON text");
        return NULL;
    }
    root = value(&r, 0);
    if (root && peek(&r) != -1) {
        cJSON_Delete(root);
        return fail(&r, "unexpected text after the value");
    }
    return root;
}

int emu_json_is_integer(const cJSON *item)
{
    const char *p;

    if (!cJSON_IsRaw(item)) {
        return 0;
    }
    for (p = item->valuestring; *p; p++) {
        if (*p == '.' || *p == 'e' || *p == 'E') {
            return 0;
        }
    }
    return 1;
}
