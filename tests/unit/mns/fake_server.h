#ifndef TESTS_UNIT_MNS_FAKE_SERVER_H
#define TESTS_UNIT_MNS_FAKE_SERVER_H

#include <stddef.h>

/*
 * A canned HTTP server for the MNS client's unit tests: it listens on
 * 127.0.0.1 at a port the system picks, records each request whole, and
 * answers the n-th request with the n-th scripted reply (500 once the
 * script has run out). One connection per request ("Connection: close").
 * It knows nothing of MNS; the tests check what it recorded.
 */

#define FAKE_MAX_REQUESTS 16

struct fake_reply {
    int status;
    const char *body;    /* NULL: empty */
    const char *headers; /* extra header lines, each ending "\r\n"; or NULL */
};

struct fake_request {
    char method[16];
    char target[4096]; /* as on the request line */
    char head[16384];  /* the header lines, as received */
    char *body;        /* NUL-terminated; owned by the server */
    size_t body_len;
};

struct fake_server;

/* NULL when no socket could be opened. */
struct fake_server *fake_start(void);
void fake_stop(struct fake_server *s);

/* "http://127.0.0.1:PORT" */
const char *fake_url(const struct fake_server *s);

/* Replace the script and forget the requests recorded so far. */
void fake_script(struct fake_server *s, const struct fake_reply *replies,
                 size_t n);

size_t fake_count(struct fake_server *s);

/* The i-th request since the last fake_script (a copy the caller keeps
 * until the next fake_script). NULL when there is none. */
const struct fake_request *fake_request(struct fake_server *s, size_t i);

/* Copy a request header's value (trimmed) into out; 1 when present. */
int fake_header(const struct fake_request *r, const char *name, char *out,
                size_t cap);

#endif
