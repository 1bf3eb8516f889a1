#ifndef EMU_H
#define EMU_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "emu_sign.h"

/*
 * The emulator's shared vocabulary: one request context that every
 * handler reads its input from and writes its answer into, the service
 * families, and the process-wide settings. State that handlers share
 * (queues, topics, the account, keys) is guarded by emu_g.lock; the event
 * log and statistics have their own lock, which is never held while
 * taking emu_g.lock.
 */

enum emu_family {
    EMU_RAM,
    EMU_CONFIG,
    EMU_MNS,
    EMU_STS,
    EMU_NFAMILIES,
};

/* How errors are written: each service has its own body format. */
enum emu_style {
    EMU_STYLE_ADMIN, /* {"error":..., "message":...} */
    EMU_STYLE_MNS,   /* <Error> XML */
    EMU_STYLE_RPC,   /* {"RequestId","HostId","Code","Message","Recommend"} */
    EMU_STYLE_TEXT,  /* ECS metadata: plain text */
};

/* Largest request body accepted per kind of route, in bytes. */
#define EMU_MAX_BODY_MNS   (1024 * 1024)
#define EMU_MAX_BODY_RPC   (10 * 1024 * 1024)
#define EMU_MAX_BODY_ADMIN (256 * 1024 * 1024)
#define EMU_MAX_ANSWER     (512 * 1024 * 1024)

#define EMU_MAX_PARAMS  256
#define EMU_MAX_HEADERS 128

struct emu_ctx;
struct emu_rpc_action;
typedef void (*emu_handler)(struct emu_ctx *c);

struct emu_ctx {
    /* The request exactly as received. Strings live in the context's
     * string pool and die with it. */
    const char *method;
    const char *target; /* request target, byte for byte */
    const char *path;   /* target up to '?' (still encoded) */
    const char *query;  /* after '?', "" when none (still encoded) */
    struct emu_kv headers[EMU_MAX_HEADERS];
    size_t nheaders;
    struct emu_kv params[EMU_MAX_PARAMS]; /* decoded */
    size_t nparams;
    const char *body;
    size_t body_len;
    int body_too_large;
    int64_t now_ms;

    /* Where the request goes. */
    int family; /* enum emu_family, or -1 outside the emulated APIs */
    enum emu_style style;
    const char *action; /* "GetUser", "ReceiveMessage"; NULL if unknown */
    emu_handler handler;
    const struct emu_rpc_action *rpc; /* the RPC action, when one */
    unsigned flags;                   /* route flags of the owning service */
    char arg[2][256];                 /* path captures, decoded */
    char key_id[128]; /* the AccessKeyId that signed, once verified */
    char request_id[40];

    /* The answer. */
    int status;
    const char *content_type;
    struct mg_buf out;
    struct emu_kv answer_headers[8];
    size_t nanswer_headers;
    int drop; /* close the connection without answering */

    struct emu_pool *pool;
};

/* Process-wide configuration and the state lock. */
struct emu_global {
    pthread_mutex_t lock;
    volatile int stopping;
    int quiet;
    int port;
    char base_url[80]; /* http://127.0.0.1:PORT */
    char region[64];
    char account_id[32];  /* digits, exact */
    int account_id_fixed; /* given with --account-id */
    char ecs_role[128];
    char id_prefix[17]; /* per-process part of message ids */
};

extern struct emu_global emu_g;

/* ---- context helpers (emu_ctx.c) ------------------------------------ */

/* A copy of n bytes (NUL added) owned by the context; NULL on no memory. */
char *emu_strndup(struct emu_ctx *c, const char *s, size_t n);
char *emu_strdup(struct emu_ctx *c, const char *s);

void emu_ctx_init(struct emu_ctx *c);
void emu_ctx_release(struct emu_ctx *c);

/* Header by name, any case; NULL when absent. */
const char *emu_header(const struct emu_ctx *c, const char *name);

/* Parameter by exact name, or ignoring case; NULL when absent. */
const char *emu_param(const struct emu_ctx *c, const char *name);
const char *emu_param_ci(const struct emu_ctx *c, const char *name);

/*
 * Percent-decode s[0..n) into out. plus_space turns '+' into ' ' as HTML
 * forms do (RPC); MNS keeps '+' because receipt handles carry it raw.
 * Returns -1 on a broken escape or a decoded NUL.
 */
int emu_decode(struct mg_buf *out, const char *s, size_t n, int plus_space);

/* Split "a=1&b=2" into decoded parameters appended to c->params.
 * Returns 0, or -1 with a reason in why. */
int emu_parse_pairs(struct emu_ctx *c, const char *s, size_t n, int plus_space,
                    char *why, size_t whylen);

/*
 * Match a raw path against a pattern where '*' stands for one non-empty
 * segment; the segments it covers are decoded into c->arg. 1 on a match.
 */
int emu_path_match(struct emu_ctx *c, const char *pattern, const char *path);

void emu_answer_header(struct emu_ctx *c, const char *name, const char *value);

/* Set status and content type; the body is whatever c->out holds. */
void emu_reply(struct emu_ctx *c, int status, const char *content_type);

/* An error in the body format of c->style. */
void emu_fail(struct emu_ctx *c, int status, const char *code, const char *fmt,
              ...) __attribute__((format(printf, 4, 5)));

/* Fill c->request_id in the form of c->style. */
void emu_new_request_id(struct emu_ctx *c);

/* Parse a decimal integer in [lo, hi]; 0 or -1. */
int emu_parse_int(const char *s, long long lo, long long hi, long long *out);

/* "2015-01-23T12:33:18Z" for a millisecond time. out >= 21. */
void emu_iso_time(int64_t ms, char *out, size_t outlen);

/* Random upper-case hex, n digits. out >= n + 1. */
void emu_random_hex(char *out, size_t n);

/* ---- services --------------------------------------------------- */

/* Each router fills family, style, action, handler and flags from the
 * request; action stays NULL when the request names nothing known. */
void emu_mns_route(struct emu_ctx *c);
void emu_rpc_route(struct emu_ctx *c);
void emu_meta_route(struct emu_ctx *c);
void emu_admin_route(struct emu_ctx *c);

/* Authentication for a routed request; 0 when it may proceed, else the
 * error answer is already in c. */
int emu_mns_auth(struct emu_ctx *c);
int emu_rpc_auth(struct emu_ctx *c);

/* Answer for an action the router did not know. */
void emu_mns_unknown(struct emu_ctx *c);
void emu_rpc_unknown(struct emu_ctx *c);

/* Handle a whole request (emu_http.c): route, faults, auth, handler. */
void emu_serve(struct emu_ctx *c);

/* Wake every long poll so that shutdown does not wait for them. */
void emu_wake_all(void);

/* The request family's name: "ram", "config", "mns", "sts". */
const char *emu_family_name(int family);

/* Start-up (main.c calls these before the server starts). */
int emu_state_init(void);
void emu_state_free(void);
int emu_rpc_init(void);
void emu_rpc_free(void);

#endif
