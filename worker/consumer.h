#ifndef WRK_CONSUMER_H
#define WRK_CONSUMER_H

struct wrk_app;

/*
 * The queue consumer: one thread long-polls the queue and hands messages
 * to `concurrency` processing threads; a lease thread extends the
 * visibility of messages whose work runs long. A message is deleted only
 * after everything it asked for is written, with the newest receipt
 * handle; transient failures make it visible again after a backoff, and
 * it is dead-lettered when its deliveries pass max_attempts or it can
 * never succeed.
 *
 * Shutdown (app->stop set by SIGTERM/SIGINT): receiving stops at once,
 * messages not yet started are released (visible again in a second),
 * those being processed get shutdown_deadline seconds to finish, after
 * which their calls are cut short and they are released too.
 */
struct wrk_consume_options {
    int drain; /* return once the queue is empty and nothing is held */
};

/* Runs until stopped (or drained). Returns 0, or 1 when the queue could
 * not be read at all (a configuration error). */
int wrk_consume(struct wrk_app *app, const struct wrk_consume_options *o);

#endif
