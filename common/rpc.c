#include "common/rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/cred.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"

#include "common/banned.h"

#define MAX_PARAMS           64
#define DEFAULT_MAX_RESPONSE (4u << 20)

static int param_cmp(const void *a, const void *b)
{
    const struct mg_param *x = a;
    const struct mg_param *y = b;

    return strcmp(x->name, y->name);
}

int mg_rpc_canonical(struct mg_buf *out, const struct mg_param *params,
                     size_t n)
{
    struct mg_param sorted[MAX_PARAMS];
    size_t i;

    if (n > MAX_PARAMS) {
        return -1;
    }
    memcpy(sorted, params, n * sizeof(*params));
    qsort(sorted, n, sizeof(*sorted), param_cmp);
    for (i = 0; i < n; i++) {
        if ((i > 0 && mg_buf_addc(out, '&') != 0) ||
            mg_pct_encode(out, sorted[i].name, strlen(sorted[i].name)) ||
            mg_buf_addc(out, '=') != 0 ||
            mg_pct_encode(out, sorted[i].value, strlen(sorted[i].value))) {
            return -1;
        }
    }
    return out->data ? 0 : mg_buf_add(out, "", 0);
}

int mg_rpc_signature(const char *method, const char *canonical,
                     const char *secret, char *sig, size_t siglen)
{
    struct mg_buf sts = MG_BUF_INIT(1u << 22);
    struct mg_buf key = MG_BUF_INIT(1024);
    int rc = -1;

    if (mg_buf_addf(&sts, "%s&%%2F&", method) != 0 ||
        mg_pct_encode(&sts, canonical, strlen(canonical)) != 0 ||
        mg_buf_addf(&key, "%s&", secret) != 0) {
        goto out;
    }
    rc = mg_hmac_sha1_b64(key.data, key.len, sts.data, sts.len, sig, siglen);
out:
    mg_buf_release(&sts);
    mg_buf_release(&key);
    return rc;
}

/* Common parameters plus the caller's, signed, as query or form text. */
static int build_query(const struct mg_rpc_service *s, const char *action,
                       int post, const struct mg_param *params, size_t n,
                       const struct mg_cred *cred, struct mg_buf *q)
{
    struct mg_param all[MAX_PARAMS];
    char nonce[40];
    char stamp[24];
    char sig[64];
    size_t k = 0;

    if (n + 9 > MAX_PARAMS) {
        return -1;
    }
    mg_uuid(nonce, sizeof(nonce));
    mg_fmt_iso8601((time_t)(mg_now_ms() / 1000), stamp, sizeof(stamp));
    all[k++] = (struct mg_param){ "Action", action };
    all[k++] = (struct mg_param){ "Version", s->version };
    all[k++] = (struct mg_param){ "Format", "JSON" };
    all[k++] = (struct mg_param){ "Timestamp", stamp };
    all[k++] = (struct mg_param){ "SignatureNonce", nonce };
    if (cred) {
        all[k++] = (struct mg_param){ "AccessKeyId", cred->id };
        all[k++] = (struct mg_param){ "SignatureMethod", "HMAC-SHA1" };
        all[k++] = (struct mg_param){ "SignatureVersion", "1.0" };
        if (cred->token[0]) {
            all[k++] = (struct mg_param){ "SecurityToken", cred->token };
        }
    }
    memcpy(all + k, params, n * sizeof(*params));
    k += n;

    if (mg_rpc_canonical(q, all, k) != 0) {
        return -1;
    }
    if (cred == NULL) {
        return 0;
    }
    if (mg_rpc_signature(post ? "POST" : "GET", q->data, cred->secret, sig,
                         sizeof(sig)) != 0 ||
        mg_buf_adds(q, "&Signature=") != 0) {
        return -1;
    }
    return mg_pct_encode(q, sig, strlen(sig));
}

/* Read Code / Message / RequestId out of an error body, if it is JSON. */
static void read_error_body(const struct mg_http_response *rs,
                            struct mg_error *err)
{
    cJSON *j = mg_json_parse(rs->body.data, rs->body.len, NULL);
    const char *code = j ? mg_json_str(j, "Code") : NULL;
    const char *msg = j ? mg_json_str(j, "Message") : NULL;
    const char *rid = j ? mg_json_str(j, "RequestId") : NULL;

    mg_error_classify(err, rs->status, code);
    if (code == NULL) {
        snprintf(err->code, sizeof(err->code), "Http%ld", rs->status);
    }
    snprintf(err->message, sizeof(err->message), "%s",
             msg ? msg : "error answer without a JSON body");
    if (rid) {
        snprintf(err->request_id, sizeof(err->request_id), "%s", rid);
    }
    cJSON_Delete(j);
}

/* A 2xx body can still carry an error Code; the SDKs check it too. */
static int success_code(const char *code)
{
    return code == NULL || strcmp(code, "200") == 0 ||
           strcmp(code, "OK") == 0 || strcasecmp(code, "success") == 0;
}

static int read_answer(const struct mg_http_response *rs, cJSON **out,
                       struct mg_error *err)
{
    cJSON *j;

    if (rs->status < 200 || rs->status > 299) {
        read_error_body(rs, err);
        return -1;
    }
    j = mg_json_parse(rs->body.data, rs->body.len, err);
    if (j == NULL) {
        /* A cut or garbled answer is worth another try. */
        err->cls = MG_RETRY;
        return -1;
    }
    if (!success_code(mg_json_str(j, "Code"))) {
        mg_error_classify(err, rs->status, mg_json_str(j, "Code"));
        snprintf(err->message, sizeof(err->message), "%s",
                 mg_json_str(j, "Message") ? mg_json_str(j, "Message") : "");
        cJSON_Delete(j);
        return -1;
    }
    *out = j;
    return 0;
}

/* One signed exchange. */
static int attempt(const struct mg_rpc_service *s, const char *action, int post,
                   const struct mg_param *params, size_t n, cJSON **out,
                   struct mg_error *err)
{
    struct mg_cred cred;
    struct mg_buf q = MG_BUF_INIT(1u << 22);
    struct mg_buf url = MG_BUF_INIT(1u << 23);
    struct mg_http_response rs;
    struct mg_http_request rq = { post ? "POST" : "GET", NULL,   NULL, NULL, 0,
                                  s->timeout_ms,         s->stop };
    static const char *const form[] = {
        "Content-Type: application/x-www-form-urlencoded", NULL
    };
    int64_t started = mg_mono_ms();
    int rc = -1;

    mg_http_response_init(&rs, s->max_response ? s->max_response
                                               : DEFAULT_MAX_RESPONSE);
    if (s->cred && mg_cred_get(s->cred, &cred, err) != 0) {
        goto out;
    }
    if (build_query(s, action, post, params, n, s->cred ? &cred : NULL, &q) !=
            0 ||
        mg_buf_addf(&url, "%s/%s%s", s->endpoint, post ? "" : "?",
                    post ? "" : q.data) != 0) {
        mg_error_set(err, MG_FINAL, "RequestTooLarge",
                     "request parameters too large");
        goto out;
    }
    rq.url = url.data;
    if (post) {
        rq.headers = form;
        rq.body = q.data;
        rq.body_len = q.len;
    }

    mg_limiter_acquire(s->limiter, s->stop);
    rc = mg_http_perform(&rq, &rs, err);
    if (rc == 0) {
        rc = read_answer(&rs, out, err);
    }
    if (rs.request_id[0] && !err->request_id[0]) {
        snprintf(err->request_id, sizeof(err->request_id), "%s", rs.request_id);
    }
    err->retry_after_ms = rs.retry_after_ms;
    mg_api_observe(s->family, action, err, started);
out:
    mg_cred_wipe(&cred);
    mg_buf_release(&q);
    mg_buf_release(&url);
    mg_http_response_release(&rs);
    return rc;
}

int mg_rpc_call(const struct mg_rpc_service *s, const char *action, int post,
                const struct mg_param *params, size_t n, cJSON **out,
                struct mg_error *err)
{
    int tries = s->retry.max_attempts > 0 ? s->retry.max_attempts : 1;
    int i;

    *out = NULL;
    for (i = 1;; i++) {
        int64_t delay;

        mg_error_clear(err);
        if (attempt(s, action, post, params, n, out, err) == 0) {
            return 0;
        }
        mg_error_set_api(err, s->family, action);
        if (strcmp(err->code, "InvalidSecurityToken.Expired") == 0) {
            mg_cred_invalidate(s->cred);
        }
        if (err->cls != MG_RETRY || i >= tries || (s->stop && *s->stop)) {
            return -1;
        }

        delay = mg_retry_delay(&s->retry, i, err->retry_after_ms);
        if (err->throttled) {
            mg_limiter_throttled(s->limiter, delay);
        }
        mg_log_debug("api.retry", MG_LERR(err), MG_LI("attempt", i),
                     MG_LI("delay_ms", delay));
        mg_sleep_ms(delay, s->stop);
    }
}
