#ifndef MG_RPC_H
#define MG_RPC_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/limiter.h"

struct mg_buf;
struct mg_cred_provider;
struct mg_error;

/*
 * Alibaba Cloud RPC-style calls (RAM, Config, STS): parameters signed with
 * "SignatureVersion 1.0" (HMAC-SHA1), JSON answers, JSON error bodies.
 *
 * mg_rpc_call signs afresh for every attempt (new nonce and timestamp),
 * waits for the family's rate limiter, retries transient failures with
 * jittered backoff, reports throttling to the limiter, and records
 * mfaguard_api_calls_total and mfaguard_api_seconds.
 */
struct mg_rpc_service {
    const char *family; /* "ram", "config", "sts": logs and metrics */
    const char
        *endpoint;       /* base URL without path: "https://ram.aliyuncs.com" */
    const char *version; /* "2015-05-01" */
    struct mg_cred_provider *cred; /* NULL: unsigned (AssumeRoleWithOIDC) */
    struct mg_limiter *limiter;    /* may be NULL */
    struct mg_retry_policy retry;
    long timeout_ms;
    size_t max_response;      /* bytes; 0 means 4 MiB */
    volatile const int *stop; /* cut waits short at shutdown */
};

struct mg_param {
    const char *name;
    const char *value;
};

/*
 * Call action with params. On success *out holds the parsed answer (free
 * with cJSON_Delete). On failure returns -1; err carries the class, the
 * service code and message, the HTTP status and the request id.
 */
int mg_rpc_call(const struct mg_rpc_service *s, const char *action, int post,
                const struct mg_param *params, size_t n, cJSON **out,
                struct mg_error *err);

/*
 * The signing steps on their own, for tests and for the emulator's
 * counterpart: canonical query (sorted, percent-encoded), and the
 * signature of METHOD&%2F&encode(canonical) keyed by secret + "&".
 */
int mg_rpc_canonical(struct mg_buf *out, const struct mg_param *params,
                     size_t n);
int mg_rpc_signature(const char *method, const char *canonical,
                     const char *secret, char *sig, size_t siglen);

#endif
