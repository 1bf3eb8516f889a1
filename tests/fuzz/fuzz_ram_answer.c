/*
 * The decoders of RAM's JSON answers (ram/decode.h) on any JSON text,
 * each given the same parsed answer as the client would. Every decoder
 * either fails with an error class set, or fills fields that fit their
 * arrays (strings are refused rather than cut) and lists whose counts
 * stay within their capacity. A successful GetUserMFAInfo shows a device,
 * a successful GetLoginProfile a profile, a truncated page a Marker; a
 * policy document given as a string comes out as the same text, and any
 * document that comes out goes through ram_policy_parse as the worker's
 * would.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/json.h"
#include "fuzz.h"
#include "ram/decode.h"
#include "ram/policy.h"
#include "ram/ram.h"

#include "common/banned.h"

static void check_failed(int rc, const struct mg_error *err)
{
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(rc == 0 || err->cls == MG_INVALID || err->cls == MG_RETRY);
}

static void check_user(const struct ram_user *u)
{
    FUZZ_CHECK(fuzz_terminated(u->name, sizeof(u->name)));
    FUZZ_CHECK(fuzz_terminated(u->id, sizeof(u->id)));
    FUZZ_CHECK(fuzz_terminated(u->display_name, sizeof(u->display_name)));
}

static void check_users(const cJSON *root)
{
    struct ram_user_list l = { NULL, 0, 0 };
    struct ram_user one;
    struct mg_error err;
    size_t i;
    int rc;

    mg_error_clear(&err);
    rc = ram_decode_users(root, "Users", "User", &l, &err);
    check_failed(rc, &err);
    FUZZ_CHECK(l.n <= l.cap);
    for (i = 0; i < l.n; i++) {
        check_user(&l.v[i]);
    }
    ram_user_list_release(&l);

    mg_error_clear(&err);
    rc = ram_decode_get_user(root, &one, &err);
    check_failed(rc, &err);
    if (rc == 0) {
        check_user(&one);
    }
}

static void check_policies(const cJSON *root)
{
    struct ram_policy_list l = { NULL, 0, 0 };
    struct mg_error err;
    size_t i;
    int rc;

    mg_error_clear(&err);
    rc = ram_decode_policies(root, &l, &err);
    check_failed(rc, &err);
    FUZZ_CHECK(l.n <= l.cap);
    for (i = 0; i < l.n; i++) {
        const struct ram_policy_ref *p = &l.v[i];

        FUZZ_CHECK(fuzz_terminated(p->name, sizeof(p->name)));
        FUZZ_CHECK(fuzz_terminated(p->type, sizeof(p->type)));
        FUZZ_CHECK(
            fuzz_terminated(p->default_version, sizeof(p->default_version)));
        FUZZ_CHECK(p->attachment_count >= -1);
    }
    ram_policy_list_release(&l);
}

static void check_groups_and_devices(const cJSON *root)
{
    struct ram_name_list g = { NULL, 0, 0 };
    struct ram_vmfa_list v = { NULL, 0, 0 };
    struct mg_error err;
    size_t i;

    mg_error_clear(&err);
    check_failed(ram_decode_groups(root, &g, &err), &err);
    FUZZ_CHECK(g.n <= g.cap);
    for (i = 0; i < g.n; i++) {
        FUZZ_CHECK(fuzz_terminated(g.v[i], sizeof(g.v[i])));
    }
    ram_name_list_release(&g);

    mg_error_clear(&err);
    check_failed(ram_decode_vmfa(root, &v, &err), &err);
    FUZZ_CHECK(v.n <= v.cap);
    for (i = 0; i < v.n; i++) {
        FUZZ_CHECK(fuzz_terminated(v.v[i].serial, sizeof(v.v[i].serial)));
        FUZZ_CHECK(fuzz_terminated(v.v[i].user_name, sizeof(v.v[i].user_name)));
        FUZZ_CHECK(fuzz_terminated(v.v[i].user_id, sizeof(v.v[i].user_id)));
    }
    ram_vmfa_list_release(&v);
}

static void check_mfa_and_profile(const cJSON *root)
{
    struct ram_mfa mfa;
    struct ram_login_profile lp;
    struct mg_error err;
    int rc;

    mg_error_clear(&err);
    rc = ram_decode_mfa(root, &mfa, &err);
    check_failed(rc, &err);
    if (rc == 0) {
        FUZZ_CHECK(mfa.bound == 1);
        FUZZ_CHECK(mfa.serial[0] != '\0' || mfa.type[0] != '\0');
        FUZZ_CHECK(fuzz_terminated(mfa.serial, sizeof(mfa.serial)));
        FUZZ_CHECK(fuzz_terminated(mfa.type, sizeof(mfa.type)));
    }

    mg_error_clear(&err);
    rc = ram_decode_login_profile(root, &lp, &err);
    check_failed(rc, &err);
    if (rc == 0) {
        FUZZ_CHECK(lp.exists == 1);
        FUZZ_CHECK(lp.mfa_bind_required == 0 || lp.mfa_bind_required == 1);
        FUZZ_CHECK(fuzz_terminated(lp.status, sizeof(lp.status)));
    }
}

static void check_document(const cJSON *root)
{
    char version[32];
    char *doc = NULL;
    struct mg_error err;
    const cJSON *ver;
    const cJSON *given;
    struct ram_policy *p;
    int rc;

    mg_error_clear(&err);
    rc = ram_decode_policy_document(root, &doc, version, sizeof(version), &err);
    check_failed(rc, &err);
    FUZZ_CHECK((rc == 0) == (doc != NULL));
    if (rc != 0) {
        return;
    }
    FUZZ_CHECK(fuzz_terminated(version, sizeof(version)));
    ver = mg_json_get(root, "DefaultPolicyVersion");
    given = mg_json_get(ver, "PolicyDocument");
    if (cJSON_IsString(given)) {
        FUZZ_CHECK(strcmp(doc, given->valuestring) == 0);
    }

    mg_error_clear(&err);
    p = ram_policy_parse(doc, strlen(doc), &err);
    FUZZ_CHECK(p != NULL || err.cls != MG_OK);
    ram_policy_free(p);
    free(doc);
}

static void check_page(const cJSON *root)
{
    char marker[64];
    int truncated = -1;
    struct mg_error err;
    int rc;

    mg_error_clear(&err);
    rc = ram_decode_page(root, &truncated, marker, sizeof(marker), &err);
    check_failed(rc, &err);
    if (rc == 0) {
        FUZZ_CHECK(truncated == 0 || truncated == 1);
        FUZZ_CHECK(fuzz_terminated(marker, sizeof(marker)));
        FUZZ_CHECK(!truncated || marker[0] != '\0');
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mg_error err;
    cJSON *root;

    mg_error_clear(&err);
    root = mg_json_parse((const char *)data, size, &err);
    if (root == NULL) {
        return 0;
    }
    check_users(root);
    check_policies(root);
    check_groups_and_devices(root);
    check_mfa_and_profile(root);
    check_document(root);
    check_page(root);
    cJSON_Delete(root);
    return 0;
}
