#include "ram/decode.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/json.h"

#include "common/banned.h"

static int bad(struct mg_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int bad(struct mg_error *err, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return mg_error_set(err, MG_INVALID, "InvalidAnswer", "%s", msg);
}

static int absent(const cJSON *v)
{
    return v == NULL || cJSON_IsNull(v);
}

static int copy_text(const char *s, const char *key, char *dst, size_t cap,
                     struct mg_error *err)
{
    size_t n = strlen(s);

    if (n >= cap) {
        return bad(err, "%s of %zu bytes is longer than %zu", key, n, cap - 1);
    }
    memcpy(dst, s, n + 1);
    return 0;
}

/* A string member into a fixed field; "" when absent and not required. */
static int copy_str(const cJSON *obj, const char *key, int required, char *dst,
                    size_t cap, struct mg_error *err)
{
    const cJSON *v = mg_json_get(obj, key);

    dst[0] = '\0';
    if (absent(v)) {
        return required ? bad(err, "%s is missing", key) : 0;
    }
    if (!cJSON_IsString(v)) {
        return bad(err, "%s is not a string", key);
    }
    return copy_text(v->valuestring, key, dst, cap, err);
}

/* An id: a string as it is, or an integer written out exactly. */
static int copy_id(const cJSON *obj, const char *key, char *dst, size_t cap,
                   struct mg_error *err)
{
    const cJSON *v = mg_json_get(obj, key);
    char digits[24];
    int64_t n;

    dst[0] = '\0';
    if (absent(v)) {
        return 0;
    }
    if (cJSON_IsString(v)) {
        return copy_text(v->valuestring, key, dst, cap, err);
    }
    if (!cJSON_IsNumber(v) || mg_json_value_i64(v, &n) != 0) {
        return bad(err, "%s is not a string or an exact integer", key);
    }
    snprintf(digits, sizeof(digits), "%" PRId64, n);
    return copy_text(digits, key, dst, cap, err);
}

/* The items under wrapper.item: a list, a lone object, or none. */
static int items(const cJSON *root, const char *wrapper, const char *item,
                 const cJSON **list, struct mg_error *err)
{
    const cJSON *w = mg_json_get(root, wrapper);
    const cJSON *v;

    *list = NULL;
    if (absent(w) || (cJSON_IsString(w) && w->valuestring[0] == '\0') ||
        (cJSON_IsArray(w) && w->child == NULL)) {
        return 0; /* the ways an empty list has been seen written */
    }
    if (!cJSON_IsObject(w)) {
        return bad(err, "%s is not an object", wrapper);
    }
    v = mg_json_get(w, item);
    if (absent(v)) {
        return 0;
    }
    if (!cJSON_IsArray(v) && !cJSON_IsObject(v)) {
        return bad(err, "%s.%s is not a list", wrapper, item);
    }
    *list = v;
    return 0;
}

typedef int (*item_fn)(const cJSON *item, void *out, struct mg_error *err);

static int each_item(const cJSON *root, const char *wrapper, const char *item,
                     item_fn fn, void *out, struct mg_error *err)
{
    const cJSON *list;
    const cJSON *c;

    if (items(root, wrapper, item, &list, err) != 0) {
        return -1;
    }
    if (list == NULL) {
        return 0;
    }
    if (cJSON_IsObject(list)) {
        return fn(list, out, err);
    }
    cJSON_ArrayForEach(c, list)
    {
        if (!cJSON_IsObject(c)) {
            return bad(err, "an entry of %s.%s is not an object", wrapper,
                       item);
        }
        if (fn(c, out, err) != 0) {
            return -1;
        }
    }
    return 0;
}

static int nomem(struct mg_error *err)
{
    return mg_error_set(err, MG_RETRY, "NoMemory",
                        "out of memory reading a RAM answer");
}

static int read_user(const cJSON *obj, struct ram_user *u, struct mg_error *err)
{
    memset(u, 0, sizeof(*u));
    if (copy_str(obj, "UserName", 1, u->name, sizeof(u->name), err) != 0 ||
        copy_id(obj, "UserId", u->id, sizeof(u->id), err) != 0 ||
        copy_str(obj, "DisplayName", 0, u->display_name,
                 sizeof(u->display_name), err) != 0) {
        return -1;
    }
    return 0;
}

static int add_user(const cJSON *obj, void *out, struct mg_error *err)
{
    struct ram_user u;

    if (read_user(obj, &u, err) != 0) {
        return -1;
    }
    return ram_user_list_add(out, &u) == 0 ? 0 : nomem(err);
}

int ram_decode_users(const cJSON *root, const char *wrapper, const char *item,
                     struct ram_user_list *out, struct mg_error *err)
{
    return each_item(root, wrapper, item, add_user, out, err);
}

int ram_decode_get_user(const cJSON *root, struct ram_user *out,
                        struct mg_error *err)
{
    const cJSON *u = mg_json_get(root, "User");

    if (!cJSON_IsObject(u)) {
        return bad(err, "User is missing");
    }
    return read_user(u, out, err);
}

static int add_policy(const cJSON *obj, void *out, struct mg_error *err)
{
    struct ram_policy_ref p;
    const cJSON *count = mg_json_get(obj, "AttachmentCount");
    int64_t n = -1;

    memset(&p, 0, sizeof(p));
    if (copy_str(obj, "PolicyName", 1, p.name, sizeof(p.name), err) != 0 ||
        copy_str(obj, "PolicyType", 1, p.type, sizeof(p.type), err) != 0 ||
        copy_str(obj, "DefaultVersion", 0, p.default_version,
                 sizeof(p.default_version), err) != 0) {
        return -1;
    }
    if (!absent(count) &&
        (mg_json_value_i64(count, &n) != 0 || n < 0 || n > INT32_MAX)) {
        return bad(err, "AttachmentCount is not a count");
    }
    p.attachment_count = (long)n;
    return ram_policy_list_add(out, &p) == 0 ? 0 : nomem(err);
}

int ram_decode_policies(const cJSON *root, struct ram_policy_list *out,
                        struct mg_error *err)
{
    return each_item(root, "Policies", "Policy", add_policy, out, err);
}

static int add_group(const cJSON *obj, void *out, struct mg_error *err)
{
    char name[128];

    if (copy_str(obj, "GroupName", 1, name, sizeof(name), err) != 0) {
        return -1;
    }
    return ram_name_list_add(out, name) == 0 ? 0 : nomem(err);
}

int ram_decode_groups(const cJSON *root, struct ram_name_list *out,
                      struct mg_error *err)
{
    return each_item(root, "Groups", "Group", add_group, out, err);
}

/* A device; its User is absent when the device is bound to nobody. */
static int add_vmfa(const cJSON *obj, void *out, struct mg_error *err)
{
    struct ram_vmfa m;
    const cJSON *user = mg_json_get(obj, "User");

    memset(&m, 0, sizeof(m));
    if (copy_str(obj, "SerialNumber", 1, m.serial, sizeof(m.serial), err) !=
        0) {
        return -1;
    }
    if (!absent(user) && !cJSON_IsObject(user)) {
        return bad(err, "User of a virtual MFA device is not an object");
    }
    if (cJSON_IsObject(user) &&
        (copy_str(user, "UserName", 0, m.user_name, sizeof(m.user_name), err) !=
             0 ||
         copy_id(user, "UserId", m.user_id, sizeof(m.user_id), err) != 0)) {
        return -1;
    }
    return ram_vmfa_list_add(out, &m) == 0 ? 0 : nomem(err);
}

int ram_decode_vmfa(const cJSON *root, struct ram_vmfa_list *out,
                    struct mg_error *err)
{
    return each_item(root, "VirtualMFADevices", "VirtualMFADevice", add_vmfa,
                     out, err);
}

/*
 * A successful answer must show a device. One without is not read as
 * "no device": that answer is the error EntityNotExist.User.MFADevice,
 * and anything else is a surprise that must not become a verdict.
 */
int ram_decode_mfa(const cJSON *root, struct ram_mfa *out, struct mg_error *err)
{
    const cJSON *dev = mg_json_get(root, "MFADevice");

    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(dev)) {
        return bad(err, "MFADevice is missing");
    }
    if (copy_str(dev, "SerialNumber", 0, out->serial, sizeof(out->serial),
                 err) != 0 ||
        copy_str(dev, "Type", 0, out->type, sizeof(out->type), err) != 0) {
        return -1;
    }
    if (out->serial[0] == '\0' && out->type[0] == '\0') {
        return bad(err, "MFADevice has neither SerialNumber nor Type");
    }
    out->bound = 1;
    return 0;
}

int ram_decode_login_profile(const cJSON *root, struct ram_login_profile *out,
                             struct mg_error *err)
{
    const cJSON *lp = mg_json_get(root, "LoginProfile");

    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(lp)) {
        return bad(err, "LoginProfile is missing");
    }
    if (!absent(mg_json_get(lp, "MFABindRequired")) &&
        mg_json_bool(lp, "MFABindRequired", &out->mfa_bind_required) != 0) {
        return bad(err, "MFABindRequired is not a boolean");
    }
    if (copy_str(lp, "Status", 0, out->status, sizeof(out->status), err) != 0) {
        return -1;
    }
    out->exists = 1;
    return 0;
}

static char *copy_out(const char *s)
{
    size_t n = strlen(s);
    char *c = malloc(n + 1);

    if (c != NULL) {
        memcpy(c, s, n + 1);
    }
    return c;
}

/* The document as text: a string as sent, an object printed. */
static char *document_text(const cJSON *doc)
{
    char *printed;
    char *c;

    if (cJSON_IsString(doc)) {
        return copy_out(doc->valuestring);
    }
    printed = cJSON_PrintUnformatted(doc);
    if (printed == NULL) {
        return NULL;
    }
    c = copy_out(printed);
    cJSON_free(printed);
    return c;
}

int ram_decode_policy_document(const cJSON *root, char **document,
                               char *version, size_t version_cap,
                               struct mg_error *err)
{
    const cJSON *ver = mg_json_get(root, "DefaultPolicyVersion");
    const cJSON *doc =
        cJSON_IsObject(ver) ? mg_json_get(ver, "PolicyDocument") : NULL;

    *document = NULL;
    if (!cJSON_IsObject(ver)) {
        return bad(err, "DefaultPolicyVersion is missing");
    }
    if (!(cJSON_IsString(doc) && doc->valuestring[0] != '\0') &&
        !cJSON_IsObject(doc)) {
        return bad(err, "DefaultPolicyVersion.PolicyDocument is missing");
    }
    if (version != NULL && version_cap > 0 &&
        copy_str(ver, "VersionId", 0, version, version_cap, err) != 0) {
        return -1;
    }
    *document = document_text(doc);
    return *document != NULL ? 0 : nomem(err);
}

int ram_decode_page(const cJSON *root, int *truncated, char *marker,
                    size_t marker_cap, struct mg_error *err)
{
    *truncated = 0;
    marker[0] = '\0';
    if (absent(mg_json_get(root, "IsTruncated"))) {
        return 0;
    }
    if (mg_json_bool(root, "IsTruncated", truncated) != 0) {
        return bad(err, "IsTruncated is not a boolean");
    }
    if (!*truncated) {
        return 0;
    }
    if (copy_str(root, "Marker", 1, marker, marker_cap, err) != 0) {
        return -1;
    }
    return marker[0] != '\0' ? 0 : bad(err, "truncated answer without Marker");
}
