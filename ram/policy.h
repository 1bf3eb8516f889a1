#ifndef RAM_POLICY_H
#define RAM_POLICY_H

#include <stddef.h>

struct mg_error;

/*
 * The RAM policy language, as far as the MFA rule needs it, and the
 * decision "which dangerous actions does this set of policies let a user
 * perform without MFA". The exact semantics are written down in
 * docs/semantics.md; this is their only implementation.
 *
 * Action patterns are globs: '*' matches any run of characters (also
 * none), '?' exactly one; letters compare without regard to case.
 */

/* Does the glob match the action name? */
int ram_glob_match(const char *pattern, const char *name);

/* Is there an action name that both globs match? */
int ram_glob_overlap(const char *a, const char *b);

/* Does every name that b matches also match a? */
int ram_glob_covers(const char *a, const char *b);

/* A parsed policy document. Immutable once parsed; may be shared by
 * threads and cached. */
struct ram_policy;

/*
 * Parse a document (the JSON text GetPolicy returns inside
 * DefaultPolicyVersion). Accepts Action / NotAction / Resource /
 * NotResource / Condition values as a string or a list, and a single
 * statement object in place of a list. Returns NULL with err set (class
 * MG_INVALID) for text that is not a policy.
 */
struct ram_policy *ram_policy_parse(const char *doc, size_t len,
                                    struct mg_error *err);
void ram_policy_free(struct ram_policy *p);

size_t ram_policy_statement_count(const struct ram_policy *p);

/* Where a policy reaches the user from. */
struct ram_source {
    const char *policy_name;
    const char *policy_type; /* "System" or "Custom" */
    const char *group;       /* NULL: attached to the user directly */
    const struct ram_policy *policy;
};

/* One way the user can perform a dangerous action without MFA. */
struct ram_grant {
    size_t dangerous; /* index into the dangerous patterns */
    size_t source;    /* index into the sources, after sorting */
    size_t statement; /* index of the Allow statement in its policy */
    char action[128]; /* the Action pattern that overlaps, or
                         "NotAction" for an Allow with NotAction */
};

struct ram_grant_list {
    struct ram_grant *v;
    size_t n;
    size_t cap;
};

void ram_grant_list_release(struct ram_grant_list *l);

/*
 * Sort sources into their canonical order (user before groups, then by
 * group name, policy type, policy name), so that the result never
 * depends on the order RAM listed them in.
 */
void ram_sources_sort(struct ram_source *src, size_t n);

/*
 * Every (dangerous pattern, Allow statement) pair through which the
 * sources let the user perform some action matching the pattern, after
 * unconditional Deny statements on all resources and MFA-only grants are
 * taken into account. Sources must be sorted; grants come out ordered by
 * source, statement, then pattern. Returns 0, or -1 with err when the
 * analysis ran out of memory.
 */
int ram_analyze(const struct ram_source *src, size_t n,
                const char *const *dangerous, size_t ndangerous,
                struct ram_grant_list *out, struct mg_error *err);

/*
 * Could this one policy, on its own, give some dangerous pattern (used by
 * sweeps to pick the policies worth following)? And does it hold a Deny
 * that could take a grant away from another policy?
 */
int ram_policy_may_grant(const struct ram_policy *p,
                         const char *const *dangerous, size_t ndangerous);
int ram_policy_has_deny(const struct ram_policy *p);

#endif
