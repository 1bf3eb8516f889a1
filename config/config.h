#ifndef CFG_CONFIG_H
#define CFG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/limiter.h"

struct mg_buf;
struct mg_cred_provider;
struct mg_error;

/*
 * Alibaba Cloud Config, the service: the events it sends (rule-evaluation
 * requests, resource-change and non-compliance notifications) and
 * PutEvaluations, by which a custom rule reports its verdicts. (The
 * worker's own settings live in worker/settings.c, not here.)
 */

enum cfg_event_kind {
    CFG_EVENT_RULE,          /* rule-evaluation request with a resultToken */
    CFG_EVENT_CHANGE,        /* resource-change notification */
    CFG_EVENT_NONCOMPLIANCE, /* Config's own non-compliance notification */
    CFG_EVENT_OTHER,         /* understood, nothing to do (snapshots, ...) */
};

struct cfg_resource {
    int64_t account_id;
    char id[128];        /* resourceId; for a RAM user, the UserId */
    char name[256];      /* resourceName */
    char type[64];       /* "ACS::RAM::User" */
    char region[64];     /* regionId, echoed back in evaluations */
    char user_name[128]; /* configuration.UserName, else resourceName */
    int64_t capture_ms;
};

struct cfg_event {
    enum cfg_event_kind kind;
    char message_type[64]; /* messageType, dataType or eventName */
    char change_type[32];  /* ResourceAdd / ResourceUpdate / ResourceDelete */
    char *result_token;    /* owned; NULL for notifications */
    int has_rule_parameters;
    char *dangerous_actions; /* owned; NULL when the rule gave none */
    int only_custom;
    int has_resource; /* 0 for a periodic request over everything */
    struct cfg_resource res;
    int64_t account_id;  /* of the event, when it has no resource */
    int64_t ordering_ms; /* orderingTimestamp, captureTime, or now */
    int ordering_given;  /* 0: the event had none; ordering_ms is now */
    char request_id[128];
    char rule_name[128]; /* from ruleParameters or the event, if any */
};

/* The largest payload cfg_event_parse reads; Config pushes at most about
 * 100 KB of configuration inline. */
#define CFG_MAX_EVENT_BYTES (256u * 1024u)

/*
 * Parse a message payload as a Config event. Accepts numbers or strings
 * for ids and timestamps, configuration as an object or a JSON string,
 * camelCase or legacy PascalCase keys, and ignores unknown fields.
 * Returns 0, or -1 with err classed MG_INVALID for text that is not JSON
 * or not an event of any known kind (the caller dead-letters it).
 *
 * Also refused (MG_INVALID, err->message says which field): text over
 * CFG_MAX_EVENT_BYTES or holding a NUL byte; a value longer than its
 * fixed field, or not UTF-8; an id or timestamp that is not an integer;
 * a rule request without resultToken or invokingEvent; a rule request
 * that names no resource unless it is ScheduledNotification or
 * configurationType NONE (then has_resource is 0); a change
 * notification that names no resource. account_id is 0 when the event
 * carries none (a periodic request may not). ev is zeroed first and
 * holds nothing to release after a failure; after success the caller
 * calls cfg_event_release. err is cleared first.
 */
int cfg_event_parse(const char *text, size_t len, struct cfg_event *ev,
                    struct mg_error *err);
void cfg_event_release(struct cfg_event *ev);

struct cfg_evaluation {
    int64_t account_id;
    const char *resource_id;
    const char *resource_type;
    const char *region;
    const char *resource_name; /* may be NULL */
    int64_t ordering_ms;
    const char *compliance; /* COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE */
    const char *annotation; /* may be NULL */
};

/*
 * The Evaluations parameter: a strict JSON array, accountId exact.
 * Appends to out; returns 0, or -1 with out as it was when an evaluation
 * lacks account_id (> 0), resource_id, resource_type, region (may be "")
 * or a known compliance type, when a string is not valid UTF-8, or when
 * out's limit is reached. resource_name and annotation are left out when
 * NULL or "".
 */
int cfg_evaluations_json(struct mg_buf *out, const struct cfg_evaluation *ev,
                         size_t n);

/* 1 when e has everything cfg_evaluations_json needs, else 0. */
int cfg_evaluation_valid(const struct cfg_evaluation *e);

#define CFG_MAX_EVALUATIONS_PER_CALL 100

struct cfg_client;

struct cfg_options {
    const char *endpoint; /* base URL from settings, no trailing slash */
    const char *version;  /* "2020-09-07" (default) or "2019-01-08" */
    struct mg_cred_provider *cred;
    struct mg_limiter *limiter;
    struct mg_retry_policy retry;
    long timeout_ms;
    volatile const int *stop;
};

/*
 * The client copies endpoint and version; cred, limiter and stop must
 * outlive it. endpoint is required (http:// or https://); version NULL or
 * "" means 2020-09-07. Returns NULL (and logs why) for bad options.
 */
struct cfg_client *cfg_client_new(const struct cfg_options *opt);
void cfg_client_free(struct cfg_client *c);

/*
 * PutEvaluations (POST) for at most CFG_MAX_EVALUATIONS_PER_CALL results
 * with the request's token. Succeeds only when the answer says
 * "Result": true.
 *
 * n of 0 or over the maximum, or an evaluation cfg_evaluations_json
 * refuses: MG_INVALID, nothing sent. A 2xx answer whose Result is false
 * ("ResultFalse") or missing ("ResultMissing"): MG_RETRY. Otherwise err
 * is what mg_rpc_call reported. The token is never logged whole.
 */
int cfg_put_evaluations(struct cfg_client *c, const char *result_token,
                        const struct cfg_evaluation *ev, size_t n,
                        struct mg_error *err);

/*
 * A non-compliance notification shaped like Config's own
 * NonCompliantNotification event (so existing subscribers of the topic
 * understand it), with extra, a JSON object of the sender's details,
 * attached under "mfaguard". Takes ownership of extra.
 */
struct cfg_notice {
    const struct cfg_evaluation *evaluation;
    const char *rule_name;
    const char *risk_level;            /* "Warning" unless set */
    const char *invoking_message_type; /* of the triggering event */
    const char *request_id;            /* stable: the dedupe key */
    int64_t created_ms;
};

/*
 * Appends one compact JSON object to out. evaluation needs what
 * cfg_evaluations_json needs; request_id is required and, like rule_name,
 * at most 127 bytes so that cfg_event_parse reads the notice back (as
 * CFG_EVENT_NONCOMPLIANCE). created_ms 0 means now. extra may be NULL; it
 * is freed in every case. Returns 0, or -1 with out as it was.
 */
int cfg_notice_json(struct mg_buf *out, const struct cfg_notice *n,
                    cJSON *extra);

#endif
