#ifndef MG_CRED_H
#define MG_CRED_H

#include <stdint.h>

struct mg_error;

/*
 * Credentials as the signers need them, and where they come from.
 *
 * A provider hands out a copy of the current credentials and refreshes
 * temporary ones before they expire; the copy lives on the caller's stack
 * and is wiped by mg_cred_wipe. Every provider registers the secret and
 * token it obtains with the logger, so they are masked if they ever reach
 * a log line.
 */
struct mg_cred {
    char id[128];
    char secret[256];
    char token[4096];   /* STS security token; "" for long-term keys */
    int64_t expires_ms; /* wall clock; 0 when they do not expire */
};

struct mg_cred_provider;

/* Fixed keys (from the environment, a file, or FC request headers). */
struct mg_cred_provider *mg_cred_static_new(const char *source, const char *id,
                                            const char *secret,
                                            const char *token);

/*
 * Replace the keys of a static provider (the Function Compute runtime
 * hands fresh temporary keys with every request). Returns -1 for a
 * dynamic provider or values that do not fit.
 */
int mg_cred_static_update(struct mg_cred_provider *p, const char *id,
                          const char *secret, const char *token);

/*
 * A copy of usable credentials, refreshed first when they expire within
 * the provider's margin. Returns 0, or -1 with err set (MG_RETRY when the
 * source was unreachable, MG_FINAL when it is misconfigured).
 */
int mg_cred_get(struct mg_cred_provider *p, struct mg_cred *out,
                struct mg_error *err);

/* The service refused the token as expired: fetch new ones next time. */
void mg_cred_invalidate(struct mg_cred_provider *p);

/* Short description for logs and /readyz: "env", "profile:default". */
const char *mg_cred_source(const struct mg_cred_provider *p);

void mg_cred_free(struct mg_cred_provider *p);

void mg_cred_wipe(struct mg_cred *c);

/*
 * For providers that fetch temporary credentials (STS, metadata): fetch
 * fills out and returns 0, or -1 with err. Used by mg_cred_dynamic_new.
 */
typedef int (*mg_cred_fetch_fn)(void *ctx, struct mg_cred *out,
                                struct mg_error *err);

struct mg_cred_provider *mg_cred_dynamic_new(const char *source,
                                             mg_cred_fetch_fn fetch, void *ctx,
                                             void (*ctx_free)(void *));

#endif
