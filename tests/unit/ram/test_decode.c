/* Reading RAM's answers, fed as canned JSON (shapes of config-ram-api.md
 * section 3), without a server. */

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/error.h"
#include "common/json.h"
#include "ram/decode.h"
#include "ram/policy.h"
#include "ram_tests.h"

static cJSON *answer(const char *text)
{
    cJSON *j = mg_json_parse(text, strlen(text), NULL);

    CHECK(j != NULL);
    return j;
}

void test_decode_users(void)
{
    struct ram_user_list users = { NULL, 0, 0 };
    struct mg_error err;
    cJSON *j;

    mg_error_clear(&err);
    j = answer("{\"Users\":{\"User\":[{\"Comments\":\"engineer\",\"UserName\":"
               "\"Alice\",\"UserId\":\"122748924538****\",\"DisplayName\":"
               "\"Alice\",\"Email\":\"alice@example.com\"},{\"UserName\":"
               "\"bob\",\"UserId\":\"2\"}]},\"IsTruncated\":false,"
               "\"RequestId\":\"4B450CA1\"}");
    CHECK(ram_decode_users(j, "Users", "User", &users, &err) == 0);
    CHECK_INT(users.n, 2);
    CHECK_STR(users.v[0].name, "Alice");
    CHECK_STR(users.v[0].id, "122748924538****");
    CHECK_STR(users.v[1].display_name, "");
    cJSON_Delete(j);

    /* Empty lists come in several shapes; a lone object is a list of one. */
    j = answer("{\"Users\":{\"User\":[]},\"RequestId\":\"x\"}");
    CHECK(ram_decode_users(j, "Users", "User", &users, &err) == 0);
    cJSON_Delete(j);
    j = answer("{\"Users\":{},\"RequestId\":\"x\"}");
    CHECK(ram_decode_users(j, "Users", "User", &users, &err) == 0);
    cJSON_Delete(j);
    j = answer("{\"Users\":[],\"RequestId\":\"x\"}");
    CHECK(ram_decode_users(j, "Users", "User", &users, &err) == 0);
    cJSON_Delete(j);
    j = answer("{\"RequestId\":\"x\"}");
    CHECK(ram_decode_users(j, "Users", "User", &users, &err) == 0);
    cJSON_Delete(j);
    CHECK_INT(users.n, 2);
    j = answer("{\"Users\":{\"User\":{\"UserName\":\"carol\"}}}");
    CHECK(ram_decode_users(j, "Users", "User", &users, &err) == 0);
    CHECK_INT(users.n, 3);
    CHECK_STR(users.v[2].name, "carol");
    cJSON_Delete(j);
    CHECK_INT(err.cls, MG_OK);

    ram_user_list_release(&users);
    CHECK(users.v == NULL && users.n == 0);
}

void test_decode_lists(void)
{
    struct ram_policy_list pols = { NULL, 0, 0 };
    struct ram_name_list groups = { NULL, 0, 0 };
    struct ram_vmfa_list vmfa = { NULL, 0, 0 };
    struct mg_error err;
    cJSON *j;

    mg_error_clear(&err);
    j = answer("{\"Policies\":{\"Policy\":[{\"Description\":\"OSS admin\","
               "\"PolicyName\":\"OSS-Administrator\",\"AttachDate\":"
               "\"2015-01-23T12:33:18Z\",\"DefaultVersion\":\"v1\","
               "\"PolicyType\":\"Custom\"},{\"PolicyName\":\"ReadOnlyAccess\","
               "\"DefaultVersion\":\"v3\",\"PolicyType\":\"System\","
               "\"AttachmentCount\":7}]},\"RequestId\":\"7B8A4E7D\"}");
    CHECK(ram_decode_policies(j, &pols, &err) == 0);
    CHECK_INT(pols.n, 2);
    CHECK_STR(pols.v[0].name, "OSS-Administrator");
    CHECK_STR(pols.v[0].type, "Custom");
    CHECK_STR(pols.v[0].default_version, "v1");
    CHECK_INT(pols.v[0].attachment_count, -1);
    CHECK_INT(pols.v[1].attachment_count, 7);
    cJSON_Delete(j);

    j = answer("{\"Groups\":{\"Group\":[{\"GroupName\":\"log-admins\","
               "\"GroupId\":\"1\",\"JoinDate\":\"2015-01-23T12:33:18Z\"},"
               "{\"GroupName\":\"dev\"}]},\"RequestId\":\"x\"}");
    CHECK(ram_decode_groups(j, &groups, &err) == 0);
    CHECK_INT(groups.n, 2);
    CHECK_STR(groups.v[0], "log-admins");
    CHECK_STR(groups.v[1], "dev");
    cJSON_Delete(j);

    j = answer("{\"VirtualMFADevices\":{\"VirtualMFADevice\":[{"
               "\"SerialNumber\":\"acs:ram::1:mfa/alice\",\"ActivateDate\":"
               "\"2020-01-01T00:00:00Z\",\"User\":{\"UserId\":\"20\","
               "\"UserName\":\"alice\",\"DisplayName\":\"alice\"}},"
               "{\"SerialNumber\":\"acs:ram::1:mfa/spare\"}]}}");
    CHECK(ram_decode_vmfa(j, &vmfa, &err) == 0);
    CHECK_INT(vmfa.n, 2);
    CHECK_STR(vmfa.v[0].user_name, "alice");
    CHECK_STR(vmfa.v[0].user_id, "20");
    CHECK_STR(vmfa.v[1].serial, "acs:ram::1:mfa/spare");
    CHECK_STR(vmfa.v[1].user_name, "");
    cJSON_Delete(j);
    CHECK_INT(err.cls, MG_OK);

    ram_policy_list_release(&pols);
    ram_name_list_release(&groups);
    ram_vmfa_list_release(&vmfa);
}

/* Account ids pass 2^53; both forms of an id come out as exact digits. */
void test_decode_ids_exact(void)
{
    struct ram_user_list users = { NULL, 0, 0 };
    struct mg_error err;
    cJSON *j;

    mg_error_clear(&err);
    j = answer("{\"Users\":{\"User\":[{\"UserName\":\"a\",\"UserId\":"
               "200828888731170001},{\"UserName\":\"b\",\"UserId\":"
               "9007199254740993},{\"UserName\":\"c\",\"UserId\":42},"
               "{\"UserName\":\"d\",\"UserId\":\"0042\"}]}}");
    CHECK(ram_decode_users(j, "Users", "User", &users, &err) == 0);
    CHECK_INT(users.n, 4);
    CHECK_STR(users.v[0].id, "200828888731170001");
    CHECK_STR(users.v[1].id, "9007199254740993");
    CHECK_STR(users.v[2].id, "42");
    CHECK_STR(users.v[3].id, "0042");
    cJSON_Delete(j);

    j = answer("{\"Users\":{\"User\":[{\"UserName\":\"e\",\"UserId\":4.5}]}}");
    CHECK(ram_decode_users(j, "Users", "User", &users, &err) == -1);
    CHECK_INT(err.cls, MG_INVALID);
    cJSON_Delete(j);
    ram_user_list_release(&users);
}

void test_decode_single_answers(void)
{
    struct ram_user u;
    struct ram_mfa m;
    struct ram_login_profile lp;
    struct mg_error err;
    cJSON *j;

    mg_error_clear(&err);
    j = answer("{\"RequestId\":\"x\",\"User\":{\"UserId\":\"1227\","
               "\"UserName\":\"zhang.san\",\"DisplayName\":"
               "\"\\u5f20\\u4e09 M\\u00fcller\",\"LastLoginDate\":"
               "\"2015-01-23T12:33:18Z\"}}");
    CHECK(ram_decode_get_user(j, &u, &err) == 0);
    CHECK_STR(u.name, "zhang.san");
    CHECK_STR(u.display_name, "\xe5\xbc\xa0\xe4\xb8\x89 M\xc3\xbc"
                              "ller");
    cJSON_Delete(j);

    j = answer("{\"RequestId\":\"04F0F334\",\"MFADevice\":{\"SerialNumber\":"
               "\"acs:ram::177242285274****:mfa/test\",\"Type\":\"VMFA\"}}");
    CHECK(ram_decode_mfa(j, &m, &err) == 0);
    CHECK_INT(m.bound, 1);
    CHECK_STR(m.type, "VMFA");
    CHECK_STR(m.serial, "acs:ram::177242285274****:mfa/test");
    cJSON_Delete(j);

    j = answer("{\"MFADevice\":{\"SerialNumber\":\"acs:ram::1:u2f/k\","
               "\"Type\":\"U2F\"},\"IsMFAEnable\":true}");
    CHECK(ram_decode_mfa(j, &m, &err) == 0);
    CHECK_INT(m.bound, 1);
    CHECK_STR(m.type, "U2F");
    cJSON_Delete(j);

    j = answer("{\"RequestId\":\"04F0F334\",\"LoginProfile\":{\"UserName\":"
               "\"zhangqiang\",\"PasswordResetRequired\":true,"
               "\"MFABindRequired\":true,\"CreateDate\":"
               "\"2015-01-23T12:33:18Z\"}}");
    CHECK(ram_decode_login_profile(j, &lp, &err) == 0);
    CHECK_INT(lp.exists, 1);
    CHECK_INT(lp.mfa_bind_required, 1);
    CHECK_STR(lp.status, "");
    cJSON_Delete(j);

    j = answer("{\"LoginProfile\":{\"MFABindRequired\":\"false\","
               "\"Status\":\"Active\"}}");
    CHECK(ram_decode_login_profile(j, &lp, &err) == 0);
    CHECK_INT(lp.mfa_bind_required, 0);
    CHECK_STR(lp.status, "Active");
    cJSON_Delete(j);
    CHECK_INT(err.cls, MG_OK);
}

void test_decode_policy_document(void)
{
    struct mg_error err;
    struct ram_policy *p;
    char version[32];
    char *doc = NULL;
    cJSON *j;

    /* The document travels as JSON text inside a string. */
    mg_error_clear(&err);
    j = answer("{\"RequestId\":\"697852FB\",\"Policy\":{\"PolicyName\":"
               "\"OSS-Administrator\",\"PolicyType\":\"Custom\","
               "\"AttachmentCount\":0},\"DefaultPolicyVersion\":{"
               "\"VersionId\":\"v1\",\"IsDefaultVersion\":true,"
               "\"PolicyDocument\":\"{ \\\"Statement\\\": [{ \\\"Action\\\": "
               "[\\\"oss:*\\\"], \\\"Effect\\\": \\\"Allow\\\", "
               "\\\"Resource\\\": [\\\"acs:oss:*:*:*\\\"]}], "
               "\\\"Version\\\": \\\"1\\\"}\"}}");
    CHECK(ram_decode_policy_document(j, &doc, version, sizeof(version), &err) ==
          0);
    CHECK_STR(version, "v1");
    CHECK(doc != NULL && strstr(doc, "\"oss:*\"") != NULL);
    p = doc ? ram_policy_parse(doc, strlen(doc), &err) : NULL;
    CHECK(p != NULL);
    CHECK_INT(ram_policy_statement_count(p), 1);
    ram_policy_free(p);
    free(doc);
    cJSON_Delete(j);

    /* An object in its place is written out as text. */
    j = answer("{\"DefaultPolicyVersion\":{\"VersionId\":\"v2\","
               "\"PolicyDocument\":{\"Version\":\"1\",\"Statement\":[{"
               "\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Resource\":"
               "\"*\"}]}}}");
    CHECK(ram_decode_policy_document(j, &doc, version, sizeof(version), &err) ==
          0);
    CHECK_STR(version, "v2");
    p = doc ? ram_policy_parse(doc, strlen(doc), &err) : NULL;
    CHECK(p != NULL);
    CHECK_INT(ram_policy_statement_count(p), 1);
    ram_policy_free(p);
    free(doc);
    cJSON_Delete(j);

    /* A version id that does not fit is an error, not a cut id. */
    j = answer("{\"DefaultPolicyVersion\":{\"VersionId\":\"v123456789\","
               "\"PolicyDocument\":\"{}\"}}");
    CHECK(ram_decode_policy_document(j, &doc, version, 4, &err) == -1);
    CHECK(doc == NULL);
    CHECK_INT(err.cls, MG_INVALID);
    cJSON_Delete(j);
}

struct refusal {
    const char *answer;
    int (*decode)(const cJSON *root, struct mg_error *err);
};

static int users_of(const cJSON *root, struct mg_error *err)
{
    struct ram_user_list l = { NULL, 0, 0 };
    int rc = ram_decode_users(root, "Users", "User", &l, err);

    ram_user_list_release(&l);
    return rc;
}

static int policies_of(const cJSON *root, struct mg_error *err)
{
    struct ram_policy_list l = { NULL, 0, 0 };
    int rc = ram_decode_policies(root, &l, err);

    ram_policy_list_release(&l);
    return rc;
}

static int groups_of(const cJSON *root, struct mg_error *err)
{
    struct ram_name_list l = { NULL, 0, 0 };
    int rc = ram_decode_groups(root, &l, err);

    ram_name_list_release(&l);
    return rc;
}

static int mfa_of(const cJSON *root, struct mg_error *err)
{
    struct ram_mfa m;

    return ram_decode_mfa(root, &m, err);
}

static int profile_of(const cJSON *root, struct mg_error *err)
{
    struct ram_login_profile lp;

    return ram_decode_login_profile(root, &lp, err);
}

static int user_of(const cJSON *root, struct mg_error *err)
{
    struct ram_user u;

    return ram_decode_get_user(root, &u, err);
}

static int document_of(const cJSON *root, struct mg_error *err)
{
    char *doc = NULL;
    char v[32];
    int rc = ram_decode_policy_document(root, &doc, v, sizeof(v), err);

    free(doc);
    return rc;
}

#define LONG64 \
    "0123456789012345678901234567890123456789012345678901234567890123"

static const struct refusal refusals[] = {
    { "{\"Users\":[{\"UserName\":\"a\"}]}", users_of },
    { "{\"Users\":{\"User\":\"alice\"}}", users_of },
    { "{\"Users\":{\"User\":[\"alice\"]}}", users_of },
    { "{\"Users\":{\"User\":[{\"UserId\":\"1\"}]}}", users_of },
    { "{\"Users\":{\"User\":[{\"UserName\":7}]}}", users_of },
    { "{\"Users\":{\"User\":[{\"UserName\":\"a\",\"UserId\":true}]}}",
      users_of },
    /* every fixed field refuses what does not fit, never cuts it */
    { "{\"Users\":{\"User\":[{\"UserName\":\"a\",\"UserId\":\"" LONG64 "\"}]}}",
      users_of },
    { "{\"Users\":{\"User\":[{\"UserName\":\"" LONG64 LONG64 "\"}]}}",
      users_of },
    { "{\"Policies\":{\"Policy\":[{\"PolicyName\":\"p\"}]}}", policies_of },
    { "{\"Policies\":{\"Policy\":[{\"PolicyName\":\"p\",\"PolicyType\":"
      "\"SystemButLongerX\"}]}}",
      policies_of },
    { "{\"Policies\":{\"Policy\":[{\"PolicyName\":\"p\",\"PolicyType\":"
      "\"Custom\",\"AttachmentCount\":-1}]}}",
      policies_of },
    { "{\"Groups\":{\"Group\":[{\"GroupName\":\"" LONG64 LONG64 "\"}]}}",
      groups_of },
    { "{\"RequestId\":\"x\"}", mfa_of },
    { "{\"MFADevice\":{}}", mfa_of },
    { "{\"MFADevice\":{\"SerialNumber\":\"s\",\"Type\":\"VirtualMFADevice\"}}",
      mfa_of },
    { "{\"RequestId\":\"x\"}", profile_of },
    { "{\"LoginProfile\":{\"MFABindRequired\":\"maybe\"}}", profile_of },
    { "{\"User\":\"alice\"}", user_of },
    { "{\"Policy\":{\"PolicyDocument\":\"{}\"}}", document_of },
    { "{\"DefaultPolicyVersion\":{\"VersionId\":\"v1\"}}", document_of },
    { "{\"DefaultPolicyVersion\":{\"PolicyDocument\":\"\"}}", document_of },
    { "{\"DefaultPolicyVersion\":{\"PolicyDocument\":[1]}}", document_of },
};

void test_decode_refuses(void)
{
    size_t i;

    for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        struct mg_error err;
        cJSON *j = answer(refusals[i].answer);
        int rc;

        mg_error_clear(&err);
        rc = refusals[i].decode(j, &err);
        if (rc != -1 || err.cls != MG_INVALID) {
            fprintf(stderr, "accepted: %s\n", refusals[i].answer);
        }
        CHECK_INT(rc, -1);
        CHECK_INT(err.cls, MG_INVALID);
        CHECK(err.message[0] != '\0');
        cJSON_Delete(j);
    }
}

void test_decode_paging(void)
{
    struct mg_error err;
    char marker[16];
    int truncated;
    cJSON *j;

    mg_error_clear(&err);
    j = answer("{\"IsTruncated\":true,\"Marker\":\"EXAMPLE\"}");
    CHECK(ram_decode_page(j, &truncated, marker, sizeof(marker), &err) == 0);
    CHECK_INT(truncated, 1);
    CHECK_STR(marker, "EXAMPLE");
    cJSON_Delete(j);

    j = answer("{\"IsTruncated\":false,\"Marker\":\"ignored\"}");
    CHECK(ram_decode_page(j, &truncated, marker, sizeof(marker), &err) == 0);
    CHECK_INT(truncated, 0);
    cJSON_Delete(j);

    j = answer("{\"RequestId\":\"x\"}");
    CHECK(ram_decode_page(j, &truncated, marker, sizeof(marker), &err) == 0);
    CHECK_INT(truncated, 0);
    cJSON_Delete(j);

    j = answer("{\"IsTruncated\":\"true\",\"Marker\":\"m2\"}");
    CHECK(ram_decode_page(j, &truncated, marker, sizeof(marker), &err) == 0);
    CHECK_INT(truncated, 1);
    cJSON_Delete(j);
    CHECK_INT(err.cls, MG_OK);

    /* Truncated with no Marker, or one too long, cannot go on. */
    j = answer("{\"IsTruncated\":true}");
    CHECK(ram_decode_page(j, &truncated, marker, sizeof(marker), &err) == -1);
    cJSON_Delete(j);
    mg_error_clear(&err);
    j = answer("{\"IsTruncated\":true,\"Marker\":\"\"}");
    CHECK(ram_decode_page(j, &truncated, marker, sizeof(marker), &err) == -1);
    cJSON_Delete(j);
    mg_error_clear(&err);
    j = answer("{\"IsTruncated\":true,\"Marker\":\"0123456789abcdefg\"}");
    CHECK(ram_decode_page(j, &truncated, marker, sizeof(marker), &err) == -1);
    CHECK_INT(err.cls, MG_INVALID);
    cJSON_Delete(j);
    mg_error_clear(&err);
    j = answer("{\"IsTruncated\":\"perhaps\"}");
    CHECK(ram_decode_page(j, &truncated, marker, sizeof(marker), &err) == -1);
    cJSON_Delete(j);
}
