#ifndef TESTS_UNIT_RAM_FAKE_RAM_H
#define TESTS_UNIT_RAM_FAKE_RAM_H

#include <stddef.h>

#include "common/buf.h"

/*
 * A scripted RAM endpoint for the client's unit tests: an HTTP server on
 * 127.0.0.1 at a port the system picks, one connection per request. Each
 * GET is decoded into its parameters, its signature is checked against
 * the secret "testsecret", and a handler written by the test answers it.
 */

#define FAKE_MAX_PARAMS 32

struct fake_call {
    size_t n;
    char name[FAKE_MAX_PARAMS][64];
    char value[FAKE_MAX_PARAMS][1024];
    int signature_ok;
};

/* Fill status and body (JSON) for the call. */
typedef void (*fake_ram_fn)(const struct fake_call *call, void *ctx,
                            int *status, struct mg_buf *body);

struct fake_ram;

/* NULL when no socket could be opened. */
struct fake_ram *fake_ram_start(fake_ram_fn fn, void *ctx);
void fake_ram_stop(struct fake_ram *f);

/* "http://127.0.0.1:PORT" */
const char *fake_ram_url(const struct fake_ram *f);

/* Requests answered, and how many carried a wrong signature. */
size_t fake_ram_count(struct fake_ram *f);
size_t fake_ram_bad_signatures(struct fake_ram *f);

/* The decoded value of a parameter, or NULL. */
const char *fake_param(const struct fake_call *c, const char *name);

#endif
