/* The RAM client against a scripted endpoint on 127.0.0.1: paging,
 * answers that are errors and errors that are answers, names that need
 * encoding, signatures, retries. */

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/buf.h"
#include "common/cred.h"
#include "common/error.h"
#include "common/json.h"
#include "fake_ram.h"
#include "ram/policy.h"
#include "ram/ram.h"
#include "ram_tests.h"

/* How the fake account behaves. */
struct script {
    int paging;          /* 0 normal, 1 no Marker, 2 Marker stuck */
    int throttle;        /* GetUser answers Throttling this many times */
    char max_items[16];  /* the last MaxItems seen ("" when absent) */
    char marker_vmfa[8]; /* whether ListVirtualMFADevices got MaxItems */
};

static const char *const user_names[] = { "u0", "u1", "u2", "u3", "u4" };

static void error_answer(struct mg_buf *b, int *status, int code_status,
                         const char *code)
{
    *status = code_status;
    mg_buf_addf(b,
                "{\"RequestId\":\"R-1\",\"HostId\":\"ram.example.test\","
                "\"Code\":\"%s\",\"Message\":\"scripted\"}",
                code);
}

/* Page through the five users, MaxItems at a time. */
static void list_users(const struct fake_call *c, struct script *s,
                       struct mg_buf *b)
{
    const char *mi = fake_param(c, "MaxItems");
    const char *marker = fake_param(c, "Marker");
    long start = marker ? strtol(marker + 1, NULL, 10) : 0;
    long size = mi ? strtol(mi, NULL, 10) : 100;
    long i;

    snprintf(s->max_items, sizeof(s->max_items), "%s", mi ? mi : "");
    mg_buf_adds(b, "{\"RequestId\":\"R\",\"Users\":{\"User\":[");
    for (i = start; i < start + size && i < 5; i++) {
        mg_buf_addf(b, "%s{\"UserName\":\"%s\",\"UserId\":\"%ld\"}",
                    i > start ? "," : "", user_names[i], 100 + i);
    }
    mg_buf_adds(b, "]}");
    if (s->paging == 1 && i < 5) {
        mg_buf_adds(b, ",\"IsTruncated\":true");
    } else if (s->paging == 2) {
        mg_buf_adds(b, ",\"IsTruncated\":true,\"Marker\":\"m0\"");
    } else if (i < 5) {
        mg_buf_addf(b, ",\"IsTruncated\":true,\"Marker\":\"m%ld\"", i);
    } else {
        mg_buf_adds(b, ",\"IsTruncated\":false");
    }
    mg_buf_adds(b, "}");
}

static void mfa_info(const char *user, struct mg_buf *b, int *status)
{
    if (strcmp(user, "bob") == 0) {
        error_answer(b, status, 404, "EntityNotExist.User.MFADevice");
    } else if (strcmp(user, "gone") == 0) {
        error_answer(b, status, 404, "EntityNotExist.User");
    } else if (strcmp(user, "keyholder") == 0) {
        mg_buf_adds(b, "{\"MFADevice\":{\"SerialNumber\":\"k\",\"Type\":"
                       "\"U2F\"}}");
    } else {
        /* The serial repeats the name, to show it arrived intact. */
        mg_buf_adds(b, "{\"MFADevice\":{\"Type\":\"VMFA\",\"SerialNumber\":");
        mg_json_quote(b, user);
        mg_buf_adds(b, "}}");
    }
}

static void login_profile(const char *user, struct mg_buf *b, int *status)
{
    if (strcmp(user, "bob") == 0) {
        error_answer(b, status, 404, "EntityNotExist.User.LoginProfile");
    } else {
        mg_buf_adds(b, "{\"LoginProfile\":{\"UserName\":\"alice\","
                       "\"MFABindRequired\":true,\"Status\":\"Active\"}}");
    }
}

static void get_user(const char *user, struct script *s, struct mg_buf *b,
                     int *status)
{
    if (strcmp(user, "throttled") == 0 && s->throttle > 0) {
        s->throttle--;
        error_answer(b, status, 400, "Throttling.User");
        return;
    }
    mg_buf_adds(b, "{\"User\":{\"UserId\":200828888731170001,\"UserName\":");
    mg_json_quote(b, user);
    mg_buf_adds(b, ",\"DisplayName\":\"\\u5f20\\u4e09\"}}");
}

static void get_policy(const struct fake_call *c, struct mg_buf *b, int *status)
{
    const char *name = fake_param(c, "PolicyName");
    const char *type = fake_param(c, "PolicyType");

    if (strcmp(name, "AliyunECSFullAccess") != 0 || type == NULL ||
        strcmp(type, "System") != 0) {
        error_answer(b, status, 404, "EntityNotExist.Policy");
        return;
    }
    mg_buf_adds(b, "{\"Policy\":{\"PolicyName\":\"AliyunECSFullAccess\"},"
                   "\"DefaultPolicyVersion\":{\"VersionId\":\"v3\","
                   "\"PolicyDocument\":\"{\\\"Version\\\":\\\"1\\\","
                   "\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\","
                   "\\\"Action\\\":\\\"ecs:*\\\",\\\"Resource\\\":\\\"*\\\"}]}"
                   "\"}}");
}

static void list_policies(const struct fake_call *c, const char *who,
                          struct mg_buf *b, int *status)
{
    const char *marker = fake_param(c, "Marker");

    if (strcmp(who, "denied") == 0) {
        error_answer(b, status, 403, "NoPermission");
    } else if (marker == NULL && fake_param(c, "MaxItems") != NULL) {
        mg_buf_adds(b, "{\"Policies\":{\"Policy\":[{\"PolicyName\":\"A\","
                       "\"PolicyType\":\"System\",\"AttachmentCount\":3}]},"
                       "\"IsTruncated\":true,\"Marker\":\"next\"}");
    } else {
        mg_buf_adds(b, "{\"Policies\":{\"Policy\":[{\"PolicyName\":\"B\","
                       "\"PolicyType\":\"Custom\",\"DefaultVersion\":\"v2\"}"
                       "]}}");
    }
}

static void list_vmfa(const struct fake_call *c, struct script *s,
                      struct mg_buf *b)
{
    snprintf(s->marker_vmfa, sizeof(s->marker_vmfa), "%s",
             fake_param(c, "MaxItems") ? "sized" : "");
    if (fake_param(c, "Marker") == NULL) {
        mg_buf_adds(b, "{\"VirtualMFADevices\":{\"VirtualMFADevice\":[{"
                       "\"SerialNumber\":\"s1\",\"User\":{\"UserName\":\"a\","
                       "\"UserId\":1}}]},\"IsTruncated\":true,\"Marker\":"
                       "\"p2\"}");
    } else {
        mg_buf_adds(b, "{\"VirtualMFADevices\":{\"VirtualMFADevice\":{"
                       "\"SerialNumber\":\"s2\"}}}");
    }
}

static void handle(const struct fake_call *c, void *ctx, int *status,
                   struct mg_buf *b)
{
    struct script *s = ctx;
    const char *action = fake_param(c, "Action");
    const char *user = fake_param(c, "UserName");
    const char *group = fake_param(c, "GroupName");

    if (action == NULL || strcmp(fake_param(c, "Version"), "2015-05-01") ||
        strcmp(fake_param(c, "Format"), "JSON")) {
        error_answer(b, status, 400, "InvalidParameter");
    } else if (strcmp(action, "ListUsers") == 0 ||
               strcmp(action, "ListUsersForGroup") == 0) {
        list_users(c, s, b);
    } else if (strcmp(action, "GetUserMFAInfo") == 0) {
        mfa_info(user, b, status);
    } else if (strcmp(action, "GetLoginProfile") == 0) {
        login_profile(user, b, status);
    } else if (strcmp(action, "GetUser") == 0) {
        get_user(user, s, b, status);
    } else if (strcmp(action, "GetPolicy") == 0) {
        get_policy(c, b, status);
    } else if (strcmp(action, "ListPoliciesForUser") == 0 ||
               strcmp(action, "ListPoliciesForGroup") == 0 ||
               strcmp(action, "ListPolicies") == 0) {
        list_policies(c, user ? user : group ? group : "", b, status);
    } else if (strcmp(action, "ListGroupsForUser") == 0) {
        mg_buf_adds(b, "{\"Groups\":{\"Group\":[{\"GroupName\":\"ops\"},"
                       "{\"GroupName\":\"log-admins\"}]}}");
    } else if (strcmp(action, "ListEntitiesForPolicy") == 0) {
        mg_buf_adds(b, "{\"Users\":{\"User\":[{\"UserName\":\"alice\","
                       "\"UserId\":\"1\",\"DisplayName\":\"A\"}]},\"Groups\":"
                       "{\"Group\":[{\"GroupName\":\"ops\"}]},\"Roles\":{"
                       "\"Role\":[{\"RoleName\":\"r\"}]}}");
    } else if (strcmp(action, "ListVirtualMFADevices") == 0) {
        list_vmfa(c, s, b);
    } else {
        error_answer(b, status, 400, "InvalidAction");
    }
}

struct rig {
    struct script script;
    struct fake_ram *fake;
    struct mg_cred_provider *cred;
    struct ram_client *client;
};

static int rig_up(struct rig *r)
{
    struct ram_options opt;

    memset(r, 0, sizeof(*r));
    r->fake = fake_ram_start(handle, &r->script);
    r->cred = mg_cred_static_new("test", "testid", "testsecret", "");
    memset(&opt, 0, sizeof(opt));
    opt.endpoint = r->fake ? fake_ram_url(r->fake) : NULL;
    opt.cred = r->cred;
    opt.retry = (struct mg_retry_policy){ 3, 1, 5 };
    opt.timeout_ms = 5000;
    opt.page_size = 2;
    r->client = ram_client_new(&opt);
    CHECK(r->client != NULL);
    return r->client ? 0 : -1;
}

static void rig_down(struct rig *r)
{
    if (r->fake) {
        CHECK_INT(fake_ram_bad_signatures(r->fake), 0);
    }
    ram_client_free(r->client);
    fake_ram_stop(r->fake);
    mg_cred_free(r->cred);
}

void test_client_pages_to_the_end(void)
{
    struct rig r;
    struct ram_user_list users = { NULL, 0, 0 };
    struct ram_policy_list pols = { NULL, 0, 0 };
    struct ram_vmfa_list vmfa = { NULL, 0, 0 };
    struct mg_error err;

    if (rig_up(&r) != 0) {
        rig_down(&r);
        return;
    }
    mg_error_clear(&err);
    CHECK(ram_list_users(r.client, &users, &err) == 0);
    CHECK_INT(users.n, 5);
    CHECK_STR(users.v[4].name, "u4");
    CHECK_STR(users.v[4].id, "104");
    CHECK_STR(r.script.max_items, "2");
    CHECK_INT(ram_calls(r.client), 3);

    CHECK(ram_list_users_for_group(r.client, "ops", &users, &err) == 0);
    CHECK_INT(users.n, 10);

    CHECK(ram_list_policies(r.client, "System", &pols, &err) == 0);
    CHECK_INT(pols.n, 2);
    CHECK_INT(pols.v[0].attachment_count, 3);
    CHECK_STR(pols.v[1].default_version, "v2");

    /* No MaxItems for this one; it still follows the Marker. */
    CHECK(ram_list_virtual_mfa_devices(r.client, &vmfa, &err) == 0);
    CHECK_INT(vmfa.n, 2);
    CHECK_STR(vmfa.v[0].user_id, "1");
    CHECK_STR(r.script.marker_vmfa, "");

    ram_user_list_release(&users);
    ram_policy_list_release(&pols);
    ram_vmfa_list_release(&vmfa);
    rig_down(&r);
}

void test_client_mfa_and_login_profile(void)
{
    struct rig r;
    struct ram_mfa m;
    struct ram_login_profile lp;
    struct mg_error err;

    if (rig_up(&r) != 0) {
        rig_down(&r);
        return;
    }
    mg_error_clear(&err);
    CHECK(ram_get_user_mfa_info(r.client, "alice", &m, &err) == 0);
    CHECK_INT(m.bound, 1);
    CHECK_STR(m.type, "VMFA");
    CHECK(ram_get_user_mfa_info(r.client, "keyholder", &m, &err) == 0);
    CHECK_STR(m.type, "U2F");

    /* "No device" is an answer; "no user" is an error. */
    CHECK(ram_get_user_mfa_info(r.client, "bob", &m, &err) == 0);
    CHECK_INT(m.bound, 0);
    CHECK_INT(err.cls, MG_OK);
    CHECK(ram_get_user_mfa_info(r.client, "gone", &m, &err) == -1);
    CHECK_INT(err.cls, MG_NOT_FOUND);
    CHECK_STR(err.code, "EntityNotExist.User");
    CHECK_STR(err.api, "ram.GetUserMFAInfo");

    mg_error_clear(&err);
    CHECK(ram_get_login_profile(r.client, "alice", &lp, &err) == 0);
    CHECK_INT(lp.exists, 1);
    CHECK_INT(lp.mfa_bind_required, 1);
    CHECK_STR(lp.status, "Active");
    CHECK(ram_get_login_profile(r.client, "bob", &lp, &err) == 0);
    CHECK_INT(lp.exists, 0);

    rig_down(&r);
}

void test_client_policies_and_groups(void)
{
    struct rig r;
    struct ram_policy_list pols = { NULL, 0, 0 };
    struct ram_name_list groups = { NULL, 0, 0 };
    struct ram_user_list users = { NULL, 0, 0 };
    struct ram_policy *p;
    struct mg_error err;
    char version[32];
    char *doc = NULL;

    if (rig_up(&r) != 0) {
        rig_down(&r);
        return;
    }
    mg_error_clear(&err);
    CHECK(ram_get_policy(r.client, "AliyunECSFullAccess", "System", &doc,
                         version, sizeof(version), &err) == 0);
    CHECK_STR(version, "v3");
    p = doc ? ram_policy_parse(doc, strlen(doc), &err) : NULL;
    CHECK(p != NULL);
    ram_policy_free(p);
    free(doc);
    CHECK(ram_get_policy(r.client, "Nope", "Custom", &doc, version,
                         sizeof(version), &err) == -1);
    CHECK(doc == NULL);
    CHECK_INT(err.cls, MG_NOT_FOUND);
    CHECK_STR(err.code, "EntityNotExist.Policy");

    mg_error_clear(&err);
    CHECK(ram_list_policies_for_user(r.client, "alice", &pols, &err) == 0);
    CHECK(ram_list_policies_for_group(r.client, "ops", &pols, &err) == 0);
    CHECK_INT(pols.n, 2);
    /* A failed call leaves the list as it was. */
    CHECK(ram_list_policies_for_user(r.client, "denied", &pols, &err) == -1);
    CHECK_INT(err.cls, MG_FINAL);
    CHECK_INT(pols.n, 2);

    mg_error_clear(&err);
    CHECK(ram_list_groups_for_user(r.client, "alice", &groups, &err) == 0);
    CHECK_INT(groups.n, 2);
    CHECK_STR(groups.v[1], "log-admins");

    CHECK(ram_list_entities_for_policy(r.client, "AdministratorAccess",
                                       "System", &users, &groups, &err) == 0);
    CHECK_INT(users.n, 1);
    CHECK_STR(users.v[0].display_name, "A");
    CHECK_INT(groups.n, 3);

    ram_policy_list_release(&pols);
    ram_name_list_release(&groups);
    ram_user_list_release(&users);
    rig_down(&r);
}

/* Names with quotes, newlines, '&', '=', '%' and non-ASCII go out as
 * signed parameters and come back unchanged. */
void test_client_names_travel_intact(void)
{
    static const char *const names[] = {
        "o\"brien",          "line\nbreak",
        "a&b=c%20d",         "\xe5\xbc\xa0\xe4\xb8\x89",
        "sp ace+plus*star~", "back\\slash'quote",
    };
    struct rig r;
    struct ram_mfa m;
    struct ram_user u;
    struct mg_error err;
    size_t i;

    if (rig_up(&r) != 0) {
        rig_down(&r);
        return;
    }
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        mg_error_clear(&err);
        CHECK(ram_get_user_mfa_info(r.client, names[i], &m, &err) == 0);
        CHECK_STR(m.serial, names[i]);
        CHECK(ram_get_user(r.client, names[i], &u, &err) == 0);
        CHECK_STR(u.name, names[i]);
        CHECK_STR(u.id, "200828888731170001");
        CHECK_STR(u.display_name, "\xe5\xbc\xa0\xe4\xb8\x89");
    }
    rig_down(&r);
}

void test_client_signs_every_call(void)
{
    struct rig r;
    struct ram_mfa m;
    struct mg_error err;

    if (rig_up(&r) != 0) {
        rig_down(&r);
        return;
    }
    mg_error_clear(&err);
    CHECK(ram_get_user_mfa_info(r.client, "alice", &m, &err) == 0);
    CHECK(ram_get_user_mfa_info(r.client, "alice", &m, &err) == 0);
    CHECK_INT(fake_ram_count(r.fake), 2);
    CHECK_INT(ram_calls(r.client), 2);
    rig_down(&r); /* checks that no signature was wrong */
}

void test_client_bad_paging(void)
{
    struct rig r;
    struct ram_user_list users = { NULL, 0, 0 };
    struct mg_error err;

    if (rig_up(&r) != 0) {
        rig_down(&r);
        return;
    }
    r.script.paging = 1;
    mg_error_clear(&err);
    CHECK(ram_list_users(r.client, &users, &err) == -1);
    CHECK_INT(err.cls, MG_INVALID);
    CHECK_STR(err.api, "ram.ListUsers");
    CHECK_INT(users.n, 0);

    r.script.paging = 2;
    mg_error_clear(&err);
    CHECK(ram_list_users(r.client, &users, &err) == -1);
    CHECK_INT(err.cls, MG_INVALID);
    CHECK(strstr(err.message, "paging") != NULL);
    CHECK_INT(users.n, 0);
    ram_user_list_release(&users);
    rig_down(&r);
}

/* Throttling is retried inside the call; the caller sees one answer. */
void test_client_retries_throttling(void)
{
    struct rig r;
    struct ram_user u;
    struct mg_error err;

    if (rig_up(&r) != 0) {
        rig_down(&r);
        return;
    }
    r.script.throttle = 2;
    mg_error_clear(&err);
    CHECK(ram_get_user(r.client, "throttled", &u, &err) == 0);
    CHECK_STR(u.name, "throttled");
    CHECK_INT(fake_ram_count(r.fake), 3);

    r.script.throttle = 5;
    CHECK(ram_get_user(r.client, "throttled", &u, &err) == -1);
    CHECK_INT(err.cls, MG_RETRY);
    CHECK(err.throttled);
    rig_down(&r);
}
