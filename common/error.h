#ifndef MG_ERROR_H
#define MG_ERROR_H

#include <stddef.h>

/*
 * One error record for everything that talks to a service.
 *
 * Foreign errors (a libcurl code, an HTTP status, an MNS or RPC error code,
 * a parse failure) are translated once, where they are met, into a class
 * that tells the caller what to do next. The class table lives in error.c
 * and is the only place that knows which service codes are worth a retry.
 */
enum mg_class {
    MG_OK = 0,
    MG_RETRY,     /* transient: transport, 5xx, throttling; try again */
    MG_NOT_FOUND, /* the named entity does not exist */
    MG_FINAL,     /* permanent for this input: permission, bad request */
    MG_INVALID,   /* our own input could not be decoded or was refused */
};

struct mg_error {
    enum mg_class cls;
    long http_status;    /* 0 when no HTTP answer arrived */
    int throttled;       /* the service said to slow down */
    long retry_after_ms; /* hint from the service, 0 when none */
    char api[48];        /* "ram.GetUserMFAInfo", "mns.DeleteMessage" */
    char code[64];       /* service code, or a local one like "Transport" */
    char message[256];
    char request_id[64];
};

void mg_error_clear(struct mg_error *e);

/*
 * Record an error; the first one wins, as later ones are usually
 * consequences of it. Returns -1 so callers can write
 * "return mg_error_set(...)".
 */
int mg_error_set(struct mg_error *e, enum mg_class cls, const char *code,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Same, but replaces whatever was recorded before. */
int mg_error_reset(struct mg_error *e, enum mg_class cls, const char *code,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

void mg_error_set_api(struct mg_error *e, const char *family,
                      const char *action);

/*
 * Fill cls and throttled from an HTTP status and a service error code
 * (either may be 0 / NULL). Used by every client after an error answer.
 */
void mg_error_classify(struct mg_error *e, long http_status, const char *code);

const char *mg_class_name(enum mg_class cls);

/*
 * The first failure among the results of calls made side by side (one
 * error record per call): copied to out, returning -1; 0 when all
 * succeeded.
 */
int mg_error_first(const struct mg_error *errs, size_t n, struct mg_error *out);

#endif
