#ifndef WRK_SERVE_H
#define WRK_SERVE_H

struct wrk_app;

/*
 * `mfaguard serve`: a Function Compute custom runtime. Function Compute
 * starts the process, sends each Config event as POST /invoke (and, when
 * an initializer is configured, POST /initialize), with the function
 * role's temporary credentials in the x-fc-access-key-id,
 * x-fc-access-key-secret and x-fc-security-token headers. Each answer
 * carries x-fc-status (200 done, 404 failed) and each invocation writes
 * "FC Invoke Start RequestId: ..." and "FC Invoke End RequestId: ..." to
 * standard output, as the runtime contract asks.
 *
 * In "evaluate" mode the event is checked and written at once, through
 * the same code as a queue message; in "forward" mode it is published to
 * the topic for the worker fleet and answered at once.
 *
 * Runs until SIGTERM/SIGINT. Returns the process exit status.
 */
int wrk_serve(struct wrk_app *app);

#endif
