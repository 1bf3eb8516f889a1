#include "config/config.h"

/* After the contract, so that it is seen to compile on its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/rpc.h"

/* Last: its renames must not reach the headers above. */
#include "common/banned.h"

#define DEFAULT_VERSION "2020-09-07"
#define MAX_ENDPOINT    256
#define MAX_ANSWER      (256u << 10)
/* 100 evaluations with 256-byte annotations, every byte escaped, fit. */
#define MAX_EVALUATIONS_TEXT (1u << 20)

struct cfg_client {
    struct mg_rpc_service svc;
    char endpoint[MAX_ENDPOINT];
    char version[16];
};

/* Both versions have PutEvaluations with the same parameters. */
static const char *pick_version(const char *v)
{
    if (v == NULL || v[0] == '\0') {
        return DEFAULT_VERSION;
    }
    if (strcmp(v, "2020-09-07") == 0 || strcmp(v, "2019-01-08") == 0) {
        return v;
    }
    return NULL;
}

static const char *options_problem(const struct cfg_options *opt)
{
    const char *e = opt != NULL ? opt->endpoint : NULL;

    if (e == NULL || e[0] == '\0') {
        return "no endpoint";
    }
    if (strncmp(e, "https://", 8) != 0 && strncmp(e, "http://", 7) != 0) {
        return "endpoint is not an http:// or https:// URL";
    }
    if (strlen(e) >= MAX_ENDPOINT) {
        return "endpoint too long";
    }
    if (pick_version(opt->version) == NULL) {
        return "version is neither 2020-09-07 nor 2019-01-08";
    }
    return NULL;
}

struct cfg_client *cfg_client_new(const struct cfg_options *opt)
{
    const char *problem = options_problem(opt);
    struct cfg_client *c;
    size_t len;

    if (problem != NULL) {
        mg_log_error("config.client.refused", MG_LS("reason", problem));
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return NULL;
    }

    /* The signer appends "/" itself. */
    snprintf(c->endpoint, sizeof(c->endpoint), "%s", opt->endpoint);
    len = strlen(c->endpoint);
    while (len > 0 && c->endpoint[len - 1] == '/') {
        c->endpoint[--len] = '\0';
    }
    snprintf(c->version, sizeof(c->version), "%s", pick_version(opt->version));
    c->svc = (struct mg_rpc_service){
        .family = "config",
        .endpoint = c->endpoint,
        .version = c->version,
        .cred = opt->cred,
        .limiter = opt->limiter,
        .retry = opt->retry,
        .timeout_ms = opt->timeout_ms,
        .max_response = MAX_ANSWER,
        .stop = opt->stop,
    };
    return c;
}

void cfg_client_free(struct cfg_client *c)
{
    free(c);
}

static int check_request(const struct cfg_client *c, const char *token,
                         const struct cfg_evaluation *ev, size_t n,
                         struct mg_error *err)
{
    if (c == NULL || token == NULL || token[0] == '\0') {
        return mg_error_set(err, MG_INVALID, "MissingResultToken",
                            "PutEvaluations needs a client and a token");
    }
    if (ev == NULL || n == 0 || n > CFG_MAX_EVALUATIONS_PER_CALL) {
        return mg_error_set(err, MG_INVALID, "EvaluationsCount",
                            "PutEvaluations takes 1 to %d evaluations, "
                            "not %zu",
                            CFG_MAX_EVALUATIONS_PER_CALL, n);
    }
    return 0;
}

/*
 * A 2xx answer without "Result": true has not recorded the verdicts, and
 * no code says why. The verdicts are still right, so the caller is told
 * to try again: the message returns to the queue and, if the answer never
 * changes, reaches the dead-letter queue with this reason instead of
 * being deleted with nothing written.
 */
static int check_result(const cJSON *answer, struct mg_error *err)
{
    const char *rid = mg_json_str(answer, "RequestId");
    int ok = 0;

    if (mg_json_bool(answer, "Result", &ok) == 0 && ok) {
        return 0;
    }
    mg_error_set(err, MG_RETRY,
                 mg_json_get(answer, "Result") ? "ResultFalse"
                                               : "ResultMissing",
                 "PutEvaluations answered without \"Result\": true");
    mg_error_set_api(err, "config", "PutEvaluations");
    if (rid != NULL) {
        snprintf(err->request_id, sizeof(err->request_id), "%s", rid);
    }
    return -1;
}

int cfg_put_evaluations(struct cfg_client *c, const char *result_token,
                        const struct cfg_evaluation *ev, size_t n,
                        struct mg_error *err)
{
    struct mg_buf text = MG_BUF_INIT(MAX_EVALUATIONS_TEXT);
    struct mg_param params[2];
    cJSON *answer = NULL;
    char shown[24];
    int rc;

    mg_error_clear(err);
    mg_error_set_api(err, "config", "PutEvaluations");
    if (check_request(c, result_token, ev, n, err) != 0) {
        return -1;
    }
    if (cfg_evaluations_json(&text, ev, n) != 0) {
        mg_buf_release(&text);
        return mg_error_set(err, MG_INVALID, "EvaluationsInvalid",
                            "an evaluation is incomplete, not UTF-8, or "
                            "the whole is too large");
    }

    params[0] = (struct mg_param){ "ResultToken", result_token };
    params[1] = (struct mg_param){ "Evaluations", text.data };
    rc = mg_rpc_call(&c->svc, "PutEvaluations", 1, params, 2, &answer, err);
    mg_buf_release(&text);
    if (rc == 0) {
        rc = check_result(answer, err);
    }
    if (rc == 0) {
        mg_log_debug(
            "config.evaluations.put", MG_LI("evaluations", n),
            MG_LS("token", mg_log_token(result_token, shown, sizeof(shown))));
    }
    cJSON_Delete(answer);
    return rc;
}
