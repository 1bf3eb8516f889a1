#ifndef WRK_HTTPD_H
#define WRK_HTTPD_H

#include <stddef.h>

#include "common/buf.h"

/*
 * A small HTTP/1.1 server for the worker's own endpoints (/metrics,
 * /healthz, /readyz) and the Function Compute custom runtime (`serve`).
 * It is deliberately plain: one thread per connection up to a cap,
 * keep-alive where asked, Content-Length bodies only, hard limits on the
 * request line, headers (16 KiB) and body (1 MiB), and timeouts on idle
 * connections.
 */
struct wrk_http_request {
    const char *method;
    const char *path; /* without the query string */
    const char *query;
    const char *body;
    size_t body_len;
    int nheaders;
    const char *names[64];
    const char *values[64];
};

struct wrk_http_reply {
    int status;
    char content_type[64];
    struct mg_buf body;
    char headers[512]; /* extra "Name: value\r\n" lines */
};

/*
 * Split a request head (request line and header lines, NUL-terminated,
 * without the blank line) in place into rq: method, path, query and up to
 * 64 headers, all pointing into head. Returns 0, or -1 for a head that is
 * not HTTP. Exposed for the fuzzer.
 */
int wrk_http_parse_head(char *head, struct wrk_http_request *rq);

/* Value of a request header (name compared without case), or NULL. */
const char *wrk_http_header(const struct wrk_http_request *rq,
                            const char *name);

typedef void (*wrk_http_handler)(void *ctx, const struct wrk_http_request *rq,
                                 struct wrk_http_reply *rp);

struct wrk_httpd;

/* addr: "127.0.0.1:9464", "[::1]:9464" or ":9000" (all addresses).
 * Returns 0 and the running server, or -1 after logging why. */
/* keepalive 0 closes each connection after its answer, so that probes
 * and scrapers cannot hold the few connection slots idle. */
int wrk_httpd_start(const char *addr, int keepalive, wrk_http_handler handler,
                    void *ctx, struct wrk_httpd **out);

/* The port actually bound (useful with port 0). */
int wrk_httpd_port(const struct wrk_httpd *h);

void wrk_httpd_stop(struct wrk_httpd *h);

#endif
