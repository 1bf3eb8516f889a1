#ifndef WRK_CLI_H
#define WRK_CLI_H

struct wrk_app;

/*
 * Commands for people. They use the same settings, credentials and check
 * as the worker.
 */

/* Create the queue, the dead-letter queue, the topic and the queue's
 * subscription to it; existing ones are left as they are. */
int wrk_cli_setup(struct wrk_app *app);

/* Output formats of check and scan. */
enum wrk_format {
    WRK_FORMAT_TEXT,
    WRK_FORMAT_JSON,
    WRK_FORMAT_CSV,
};

int wrk_parse_format(const char *s, enum wrk_format *out);

/*
 * `mfaguard check USER`: the verdict for one user and why: each dangerous
 * grant with its policy, statement and origin, the MFA device, the
 * console login. Exit status 0 compliant or not applicable, 1 non
 * compliant, 2 on error.
 */
int wrk_cli_check(struct wrk_app *app, const char *user,
                  enum wrk_format format);

/*
 * `mfaguard scan`: every user of the account, as a table (or JSON lines
 * or CSV). Same exit statuses as check. Shows progress on a terminal.
 */
int wrk_cli_scan(struct wrk_app *app, enum wrk_format format);

/*
 * `mfaguard replay-dlq`: send every dead-lettered message's original body
 * back to the queue it came from and delete it from the dead-letter
 * queue. With dry_run, only say what would be replayed. Messages it
 * cannot pair up (a record whose body is missing) stay in the queue.
 */
int wrk_cli_replay(struct wrk_app *app, int dry_run);

#endif
