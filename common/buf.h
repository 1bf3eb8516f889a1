#ifndef MG_BUF_H
#define MG_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A growable byte buffer with a hard ceiling.
 *
 * Every buffer that holds data from the network gets a maximum size when it
 * is initialised; an append that would pass it fails and leaves the buffer
 * as it was. The contents are always followed by a NUL byte (not counted in
 * len), so text can be read as a C string, but the buffer may also hold
 * binary data with embedded NULs.
 *
 * The buffer owns its memory: mg_buf_release() frees it, mg_buf_detach()
 * hands it to the caller, who frees it with free().
 */
struct mg_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};

#define MG_BUF_INIT(maxlen)  \
    {                        \
        NULL, 0, 0, (maxlen) \
    }

void mg_buf_init(struct mg_buf *b, size_t max);

/* Each returns 0, or -1 when the result would pass max or memory ran out. */
int mg_buf_add(struct mg_buf *b, const void *p, size_t n);
int mg_buf_adds(struct mg_buf *b, const char *s);
int mg_buf_addc(struct mg_buf *b, char c);
int mg_buf_addf(struct mg_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int mg_buf_vaddf(struct mg_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* The text so far; "" for an empty buffer, never NULL. */
const char *mg_buf_str(const struct mg_buf *b);

/* Forget the contents but keep the memory for reuse. */
void mg_buf_reset(struct mg_buf *b);

/* Drop the last n bytes (all of them when n > len). */
void mg_buf_trim(struct mg_buf *b, size_t n);

/* Free the memory; the buffer is empty and usable again afterwards. */
void mg_buf_release(struct mg_buf *b);

/*
 * Hand the memory to the caller (never NULL: an empty buffer yields an
 * allocated ""), or NULL when memory ran out. The buffer is left empty.
 */
char *mg_buf_detach(struct mg_buf *b, size_t *len);

/*
 * Room for element n of a growing array v of *cap elements of size bytes
 * each: v itself when n < *cap, else v moved to a doubled capacity (at
 * least 8), *cap updated. NULL when memory ran out; v is then untouched
 * and still the caller's to free.
 */
void *mg_grow(void *v, size_t n, size_t *cap, size_t size);

#endif
