#include "common/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/banned.h"

void mg_buf_init(struct mg_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

/* Make room for n more bytes plus the trailing NUL. */
static int grow(struct mg_buf *b, size_t n)
{
    size_t need;
    size_t cap;
    char *p;

    if (n > b->max || b->len > b->max - n) {
        return -1;
    }
    need = b->len + n + 1;
    if (need <= b->cap) {
        return 0;
    }

    cap = b->cap ? b->cap : 64;
    while (cap < need) {
        cap *= 2;
    }
    if (cap > b->max + 1) {
        cap = b->max + 1;
    }
    p = realloc(b->data, cap);
    if (p == NULL) {
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int mg_buf_add(struct mg_buf *b, const void *p, size_t n)
{
    if (grow(b, n) != 0) {
        return -1;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int mg_buf_adds(struct mg_buf *b, const char *s)
{
    return mg_buf_add(b, s, strlen(s));
}

int mg_buf_addc(struct mg_buf *b, char c)
{
    return mg_buf_add(b, &c, 1);
}

int mg_buf_vaddf(struct mg_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    int n;

    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    if (n < 0 || grow(b, (size_t)n) != 0) {
        return -1;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int mg_buf_addf(struct mg_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = mg_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

const char *mg_buf_str(const struct mg_buf *b)
{
    return b->data ? b->data : "";
}

void mg_buf_reset(struct mg_buf *b)
{
    b->len = 0;
    if (b->data) {
        b->data[0] = '\0';
    }
}

void mg_buf_trim(struct mg_buf *b, size_t n)
{
    b->len = n >= b->len ? 0 : b->len - n;
    if (b->data) {
        b->data[b->len] = '\0';
    }
}

void mg_buf_release(struct mg_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

char *mg_buf_detach(struct mg_buf *b, size_t *len)
{
    char *p = b->data;

    if (p == NULL) {
        p = calloc(1, 1);
    }
    if (len) {
        *len = p ? b->len : 0;
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

void *mg_grow(void *v, size_t n, size_t *cap, size_t size)
{
    size_t want = *cap ? *cap * 2 : 8;
    void *q;

    if (n < *cap) {
        return v;
    }
    if (size == 0 || want > SIZE_MAX / size) {
        return NULL;
    }
    q = realloc(v, want * size);
    if (q != NULL) {
        *cap = want;
    }
    return q;
}
