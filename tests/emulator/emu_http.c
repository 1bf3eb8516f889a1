#include "emu_http.h"

#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"
#include "emu.h"
#include "emu_account.h"
#include "emu_events.h"
#include "emu_faults.h"
#include "emu_store.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

/* ---- the request pipeline ---------------------------------------- */

static int starts_segment(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);

    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Which service a path belongs to; fills the routing fields of c. */
static void route(struct emu_ctx *c)
{
    if (starts_segment(c->path, "/_emulator")) {
        emu_admin_route(c);
    } else if (starts_segment(c->path, "/latest")) {
        emu_meta_route(c);
    } else if (starts_segment(c->path, "/queues") ||
               starts_segment(c->path, "/topics")) {
        emu_mns_route(c);
    } else if (strcmp(c->path, "/") == 0) {
        emu_rpc_route(c);
    } else {
        c->style = EMU_STYLE_ADMIN;
    }
}

static void throttled(struct emu_ctx *c)
{
    if (c->style == EMU_STYLE_RPC) {
        emu_fail(c, 400, "Throttling.User",
                 "Request was denied due to user flow control.");
    } else {
        emu_fail(c, 429, "TooManyRequests",
                 "The request is denied by cluster flow limiter for too "
                 "many requests.");
    }
}

static void internal_error(struct emu_ctx *c)
{
    emu_fail(c, 500, "InternalError",
             "The request processing has failed due to some unknown error, "
             "exception or failure (injected by the emulator).");
}

static void record_fault(struct emu_ctx *c, enum emu_injected kind,
                         const char *name, const char *code)
{
    char api[160];

    snprintf(api, sizeof(api), "%s.%s", emu_family_name(c->family),
             c->action ? c->action : "(unknown)");
    emu_stats_injected(kind);
    emu_event(&(struct emu_event_in){ .type = "fault",
                                      .api = api,
                                      .kind = name,
                                      .code = code });
}

/* Random faults, throttling and latency; 1 when the request is done. */
static int inject(struct emu_ctx *c)
{
    struct emu_decision d;

    emu_faults_decide(c->family, &d);
    if (d.sleep_ms > 0) {
        mg_sleep_ms(d.sleep_ms, &emu_g.stopping);
    }
    if (d.stall) {
        record_fault(c, EMU_INJ_STALL, "stall", NULL);
    }
    if (d.throttle) {
        throttled(c);
        record_fault(c, EMU_INJ_THROTTLE, "throttle", NULL);
        return 1;
    }
    if (d.drop) {
        c->drop = 1;
        record_fault(c, EMU_INJ_DROP, "drop", NULL);
        return 1;
    }
    if (d.error) {
        internal_error(c);
        record_fault(c, EMU_INJ_ERROR, "error", "InternalError");
        return 1;
    }
    return 0;
}

/* A fault the account fixture asks for; 1 when it answered. */
static int fixture_fault(struct emu_ctx *c)
{
    int status = 0;
    const char *code = NULL;
    char copy[128];
    int hit;

    pthread_mutex_lock(&emu_g.lock);
    hit =
        emu_account_take_fault(emu_account_current, emu_family_name(c->family),
                               c->action, &status, &code);
    if (hit) {
        snprintf(copy, sizeof(copy), "%s", code);
    }
    pthread_mutex_unlock(&emu_g.lock);
    if (!hit) {
        return 0;
    }
    emu_fail(c, status, copy, "Injected by the account fixture (faults[]).");
    record_fault(c, EMU_INJ_FIXTURE, "fixture", copy);
    return 1;
}

static void unknown(struct emu_ctx *c)
{
    if (c->style == EMU_STYLE_MNS) {
        emu_mns_unknown(c);
    } else if (c->style == EMU_STYLE_RPC) {
        emu_rpc_unknown(c);
    } else {
        emu_fail(c, 404, "NoSuchRoute", "%s %s is not emulated", c->method,
                 c->path);
    }
}

static int authenticate(struct emu_ctx *c)
{
    if (c->style == EMU_STYLE_MNS) {
        return emu_mns_auth(c);
    }
    if (c->style == EMU_STYLE_RPC) {
        return emu_rpc_auth(c);
    }
    return 0;
}

void emu_serve(struct emu_ctx *c)
{
    c->now_ms = mg_now_ms();
    route(c);
    if (c->style == EMU_STYLE_ADMIN) {
        if (c->body_too_large) {
            emu_fail(c, 413, "RequestTooLarge",
                     "The request body is too "
                     "large.");
        } else if (c->handler) {
            c->handler(c);
        } else {
            unknown(c);
        }
        return;
    }

    emu_new_request_id(c);
    emu_stats_call(c->family, c->action);
    if (c->family >= 0 && inject(c)) {
        return;
    }
    c->now_ms = mg_now_ms();
    if (c->body_too_large) {
        emu_fail(c, 413, "RequestTooLarge", "The request body is too large.");
    } else if (c->handler == NULL) {
        unknown(c);
    } else if (authenticate(c) == 0 && !fixture_fault(c)) {
        c->handler(c);
    }
}

void emu_wake_all(void)
{
    pthread_mutex_lock(&emu_g.lock);
    emu_store_wake_all();
    pthread_mutex_unlock(&emu_g.lock);
}

/* ---- libmicrohttpd glue ------------------------------------------ */

/* One request in flight on a connection. */
struct pending {
    struct emu_ctx ctx;
    struct mg_buf body;
    char *uri; /* the request target exactly as received */
    int started;
};

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
    struct pending *p = calloc(1, sizeof(*p));

    (void)cls;
    (void)con;
    if (p == NULL) {
        return NULL;
    }
    emu_ctx_init(&p->ctx);
    p->uri = strdup(uri);
    return p;
}

static void on_done(void *cls, struct MHD_Connection *con, void **req,
                    enum MHD_RequestTerminationCode why)
{
    struct pending *p = *req;

    (void)cls;
    (void)con;
    (void)why;
    if (p) {
        emu_ctx_release(&p->ctx);
        mg_buf_release(&p->body);
        free(p->uri);
        free(p);
        *req = NULL;
    }
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value)
{
    struct emu_ctx *c = cls;

    (void)kind;
    if (c->nheaders < EMU_MAX_HEADERS) {
        c->headers[c->nheaders].name = emu_strdup(c, key);
        c->headers[c->nheaders].value = emu_strdup(c, value ? value : "");
        c->nheaders++;
    }
    return MHD_YES;
}

static size_t body_limit(const char *target)
{
    if (strncmp(target, "/_emulator", 10) == 0) {
        return EMU_MAX_BODY_ADMIN;
    }
    return strncmp(target, "/queues", 7) == 0 ||
                   strncmp(target, "/topics", 7) == 0
               ? EMU_MAX_BODY_MNS
               : EMU_MAX_BODY_RPC;
}

static void start(struct pending *p, struct MHD_Connection *con,
                  const char *method)
{
    struct emu_ctx *c = &p->ctx;
    const char *target = p->uri ? p->uri : "/";
    const char *q = strchr(target, '?');

    c->method = emu_strdup(c, method);
    c->target = emu_strdup(c, target);
    c->path = q ? emu_strndup(c, target, (size_t)(q - target)) : c->target;
    c->query = q ? emu_strdup(c, q + 1) : "";
    MHD_get_connection_values(con, MHD_HEADER_KIND, add_header, c);
    mg_buf_init(&p->body, body_limit(target));
}

static void log_request(const struct emu_ctx *c, int64_t started)
{
    if (emu_g.quiet) {
        return;
    }
    mg_log_info("emu.request", MG_LS("method", c->method),
                MG_LS("path", c->path),
                MG_LS("action", c->action ? c->action : "-"),
                MG_LI("status", c->drop ? 0 : c->status),
                MG_LS("request_id", c->request_id),
                MG_LI("ms", mg_mono_ms() - started));
}

static enum MHD_Result answer(struct MHD_Connection *con, struct emu_ctx *c)
{
    size_t len = 0;
    char *data = mg_buf_detach(&c->out, &len);
    struct MHD_Response *r;
    enum MHD_Result rc;
    size_t i;

    if (data == NULL) {
        return MHD_NO;
    }
    r = MHD_create_response_from_buffer(c->status == 204 ? 0 : len, data,
                                        MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(data);
        return MHD_NO;
    }
    if (c->content_type && c->status != 204) {
        MHD_add_response_header(r, "Content-Type", c->content_type);
    }
    for (i = 0; i < c->nanswer_headers; i++) {
        MHD_add_response_header(r, c->answer_headers[i].name,
                                c->answer_headers[i].value);
    }
    if (c->style == EMU_STYLE_MNS) {
        MHD_add_response_header(r, "x-mns-request-id", c->request_id);
        MHD_add_response_header(r, "x-mns-version", "2015-06-06");
        MHD_add_response_header(r, "Server", "AliyunMNS");
    } else {
        MHD_add_response_header(r, "Server", "mfaguard-emulator");
    }
    if (c->style == EMU_STYLE_RPC && c->request_id[0]) {
        MHD_add_response_header(r, "x-acs-request-id", c->request_id);
    }
    rc = MHD_queue_response(con, (unsigned)c->status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req)
{
    struct pending *p = *req;
    int64_t started = mg_mono_ms();

    (void)cls;
    (void)url;
    (void)version;
    if (p == NULL) {
        return MHD_NO;
    }
    if (!p->started) {
        p->started = 1;
        start(p, con, method);
        return MHD_YES;
    }
    if (*upload_size > 0) {
        /* Past the limit, keep reading but remember to refuse it. */
        if (!p->ctx.body_too_large &&
            mg_buf_add(&p->body, upload, *upload_size) != 0) {
            p->ctx.body_too_large = 1;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    p->ctx.body = mg_buf_str(&p->body);
    p->ctx.body_len = p->body.len;
    emu_serve(&p->ctx);
    log_request(&p->ctx, started);
    return p->ctx.drop ? MHD_NO : answer(con, &p->ctx);
}

struct MHD_Daemon *emu_http_start(int fd, int ipv6)
{
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;

    if (ipv6) {
        flags |= MHD_USE_IPv6;
    }
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_NOTIFY_COMPLETED,
        on_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)600,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
        MHD_OPTION_END);
}
