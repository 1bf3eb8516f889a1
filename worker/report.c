#include "worker/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/pool.h"
#include "config/config.h"
#include "mns/mns.h"
#include "worker/app.h"
#include "worker/check.h"

#include "common/banned.h"

int wrk_subject_set(struct wrk_subject *s, int64_t account_id,
                    int64_t ordering_ms, const char *resource_id,
                    const char *resource_type, const char *region,
                    const char *resource_name, const char *user_name)
{
    const char *in[5] = { resource_id, resource_type, region, resource_name,
                          user_name };
    const char **out[5] = { &s->resource_id, &s->resource_type, &s->region,
                            &s->resource_name, &s->user_name };
    size_t len[5];
    size_t total = 0;
    size_t i;
    char *p;

    for (i = 0; i < 5; i++) {
        in[i] = in[i] ? in[i] : "";
        len[i] = strlen(in[i]) + 1;
        total += len[i];
    }
    p = malloc(total);
    if (p == NULL) {
        return -1;
    }
    s->block = p;
    s->account_id = account_id;
    s->ordering_ms = ordering_ms;
    for (i = 0; i < 5; i++) {
        memcpy(p, in[i], len[i]);
        *out[i] = p;
        p += len[i];
    }
    return 0;
}

void wrk_subject_release(struct wrk_subject *s)
{
    free(s->block);
    memset(s, 0, sizeof(*s));
}

static void to_evaluation(const struct wrk_subject *s,
                          const struct wrk_verdict *v, struct cfg_evaluation *e)
{
    e->account_id = s->account_id;
    e->resource_id = s->resource_id;
    e->resource_type = s->resource_type;
    e->region = s->region;
    e->resource_name = s->resource_name[0] ? s->resource_name : NULL;
    e->ordering_ms = s->ordering_ms;
    e->compliance = wrk_compliance_name(v->compliance);
    e->annotation = v->annotation[0] ? v->annotation : NULL;
}

struct eval_job {
    struct wrk_app *app;
    const char *token;
    const struct wrk_subject *subjects;
    const struct wrk_verdict *verdicts;
    size_t n;
    struct mg_error *errs;
};

static void put_chunk(size_t i, void *arg)
{
    struct eval_job *j = arg;
    struct cfg_evaluation ev[CFG_MAX_EVALUATIONS_PER_CALL];
    size_t start = i * CFG_MAX_EVALUATIONS_PER_CALL;
    size_t k;

    for (k = 0; k < CFG_MAX_EVALUATIONS_PER_CALL && start + k < j->n; k++) {
        to_evaluation(&j->subjects[start + k], &j->verdicts[start + k], &ev[k]);
    }
    cfg_put_evaluations(j->app->config, j->token, ev, k, &j->errs[i]);
}

int wrk_write_evaluations(struct wrk_app *app, const char *result_token,
                          const struct wrk_subject *subjects,
                          const struct wrk_verdict *verdicts, size_t n,
                          struct mg_error *err)
{
    size_t chunks =
        (n + CFG_MAX_EVALUATIONS_PER_CALL - 1) / CFG_MAX_EVALUATIONS_PER_CALL;
    struct mg_error *errs = chunks ? calloc(chunks, sizeof(*errs)) : NULL;
    struct eval_job job = { app, result_token, subjects, verdicts, n, errs };
    size_t i;
    int rc;

    if (chunks && errs == NULL) {
        return mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
    }
    mg_pool_for(app->pool, chunks, 0, put_chunk, &job);
    rc = mg_error_first(errs, chunks, err);
    free(errs);
    if (rc == 0) {
        for (i = 0; i < n; i++) {
            char labels[64];

            snprintf(labels, sizeof(labels), "compliance=\"%s\"",
                     wrk_compliance_name(verdicts[i].compliance));
            mg_counter_add("mfaguard_verdicts_total", labels, 1);
        }
    }
    return rc;
}

void wrk_dedupe_key(const struct wrk_subject *s, const char *rule_name,
                    const char *compliance, char *out, size_t outlen)
{
    struct mg_buf b = MG_BUF_INIT(4096);
    char hex[65];

    mg_buf_addf(&b, "%lld\n%s\n%s\n%lld\n%s", (long long)s->account_id,
                s->resource_id, rule_name, (long long)s->ordering_ms,
                compliance);
    mg_sha256_hex(mg_buf_str(&b), b.len, hex);
    snprintf(out, outlen, "%.32s", hex);
    mg_buf_release(&b);
}

/* A notification lists this many grants at most (and how many more
 * there were): a thousand would not fit an MNS message. */
#define NOTICE_MAX_GRANTS 20

static cJSON *grants_json(const struct wrk_verdict *v)
{
    cJSON *arr = cJSON_CreateArray();
    size_t i;

    for (i = 0; arr && i < v->ngrants && i < NOTICE_MAX_GRANTS; i++) {
        const struct wrk_grant *g = &v->grants[i];
        cJSON *o = cJSON_CreateObject();

        if (o == NULL) {
            break;
        }
        cJSON_AddStringToObject(o, "pattern", g->pattern);
        cJSON_AddStringToObject(o, "action", g->action);
        cJSON_AddStringToObject(o, "policy", g->policy);
        cJSON_AddStringToObject(o, "policyType", g->policy_type);
        if (g->group[0]) {
            cJSON_AddStringToObject(o, "group", g->group);
        }
        cJSON_AddNumberToObject(o, "statement", (double)g->statement);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *extra_json(const struct wrk_origin *o,
                         const struct wrk_subject *s,
                         const struct wrk_verdict *v, const char *key)
{
    cJSON *x = cJSON_CreateObject();
    cJSON *mfa = cJSON_CreateObject();

    if (x == NULL || mfa == NULL) {
        cJSON_Delete(x);
        cJSON_Delete(mfa);
        return NULL;
    }
    cJSON_AddStringToObject(x, "user", s->user_name);
    cJSON_AddStringToObject(x, "userId", s->resource_id);
    cJSON_AddItemToObject(x, "grants", grants_json(v));
    if (v->ngrants > NOTICE_MAX_GRANTS) {
        cJSON_AddNumberToObject(x, "grantsOmitted",
                                (double)(v->ngrants - NOTICE_MAX_GRANTS));
    }
    cJSON_AddBoolToObject(mfa, "bound", v->mfa_bound);
    if (v->mfa_bound) {
        cJSON_AddStringToObject(mfa, "type", v->mfa_type);
    }
    cJSON_AddItemToObject(x, "mfa", mfa);
    cJSON_AddStringToObject(x, "sourceMessageId",
                            o->message_id ? o->message_id : "");
    cJSON_AddStringToObject(x, "dedupeKey", key);
    return x;
}

struct notify_job {
    struct wrk_app *app;
    const struct wrk_origin *origin;
    const struct wrk_subject *subjects;
    const struct wrk_verdict *verdicts;
    struct mg_error *errs;
};

static void publish_one(size_t i, void *arg)
{
    struct notify_job *j = arg;
    const struct wrk_subject *s = &j->subjects[i];
    const struct wrk_verdict *v = &j->verdicts[i];
    struct cfg_evaluation ev;
    struct cfg_notice notice;
    struct mg_buf body = MG_BUF_INIT(MNS_MAX_BODY);
    char key[40];
    char id[128];

    if (v->compliance != WRK_NON_COMPLIANT) {
        return;
    }
    to_evaluation(s, v, &ev);
    wrk_dedupe_key(s, j->origin->rule_name, ev.compliance, key, sizeof(key));
    notice = (struct cfg_notice){ &ev,       j->origin->rule_name,
                                  "Warning", j->origin->message_type,
                                  key,       mg_now_ms() };
    if (cfg_notice_json(&body, &notice, extra_json(j->origin, s, v, key)) !=
        0) {
        mg_error_set(&j->errs[i], MG_FINAL, "NoticeInvalid",
                     "notification for %s cannot be built: a field is "
                     "missing or invalid, or it passes 64 KiB",
                     s->user_name);
    } else if (mns_publish(j->app->mns, j->app->set.notify_topic, body.data,
                           body.len, j->app->set.notify_tag, id, sizeof(id),
                           &j->errs[i]) == 0) {
        mg_counter_add("mfaguard_notifications_total", "", 1);
        mg_log_info("notification.published", MG_LS("user", s->user_name),
                    MG_LS("dedupe_key", key), MG_LS("notification_id", id));
    }
    mg_buf_release(&body);
}

int wrk_notify(struct wrk_app *app, const struct wrk_origin *origin,
               const struct wrk_subject *subjects,
               const struct wrk_verdict *verdicts, size_t n,
               struct mg_error *err)
{
    struct mg_error *errs = n ? calloc(n, sizeof(*errs)) : NULL;
    struct notify_job job = { app, origin, subjects, verdicts, errs };
    int rc;

    if (n && errs == NULL) {
        return mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
    }
    mg_pool_for(app->pool, n, 0, publish_one, &job);
    rc = mg_error_first(errs, n, err);
    free(errs);
    return rc;
}
