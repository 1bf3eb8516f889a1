/*
 * The HTTP request-head parser of the worker's small server: whatever the
 * bytes, every pointer it hands out points inside the head, at most 64
 * headers are taken, and each header can be found again by its name.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "worker/httpd.h"

#include "common/banned.h"

static int inside(const char *p, const char *head, size_t n)
{
    return p >= head && p <= head + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *head = fuzz_text(data, size);
    size_t n = strlen(head);
    struct wrk_http_request rq;
    int i;

    memset(&rq, 0, sizeof(rq));
    if (wrk_http_parse_head(head, &rq) == 0) {
        FUZZ_CHECK(rq.method && inside(rq.method, head, n));
        FUZZ_CHECK(rq.path && inside(rq.path, head, n));
        FUZZ_CHECK(rq.query != NULL);
        FUZZ_CHECK(rq.nheaders >= 0 && rq.nheaders <= 64);
        for (i = 0; i < rq.nheaders; i++) {
            const char *found = wrk_http_header(&rq, rq.names[i]);

            FUZZ_CHECK(inside(rq.names[i], head, n));
            FUZZ_CHECK(inside(rq.values[i], head, n));
            FUZZ_CHECK(found != NULL);
        }
    }
    free(head);
    return 0;
}
