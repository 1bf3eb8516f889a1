#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "emu_account.h"
#include "emu_events.h"
#include "emu_json.h"
#include "emu_rpc.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

/*
 * Cloud Config 2020-09-07 and 2019-01-08: PutEvaluations, checked strictly
 * and stored for tests to read back, and GetDiscoveredResource for the
 * account's RAM users.
 */

#define MAX_EVALUATIONS 100

static const char *const compliance_types[] = {
    "COMPLIANT",
    "NON_COMPLIANT",
    "NOT_APPLICABLE",
    "INSUFFICIENT_DATA",
};

static const char *const known_fields[] = {
    "accountId",
    "complianceResourceId",
    "complianceResourceType",
    "complianceRegionId",
    "complianceResourceName",
    "complianceType",
    "orderingTimestamp",
    "annotation",
};

static int in_list(const char *s, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(s, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A non-negative JSON integer written as digits. */
static int is_count(const cJSON *v)
{
    return emu_json_is_integer(v) && v->valuestring[0] != '-';
}

static int is_text(const cJSON *v)
{
    return cJSON_IsString(v) && v->valuestring[0] != '\0';
}

/* An object with known fields only; fills why and returns -1 if not. */
static int check_shape(const cJSON *e, size_t i, char *why, size_t whylen)
{
    const cJSON *m;

    why[0] = '\0';
    if (!cJSON_IsObject(e)) {
        snprintf(why, whylen, "Evaluations[%zu] must be an object", i);
        return -1;
    }
    cJSON_ArrayForEach(m, e)
    {
        if (!in_list(m->string, known_fields, 8)) {
            snprintf(why, whylen,
                     "Evaluations[%zu] has an unknown field \"%.64s\"", i,
                     m->string);
            return -1;
        }
    }
    return 0;
}

/* Why evaluation i is unacceptable, or "" when it is fine. */
static void check_evaluation(const cJSON *e, size_t i, char *why, size_t whylen)
{
    const cJSON *m;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "complianceType");
    const cJSON *note = cJSON_GetObjectItemCaseSensitive(e, "annotation");
    const char *strings[] = { "complianceResourceId", "complianceResourceType",
                              "complianceRegionId" };
    size_t k;

    if (check_shape(e, i, why, whylen) != 0) {
        return;
    }
    if (!is_count(cJSON_GetObjectItemCaseSensitive(e, "accountId"))) {
        snprintf(why, whylen,
                 "Evaluations[%zu].accountId must be an integer "
                 "(a JSON number without quotes)",
                 i);
        return;
    }
    for (k = 0; k < 3; k++) {
        if (!is_text(cJSON_GetObjectItemCaseSensitive(e, strings[k]))) {
            snprintf(why, whylen,
                     "Evaluations[%zu].%s must be a non-empty "
                     "string",
                     i, strings[k]);
            return;
        }
    }
    if (!cJSON_IsString(type) ||
        !in_list(type->valuestring, compliance_types, 4)) {
        snprintf(why, whylen,
                 "Evaluations[%zu].complianceType must be one of "
                 "COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, INSUFFICIENT_DATA",
                 i);
        return;
    }
    if (!is_count(cJSON_GetObjectItemCaseSensitive(e, "orderingTimestamp"))) {
        snprintf(why, whylen,
                 "Evaluations[%zu].orderingTimestamp must be an "
                 "integer of milliseconds",
                 i);
        return;
    }
    m = cJSON_GetObjectItemCaseSensitive(e, "complianceResourceName");
    if ((note && !cJSON_IsString(note) && !cJSON_IsNull(note)) ||
        (m && !cJSON_IsString(m))) {
        snprintf(why, whylen,
                 "Evaluations[%zu]: annotation and "
                 "complianceResourceName must be strings",
                 i);
    }
}

static int check_evaluations(const char *raw, char *why, size_t whylen)
{
    char reason[256];
    cJSON *root = emu_json_strict(raw, strlen(raw), reason, sizeof(reason));
    const cJSON *e;
    size_t i = 0;
    int n;

    if (root == NULL) {
        snprintf(why, whylen, "Evaluations is not strict JSON: %s", reason);
        return -1;
    }
    n = cJSON_IsArray(root) ? cJSON_GetArraySize(root) : -1;
    if (n < 1 || n > MAX_EVALUATIONS) {
        snprintf(why, whylen,
                 "Evaluations must be a JSON array of 1 to %d "
                 "evaluation objects",
                 MAX_EVALUATIONS);
        cJSON_Delete(root);
        return -1;
    }
    why[0] = '\0';
    cJSON_ArrayForEach(e, root)
    {
        if (why[0] == '\0') {
            check_evaluation(e, i++, why, whylen);
        }
    }
    cJSON_Delete(root);
    return why[0] ? -1 : 0;
}

static int printable(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) {
            return 0;
        }
    }
    return 1;
}

static int check_put_args(struct emu_ctx *c, const char **token,
                          const char **raw)
{
    const char *mode = emu_param(c, "DeleteMode");
    char why[512];

    if (strcmp(c->method, "POST") != 0) {
        emu_fail(c, 400, "UnsupportedHTTPMethod",
                 "PutEvaluations accepts only POST.");
        return -1;
    }
    *token = emu_rpc_need(c, "ResultToken");
    if (*token == NULL) {
        return -1;
    }
    *raw = emu_param(c, "Evaluations");
    if (!printable(*token)) {
        emu_fail(c, 400, "InvalidParameter",
                 "ResultToken must be printable ASCII.");
        return -1;
    }
    if (*raw == NULL) {
        emu_fail(c, 400, "InvalidParameter", "Evaluations is required.");
        return -1;
    }
    if (check_evaluations(*raw, why, sizeof(why)) != 0) {
        emu_fail(c, 400, "InvalidParameter", "%s", why);
        return -1;
    }
    if (mode && strcmp(mode, "true") != 0 && strcmp(mode, "false") != 0) {
        emu_fail(c, 400, "InvalidParameter",
                 "DeleteMode must be true or false.");
        return -1;
    }
    return 0;
}

static void h_put_evaluations(struct emu_ctx *c)
{
    const char *token;
    const char *raw;
    const char *version = emu_param(c, "Version");
    cJSON *root;

    if (check_put_args(c, &token, &raw) != 0) {
        return;
    }
    root = emu_rpc_answer(c);
    if (root == NULL) {
        return;
    }
    emu_evals_add(version, token, raw, strlen(raw));
    emu_event(&(struct emu_event_in){ .type = "put_evaluations",
                                      .result_token = token,
                                      .api = "config.PutEvaluations" });
    cJSON_AddBoolToObject(root, "Result", 1);
    emu_rpc_send(c, root);
}

/* The Configuration a RAM user has in Config: a JSON text. */
static char *user_configuration(const struct emu_user *u)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *keys = cJSON_AddObjectToObject(o, "AccessKeys");
    char *text;

    cJSON_AddStringToObject(o, "UserName", u->name);
    cJSON_AddStringToObject(o, "UserId", u->id);
    cJSON_AddStringToObject(o, "DisplayName", u->display_name);
    cJSON_AddStringToObject(o, "Comments", u->comments);
    cJSON_AddStringToObject(o, "CreateDate", u->create_date);
    cJSON_AddStringToObject(o, "UpdateDate", u->update_date);
    cJSON_AddArrayToObject(keys, "AccessKey");
    if (u->has_login) {
        cJSON *lp = cJSON_AddObjectToObject(o, "LoginProfile");

        cJSON_AddStringToObject(lp, "UserName", u->name);
        cJSON_AddBoolToObject(lp, "PasswordResetRequired",
                              u->password_reset_required);
        cJSON_AddBoolToObject(lp, "MFABindRequired", u->mfa_bind_required);
        cJSON_AddStringToObject(lp, "CreateDate", u->create_date);
    }
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static void resource_detail(cJSON *root, const struct emu_user *u,
                            const char *region)
{
    cJSON *d = cJSON_AddObjectToObject(root, "DiscoveredResourceDetail");
    char *conf = user_configuration(u);

    cJSON_AddRawToObject(d, "AccountId", emu_g.account_id);
    cJSON_AddStringToObject(d, "Region", region);
    cJSON_AddStringToObject(d, "ResourceId", u->id);
    cJSON_AddStringToObject(d, "ResourceName", u->name);
    cJSON_AddStringToObject(d, "ResourceType", "ACS::RAM::User");
    cJSON_AddRawToObject(d, "ResourceCreationTime", "1422016398000");
    cJSON_AddNumberToObject(d, "ResourceDeleted", 1);
    cJSON_AddStringToObject(d, "ResourceStatus", "");
    cJSON_AddStringToObject(d, "AvailabilityZone", "");
    cJSON_AddStringToObject(d, "Tags", "{}");
    cJSON_AddStringToObject(d, "Configuration", conf ? conf : "{}");
    free(conf);
}

/* A fill function (emu_rpc.h): runs with the state lock held. */
static int get_discovered_resource(struct emu_ctx *c, cJSON *root)
{
    const char *id = emu_rpc_need(c, "ResourceId");
    const char *type = id ? emu_rpc_need(c, "ResourceType") : NULL;
    const char *region = type ? emu_rpc_need(c, "Region") : NULL;
    struct emu_user *u = NULL;

    if (region == NULL) {
        return -1;
    }
    if (strcmp(type, "ACS::RAM::User") == 0) {
        u = emu_account_user_by_id(emu_account_current, id);
    }
    if (u == NULL) {
        emu_fail(c, 404, "ResourceNotExists",
                 "The resource %s of type %s does not exist.", id, type);
        return -1;
    }
    resource_detail(root, u, region);
    return 0;
}

const struct emu_rpc_action emu_config_actions[] = {
    { "PutEvaluations", h_put_evaluations, NULL, 0 },
    { "GetDiscoveredResource", NULL, get_discovered_resource, 0 },
    { NULL, NULL, NULL, 0 },
};
