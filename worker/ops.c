#include "worker/ops.h"

#include <stdio.h>
#include <string.h>

#include "common/cred.h"
#include "common/error.h"
#include "common/metrics.h"
#include "worker/app.h"
#include "worker/httpd.h"

#include "common/banned.h"

static void text(struct wrk_http_reply *rp, int status, const char *body)
{
    rp->status = status;
    snprintf(rp->content_type, sizeof(rp->content_type), "text/plain");
    mg_buf_adds(&rp->body, body);
}

static void ready(struct wrk_app *app, struct wrk_http_reply *rp)
{
    struct mg_cred cred;
    struct mg_error err;

    mg_error_clear(&err);
    if (app->stop) {
        text(rp, 503, "shutting down\n");
    } else if (mg_cred_get(app->cred, &cred, &err) != 0) {
        text(rp, 503, "no usable credentials\n");
    } else if (!app->queue_ok) {
        text(rp, 503, "the queue has not answered yet\n");
    } else {
        text(rp, 200, "ready\n");
    }
    mg_cred_wipe(&cred);
}

void wrk_ops_handle(void *ctx, const struct wrk_http_request *rq,
                    struct wrk_http_reply *rp)
{
    struct wrk_app *app = ctx;

    if (strcmp(rq->method, "GET") != 0) {
        text(rp, 405, "only GET\n");
    } else if (strcmp(rq->path, "/metrics") == 0) {
        rp->status = 200;
        snprintf(rp->content_type, sizeof(rp->content_type),
                 "text/plain; version=0.0.4");
        mg_metrics_render(&rp->body);
    } else if (strcmp(rq->path, "/healthz") == 0) {
        text(rp, 200, "ok\n");
    } else if (strcmp(rq->path, "/readyz") == 0) {
        ready(app, rp);
    } else {
        text(rp, 404, "not found\n");
    }
}
