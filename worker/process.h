#ifndef WRK_PROCESS_H
#define WRK_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct mns_message;
struct wrk_app;

/*
 * What to do with one received message, and doing it.
 *
 * wrk_process decodes the message, works out what it asks for (a rule
 * evaluation, a change event, something to skip) and does all of it:
 * verdicts written to Config, notifications published. It never deletes:
 * it says what should happen to the message next, and the consumer does
 * that with the newest receipt handle.
 */
enum wrk_outcome {
    WRK_DONE,  /* everything it asked for is written: delete it */
    WRK_SKIP,  /* nothing to do (own notification, other events): delete */
    WRK_RETRY, /* a transient failure: let it come back later */
    WRK_DEAD,  /* it can never succeed: dead-letter it, then delete */
};

struct wrk_result {
    enum wrk_outcome outcome;
    struct mg_error err; /* why, for RETRY and DEAD */
    char what[64];       /* short description for the log */
};

void wrk_process(struct wrk_app *app, const struct mns_message *m,
                 struct wrk_result *res);

/* Where an event came from. */
struct wrk_source_info {
    const char *id;      /* message or request id, named in notifications */
    int64_t topic_owner; /* account of the topic envelope; 0 when none */
    int64_t enqueue_ms;  /* stable time for events that carry none; 0 */
};

/*
 * Process a Config event given as text, outside MNS (the Function Compute
 * path and tests): the same routing, checks and writes as a message.
 */
void wrk_process_event(struct wrk_app *app, const char *text, size_t len,
                       const struct wrk_source_info *from,
                       struct wrk_result *res);

#endif
