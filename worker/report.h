#ifndef WRK_REPORT_H
#define WRK_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct mg_error;
struct wrk_app;
struct wrk_verdict;

/*
 * Writing results: evaluations to Cloud Config and non-compliance
 * notifications to the notification topic.
 */

/*
 * The resource a verdict is about. The strings live in one block the
 * subject owns (a sweep holds ten thousand of these at once); set them
 * with wrk_subject_set, free them with wrk_subject_release.
 */
struct wrk_subject {
    int64_t account_id;
    int64_t ordering_ms;
    const char *resource_id;
    const char *resource_type;
    const char *region;
    const char *resource_name;
    const char *user_name;
    char *block;
};

/* Copy the strings (NULL counts as ""); 0, or -1 when memory ran out. */
int wrk_subject_set(struct wrk_subject *s, int64_t account_id,
                    int64_t ordering_ms, const char *resource_id,
                    const char *resource_type, const char *region,
                    const char *resource_name, const char *user_name);
void wrk_subject_release(struct wrk_subject *s);

/* Where the verdicts come from. */
struct wrk_origin {
    const char *rule_name;
    const char *message_type; /* of the triggering event */
    const char *message_id;   /* of the source message */
};

/*
 * PutEvaluations for n verdicts with the request's result token, in
 * chunks of at most 100, the chunks side by side. Returns 0 when every
 * chunk was accepted.
 */
int wrk_write_evaluations(struct wrk_app *app, const char *result_token,
                          const struct wrk_subject *subjects,
                          const struct wrk_verdict *verdicts, size_t n,
                          struct mg_error *err);

/*
 * Publish a notification for every NON_COMPLIANT verdict among the n,
 * side by side. Each carries a dedupe key that depends only on the
 * account, resource, rule, verdict and ordering time, so a message
 * delivered twice yields the same key twice.
 */
int wrk_notify(struct wrk_app *app, const struct wrk_origin *origin,
               const struct wrk_subject *subjects,
               const struct wrk_verdict *verdicts, size_t n,
               struct mg_error *err);

/* The dedupe key of one notification (out >= 33 bytes). */
void wrk_dedupe_key(const struct wrk_subject *s, const char *rule_name,
                    const char *compliance, char *out, size_t outlen);

#endif
