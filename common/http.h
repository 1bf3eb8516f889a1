#ifndef MG_HTTP_H
#define MG_HTTP_H

#include <stddef.h>

#include "common/buf.h"

struct mg_error;

/*
 * HTTP transport over libcurl, shared by every service client.
 *
 * Each thread keeps one curl handle, so connections (and TLS sessions,
 * shared between threads) are reused without locking on the hot path; the
 * number of connections is bounded by the number of threads that make
 * calls. Environment proxies are ignored: endpoints come from settings.
 */
struct mg_http_options {
    int tls_verify;          /* 1 unless the operator said otherwise */
    const char *ca_file;     /* NULL: the system store */
    long connect_timeout_ms; /* 0: 5000 */
};

/* Call once before threads start. Returns 0 or -1. */
int mg_http_global_init(const struct mg_http_options *opt);
void mg_http_global_cleanup(void);

struct mg_http_request {
    const char *method;         /* "GET", "POST", "PUT", "DELETE" */
    const char *url;            /* complete, already encoded */
    const char *const *headers; /* "Name: value" strings, NULL-terminated */
    const void *body;
    size_t body_len;
    long timeout_ms;           /* whole exchange; 0: 30000 */
    volatile const int *abort; /* stop early when it becomes non-zero */
};

struct mg_http_response {
    long status;
    struct mg_buf body; /* the caller sets its limit before the call */
    char request_id[64];
    long retry_after_ms;
};

void mg_http_response_init(struct mg_http_response *rs, size_t max_body);
void mg_http_response_release(struct mg_http_response *rs);

/*
 * Perform one exchange. Returns 0 when an HTTP answer arrived (whatever
 * its status), or -1 with err classed MG_RETRY for transport failures
 * (code "Transport.*") and MG_FINAL for a reply larger than the body limit
 * or a request that is malformed (a header containing CR or LF).
 */
int mg_http_perform(const struct mg_http_request *rq,
                    struct mg_http_response *rs, struct mg_error *err);

#endif
