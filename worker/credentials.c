#include "worker/credentials.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/cred.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "common/log.h"
#include "common/rpc.h"
#include "worker/settings.h"

#include "common/banned.h"

#define TOKEN_FILE_MAX (64u * 1024u)

static const char *env(const char *name)
{
    const char *v = getenv(name);

    return v && *v ? v : NULL;
}

/* Where and how temporary credentials are fetched. */
struct source {
    char kind[16]; /* "oidc", "role", "metadata" */
    char endpoint[256];
    char role_arn[256];
    char session[64];
    char oidc_provider[256];
    char token_file[512];
    char role_name[128];
    int duration;
    struct mg_cred_provider *base; /* keys that call AssumeRole */
};

static void source_free(void *p)
{
    struct source *s = p;

    if (s) {
        mg_cred_free(s->base);
        free(s);
    }
}

/* Credentials out of an STS or metadata answer. */
static int read_credentials(const cJSON *c, struct mg_cred *out,
                            struct mg_error *err)
{
    const char *id = mg_json_str(c, "AccessKeyId");
    const char *secret = mg_json_str(c, "AccessKeySecret");
    const char *token = mg_json_str(c, "SecurityToken");
    const char *expires = mg_json_str(c, "Expiration");
    time_t t;

    if (id == NULL || secret == NULL || token == NULL || expires == NULL ||
        mg_parse_iso8601(expires, &t) != 0 || strlen(id) >= sizeof(out->id) ||
        strlen(secret) >= sizeof(out->secret) ||
        strlen(token) >= sizeof(out->token)) {
        return mg_error_set(err, MG_RETRY, "BadCredentials",
                            "temporary credentials incomplete or too long");
    }
    snprintf(out->id, sizeof(out->id), "%s", id);
    snprintf(out->secret, sizeof(out->secret), "%s", secret);
    snprintf(out->token, sizeof(out->token), "%s", token);
    out->expires_ms = (int64_t)t * 1000;
    return 0;
}

static int read_token_file(const char *path, struct mg_buf *out,
                           struct mg_error *err)
{
    char chunk[4096];
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL) {
        return mg_error_set(err, MG_RETRY, "OidcTokenFile", "%s: %s", path,
                            strerror(errno));
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (mg_buf_add(out, chunk, n) != 0) {
            fclose(f);
            return mg_error_set(err, MG_FINAL, "OidcTokenFile",
                                "%s: larger than %u bytes", path,
                                TOKEN_FILE_MAX);
        }
    }
    fclose(f);
    while (out->len > 0 && (out->data[out->len - 1] == '\n' ||
                            out->data[out->len - 1] == '\r')) {
        mg_buf_trim(out, 1);
    }
    return out->len ? 0
                    : mg_error_set(err, MG_RETRY, "OidcTokenFile", "%s: empty",
                                   path);
}

static int sts_call(struct source *s, const char *action,
                    const struct mg_param *p, size_t n, struct mg_cred *out,
                    struct mg_error *err)
{
    struct mg_rpc_service sts = { "sts",   s->endpoint, "2015-04-01",
                                  s->base, NULL,        { 3, 200, 2000 },
                                  10000,   1u << 20,    NULL };
    cJSON *answer = NULL;
    int rc;

    if (mg_rpc_call(&sts, action, 1, p, n, &answer, err) != 0) {
        return -1;
    }
    rc = read_credentials(mg_json_get(answer, "Credentials"), out, err);
    cJSON_Delete(answer);
    return rc;
}

static int fetch_sts(void *ctx, struct mg_cred *out, struct mg_error *err)
{
    struct source *s = ctx;
    struct mg_buf token = MG_BUF_INIT(TOKEN_FILE_MAX);
    char duration[16];
    int rc;

    snprintf(duration, sizeof(duration), "%d", s->duration);
    if (strcmp(s->kind, "role") == 0) {
        struct mg_param p[] = { { "RoleArn", s->role_arn },
                                { "RoleSessionName", s->session },
                                { "DurationSeconds", duration } };
        return sts_call(s, "AssumeRole", p, 3, out, err);
    }
    if (read_token_file(s->token_file, &token, err) != 0) {
        mg_buf_release(&token);
        return -1;
    }
    {
        struct mg_param p[] = { { "RoleArn", s->role_arn },
                                { "OIDCProviderArn", s->oidc_provider },
                                { "OIDCToken", token.data },
                                { "RoleSessionName", s->session },
                                { "DurationSeconds", duration } };
        rc = sts_call(s, "AssumeRoleWithOIDC", p, 5, out, err);
    }
    mg_buf_release(&token);
    return rc;
}

static int metadata_get(const char *url, struct mg_http_response *rs,
                        struct mg_error *err)
{
    struct mg_http_request rq = { "GET", url, NULL, NULL, 0, 5000, NULL };

    if (mg_http_perform(&rq, rs, err) != 0) {
        return -1;
    }
    if (rs->status != 200) {
        mg_error_classify(err, rs->status, NULL);
        err->cls = err->cls == MG_NOT_FOUND ? MG_FINAL : err->cls;
        return mg_error_set(err, err->cls, "MetadataStatus",
                            "metadata service answered %ld", rs->status);
    }
    return 0;
}

static int fetch_metadata(void *ctx, struct mg_cred *out, struct mg_error *err)
{
    struct source *s = ctx;
    struct mg_http_response rs;
    char url[512];
    cJSON *j;
    int rc = -1;

    mg_http_response_init(&rs, 64 * 1024);
    if (s->role_name[0] == '\0') {
        snprintf(url, sizeof(url),
                 "%s/latest/meta-data/ram/security-credentials/", s->endpoint);
        if (metadata_get(url, &rs, err) != 0) {
            goto out;
        }
        snprintf(s->role_name, sizeof(s->role_name), "%.*s",
                 (int)strcspn(mg_buf_str(&rs.body), "\r\n"),
                 mg_buf_str(&rs.body));
    }
    snprintf(url, sizeof(url),
             "%s/latest/meta-data/ram/security-credentials/%s", s->endpoint,
             s->role_name);
    if (metadata_get(url, &rs, err) != 0) {
        goto out;
    }
    j = mg_json_parse(rs.body.data, rs.body.len, err);
    if (j == NULL) {
        err->cls = MG_RETRY;
        goto out;
    }
    rc = read_credentials(j, out, err);
    cJSON_Delete(j);
out:
    mg_http_response_release(&rs);
    return rc;
}

static struct mg_cred_provider *dynamic(struct source *s, const char *name)
{
    return mg_cred_dynamic_new(
        name, strcmp(s->kind, "metadata") == 0 ? fetch_metadata : fetch_sts, s,
        source_free);
}

static void session_name(char *out, size_t len, const char *given)
{
    if (given && *given) {
        snprintf(out, len, "%s", given);
    } else {
        snprintf(out, len, "mfaguard-%ld", (long)getpid());
    }
}

static struct mg_cred_provider *from_rrsa(const struct wrk_settings *set,
                                          char *errbuf, size_t errlen)
{
    struct source *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        return NULL;
    }
    if (set->sts_endpoint[0] == '\0') {
        snprintf(errbuf, errlen, "RRSA credentials need sts_endpoint");
        free(s);
        return NULL;
    }
    snprintf(s->kind, sizeof(s->kind), "oidc");
    snprintf(s->endpoint, sizeof(s->endpoint), "%s", set->sts_endpoint);
    snprintf(s->role_arn, sizeof(s->role_arn), "%s",
             env("ALIBABA_CLOUD_ROLE_ARN"));
    snprintf(s->oidc_provider, sizeof(s->oidc_provider), "%s",
             env("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"));
    snprintf(s->token_file, sizeof(s->token_file), "%s",
             env("ALIBABA_CLOUD_OIDC_TOKEN_FILE"));
    session_name(s->session, sizeof(s->session),
                 env("ALIBABA_CLOUD_ROLE_SESSION_NAME"));
    s->duration = 3600;
    return dynamic(s, "rrsa");
}

static cJSON *read_profiles(const char *path, char *errbuf, size_t errlen)
{
    struct mg_buf text = MG_BUF_INIT(1u << 20);
    struct mg_error err;
    char chunk[4096];
    FILE *f = fopen(path, "r");
    size_t n;
    cJSON *j;

    if (f == NULL) {
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (mg_buf_add(&text, chunk, n) != 0) {
            break;
        }
    }
    fclose(f);
    mg_error_clear(&err);
    j = mg_json_parse(text.data, text.len, &err);
    if (j == NULL) {
        snprintf(errbuf, errlen, "%s: %s", path, err.message);
    }
    mg_buf_release(&text);
    return j;
}

static const cJSON *pick_profile(const cJSON *root, const char *want)
{
    const cJSON *p;

    cJSON_ArrayForEach(p, mg_json_get(root, "profiles"))
    {
        const char *name = mg_json_str(p, "name");

        if (name && strcmp(name, want) == 0) {
            return p;
        }
    }
    return NULL;
}

static const char *field(const cJSON *p, const char *key)
{
    const char *v = mg_json_str(p, key);

    return v ? v : "";
}

static struct mg_cred_provider *from_profile(const struct wrk_settings *set,
                                             const cJSON *p, const char *name,
                                             char *errbuf, size_t errlen)
{
    const char *mode = field(p, "mode");
    struct mg_cred_provider *keys;
    struct source *s;
    char label[160];

    snprintf(label, sizeof(label), "profile:%s", name);
    keys = mg_cred_static_new(
        label, field(p, "access_key_id"), field(p, "access_key_secret"),
        strcmp(mode, "StsToken") == 0 ? field(p, "sts_token") : NULL);
    if (strcmp(mode, "AK") == 0 || strcmp(mode, "StsToken") == 0) {
        return keys;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL ||
        (strcmp(mode, "RamRoleArn") != 0 && strcmp(mode, "EcsRamRole") != 0)) {
        snprintf(errbuf, errlen, "profile %s: mode \"%s\" is not supported",
                 name, mode);
        mg_cred_free(keys);
        free(s);
        return NULL;
    }
    if (strcmp(mode, "RamRoleArn") == 0) {
        snprintf(s->kind, sizeof(s->kind), "role");
        snprintf(s->endpoint, sizeof(s->endpoint), "%s", set->sts_endpoint);
        snprintf(s->role_arn, sizeof(s->role_arn), "%s",
                 field(p, "ram_role_arn"));
        session_name(s->session, sizeof(s->session),
                     field(p, "ram_session_name"));
        s->duration = 3600;
        s->base = keys;
    } else {
        snprintf(s->kind, sizeof(s->kind), "metadata");
        snprintf(s->endpoint, sizeof(s->endpoint), "%s",
                 set->metadata_endpoint);
        snprintf(s->role_name, sizeof(s->role_name), "%s",
                 field(p, "ram_role_name"));
        mg_cred_free(keys);
    }
    if (s->endpoint[0] == '\0') {
        snprintf(errbuf, errlen, "profile %s (%s) needs %s", name, mode,
                 strcmp(s->kind, "role") == 0 ? "sts_endpoint"
                                              : "metadata_endpoint");
        source_free(s);
        return NULL;
    }
    return dynamic(s, label);
}

static struct mg_cred_provider *from_config_file(const struct wrk_settings *s,
                                                 char *errbuf, size_t errlen)
{
    char path[512];
    const char *file = env("ALIBABA_CLOUD_CONFIG_FILE");
    const char *home = env("HOME");
    const char *name;
    const cJSON *p;
    cJSON *root;
    struct mg_cred_provider *out = NULL;

    if (file == NULL && home == NULL) {
        return NULL;
    }
    snprintf(path, sizeof(path), "%s%s", file ? file : home,
             file ? "" : "/.aliyun/config.json");
    root = read_profiles(path, errbuf, errlen);
    if (root == NULL) {
        return NULL;
    }
    name = env("ALIBABA_CLOUD_PROFILE");
    if (name == NULL) {
        name = mg_json_str(root, "current");
    }
    p = pick_profile(root, name ? name : "default");
    if (p == NULL) {
        snprintf(errbuf, errlen, "%s: no profile \"%s\"", path,
                 name ? name : "default");
    } else {
        out = from_profile(s, p, name ? name : "default", errbuf, errlen);
    }
    cJSON_Delete(root);
    return out;
}

struct mg_cred_provider *wrk_credentials_find(const struct wrk_settings *s,
                                              char *errbuf, size_t errlen)
{
    const char *id = env("ALIBABA_CLOUD_ACCESS_KEY_ID");
    const char *secret = env("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    struct mg_cred_provider *p;

    errbuf[0] = '\0';
    if (id && secret) {
        return mg_cred_static_new("env", id, secret,
                                  env("ALIBABA_CLOUD_SECURITY_TOKEN"));
    }
    if (env("ALIBABA_CLOUD_ROLE_ARN") &&
        env("ALIBABA_CLOUD_OIDC_PROVIDER_ARN") &&
        env("ALIBABA_CLOUD_OIDC_TOKEN_FILE")) {
        return from_rrsa(s, errbuf, errlen);
    }
    p = from_config_file(s, errbuf, errlen);
    if (p == NULL && errbuf[0] == '\0') {
        snprintf(errbuf, errlen,
                 "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and "
                 "ALIBABA_CLOUD_ACCESS_KEY_SECRET, the RRSA variables, or a "
                 "profile in ~/.aliyun/config.json");
    }
    return p;
}
