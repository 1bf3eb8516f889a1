#ifndef WRK_DEADLETTER_H
#define WRK_DEADLETTER_H

struct mg_error;
struct mns_message;
struct wrk_app;

/*
 * Move a message that can never be processed to the dead-letter queue,
 * with the reason, so nothing is lost and an operator can read, fix and
 * replay it (`mfaguard replay-dlq`).
 *
 * The dead-letter message is a JSON record: reason (the error code),
 * error (its text), stage, source queue, message id, dequeue count,
 * enqueue time, when it was dead-lettered, and the original body as text
 * under "body". When the record would pass the 64 KiB MNS limit, the
 * original body is sent first as a message of its own and the record
 * names it under "bodyMessageId" instead. Returns 0 once everything is in
 * the dead-letter queue; only then may the caller delete the original.
 */
int wrk_dead_letter(struct wrk_app *app, const struct mns_message *m,
                    const struct mg_error *why, const char *stage,
                    struct mg_error *err);

#endif
