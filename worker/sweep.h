#ifndef WRK_SWEEP_H
#define WRK_SWEEP_H

#include <stddef.h>
#include <stdint.h>

struct mg_error;
struct wrk_app;
struct wrk_rule;
struct wrk_subject;
struct wrk_verdict;

/*
 * Verdicts for every user of the account, for a periodic request that
 * names no resource.
 *
 * "users" mode checks each user as a change event would: two or more RAM
 * calls per user. "policies" mode (the default) starts from the policies:
 * it reads the attached policies' documents once, follows only those that
 * can grant a dangerous action or take one away (ListEntitiesForPolicy,
 * ListUsersForGroup), takes MFA state from one account-wide
 * ListVirtualMFADevices and asks GetUserMFAInfo only for dangerous users
 * that list does not cover. Every other user is COMPLIANT without a call
 * of its own. Both modes feed the same decision code, so their verdicts
 * and annotations are identical; tests hold them to it.
 *
 * On success *subjects and *verdicts hold *n entries (the caller frees
 * with wrk_sweep_free).
 */
struct wrk_sweep_request {
    const struct wrk_rule *rule;
    int64_t account_id;
    const char *region;
    int64_t ordering_ms;
    const char *mode; /* "policies" or "users" */
};

int wrk_sweep(struct wrk_app *app, const struct wrk_sweep_request *rq,
              struct wrk_subject **subjects, struct wrk_verdict **verdicts,
              size_t *n, struct mg_error *err);

void wrk_sweep_free(struct wrk_subject *subjects, struct wrk_verdict *verdicts,
                    size_t n);

#endif
