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

/* The resource a verdict is about. */
struct wrk_subject {
    int64_t account_id;
    char resource_id[128];
    char resource_type[64];
    char region[64];
    char resource_name[256];
    char user_name[128];
    int64_t ordering_ms;
};

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
