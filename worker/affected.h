#ifndef WRK_AFFECTED_H
#define WRK_AFFECTED_H

#include <stddef.h>
#include <stdint.h>

struct mg_error;
struct wrk_app;
struct wrk_rule;
struct wrk_subject;
struct wrk_verdict;

/*
 * Re-check every user a changed group or policy reaches: the members of
 * the group (ListUsersForGroup), or the users the policy is attached to
 * directly or through groups (ListEntitiesForPolicy, Custom first, then
 * System). A new version of a custom policy can make hundreds of users
 * non-compliant without any change to the users themselves. Give exactly
 * one of group and policy. A group or policy that no longer exists
 * reaches nobody (n is 0). Results as for wrk_sweep; free them with
 * wrk_sweep_free.
 */
int wrk_affected_users(struct wrk_app *app, const struct wrk_rule *rule,
                       const char *group, const char *policy,
                       int64_t account_id, int64_t ordering_ms,
                       struct wrk_subject **subjects,
                       struct wrk_verdict **verdicts, size_t *n,
                       struct mg_error *err);

#endif
