#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/banned.h"

void mg_error_clear(struct mg_error *e)
{
    memset(e, 0, sizeof(*e));
}

static int fill(struct mg_error *e, enum mg_class cls, const char *code,
                const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static int fill(struct mg_error *e, enum mg_class cls, const char *code,
                const char *fmt, va_list ap)
{
    e->cls = cls;
    snprintf(e->code, sizeof(e->code), "%s", code ? code : "");
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    return -1;
}

int mg_error_set(struct mg_error *e, enum mg_class cls, const char *code,
                 const char *fmt, ...)
{
    va_list ap;

    if (e == NULL || e->cls != MG_OK) {
        return -1;
    }
    va_start(ap, fmt);
    fill(e, cls, code, fmt, ap);
    va_end(ap);
    return -1;
}

int mg_error_reset(struct mg_error *e, enum mg_class cls, const char *code,
                   const char *fmt, ...)
{
    va_list ap;

    if (e == NULL) {
        return -1;
    }
    va_start(ap, fmt);
    fill(e, cls, code, fmt, ap);
    va_end(ap);
    return -1;
}

void mg_error_set_api(struct mg_error *e, const char *family,
                      const char *action)
{
    snprintf(e->api, sizeof(e->api), "%s.%s", family, action);
}

/*
 * Service codes by what a caller should do about them. Codes not listed
 * fall back on the HTTP status: 5xx and 429 are transient, other 4xx are
 * final. Codes are matched as prefixes when they end in '*'.
 */
static const struct {
    const char *code;
    enum mg_class cls;
    int throttled;
} code_table[] = {
    { "Throttling*", MG_RETRY, 1 },
    { "Rejected.Throttling", MG_RETRY, 1 },
    { "QpsLimitExceeded", MG_RETRY, 1 },
    { "TooManyRequests", MG_RETRY, 1 },
    { "ServiceUnavailable", MG_RETRY, 0 },
    { "InternalError", MG_RETRY, 0 },
    { "InternalServerError", MG_RETRY, 0 },
    { "UnknownError", MG_RETRY, 0 },
    { "Transport*", MG_RETRY, 0 },
    { "EntityNotExist*", MG_NOT_FOUND, 0 },
    { "MessageNotExist", MG_NOT_FOUND, 0 },
    { "QueueNotExist", MG_FINAL, 0 },
    { "TopicNotExist", MG_FINAL, 0 },
    { "ReceiptHandleError", MG_NOT_FOUND, 0 },
    { "InvalidSecurityToken.Expired", MG_RETRY, 0 },
    { "NoPermission", MG_FINAL, 0 },
    { "Forbidden*", MG_FINAL, 0 },
    { "AccessDenied", MG_FINAL, 0 },
    { "SignatureDoesNotMatch", MG_FINAL, 0 },
    { "InvalidAccessKeyId*", MG_FINAL, 0 },
};

static int code_matches(const char *pattern, const char *code)
{
    size_t n = strlen(pattern);

    if (n > 0 && pattern[n - 1] == '*') {
        return strncmp(pattern, code, n - 1) == 0;
    }
    return strcmp(pattern, code) == 0;
}

void mg_error_classify(struct mg_error *e, long http_status, const char *code)
{
    size_t i;

    e->http_status = http_status;
    e->throttled = 0;
    if (code && *code) {
        snprintf(e->code, sizeof(e->code), "%s", code);
        for (i = 0; i < sizeof(code_table) / sizeof(code_table[0]); i++) {
            if (code_matches(code_table[i].code, code)) {
                e->cls = code_table[i].cls;
                e->throttled = code_table[i].throttled;
                return;
            }
        }
    }

    if (http_status == 429) {
        e->cls = MG_RETRY;
        e->throttled = 1;
    } else if (http_status >= 500 || http_status == 0) {
        e->cls = MG_RETRY;
    } else if (http_status == 404 && (code == NULL || *code == '\0')) {
        e->cls = MG_NOT_FOUND;
    } else {
        e->cls = MG_FINAL;
    }
}

const char *mg_class_name(enum mg_class cls)
{
    switch (cls) {
    case MG_OK:
        return "ok";
    case MG_RETRY:
        return "retry";
    case MG_NOT_FOUND:
        return "not_found";
    case MG_FINAL:
        return "final";
    case MG_INVALID:
        return "invalid";
    }
    return "unknown";
}

int mg_error_first(const struct mg_error *errs, size_t n, struct mg_error *out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (errs[i].cls != MG_OK) {
            *out = errs[i];
            return -1;
        }
    }
    return 0;
}
