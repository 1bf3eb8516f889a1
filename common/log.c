#include "common/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/buf.h"
#include "common/error.h"

#include "common/banned.h"

#define CTX_MAX        8
#define CTX_VALUE_MAX  129
#define SECRETS_MAX    16
#define LINE_MAX_BYTES 16384

static enum mg_log_level min_level = MG_LOG_INFO;
static enum mg_log_format format = MG_LOG_LOGFMT;
static FILE *sink;
static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t secrets_lock = PTHREAD_MUTEX_INITIALIZER;
static char *secrets[SECRETS_MAX];
static size_t nsecrets;
static size_t next_secret; /* ring: rotated credentials replace the oldest */

struct ctx_field {
    char key[32];
    char value[CTX_VALUE_MAX];
};

static _Thread_local struct ctx_field ctx[CTX_MAX];
static _Thread_local size_t nctx;

static const char *level_names[] = { "debug", "info", "warn", "error", "off" };

void mg_log_setup(enum mg_log_level min, enum mg_log_format fmt, FILE *out)
{
    min_level = min;
    format = fmt;
    sink = out;
}

int mg_log_parse_level(const char *s, enum mg_log_level *out)
{
    size_t i;

    for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (enum mg_log_level)i;
            return 0;
        }
    }
    return -1;
}

int mg_log_parse_format(const char *s, enum mg_log_format *out)
{
    if (strcasecmp(s, "logfmt") == 0) {
        *out = MG_LOG_LOGFMT;
    } else if (strcasecmp(s, "json") == 0) {
        *out = MG_LOG_JSON;
    } else {
        return -1;
    }
    return 0;
}

int mg_log_enabled(enum mg_log_level lvl)
{
    return lvl >= min_level && lvl < MG_LOG_OFF;
}

/* Length of a valid UTF-8 sequence at p, or 0 when it is not valid. */
static size_t utf8_len(const unsigned char *p, size_t left)
{
    size_t n;
    size_t i;
    unsigned int cp;

    if (p[0] < 0x80) {
        return 1;
    } else if ((p[0] & 0xE0) == 0xC0) {
        n = 2;
        cp = p[0] & 0x1F;
    } else if ((p[0] & 0xF0) == 0xE0) {
        n = 3;
        cp = p[0] & 0x0F;
    } else if ((p[0] & 0xF8) == 0xF0) {
        n = 4;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if (n > left) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

static int needs_quotes(const char *s)
{
    if (*s == '\0') {
        return 1;
    }
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7F) {
            return 1;
        }
    }
    return 0;
}

/*
 * Quote and escape a value so that it stays on one line and is valid
 * JSON as well as valid logfmt. Invalid UTF-8 becomes U+FFFD.
 */
static void add_quoted(struct mg_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);

    mg_buf_addc(b, '"');
    while (left > 0) {
        size_t n = utf8_len(p, left);

        if (n == 0) {
            mg_buf_adds(b, "\\ufffd");
            n = 1;
        } else if (*p == '"' || *p == '\\') {
            mg_buf_addc(b, '\\');
            mg_buf_addc(b, (char)*p);
        } else if (*p == '\n') {
            mg_buf_adds(b, "\\n");
        } else if (*p == '\r') {
            mg_buf_adds(b, "\\r");
        } else if (*p == '\t') {
            mg_buf_adds(b, "\\t");
        } else if (*p < 0x20 || *p == 0x7F) {
            mg_buf_addf(b, "\\u%04x", *p);
        } else {
            mg_buf_add(b, p, n);
        }
        p += n;
        left -= n;
    }
    mg_buf_addc(b, '"');
}

static void add_key(struct mg_buf *b, const char *key)
{
    if (format == MG_LOG_JSON) {
        mg_buf_addc(b, ',');
        add_quoted(b, key);
        mg_buf_addc(b, ':');
    } else {
        mg_buf_addc(b, ' ');
        mg_buf_adds(b, key);
        mg_buf_addc(b, '=');
    }
}

static void add_str(struct mg_buf *b, const char *key, const char *value)
{
    if (value == NULL) {
        return;
    }
    add_key(b, key);
    if (format == MG_LOG_LOGFMT && !needs_quotes(value)) {
        mg_buf_adds(b, value);
    } else {
        add_quoted(b, value);
    }
}

static void add_int(struct mg_buf *b, const char *key, long long value)
{
    add_key(b, key);
    mg_buf_addf(b, "%lld", value);
}

static void add_error(struct mg_buf *b, const struct mg_error *e)
{
    if (e == NULL) {
        return;
    }
    if (e->api[0]) {
        add_str(b, "api", e->api);
    }
    add_str(b, "class", mg_class_name(e->cls));
    if (e->code[0]) {
        add_str(b, "code", e->code);
    }
    if (e->http_status) {
        add_int(b, "status", e->http_status);
    }
    if (e->request_id[0]) {
        add_str(b, "request_id", e->request_id);
    }
    if (e->message[0]) {
        add_str(b, "error", e->message);
    }
}

static void add_prefix(struct mg_buf *b, enum mg_log_level lvl,
                       const char *event)
{
    struct timespec ts;
    struct tm tm;
    char when[96];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);

    if (format == MG_LOG_JSON) {
        mg_buf_adds(b, "{\"ts\":");
        add_quoted(b, when);
        add_str(b, "level", level_names[lvl]);
        add_str(b, "event", event);
    } else {
        mg_buf_addf(b, "ts=%s", when);
        add_str(b, "level", level_names[lvl]);
        add_str(b, "event", event);
    }
}

/* Replace every registered secret in the line with "***". */
static void mask_secrets(struct mg_buf *b)
{
    size_t i;

    pthread_mutex_lock(&secrets_lock);
    for (i = 0; i < nsecrets; i++) {
        size_t n = strlen(secrets[i]);
        char *hit;

        while ((hit = strstr(b->data, secrets[i])) != NULL) {
            memset(hit, '*', 3);
            memmove(hit + 3, hit + n, b->len - (size_t)(hit - b->data) - n);
            b->len -= n - 3;
            b->data[b->len] = '\0';
        }
    }
    pthread_mutex_unlock(&secrets_lock);
}

static void emit(struct mg_buf *b)
{
    FILE *out = sink ? sink : stderr;

    pthread_mutex_lock(&sink_lock);
    fwrite(b->data, 1, b->len, out);
    fflush(out);
    pthread_mutex_unlock(&sink_lock);
}

static void add_fields(struct mg_buf *b, va_list ap)
{
    for (;;) {
        enum mg_log_type t = (enum mg_log_type)va_arg(ap, int);
        const char *key;

        if (t == MG_LOG_T_END) {
            break;
        }
        key = va_arg(ap, const char *);
        if (t == MG_LOG_T_STR) {
            add_str(b, key, va_arg(ap, const char *));
        } else if (t == MG_LOG_T_INT) {
            add_int(b, key, va_arg(ap, long long));
        } else {
            add_error(b, va_arg(ap, const struct mg_error *));
        }
    }
}

/* Does the call give this key itself? Then it wins over the context. */
static int given(const char *key, va_list ap)
{
    va_list scan;
    int found = 0;

    va_copy(scan, ap);
    for (;;) {
        enum mg_log_type t = (enum mg_log_type)va_arg(scan, int);
        const char *k;

        if (t == MG_LOG_T_END) {
            break;
        }
        k = va_arg(scan, const char *);
        if (t == MG_LOG_T_STR) {
            (void)va_arg(scan, const char *);
        } else if (t == MG_LOG_T_INT) {
            (void)va_arg(scan, long long);
        } else {
            (void)va_arg(scan, const struct mg_error *);
            k = "";
        }
        if (strcmp(k, key) == 0) {
            found = 1;
        }
    }
    va_end(scan);
    return found;
}

void mg_log_at(enum mg_log_level lvl, const char *event, ...)
{
    struct mg_buf b = MG_BUF_INIT(LINE_MAX_BYTES);
    va_list ap;
    size_t i;

    if (!mg_log_enabled(lvl)) {
        return;
    }

    add_prefix(&b, lvl, event);
    va_start(ap, event);
    for (i = 0; i < nctx; i++) {
        if (!given(ctx[i].key, ap)) {
            add_str(&b, ctx[i].key, ctx[i].value);
        }
    }
    va_end(ap);
    va_start(ap, event);
    add_fields(&b, ap);
    va_end(ap);

    if (format == MG_LOG_JSON) {
        mg_buf_addc(&b, '}');
    }
    if (b.data == NULL || mg_buf_addc(&b, '\n') != 0) {
        /* The line passed its limit; say so rather than print half. */
        mg_buf_release(&b);
        mg_buf_init(&b, LINE_MAX_BYTES);
        add_prefix(&b, lvl, "log.line_too_long");
        mg_buf_adds(&b, format == MG_LOG_JSON ? "}\n" : "\n");
    }
    mask_secrets(&b);
    emit(&b);
    mg_buf_release(&b);
}

void mg_log_ctx_set(const char *key, const char *value)
{
    size_t i;

    for (i = 0; i < nctx; i++) {
        if (strcmp(ctx[i].key, key) == 0) {
            break;
        }
    }
    if (value == NULL) {
        if (i < nctx) {
            memmove(&ctx[i], &ctx[i + 1], (nctx - i - 1) * sizeof(ctx[0]));
            nctx--;
        }
        return;
    }
    if (i == nctx) {
        if (nctx == CTX_MAX) {
            return;
        }
        nctx++;
    }
    snprintf(ctx[i].key, sizeof(ctx[i].key), "%s", key);
    snprintf(ctx[i].value, sizeof(ctx[i].value), "%s", value);
}

void mg_log_ctx_clear(void)
{
    nctx = 0;
}

void mg_log_secret_add(const char *secret)
{
    char *copy;
    size_t i;

    if (secret == NULL || strlen(secret) < 4) {
        return;
    }
    pthread_mutex_lock(&secrets_lock);
    for (i = 0; i < nsecrets; i++) {
        if (strcmp(secrets[i], secret) == 0) {
            pthread_mutex_unlock(&secrets_lock);
            return;
        }
    }
    copy = strdup(secret);
    if (copy != NULL) {
        if (nsecrets < SECRETS_MAX) {
            secrets[nsecrets++] = copy;
        } else {
            free(secrets[next_secret]);
            secrets[next_secret] = copy;
            next_secret = (next_secret + 1) % SECRETS_MAX;
        }
    }
    pthread_mutex_unlock(&secrets_lock);
}

const char *mg_log_token(const char *token, char *out, size_t outlen)
{
    size_t n = token ? strlen(token) : 0;

    if (n == 0) {
        snprintf(out, outlen, "(none)");
    } else if (n <= 8) {
        snprintf(out, outlen, "***(%zu)", n);
    } else {
        snprintf(out, outlen, "%.6s...(%zu)", token, n);
    }
    return out;
}
