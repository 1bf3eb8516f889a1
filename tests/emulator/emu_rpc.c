#include "emu_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "emu_keys.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

#define MAX_SKEW_S (15 * 60)
#define NONCE_KEEP 100000
#define BAD_PARAMS 1u
#define DUP_PARAMS 2u

struct rpc_version {
    const char *version;
    int family;
    const struct emu_rpc_action *actions;
};

static const struct rpc_version versions[] = {
    { "2015-05-01", EMU_RAM, emu_ram_actions },
    { "2020-09-07", EMU_CONFIG, emu_config_actions },
    { "2019-01-08", EMU_CONFIG, emu_config_actions },
    { "2015-04-01", EMU_STS, emu_sts_actions },
};

/* Recent nonces, guarded by emu_g.lock. */
static struct emu_nonces *nonces;

int emu_rpc_init(void)
{
    nonces = emu_nonces_new(NONCE_KEEP);
    return nonces ? 0 : -1;
}

void emu_rpc_free(void)
{
    emu_nonces_free(nonces);
    nonces = NULL;
}

/* ---- routing ----------------------------------------------------- */

static int is_form(const struct emu_ctx *c)
{
    const char *type = emu_header(c, "Content-Type");

    return type &&
           strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0;
}

static int has_duplicates(const struct emu_ctx *c)
{
    size_t i;
    size_t j;

    for (i = 0; i < c->nparams; i++) {
        for (j = i + 1; j < c->nparams; j++) {
            if (strcmp(c->params[i].name, c->params[j].name) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

/* Parameters are the query and, for a form post, the body: the same set
 * the client signed. */
static void parse_params(struct emu_ctx *c)
{
    char why[128];

    if (emu_parse_pairs(c, c->query, strlen(c->query), 1, why, sizeof(why)) !=
            0 ||
        (is_form(c) &&
         emu_parse_pairs(c, c->body, c->body_len, 1, why, sizeof(why)) != 0)) {
        c->flags |= BAD_PARAMS;
    } else if (has_duplicates(c)) {
        c->flags |= DUP_PARAMS;
    }
}

static void serve_fill(struct emu_ctx *c)
{
    cJSON *root = emu_rpc_answer(c);

    pthread_mutex_lock(&emu_g.lock);
    if (root && c->rpc->fill(c, root) == 0) {
        emu_rpc_send(c, root);
        root = NULL;
    }
    pthread_mutex_unlock(&emu_g.lock);
    cJSON_Delete(root);
}

void emu_rpc_route(struct emu_ctx *c)
{
    const char *version;
    const char *action;
    const struct emu_rpc_action *a;
    size_t i;

    c->style = EMU_STYLE_RPC;
    parse_params(c);
    version = emu_param(c, "Version");
    action = emu_param(c, "Action");
    for (i = 0; version && i < sizeof(versions) / sizeof(versions[0]); i++) {
        if (strcmp(versions[i].version, version) != 0) {
            continue;
        }
        c->family = versions[i].family;
        for (a = versions[i].actions; action && a->name; a++) {
            if (strcmp(a->name, action) == 0) {
                c->action = a->name;
                c->rpc = a;
                c->handler = c->flags  ? NULL
                             : a->fill ? serve_fill
                                       : a->handler;
                c->flags |= a->flags;
                return;
            }
        }
    }
}

void emu_rpc_unknown(struct emu_ctx *c)
{
    if (c->flags & BAD_PARAMS) {
        emu_fail(c, 400, "InvalidParameter",
                 "A parameter is not correctly percent-encoded.");
    } else if (c->flags & DUP_PARAMS) {
        emu_fail(c, 400, "InvalidParameter",
                 "A parameter is given more than once.");
    } else if (c->family < 0) {
        emu_fail(c, 400, "InvalidParameter",
                 "The specified parameter \"Action or Version\" is not "
                 "valid.");
    } else {
        emu_fail(c, 404, "InvalidAction.NotFound",
                 "Specified api is not found, please check your url and "
                 "method.");
    }
}

/* ---- authentication ---------------------------------------------- */

const char *emu_rpc_need(struct emu_ctx *c, const char *name)
{
    const char *v = emu_param(c, name);

    if (v == NULL || *v == '\0') {
        emu_fail(c, 400, "MissingParameter",
                 "The input parameter \"%s\" that is mandatory for "
                 "processing this request is not supplied.",
                 name);
        return NULL;
    }
    return v;
}

static int check_scheme(struct emu_ctx *c)
{
    const char *method = emu_rpc_need(c, "SignatureMethod");
    const char *version = method ? emu_rpc_need(c, "SignatureVersion") : NULL;

    if (method == NULL || version == NULL ||
        emu_rpc_need(c, "SignatureNonce") == NULL ||
        emu_rpc_need(c, "Signature") == NULL) {
        return -1;
    }
    if (strcmp(method, "HMAC-SHA1") != 0 || strcmp(version, "1.0") != 0) {
        emu_fail(c, 400, "IncompleteSignature",
                 "The request signature does not conform to Aliyun "
                 "standards: only SignatureMethod HMAC-SHA1 with "
                 "SignatureVersion 1.0 is emulated.");
        return -1;
    }
    return 0;
}

static int check_timestamp(struct emu_ctx *c)
{
    const char *ts = emu_rpc_need(c, "Timestamp");
    time_t t;
    long long skew;

    if (ts == NULL) {
        return -1;
    }
    if (mg_parse_iso8601(ts, &t) != 0) {
        emu_fail(c, 400, "InvalidTimeStamp.Format",
                 "Specified time stamp or date value is not well formatted.");
        return -1;
    }
    skew = (long long)(c->now_ms / 1000) - (long long)t;
    if (skew > MAX_SKEW_S || skew < -MAX_SKEW_S) {
        emu_fail(c, 400, "InvalidTimeStamp.Expired",
                 "Specified time stamp or date value is expired.");
        return -1;
    }
    return 0;
}

static int check_token(struct emu_ctx *c, const struct emu_key *k)
{
    const char *token = emu_param(c, "SecurityToken");

    if (!k->sts && token) {
        emu_fail(c, 400, "InvalidSecurityToken.Malformed",
                 "Specified SecurityToken is malformed: a long-term "
                 "AccessKey takes no SecurityToken.");
        return -1;
    }
    if (k->sts && token == NULL) {
        emu_fail(c, 400, "MissingSecurityToken",
                 "SecurityToken is mandatory for this AccessKeyId.");
        return -1;
    }
    if (k->sts && strcmp(token, k->token) != 0) {
        emu_fail(c, 400, "InvalidSecurityToken.MismatchWithAccessKey",
                 "Specified SecurityToken mismatch with the AccessKey.");
        return -1;
    }
    if (k->sts && c->now_ms >= k->expire_ms) {
        emu_fail(c, 400, "InvalidSecurityToken.Expired",
                 "Specified SecurityToken is expired.");
        return -1;
    }
    return 0;
}

static int check_signature(struct emu_ctx *c, const struct emu_key *k)
{
    struct mg_buf canon = MG_BUF_INIT(2 * EMU_MAX_BODY_RPC);
    struct mg_buf sts = MG_BUF_INIT(6 * EMU_MAX_BODY_RPC);
    char want[64];
    int ok;

    ok = emu_rpc_canonical(&canon, c->params, c->nparams) == 0 &&
         emu_rpc_string_to_sign(&sts, c->method, canon.data) == 0 &&
         emu_rpc_signature(k->secret, sts.data, want, sizeof(want)) == 0 &&
         emu_sig_equal(want, emu_param(c, "Signature"));
    if (!ok) {
        emu_fail(c, 400, "SignatureDoesNotMatch",
                 "Specified signature is not matched with our calculation. "
                 "server string to sign is:%.1900s",
                 mg_buf_str(&sts));
    }
    mg_buf_release(&canon);
    mg_buf_release(&sts);
    return ok ? 0 : -1;
}

/* A nonce counts as used only once the signature is known good, so a
 * forged request cannot burn a genuine client's nonce. */
static int check_nonce(struct emu_ctx *c, const char *id)
{
    struct mg_buf key = MG_BUF_INIT(4096);
    int seen;

    if (mg_buf_addf(&key, "%s\n%s", id, emu_param(c, "SignatureNonce"))) {
        mg_buf_release(&key);
        emu_fail(c, 400, "InvalidParameter", "SignatureNonce is too long.");
        return -1;
    }
    pthread_mutex_lock(&emu_g.lock);
    seen = emu_nonces_check_add(nonces, key.data);
    pthread_mutex_unlock(&emu_g.lock);
    mg_buf_release(&key);
    if (seen != 0) {
        emu_fail(c, 400, "SignatureNonceUsed",
                 "Specified signature nonce was used already.");
        return -1;
    }
    return 0;
}

int emu_rpc_auth(struct emu_ctx *c)
{
    const char *id;
    struct emu_key k;

    if (c->flags & EMU_RPC_UNSIGNED) {
        return 0;
    }
    id = emu_rpc_need(c, "AccessKeyId");
    if (id == NULL || check_scheme(c) != 0 || check_timestamp(c) != 0) {
        return -1;
    }
    if (emu_keys_find(id, &k) != 0) {
        emu_fail(c, 404, "InvalidAccessKeyId.NotFound",
                 "Specified access key is not found.");
        return -1;
    }
    if (check_token(c, &k) != 0 || check_signature(c, &k) != 0 ||
        check_nonce(c, id) != 0) {
        return -1;
    }
    snprintf(c->key_id, sizeof(c->key_id), "%s", id);
    return 0;
}

/* ---- answers ----------------------------------------------------- */

cJSON *emu_rpc_answer(struct emu_ctx *c)
{
    cJSON *root = cJSON_CreateObject();

    if (c->request_id[0] == '\0') {
        emu_new_request_id(c);
    }
    if (root == NULL ||
        cJSON_AddStringToObject(root, "RequestId", c->request_id) == NULL) {
        cJSON_Delete(root);
        emu_fail(c, 500, "InternalError", "Out of memory.");
        return NULL;
    }
    return root;
}

void emu_rpc_send(struct emu_ctx *c, cJSON *root)
{
    char *text = cJSON_PrintUnformatted(root);

    cJSON_Delete(root);
    if (text == NULL) {
        emu_fail(c, 500, "InternalError", "Out of memory.");
        return;
    }
    mg_buf_reset(&c->out);
    mg_buf_adds(&c->out, text);
    free(text);
    emu_reply(c, 200, "application/json;charset=utf-8");
}

cJSON *emu_rpc_list(cJSON *root, const char *name, const char *item)
{
    cJSON *wrap = cJSON_AddObjectToObject(root, name);

    return wrap ? cJSON_AddArrayToObject(wrap, item) : NULL;
}

static int decode_marker(const char *marker, const char *kind, size_t total,
                         size_t *first)
{
    struct mg_buf b = MG_BUF_INIT(128);
    size_t klen = strlen(kind);
    long long at;
    int ok;

    ok = mg_b64_decode(&b, marker, strlen(marker)) == 0 && b.len > klen &&
         strncmp(b.data, kind, klen) == 0 && b.data[klen] == ':' &&
         emu_parse_int(b.data + klen + 1, 1, (long long)total, &at) == 0;
    mg_buf_release(&b);
    if (ok) {
        *first = (size_t)at;
    }
    return ok ? 0 : -1;
}

int emu_rpc_page(struct emu_ctx *c, const char *kind, size_t total,
                 size_t *first, size_t *count)
{
    const char *marker = emu_param(c, "Marker");
    const char *max = emu_param(c, "MaxItems");
    long long n = 100;

    *first = 0;
    if (max && emu_parse_int(max, 1, 1000, &n) != 0) {
        emu_fail(c, 400, "InvalidParameter.MaxItems",
                 "The parameter MaxItems should be between 1 and 1000.");
        return -1;
    }
    if (marker && *marker && decode_marker(marker, kind, total, first) != 0) {
        emu_fail(c, 400, "InvalidParameter.Marker",
                 "The parameter Marker is invalid.");
        return -1;
    }
    *count = total - *first < (size_t)n ? total - *first : (size_t)n;
    return 0;
}

void emu_rpc_page_end(cJSON *root, const char *kind, size_t next, size_t total)
{
    struct mg_buf b = MG_BUF_INIT(128);
    char raw[96];

    cJSON_AddBoolToObject(root, "IsTruncated", next < total);
    if (next >= total) {
        return;
    }
    snprintf(raw, sizeof(raw), "%s:%zu", kind, next);
    if (mg_b64_encode(&b, raw, strlen(raw)) == 0) {
        cJSON_AddStringToObject(root, "Marker", b.data);
    }
    mg_buf_release(&b);
}
