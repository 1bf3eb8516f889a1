#ifndef WRK_CHECK_H
#define WRK_CHECK_H

#include <stddef.h>

#include "ram/policy.h"
#include "ram/ram.h"

struct mg_error;
struct wrk_app;

/*
 * The check of one user, as docs/semantics.md defines it. The per-user
 * path (wrk_check_user) and the account-wide sweep (worker/sweep.c) both
 * end in wrk_verdict_decide and wrk_verdict_finish, so for the same
 * policies and MFA state they write the same verdict and the same
 * annotation, byte for byte.
 */

#define WRK_MAX_PATTERNS   64
#define WRK_PATTERN_MAX    128
#define WRK_ANNOTATION_MAX 256

/* The dangerous patterns and options of one rule. */
struct wrk_rule {
    char storage[WRK_MAX_PATTERNS][WRK_PATTERN_MAX];
    const char *patterns[WRK_MAX_PATTERNS];
    size_t npatterns;
    int only_custom;
};

/* Split "ecs:*, oss:*" into patterns. Returns -1 with a message when a
 * pattern is too long or there are too many. No patterns is not an error
 * (the rule is then not applicable). */
int wrk_rule_parse(struct wrk_rule *r, const char *dangerous_actions,
                   int only_custom, char *errbuf, size_t errlen);

enum wrk_compliance {
    WRK_COMPLIANT,
    WRK_NON_COMPLIANT,
    WRK_NOT_APPLICABLE,
};

const char *wrk_compliance_name(enum wrk_compliance c);

struct wrk_grant {
    char pattern[WRK_PATTERN_MAX];
    char action[128];
    char policy[256];
    char policy_type[16];
    char group[128]; /* "" when attached to the user */
    size_t statement;
};

/*
 * A verdict. Sweeps hold one per user of the account, so it is small:
 * the annotation points to a constant or to memory the verdict owns, and
 * the grants are kept only where someone reads them (see
 * wrk_verdict_trim).
 */
struct wrk_verdict {
    enum wrk_compliance compliance;
    const char *annotation; /* never NULL; "" until decided */
    char *owned;            /* the annotation's memory, when not constant */
    int mfa_bound;
    char mfa_type[16];        /* "VMFA", "U2F" */
    char *mfa_serial;         /* owned; NULL when not known */
    struct wrk_grant *grants; /* owned */
    size_t ngrants;
};

void wrk_verdict_init(struct wrk_verdict *v);
void wrk_verdict_release(struct wrk_verdict *v);

/* A policy as it reaches the user, with its parsed document. */
struct wrk_source {
    char name[256];
    char type[16];
    char group[128]; /* "" when attached to the user */
    const struct ram_policy *doc;
};

/* Fill v->grants from the sources (sorted here first). */
int wrk_verdict_decide(const struct wrk_rule *r, struct wrk_source *src,
                       size_t n, struct wrk_verdict *v, struct mg_error *err);

/* Set the compliance and annotation from the grants and the MFA state. */
void wrk_verdict_finish(struct wrk_verdict *v, const struct ram_mfa *mfa);

/* Drop the grants of a verdict nobody will be notified about; they were
 * needed only to write its annotation. */
void wrk_verdict_trim(struct wrk_verdict *v);

/* Verdicts without a check. */
void wrk_verdict_not_applicable(struct wrk_verdict *v, const char *why);

/*
 * Check one user by name against RAM: the user's and its groups'
 * policies, their documents (through the cache) and the MFA state, the
 * independent calls side by side. A user RAM does not know gives
 * NOT_APPLICABLE; any other failure returns -1 with err and no verdict.
 */
int wrk_check_user(struct wrk_app *app, const struct wrk_rule *r,
                   const char *user, struct wrk_verdict *v,
                   struct mg_error *err);

/*
 * Documents for a set of policies, fetched side by side where the cache
 * misses. docs[i] is NULL for a policy RAM no longer has. Release with
 * wrk_put_documents.
 */
int wrk_get_documents(struct wrk_app *app, const struct ram_policy_ref *refs,
                      size_t n, const struct ram_policy **docs,
                      struct mg_error *err);
void wrk_put_documents(struct wrk_app *app, const struct ram_policy **docs,
                       size_t n);

/* Copy s into out (size n) cut at a UTF-8 boundary, ending in "..." when
 * it had to be cut. */
void wrk_utf8_truncate(char *out, size_t n, const char *s);

#endif
