/* Unit tests of the shared layer: signing vectors from the reference,
 * encodings, exact JSON integers, safe XML, the logger and the pool. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/json.h"
#include "common/limiter.h"
#include "common/log.h"
#include "common/pool.h"
#include "common/rpc.h"
#include "common/strmap.h"
#include "common/xml.h"

CHECK_GLOBALS;

static void test_buf_limit(void)
{
    struct mg_buf b = MG_BUF_INIT(8);

    CHECK(mg_buf_adds(&b, "12345678") == 0);
    CHECK(mg_buf_addc(&b, '9') == -1);
    CHECK_INT(b.len, 8);
    CHECK_STR(mg_buf_str(&b), "12345678");
    mg_buf_reset(&b);
    CHECK(mg_buf_addf(&b, "%d-%s", 42, "x") == 0);
    CHECK_STR(b.data, "42-x");
    mg_buf_release(&b);
    CHECK_STR(mg_buf_str(&b), "");
}

/* A growing array keeps its elements, and refuses sizes that overflow. */
static void test_grow(void)
{
    size_t cap = 0;
    int *v = NULL;
    int *w;
    size_t i;

    for (i = 0; i < 100; i++) {
        w = mg_grow(v, i, &cap, sizeof(*v));
        CHECK(w != NULL);
        v = w;
        v[i] = (int)i;
    }
    CHECK_INT(cap, 128);
    CHECK(mg_grow(v, 100, &cap, sizeof(*v)) == v);
    for (i = 0; i < 100; i++) {
        CHECK_INT(v[i], i);
    }
    cap = SIZE_MAX / 4;
    CHECK(mg_grow(v, cap, &cap, sizeof(*v)) == NULL);
    CHECK(cap == SIZE_MAX / 4);
    free(v);
}

static void test_hmac_primitive(void)
{
    char sig[64];

    /* T4 of config-ram-api.md */
    mg_hmac_sha1_b64("secret", 6, "source", 6, sig, sizeof(sig));
    CHECK_STR(sig, "Jv4yi8SobFhg5t1C7nWLbhBSFZQ=");
    mg_hmac_sha1_b64("secret", 6, "中文unicode", strlen("中文unicode"), sig,
                     sizeof(sig));
    CHECK_STR(sig, "szlfHs3WVaO/HgY3Cg7/uyXDaRw=");
}

static void check_pct(const char *in, const char *want)
{
    struct mg_buf b = MG_BUF_INIT(256);

    mg_pct_encode(&b, in, strlen(in));
    CHECK_STR(b.data, want);
    mg_buf_release(&b);
}

static void test_percent_encoding(void)
{
    check_pct("abcXYZ019-_.~", "abcXYZ019-_.~");
    check_pct("a b", "a%20b");
    check_pct("a+b", "a%2Bb");
    check_pct("a*b", "a%2Ab");
    check_pct("a~b", "a~b");
    check_pct("/", "%2F");
    check_pct("=&:", "%3D%26%3A");
    check_pct("\"%", "%22%25");
    check_pct("!'()", "%21%27%28%29");
    check_pct("中 文+~*", "%E4%B8%AD%20%E6%96%87%2B~%2A");
}

static const struct mg_param t1_params[] = {
    { "Timestamp", "2016-02-23T12:46:24Z" },
    { "Format", "XML" },
    { "AccessKeyId", "testid" },
    { "Action", "DescribeRegions" },
    { "SignatureMethod", "HMAC-SHA1" },
    { "SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf" },
    { "Version", "2014-05-26" },
    { "SignatureVersion", "1.0" },
};

static void sign(const struct mg_param *p, size_t n, const char *method,
                 char *sig, struct mg_buf *canon)
{
    mg_buf_reset(canon);
    mg_rpc_canonical(canon, p, n);
    mg_rpc_signature(method, canon->data, "testsecret", sig, 64);
}

static void test_rpc_vectors_t1_t2(void)
{
    struct mg_buf canon = MG_BUF_INIT(4096);
    struct mg_param p[8];
    char sig[64];

    sign(t1_params, 8, "GET", sig, &canon);
    CHECK_STR(canon.data,
              "AccessKeyId=testid&Action=DescribeRegions&Format=XML&"
              "SignatureMethod=HMAC-SHA1&SignatureNonce=3ee8c1b8-83d3-44af-"
              "a94f-4e0ad82fd6cf&SignatureVersion=1.0&Timestamp=2016-02-23T12"
              "%3A46%3A24Z&Version=2014-05-26");
    CHECK_STR(sig, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");

    /* T2: the legacy "TimeStamp" spelling sorts after SignatureVersion. */
    memcpy(p, t1_params, sizeof(p));
    p[0].name = "TimeStamp";
    sign(p, 8, "GET", sig, &canon);
    CHECK_STR(sig, "CT9X0VtwR86fNWSnsc6v8YGOjuE=");
    mg_buf_release(&canon);
}

static void test_rpc_vector_t3(void)
{
    static const struct mg_param p[] = {
        { "AccessKeyId", "testid" },
        { "Action", "DescribeDedicatedHosts" },
        { "Format", "JSON" },
        { "RegionId", "cn-beijing" },
        { "SignatureMethod", "HMAC-SHA1" },
        { "SignatureNonce", "edb2b34af0af9a6d14deaf7c1a5315eb" },
        { "SignatureVersion", "1.0" },
        { "Timestamp", "2023-03-13T08:34:30Z" },
        { "Version", "2014-05-26" },
    };
    struct mg_buf canon = MG_BUF_INIT(4096);
    char sig[64];

    sign(p, 9, "GET", sig, &canon);
    CHECK_STR(sig, "9NaGiOspFP5UPcwX8Iwt2YJXXuk=");
    sign(p, 9, "POST", sig, &canon);
    CHECK_STR(sig, "ZvQ9xGiFnquSJRvj+WE6kdSpTwU=");
    mg_buf_release(&canon);
}

static void test_rpc_vectors_t5_t6(void)
{
    struct mg_param p[10];
    struct mg_buf canon = MG_BUF_INIT(4096);
    char sig[64];

    memcpy(p, t1_params, sizeof(t1_params));
    p[1].value = "JSON";
    p[3].value = "GetUserMFAInfo";
    p[6].value = "2015-05-01";
    p[8] = (struct mg_param){ "UserName", "alice" };
    sign(p, 9, "GET", sig, &canon);
    CHECK_STR(sig, "Al+fgpNVaZwu1LfeC77M5qt1UAo=");

    p[9] = (struct mg_param){ "SecurityToken", "CAIS+token/with=chars" };
    sign(p, 10, "GET", sig, &canon);
    CHECK(strstr(canon.data, "&SecurityToken=CAIS%2Btoken%2Fwith%3Dchars&"));
    CHECK_STR(sig, "naFtO6IR2h8j7gVGIY9ZRyXeZ8c=");
    mg_buf_release(&canon);
}

static void test_rpc_vector_t7(void)
{
    struct mg_param p[10];
    struct mg_buf canon = MG_BUF_INIT(8192);
    char sig[64];

    memcpy(p, t1_params, sizeof(t1_params));
    p[1].value = "JSON";
    p[3].value = "PutEvaluations";
    p[6].value = "2020-09-07";
    p[8] = (struct mg_param){ "ResultToken", "HLQr3BZx/C+DLjwu****" };
    p[9] = (struct mg_param){
        "Evaluations",
        "[{\"accountId\":1234567890123456,\"complianceResourceId\":"
        "\"20082888873117****\",\"complianceResourceType\":\"ACS::RAM::User"
        "\",\"complianceRegionId\":\"global\",\"orderingTimestamp\":"
        "1600610821106,\"complianceType\":\"NON_COMPLIANT\",\"annotation\":"
        "\"user MFADevice empty\"}]"
    };
    sign(p, 10, "POST", sig, &canon);
    CHECK_STR(sig, "qLi49sM52qEQAvm6/IbEjCqDVaE=");
    mg_buf_release(&canon);
}

static void check_b64(const char *in, const char *want)
{
    struct mg_buf b = MG_BUF_INIT(256);
    int rc = mg_b64_decode(&b, in, strlen(in));

    if (want == NULL) {
        CHECK(rc == -1);
    } else {
        CHECK(rc == 0);
        CHECK_STR(mg_buf_str(&b), want);
    }
    mg_buf_release(&b);
}

static void test_base64_strict(void)
{
    struct mg_buf b = MG_BUF_INIT(64);

    check_b64("aGVsbG8=", "hello");
    check_b64("aGVsbG8h", "hello!");
    check_b64("aGk=", "hi");
    check_b64("aGVsbG8", NULL);   /* length */
    check_b64("aGVs bG8=", NULL); /* space */
    check_b64("aGk9=a==", NULL);  /* padding inside */
    check_b64("aGl=", NULL);      /* non-canonical trailing bits */
    check_b64("{\"a\":1}", NULL);
    mg_b64_encode(&b, "hello", 5);
    CHECK_STR(b.data, "aGVsbG8=");
    mg_buf_release(&b);
}

static void test_json_exact_integers(void)
{
    const char *text = "{\"accountId\": 1698272328540001, \"big\": "
                       "9223372036854775807, \"s\": \"18446744073\", "
                       "\"t\": 1733300000000, \"f\": 1.5, \"neg\": "
                       "-1234567890123456789, \"inner\": \"x 12345678901234567"
                       " y\"}";
    struct mg_error err;
    cJSON *j;
    int64_t v = 0;

    mg_error_clear(&err);
    j = mg_json_parse(text, strlen(text), &err);
    CHECK(j != NULL);
    CHECK(mg_json_i64(j, "accountId", &v) == 0);
    CHECK(v == 1698272328540001LL);
    CHECK(mg_json_i64(j, "big", &v) == 0);
    CHECK(v == 9223372036854775807LL);
    CHECK(mg_json_i64(j, "s", &v) == 0);
    CHECK(v == 18446744073LL);
    CHECK(mg_json_i64(j, "t", &v) == 0);
    CHECK(v == 1733300000000LL);
    CHECK(mg_json_i64(j, "f", &v) == -1);
    CHECK(mg_json_i64(j, "neg", &v) == 0);
    CHECK(v == -1234567890123456789LL);
    CHECK_STR(mg_json_str(j, "inner"), "x 12345678901234567 y");
    CHECK(mg_json_i64(j, "AccountID", &v) == 0);
    cJSON_Delete(j);
}

static void test_json_refuses(void)
{
    const char *nul = "{\"a\":\"x\\u0000y\"}";
    const char *escaped = "{\"a\":\"x\\\\u0000y\"}";
    cJSON *j;
    struct mg_error err;
    const char *cases[] = { "",
                            "{",
                            "{\"a\":1} x",
                            "42",
                            "{\"a\":\"\\u\"}",
                            "{\"a\": 99999999999999999999999}" };
    size_t i;
    int64_t v;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mg_error_clear(&err);
        j = mg_json_parse(cases[i], strlen(cases[i]), &err);
        if (i == 5) {
            /* parses, but the number does not fit an int64 */
            CHECK(j != NULL);
            CHECK(mg_json_i64(j, "a", &v) == -1);
            cJSON_Delete(j);
            continue;
        }
        CHECK(j == NULL);
        CHECK(err.cls == MG_INVALID);
    }
    mg_error_clear(&err);
    CHECK(mg_json_parse("{\"a\":\0}", 7, &err) == NULL);
    mg_error_clear(&err);
    CHECK(mg_json_parse(nul, strlen(nul), &err) == NULL);
    CHECK_STR(err.code, "JsonEscapedNul");
    mg_error_clear(&err);
    j = mg_json_parse(escaped, strlen(escaped), &err);
    CHECK(j != NULL); /* an escaped backslash, then plain text */
    cJSON_Delete(j);
}

static void test_xml_refuses_doctype(void)
{
    const char *lol = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a "
                      "\"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><r>&b;</r>";
    const char *ext = "<?xml version=\"1.0\"?><!DOCTYPE r SYSTEM "
                      "\"http://127.0.0.1:1/x.dtd\"><r/>";
    const char *ok = "<Messages xmlns=\"http://mns.aliyuncs.com/doc/v1\">"
                     "<Message><MessageId>m1</MessageId></Message>"
                     "</Messages>";
    struct mg_error err;
    xmlDocPtr doc;
    char id[16];

    mg_error_clear(&err);
    CHECK(mg_xml_parse(lol, strlen(lol), &err) == NULL);
    CHECK_STR(err.code, "XmlDoctype");
    mg_error_clear(&err);
    CHECK(mg_xml_parse(ext, strlen(ext), &err) == NULL);
    mg_error_clear(&err);
    doc = mg_xml_parse(ok, strlen(ok), &err);
    CHECK(doc != NULL);
    CHECK(mg_xml_is(mg_xml_root(doc), "Messages"));
    mg_xml_child_text(mg_xml_child(mg_xml_root(doc), "Message"), "MessageId",
                      id, sizeof(id));
    CHECK_STR(id, "m1");
    xmlFreeDoc(doc);
}

static void test_clock_formats(void)
{
    char s[40];
    time_t t;

    mg_fmt_rfc1123(1436410894, s, sizeof(s));
    CHECK_STR(s, "Thu, 09 Jul 2015 03:01:34 GMT");
    CHECK(mg_parse_rfc1123(s, &t) == 0 && t == 1436410894);
    mg_fmt_iso8601(1456231584, s, sizeof(s));
    CHECK_STR(s, "2016-02-23T12:46:24Z");
    CHECK(mg_parse_iso8601(s, &t) == 0 && t == 1456231584);
    CHECK(mg_parse_iso8601("2016-02-23 12:46:24", &t) == -1);
}

static void test_log_escapes_and_masks(void)
{
    FILE *f = tmpfile();
    char line[1024] = "";
    struct mg_error err;

    mg_log_setup(MG_LOG_INFO, MG_LOG_LOGFMT, f);
    mg_log_secret_add("s3cr3tValue");
    mg_log_ctx_set("msg_id", "m-1");
    mg_log_info("test.event", MG_LS("user", "evil\nlevel=error"),
                MG_LS("leak", "x s3cr3tValue y"), MG_LI("n", 7));
    mg_error_clear(&err);
    mg_error_set(&err, MG_RETRY, "Throttling.User", "slow down");
    mg_log_debug("hidden", MG_LERR(&err));
    mg_log_ctx_clear();
    rewind(f);
    CHECK(fgets(line, sizeof(line), f) != NULL);
    CHECK(strstr(line, "user=\"evil\\nlevel=error\"") != NULL);
    CHECK(strstr(line, "s3cr3t") == NULL);
    CHECK(strstr(line, "msg_id=m-1") != NULL);
    CHECK(strstr(line, "n=7") != NULL);
    CHECK(fgets(line, sizeof(line), f) == NULL);
    fclose(f);

    f = tmpfile();
    mg_log_setup(MG_LOG_DEBUG, MG_LOG_JSON, f);
    mg_log_warn("json.event", MG_LS("q", "a\"b"), MG_LERR(&err));
    rewind(f);
    CHECK(fgets(line, sizeof(line), f) != NULL);
    CHECK(strstr(line, "\"q\":\"a\\\"b\"") != NULL);
    CHECK(strstr(line, "\"code\":\"Throttling.User\"") != NULL);
    fclose(f);
    mg_log_setup(MG_LOG_INFO, MG_LOG_LOGFMT, NULL);
}

static void test_error_classes(void)
{
    struct mg_error e;

    mg_error_clear(&e);
    mg_error_classify(&e, 400, "Throttling.User");
    CHECK(e.cls == MG_RETRY && e.throttled);
    mg_error_classify(&e, 404, "EntityNotExist.User");
    CHECK(e.cls == MG_NOT_FOUND);
    mg_error_classify(&e, 403, "NoPermission");
    CHECK(e.cls == MG_FINAL);
    mg_error_classify(&e, 503, "Whatever");
    CHECK(e.cls == MG_RETRY);
    mg_error_classify(&e, 429, NULL);
    CHECK(e.cls == MG_RETRY && e.throttled);
    mg_error_classify(&e, 400, "InvalidParameter");
    CHECK(e.cls == MG_FINAL);
}

static void test_strmap_and_arena(void)
{
    struct mg_strmap *m = mg_strmap_new(2);
    struct mg_arena *a = mg_arena_new();
    const char *kept[5000];
    char key[32];
    size_t v = 0;
    size_t i;

    for (i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "user%05zu", i);
        CHECK(mg_strmap_put(m, key, i) == 0);
        kept[i] = mg_arena_strdup(a, key);
    }
    CHECK_INT(mg_strmap_size(m), 5000);
    CHECK(mg_strmap_put(m, "user00007", 42) == 0);
    CHECK(mg_strmap_get(m, "user00007", &v) && v == 42);
    CHECK(mg_strmap_get(m, "user04999", &v) && v == 4999);
    CHECK(!mg_strmap_get(m, "user05000", &v));
    for (i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "user%05zu", i);
        CHECK(strcmp(kept[i], key) == 0);
    }
    CHECK(mg_arena_size(a) >= 5000 * 10);
    mg_strmap_free(m);
    mg_arena_free(a);
}

static void add_index(size_t i, void *ctx)
{
    long *sum = ctx;

    __atomic_add_fetch(sum, (long)i + 1, __ATOMIC_SEQ_CST);
}

static void test_pool_runs_everything(void)
{
    struct mg_pool *p = mg_pool_new(3);
    long sum = 0;

    mg_pool_for(p, 1000, 0, add_index, &sum);
    CHECK_INT(sum, 500500);
    sum = 0;
    mg_pool_for(p, 100, 2, add_index, &sum);
    CHECK_INT(sum, 5050);
    mg_pool_free(p);
    sum = 0;
    mg_pool_for(NULL, 10, 0, add_index, &sum);
    CHECK_INT(sum, 55);
}

static void test_limiter_cuts_once_per_burst(void)
{
    struct mg_limiter *l = mg_limiter_new("ram", 100);
    struct mg_limiter *open = mg_limiter_new("mns", 0);
    int i;

    for (i = 0; i < 50; i++) {
        mg_limiter_throttled(l, 1);
    }
    /* Fifty throttling answers in one burst are one signal. */
    CHECK(mg_limiter_rate(l) > 74.0 && mg_limiter_rate(l) < 76.0);

    /* An open limiter learns from what went through before. */
    CHECK(mg_limiter_rate(open) == 0);
    for (i = 0; i < 40; i++) {
        mg_limiter_acquire(open, NULL);
    }
    mg_limiter_throttled(open, 1);
    CHECK(mg_limiter_rate(open) >= 19.0 && mg_limiter_rate(open) <= 21.0);
    mg_limiter_free(l);
    mg_limiter_free(open);
}

static void test_retry_delay_bounds(void)
{
    struct mg_retry_policy p = { 5, 100, 1000 };
    int i;

    for (i = 0; i < 50; i++) {
        int64_t d1 = mg_retry_delay(&p, 1, 0);
        int64_t d5 = mg_retry_delay(&p, 5, 0);
        CHECK(d1 >= 50 && d1 <= 100);
        CHECK(d5 >= 500 && d5 <= 1000);
    }
    CHECK(mg_retry_delay(&p, 1, 3000) == 3000);
}

int main(void)
{
    mg_xml_global_init();
    RUN(test_buf_limit);
    RUN(test_grow);
    RUN(test_hmac_primitive);
    RUN(test_percent_encoding);
    RUN(test_rpc_vectors_t1_t2);
    RUN(test_rpc_vector_t3);
    RUN(test_rpc_vectors_t5_t6);
    RUN(test_rpc_vector_t7);
    RUN(test_base64_strict);
    RUN(test_json_exact_integers);
    RUN(test_json_refuses);
    RUN(test_xml_refuses_doctype);
    RUN(test_clock_formats);
    RUN(test_log_escapes_and_masks);
    RUN(test_error_classes);
    RUN(test_pool_runs_everything);
    RUN(test_strmap_and_arena);
    RUN(test_retry_delay_bounds);
    RUN(test_limiter_cuts_once_per_burst);
    CHECK_MAIN_END();
}
