#ifndef WRK_OPS_H
#define WRK_OPS_H

struct wrk_http_reply;
struct wrk_http_request;

/*
 * The worker's operational endpoints, served by worker/httpd.c:
 *   /metrics  Prometheus text format
 *   /healthz  200 while the process runs
 *   /readyz   200 once credentials resolve and the queue has answered
 *             a receive; 503 otherwise and during shutdown
 * ctx is the struct wrk_app.
 */
void wrk_ops_handle(void *ctx, const struct wrk_http_request *rq,
                    struct wrk_http_reply *rp);

#endif
