#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "emu_faults.h"
#include "emu_keys.h"
#include "emu_rpc.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

/*
 * STS 2015-04-01 and the ECS metadata credential path. Issued keys go to
 * the key store, so every emulated service accepts them (with their token)
 * until they expire.
 */

#define MIN_DURATION_S     900
#define MAX_DURATION_S     43200
#define DEFAULT_DURATION_S 3600
#define ECS_DURATION_S     21600

/* The lifetime to grant: asked for, capped by the sts_ttl_ms setting. */
static int64_t granted_ms(long long asked_s)
{
    struct emu_settings s;
    int64_t ms = asked_s * 1000;

    emu_settings_get(&s);
    return s.sts_ttl_ms > 0 && s.sts_ttl_ms < ms ? s.sts_ttl_ms : ms;
}

/* "acs:ram::<digits>:<kind>/<name>"; the name part is returned. */
static const char *arn_name(const char *arn, const char *kind)
{
    const char *p = arn;
    size_t klen = strlen(kind);

    if (strncmp(p, "acs:ram::", 9) != 0) {
        return NULL;
    }
    p += 9;
    if (!isdigit((unsigned char)*p)) {
        return NULL;
    }
    while (isdigit((unsigned char)*p)) {
        p++;
    }
    if (*p != ':' || strncmp(p + 1, kind, klen) != 0 || p[1 + klen] != '/' ||
        p[2 + klen] == '\0') {
        return NULL;
    }
    return p + 2 + klen;
}

static int valid_session_name(const char *s)
{
    size_t n = strlen(s);
    size_t i;

    if (n < 2 || n > 64) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) && !strchr("_.@-", s[i])) {
            return 0;
        }
    }
    return 1;
}

struct role_args {
    const char *arn;
    const char *role;
    const char *session;
    long long duration;
};

static int role_args(struct emu_ctx *c, struct role_args *r)
{
    const char *d = emu_param(c, "DurationSeconds");

    r->duration = DEFAULT_DURATION_S;
    r->arn = emu_rpc_need(c, "RoleArn");
    r->session = r->arn ? emu_rpc_need(c, "RoleSessionName") : NULL;
    if (r->session == NULL) {
        return -1;
    }
    r->role = arn_name(r->arn, "role");
    if (r->role == NULL) {
        emu_fail(c, 400, "InvalidParameter.RoleArn",
                 "The parameter RoleArn is wrongly formed.");
        return -1;
    }
    if (!valid_session_name(r->session)) {
        emu_fail(c, 400, "InvalidParameter.RoleSessionName",
                 "The parameter RoleSessionName is wrongly formed.");
        return -1;
    }
    if (d && emu_parse_int(d, MIN_DURATION_S, MAX_DURATION_S, &r->duration)) {
        emu_fail(c, 400, "InvalidParameter.DurationSeconds",
                 "The parameter DurationSeconds should be between %d and %d.",
                 MIN_DURATION_S, MAX_DURATION_S);
        return -1;
    }
    return 0;
}

/* A stable 17-digit number for a role name, as RoleId. */
static unsigned long long role_id(const char *role)
{
    unsigned long long h = 1469598103934665603ULL;

    for (; *role; role++) {
        h = (h ^ (unsigned char)*role) * 1099511628211ULL;
    }
    return h % 100000000000000000ULL;
}

static void credentials_json(cJSON *o, const struct emu_key *k)
{
    char exp[32];

    emu_iso_time(k->expire_ms, exp, sizeof(exp));
    cJSON_AddStringToObject(o, "AccessKeyId", k->id);
    cJSON_AddStringToObject(o, "AccessKeySecret", k->secret);
    cJSON_AddStringToObject(o, "SecurityToken", k->token);
    cJSON_AddStringToObject(o, "Expiration", exp);
}

static void assume(struct emu_ctx *c, const struct role_args *r)
{
    struct emu_key k;
    cJSON *root;
    cJSON *user;
    char arn[600];
    char id[200];

    if (emu_keys_issue(granted_ms(r->duration), &k) != 0 ||
        (root = emu_rpc_answer(c)) == NULL) {
        emu_fail(c, 500, "InternalError", "Out of memory.");
        return;
    }
    snprintf(arn, sizeof(arn), "%s/%s", r->arn, r->session);
    snprintf(id, sizeof(id), "3%017llu:%s", role_id(r->role), r->session);
    user = cJSON_AddObjectToObject(root, "AssumedRoleUser");
    cJSON_AddStringToObject(user, "Arn", arn);
    cJSON_AddStringToObject(user, "AssumedRoleId", id);
    credentials_json(cJSON_AddObjectToObject(root, "Credentials"), &k);
    emu_rpc_send(c, root);
}

static void h_assume_role(struct emu_ctx *c)
{
    struct role_args r;

    if (role_args(c, &r) == 0) {
        assume(c, &r);
    }
}

/* The token is not verified (no identity provider is emulated); it
 * only has to be there. */
static void h_assume_role_with_oidc(struct emu_ctx *c)
{
    struct role_args r;
    const char *provider = emu_rpc_need(c, "OIDCProviderArn");

    if (provider == NULL || emu_rpc_need(c, "OIDCToken") == NULL ||
        role_args(c, &r) != 0) {
        return;
    }
    if (arn_name(provider, "oidc-provider") == NULL) {
        emu_fail(c, 400, "InvalidParameter.OIDCProviderArn",
                 "The parameter OIDCProviderArn is wrongly formed.");
        return;
    }
    assume(c, &r);
}

static void h_get_caller_identity(struct emu_ctx *c)
{
    cJSON *root = emu_rpc_answer(c);
    struct emu_key k;
    char arn[200];
    int sts = emu_keys_find(c->key_id, &k) == 0 && k.sts;

    if (root == NULL) {
        return;
    }
    snprintf(arn, sizeof(arn), "acs:ram::%s:%s", emu_g.account_id,
             sts ? "assumed-role/emulator" : "root");
    cJSON_AddRawToObject(root, "AccountId", emu_g.account_id);
    cJSON_AddStringToObject(root, "UserId", emu_g.account_id);
    cJSON_AddStringToObject(root, "Arn", arn);
    cJSON_AddStringToObject(root, "IdentityType",
                            sts ? "AssumedRoleUser" : "Account");
    cJSON_AddStringToObject(root, "PrincipalId", emu_g.account_id);
    emu_rpc_send(c, root);
}

const struct emu_rpc_action emu_sts_actions[] = {
    { "AssumeRole", h_assume_role, NULL, 0 },
    { "AssumeRoleWithOIDC", h_assume_role_with_oidc, NULL, EMU_RPC_UNSIGNED },
    { "GetCallerIdentity", h_get_caller_identity, NULL, 0 },
    { NULL, NULL, NULL, 0 },
};

/* ---- ECS metadata ------------------------------------------------ */

#define META_PREFIX "/latest/meta-data/ram/security-credentials/"

/* The role's current credentials, renewed when half their life is gone,
 * as the real metadata service rotates them ahead of expiry. */
static struct emu_key ecs_key;
static int64_t ecs_issued_ms;

static int ecs_credentials(int64_t now, struct emu_key *out, int64_t *issued)
{
    int rc = 0;

    pthread_mutex_lock(&emu_g.lock);
    if (ecs_issued_ms == 0 ||
        now >= ecs_issued_ms + (ecs_key.expire_ms - ecs_issued_ms) / 2) {
        pthread_mutex_unlock(&emu_g.lock);
        rc = emu_keys_issue(granted_ms(ECS_DURATION_S), out);
        pthread_mutex_lock(&emu_g.lock);
        if (rc == 0) {
            ecs_key = *out;
            ecs_issued_ms = now;
        }
    }
    *out = ecs_key;
    *issued = ecs_issued_ms;
    pthread_mutex_unlock(&emu_g.lock);
    return rc;
}

static void h_meta_role(struct emu_ctx *c)
{
    if (emu_g.ecs_role[0] == '\0') {
        emu_fail(c, 404, "NotFound", "no RAM role is attached");
        return;
    }
    mg_buf_adds(&c->out, emu_g.ecs_role);
    emu_reply(c, 200, "text/plain");
}

static void h_meta_credentials(struct emu_ctx *c)
{
    struct emu_key k;
    int64_t issued;
    char updated[32];
    cJSON *o;

    if (emu_g.ecs_role[0] == '\0' || strcmp(c->arg[0], emu_g.ecs_role) != 0) {
        emu_fail(c, 404, "NotFound", "no such RAM role is attached");
        return;
    }
    if (ecs_credentials(c->now_ms, &k, &issued) != 0 ||
        (o = cJSON_CreateObject()) == NULL) {
        emu_fail(c, 500, "InternalError", "out of memory");
        return;
    }
    emu_iso_time(issued, updated, sizeof(updated));
    credentials_json(o, &k);
    cJSON_AddStringToObject(o, "LastUpdated", updated);
    cJSON_AddStringToObject(o, "Code", "Success");
    emu_rpc_send(c, o);
    c->content_type = "text/plain";
}

void emu_meta_route(struct emu_ctx *c)
{
    size_t plen = strlen(META_PREFIX);
    const char *rest = c->path + plen;

    c->family = EMU_STS;
    c->style = EMU_STYLE_TEXT;
    if (strcmp(c->method, "GET") != 0 ||
        strncmp(c->path, META_PREFIX, plen) != 0) {
        return;
    }
    if (*rest == '\0') {
        c->action = "EcsRoleName";
        c->handler = h_meta_role;
    } else if (strchr(rest, '/') == NULL) {
        snprintf(c->arg[0], sizeof(c->arg[0]), "%s", rest);
        c->action = "EcsRoleCredentials";
        c->handler = h_meta_credentials;
    }
}
