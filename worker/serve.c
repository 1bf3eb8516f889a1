#include "worker/serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/cred.h"
#include "common/log.h"
#include "mns/mns.h"
#include "worker/app.h"
#include "worker/httpd.h"
#include "worker/process.h"

#include "common/banned.h"

static void reply_json(struct wrk_http_reply *rp, int ok, const char *json)
{
    rp->status = ok ? 200 : 404;
    snprintf(rp->content_type, sizeof(rp->content_type), "application/json");
    snprintf(rp->headers, sizeof(rp->headers), "x-fc-status: %d\r\n",
             rp->status);
    mg_buf_adds(&rp->body, json);
}

/* Take the temporary keys Function Compute sends with the request. */
static void take_credentials(struct wrk_app *app,
                             const struct wrk_http_request *rq)
{
    const char *id = wrk_http_header(rq, "x-fc-access-key-id");
    const char *secret = wrk_http_header(rq, "x-fc-access-key-secret");
    const char *token = wrk_http_header(rq, "x-fc-security-token");

    /* Only when no credentials were configured: a request must not
     * replace the keys an operator set. */
    if (id == NULL || secret == NULL ||
        strcmp(mg_cred_source(app->cred), "fc") != 0) {
        return;
    }
    if (mg_cred_static_update(app->cred, id, secret, token) != 0) {
        mg_log_warn("serve.credentials_refused",
                    MG_LS("why", "the keys do not fit"));
    }
}

static void evaluate(struct wrk_app *app, const struct wrk_http_request *rq,
                     const char *request_id, struct wrk_http_reply *rp)
{
    struct wrk_result res;
    struct wrk_source_info from = { request_id, 0, 0 };
    char json[512];

    wrk_process_event(app, rq->body, rq->body_len, &from, &res);
    if (res.outcome == WRK_DONE || res.outcome == WRK_SKIP) {
        snprintf(json, sizeof(json), "{\"outcome\":\"%s\",\"what\":\"%s\"}",
                 res.outcome == WRK_DONE ? "done" : "skipped", res.what);
        reply_json(rp, 1, json);
        return;
    }
    mg_log_warn("serve.failed", MG_LS("stage", res.what), MG_LERR(&res.err));
    snprintf(json, sizeof(json),
             "{\"outcome\":\"%s\",\"what\":\"%s\",\"code\":\"%s\"}",
             res.outcome == WRK_RETRY ? "retry" : "rejected", res.what,
             res.err.code);
    reply_json(rp, 0, json);
}

static void forward(struct wrk_app *app, const struct wrk_http_request *rq,
                    struct wrk_http_reply *rp)
{
    struct mg_error err;
    char id[128];
    char json[256];

    mg_error_clear(&err);
    if (mns_publish(app->mns, app->set.topic, rq->body, rq->body_len, NULL, id,
                    sizeof(id), &err) != 0) {
        mg_log_warn("serve.forward_failed", MG_LERR(&err));
        snprintf(json, sizeof(json), "{\"outcome\":\"%s\",\"code\":\"%s\"}",
                 err.cls == MG_RETRY ? "retry" : "rejected", err.code);
        reply_json(rp, 0, json);
        return;
    }
    mg_log_info("serve.forwarded", MG_LS("topic", app->set.topic),
                MG_LS("message_id", id));
    snprintf(json, sizeof(json), "{\"outcome\":\"forwarded\",\"id\":\"%s\"}",
             id);
    reply_json(rp, 1, json);
}

static void handle(void *ctx, const struct wrk_http_request *rq,
                   struct wrk_http_reply *rp)
{
    struct wrk_app *app = ctx;
    const char *rid = wrk_http_header(rq, "x-fc-request-id");
    char request_id[128];

    snprintf(request_id, sizeof(request_id), "%s", rid ? rid : "local");
    if (strcmp(rq->method, "POST") != 0 ||
        (strcmp(rq->path, "/invoke") != 0 &&
         strcmp(rq->path, "/initialize") != 0)) {
        reply_json(rp, 0, "{\"outcome\":\"not_found\"}");
        return;
    }
    /* The runtime contract wants these two lines on standard output. */
    printf("FC Invoke Start RequestId: %s\n", request_id);
    fflush(stdout);
    mg_log_ctx_set("fc_request_id", request_id);
    take_credentials(app, rq);
    if (strcmp(rq->path, "/initialize") == 0) {
        reply_json(rp, 1, "{\"outcome\":\"initialized\"}");
    } else if (strcmp(app->set.serve_mode, "forward") == 0) {
        forward(app, rq, rp);
    } else {
        evaluate(app, rq, request_id, rp);
    }
    mg_log_ctx_clear();
    printf("FC Invoke End RequestId: %s\n", request_id);
    fflush(stdout);
}

/* serve_listen, with the port Function Compute gives in FC_SERVER_PORT. */
static void listen_address(const struct wrk_app *app, char *out, size_t len)
{
    const char *port = getenv("FC_SERVER_PORT");
    const char *colon = strrchr(app->set.serve_listen, ':');

    if (port && *port && colon) {
        snprintf(out, len, "%.*s:%s", (int)(colon - app->set.serve_listen),
                 app->set.serve_listen, port);
    } else {
        snprintf(out, len, "%s", app->set.serve_listen);
    }
}

int wrk_serve(struct wrk_app *app)
{
    struct wrk_httpd *http = NULL;
    char addr[96];

    listen_address(app, addr, sizeof(addr));
    if (wrk_httpd_start(addr, 1, handle, app, &http) != 0) {
        return 2;
    }
    mg_log_info("serve.started", MG_LS("mode", app->set.serve_mode),
                MG_LI("port", wrk_httpd_port(http)));
    while (!app->stop) {
        mg_sleep_ms(200, &app->stop);
    }
    wrk_httpd_stop(http);
    mg_log_info("serve.stopped");
    return 0;
}
