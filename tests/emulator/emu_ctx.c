#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/crypto.h"
#include "common/json.h"
#include "common/xml.h"
#include "emu.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

struct emu_global emu_g = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .region = "cn-hangzhou",
    .account_id = "1000000000000001",
};

/* A context's strings: one block list, freed all at once. */
struct emu_pool {
    struct emu_pool *next;
    size_t used;
    size_t cap;
    char data[];
};

char *emu_strndup(struct emu_ctx *c, const char *s, size_t n)
{
    struct emu_pool *p = c->pool;
    char *r;

    if (p == NULL || p->cap - p->used < n + 1) {
        size_t cap = n + 1 > 8192 ? n + 1 : 8192;

        p = malloc(sizeof(*p) + cap);
        if (p == NULL) {
            return NULL;
        }
        p->next = c->pool;
        p->used = 0;
        p->cap = cap;
        c->pool = p;
    }
    r = p->data + p->used;
    memcpy(r, s, n);
    r[n] = '\0';
    p->used += n + 1;
    return r;
}

char *emu_strdup(struct emu_ctx *c, const char *s)
{
    return emu_strndup(c, s, strlen(s));
}

void emu_ctx_init(struct emu_ctx *c)
{
    memset(c, 0, sizeof(*c));
    c->family = -1;
    c->method = "";
    c->target = "";
    c->path = "";
    c->query = "";
    c->body = "";
    mg_buf_init(&c->out, EMU_MAX_ANSWER);
}

void emu_ctx_release(struct emu_ctx *c)
{
    struct emu_pool *p = c->pool;

    while (p) {
        struct emu_pool *next = p->next;
        free(p);
        p = next;
    }
    c->pool = NULL;
    mg_buf_release(&c->out);
}

const char *emu_header(const struct emu_ctx *c, const char *name)
{
    size_t i;

    for (i = 0; i < c->nheaders; i++) {
        if (strcasecmp(c->headers[i].name, name) == 0) {
            return c->headers[i].value;
        }
    }
    return NULL;
}

const char *emu_param(const struct emu_ctx *c, const char *name)
{
    size_t i;

    for (i = 0; i < c->nparams; i++) {
        if (strcmp(c->params[i].name, name) == 0) {
            return c->params[i].value;
        }
    }
    return NULL;
}

const char *emu_param_ci(const struct emu_ctx *c, const char *name)
{
    const char *v = emu_param(c, name);
    size_t i;

    for (i = 0; v == NULL && i < c->nparams; i++) {
        if (strcasecmp(c->params[i].name, name) == 0) {
            v = c->params[i].value;
        }
    }
    return v;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    ch = (char)toupper((unsigned char)ch);
    return ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

int emu_decode(struct mg_buf *out, const char *s, size_t n, int plus_space)
{
    size_t i;
    int rc = mg_buf_add(out, "", 0);

    for (i = 0; i < n && rc == 0; i++) {
        char ch = s[i];

        if (ch == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;

            if (hi < 0 || lo < 0) {
                return -1;
            }
            ch = (char)(hi * 16 + lo);
            i += 2;
            if (ch == '\0') {
                return -1;
            }
        } else if (ch == '+' && plus_space) {
            ch = ' ';
        }
        rc = mg_buf_addc(out, ch);
    }
    return rc;
}

static int add_pair(struct emu_ctx *c, const char *s, size_t n, int plus_space,
                    char *why, size_t whylen)
{
    const char *eq = memchr(s, '=', n);
    size_t nlen = eq ? (size_t)(eq - s) : n;
    struct mg_buf name = MG_BUF_INIT(4096);
    struct mg_buf value = MG_BUF_INIT(EMU_MAX_BODY_RPC);
    int rc = -1;

    if (c->nparams == EMU_MAX_PARAMS) {
        snprintf(why, whylen, "more than %d parameters", EMU_MAX_PARAMS);
    } else if (emu_decode(&name, s, nlen, plus_space) != 0 ||
               emu_decode(&value, eq ? eq + 1 : s + n, eq ? n - nlen - 1 : 0,
                          plus_space) != 0) {
        snprintf(why, whylen, "a parameter is not correctly percent-encoded");
    } else {
        c->params[c->nparams].name = emu_strndup(c, name.data, name.len);
        c->params[c->nparams].value = emu_strndup(c, value.data, value.len);
        rc = c->params[c->nparams].name && c->params[c->nparams].value ? 0 : -1;
        c->nparams += rc == 0;
        if (rc != 0) {
            snprintf(why, whylen, "out of memory");
        }
    }
    mg_buf_release(&name);
    mg_buf_release(&value);
    return rc;
}

int emu_parse_pairs(struct emu_ctx *c, const char *s, size_t n, int plus_space,
                    char *why, size_t whylen)
{
    size_t start = 0;
    size_t i;

    for (i = 0; i <= n; i++) {
        if (i < n && s[i] != '&') {
            continue;
        }
        if (i > start &&
            add_pair(c, s + start, i - start, plus_space, why, whylen) != 0) {
            return -1;
        }
        start = i + 1;
    }
    return 0;
}

void emu_answer_header(struct emu_ctx *c, const char *name, const char *value)
{
    if (c->nanswer_headers <
        sizeof(c->answer_headers) / sizeof(c->answer_headers[0])) {
        c->answer_headers[c->nanswer_headers].name = emu_strdup(c, name);
        c->answer_headers[c->nanswer_headers].value = emu_strdup(c, value);
        c->nanswer_headers++;
    }
}

void emu_reply(struct emu_ctx *c, int status, const char *content_type)
{
    c->status = status;
    c->content_type = content_type;
}

void emu_new_request_id(struct emu_ctx *c)
{
    char u[40];
    size_t i;

    if (c->style == EMU_STYLE_MNS) {
        emu_random_hex(c->request_id, 24);
        return;
    }
    mg_uuid(u, sizeof(u));
    for (i = 0; u[i]; i++) {
        u[i] = (char)toupper((unsigned char)u[i]);
    }
    snprintf(c->request_id, sizeof(c->request_id), "%s", u);
}

static void fail_mns(struct emu_ctx *c, const char *code, const char *msg)
{
    mg_buf_adds(&c->out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<Error xmlns=\"http://mns.aliyuncs.com/doc/v1/\">"
                         "<Code>");
    mg_xml_escape(&c->out, code, strlen(code));
    mg_buf_adds(&c->out, "</Code><Message>");
    mg_xml_escape(&c->out, msg, strlen(msg));
    mg_buf_addf(&c->out,
                "</Message><RequestId>%s</RequestId><HostId>%s</HostId>"
                "</Error>",
                c->request_id, emu_g.base_url);
}

static const char *product_of(int family)
{
    static const char *names[EMU_NFAMILIES] = { "Ram", "Config", "Mns", "Sts" };

    return family >= 0 && family < EMU_NFAMILIES ? names[family] : "Emulator";
}

static void fail_rpc(struct emu_ctx *c, const char *code, const char *msg)
{
    mg_buf_addf(&c->out, "{\"RequestId\":\"%s\",\"HostId\":", c->request_id);
    mg_json_quote(&c->out, emu_g.base_url + 7);
    mg_buf_adds(&c->out, ",\"Code\":");
    mg_json_quote(&c->out, code);
    mg_buf_adds(&c->out, ",\"Message\":");
    mg_json_quote(&c->out, msg);
    mg_buf_addf(&c->out,
                ",\"Recommend\":\"%s/_emulator/troubleshoot?q=%s&product=%s"
                "&requestId=%s\"}",
                emu_g.base_url, code, product_of(c->family), c->request_id);
}

void emu_fail(struct emu_ctx *c, int status, const char *code, const char *fmt,
              ...)
{
    char msg[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    if (c->request_id[0] == '\0') {
        emu_new_request_id(c);
    }
    mg_buf_reset(&c->out);
    switch (c->style) {
    case EMU_STYLE_MNS:
        fail_mns(c, code, msg);
        emu_reply(c, status, "text/xml;charset=utf-8");
        break;
    case EMU_STYLE_RPC:
        fail_rpc(c, code, msg);
        emu_reply(c, status, "application/json;charset=utf-8");
        break;
    case EMU_STYLE_TEXT:
        mg_buf_addf(&c->out, "%s: %s\n", code, msg);
        emu_reply(c, status, "text/plain");
        break;
    default:
        mg_buf_adds(&c->out, "{\"error\":");
        mg_json_quote(&c->out, code);
        mg_buf_adds(&c->out, ",\"message\":");
        mg_json_quote(&c->out, msg);
        mg_buf_adds(&c->out, "}");
        emu_reply(c, status, "application/json");
    }
}

int emu_parse_int(const char *s, long long lo, long long hi, long long *out)
{
    char *end = NULL;
    long long v;

    if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
        return -1;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}

void emu_iso_time(int64_t ms, char *out, size_t outlen)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void emu_random_hex(char *out, size_t n)
{
    size_t i;
    uint64_t r = 0;

    for (i = 0; i < n; i++) {
        if (i % 16 == 0) {
            r = mg_rand_u64();
        }
        out[i] = "0123456789ABCDEF"[r & 15];
        r >>= 4;
    }
    out[n] = '\0';
}

const char *emu_family_name(int family)
{
    static const char *names[EMU_NFAMILIES] = { "ram", "config", "mns", "sts" };

    return family >= 0 && family < EMU_NFAMILIES ? names[family] : "other";
}

int emu_path_match(struct emu_ctx *c, const char *pattern, const char *path)
{
    int nargs = 0;

    while (*pattern && *path) {
        if (*pattern == '*') {
            size_t len = strcspn(path, "/");
            struct mg_buf b = MG_BUF_INIT(sizeof(c->arg[0]) - 1);
            int bad =
                len == 0 || nargs == 2 || emu_decode(&b, path, len, 0) != 0;

            if (!bad) {
                snprintf(c->arg[nargs++], sizeof(c->arg[0]), "%s", b.data);
            }
            mg_buf_release(&b);
            if (bad) {
                return 0;
            }
            path += len;
            pattern++;
        } else if (*pattern++ != *path++) {
            return 0;
        }
    }
    return *pattern == '\0' && *path == '\0';
}
