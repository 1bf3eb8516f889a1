/* Unit tests of the MNS module: the signature vectors of the reference,
 * the requests the client builds and signs, the parsing of documented and
 * captured answers, notification decoding, and the client against a
 * canned server on 127.0.0.1. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/buf.h"
#include "common/cred.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/xml.h"
#include "fake_server.h"
#include "mns/mns.h"
#include "mns/notify.h"
#include "mns/request.h"
#include "mns/xmlio.h"

/* Last: its renames must not reach the headers above. */
#include "common/banned.h"

CHECK_GLOBALS;

#define CONSUMER_DATE "Thu, 04 Dec 2025 15:23:00 GMT"
#define JAVA_DATE     "Tue, 03 Jun 2025 11:23:48 GMT"

/* The handle of the captured answer in §3.2 and of TV-11..13. */
#define HANDLE "1-ODU4OTkzNDU5My0xNDQ1OTk4Mjc5LTEtOA=="

static const char *const version_only[] = { "x-mns-version: 2015-06-06", NULL };

/* ---- signature vectors (mns-api.md §2.5) ------------------------------ */

/* Build the string-to-sign, compare it, then its signature. */
static void check_vector(const char *secret, const char *verb, const char *md5,
                         const char *type, const char *date,
                         const char *const *headers, const char *resource,
                         const char *want_sts, const char *want_sig)
{
    struct mg_buf sts = MG_BUF_INIT(4096);
    char sig[64] = "";

    CHECK(mns_string_to_sign(&sts, verb, md5, type, date, headers, resource) ==
          0);
    CHECK_STR(mg_buf_str(&sts), want_sts);
    CHECK(mns_signature(secret, mg_buf_str(&sts), sig, sizeof(sig)) == 0);
    CHECK_STR(sig, want_sig);
    mg_buf_release(&sts);
}

static void test_tv1_documented_example(void)
{
    struct mg_buf sts = MG_BUF_INIT(4096);
    char auth[128];

    check_vector("TestAccessSecret", "GET", NULL, NULL,
                 "Thu, 09 Jul 2015 03:01:34 GMT", version_only, "/MyQueue",
                 "GET\n\n\nThu, 09 Jul 2015 03:01:34 GMT\n"
                 "x-mns-version:2015-06-06\n/MyQueue",
                 "uwx3yeWoILzgmvesW0BQSgfM7b8=");
    mns_string_to_sign(&sts, "GET", "", "", "Thu, 09 Jul 2015 03:01:34 GMT",
                       version_only, "/MyQueue");
    CHECK(mns_authorization("TestAccessID", "TestAccessSecret", sts.data, auth,
                            sizeof(auth)) == 0);
    CHECK_STR(auth, "MNS TestAccessID:uwx3yeWoILzgmvesW0BQSgfM7b8=");
    mg_buf_release(&sts);
}

static void test_tv2_node_sdk_with_content_md5(void)
{
    check_vector("ACCESS_KEY_SECRET", "PUT", "574683b3684e3cff610afa155cc2506d",
                 "text/xml", "Tue, 11 Apr 2017 10:09:19 GMT", version_only, "/",
                 "PUT\n574683b3684e3cff610afa155cc2506d\ntext/xml\n"
                 "Tue, 11 Apr 2017 10:09:19 GMT\nx-mns-version:2015-06-06\n/",
                 "A9zehggaYHHujmuRMxGIDrhWwx8=");
}

static void test_tv3_raw_string(void)
{
    char sig[64];

    CHECK(mns_signature("accessKeySecret111", "contentToSign111 Hello world",
                        sig, sizeof(sig)) == 0);
    CHECK_STR(sig, "ZX9CiXzbkdkW2bW1Lw3G3JvnD90=");
    CHECK(mns_signature("accessKeySecret111", "x", sig, 10) == -1);
}

static void test_tv4_tv5_java_queue_put(void)
{
    const char *want = "PUT\n\ntext/xml;charset=UTF-8\n" JAVA_DATE "\n"
                       "x-mns-version:2015-06-06\n/queues/TestQueue";

    check_vector("accessKeySecret111", "PUT", "", "text/xml;charset=UTF-8",
                 JAVA_DATE, version_only, "/queues/TestQueue", want,
                 "HCSlBi5KuXGNf06tZKFiQlNDt4c=");
    check_vector("skkkkkkk1111111111", "PUT", "", "text/xml;charset=UTF-8",
                 JAVA_DATE, version_only, "/queues/TestQueue", want,
                 "KvUgeFIzq+V37Fw7Nb8BKQEncZU=");
}

static void test_tv6_header_name_lowercased_value_kept(void)
{
    static const char *const h[] = { "x-mns-abcDEF: abcDEF", NULL };
    struct mg_buf sts = MG_BUF_INIT(4096);
    char auth[128];

    CHECK(mns_string_to_sign(&sts, "POST", NULL, NULL, JAVA_DATE, h,
                             "/queues/TestQueue") == 0);
    CHECK_STR(sts.data, "POST\n\n\n" JAVA_DATE "\nx-mns-abcdef:abcDEF\n"
                        "/queues/TestQueue");
    CHECK(mns_authorization("ak1", "sk1", sts.data, auth, sizeof(auth)) == 0);
    CHECK_STR(auth, "MNS ak1:cAThPWnbphg3hDe3ZHDADTgkgyE=");
    mg_buf_release(&sts);
}

static void test_tv7_other_headers_not_signed(void)
{
    static const char *const h[] = { "x-kkk-def: ignored",
                                     "X-MNS-abcdef:  KKKkkk ", NULL };

    check_vector("sk-kkkkkk1111111111", "GET", NULL, NULL,
                 "Wed, 03 Dec 2025 11:23:48 GMT", h, "/queues/TestQueue123456",
                 "GET\n\n\nWed, 03 Dec 2025 11:23:48 GMT\nx-mns-abcdef:KKKkkk\n"
                 "/queues/TestQueue123456",
                 "lPxnfNA+Qo/aj18MYJUnRMqa84I=");
}

static void test_tv8_tv9_no_mns_headers(void)
{
    check_vector("testSk", "GET", NULL, NULL, JAVA_DATE, NULL,
                 "/queues/TestQueue",
                 "GET\n\n\n" JAVA_DATE "\n/queues/TestQueue",
                 "uDJQXbk2xOhH95MDXmgbAGdtyE4=");
    check_vector("testSk", "POST", NULL, "application/json", JAVA_DATE, NULL,
                 "/queues/Test Queue@123",
                 "POST\n\napplication/json\n" JAVA_DATE
                 "\n/queues/Test Queue@123",
                 "GZ/I9UgZsqvbzfzjd0GmA6VHOx4=");
}

static void test_tv10_batch_receive(void)
{
    check_vector("testSecret", "GET", NULL, NULL, CONSUMER_DATE, version_only,
                 "/queues/my-queue/messages?numOfMessages=16&waitseconds=30",
                 "GET\n\n\n" CONSUMER_DATE "\nx-mns-version:2015-06-06\n"
                 "/queues/my-queue/messages?numOfMessages=16&waitseconds=30",
                 "C+AGxSw4IA1yTJ+dthWaRowb8Ok=");
}

static void test_tv11_delete_encoded_handle(void)
{
    check_vector("testSecret", "DELETE", NULL, NULL, CONSUMER_DATE,
                 version_only,
                 "/queues/my-queue/messages?ReceiptHandle="
                 "1-ODU4OTkzNDU5My0xNDQ1OTk4Mjc5LTEtOA%3D%3D",
                 "DELETE\n\n\n" CONSUMER_DATE "\nx-mns-version:2015-06-06\n"
                 "/queues/my-queue/messages?ReceiptHandle="
                 "1-ODU4OTkzNDU5My0xNDQ1OTk4Mjc5LTEtOA%3D%3D",
                 "RExnFOvhWqtqFKABLKjuMgr4kT4=");
}

static void test_tv12_tv13_batch_delete(void)
{
    check_vector("testSecret", "DELETE",
                 "NDhmNTBkMWRhZGQwZjNjNmMxMWUwNGM4ZDc0ZWYwNTc=",
                 "text/xml;charset=UTF-8", CONSUMER_DATE, version_only,
                 "/queues/my-queue/messages",
                 "DELETE\nNDhmNTBkMWRhZGQwZjNjNmMxMWUwNGM4ZDc0ZWYwNTc=\n"
                 "text/xml;charset=UTF-8\n" CONSUMER_DATE
                 "\nx-mns-version:2015-06-06\n/queues/my-queue/messages",
                 "ZzBFPybMRWot+WfP3TZYr7iXnXc=");
    check_vector("testSecret", "DELETE", NULL, "text/xml;charset=UTF-8",
                 CONSUMER_DATE, version_only, "/queues/my-queue/messages",
                 "DELETE\n\ntext/xml;charset=UTF-8\n" CONSUMER_DATE
                 "\nx-mns-version:2015-06-06\n/queues/my-queue/messages",
                 "CUlFGzaMgVXWKc1em9yOkC1JXPs=");
}

static void test_tv14_headers_sorted(void)
{
    static const char *const h[] = { "x-mns-version: 2015-06-06",
                                     "x-mns-user-request-id: req-1", NULL };

    check_vector("testSecret", "GET", NULL, NULL, CONSUMER_DATE, h,
                 "/queues/my-queue/messages?waitseconds=30",
                 "GET\n\n\n" CONSUMER_DATE "\nx-mns-user-request-id:req-1\n"
                 "x-mns-version:2015-06-06\n"
                 "/queues/my-queue/messages?waitseconds=30",
                 "KBrA99CWwudojcEdUlMCGWAqIwk=");
}

static void test_string_to_sign_refuses_malformed_headers(void)
{
    static const char *const no_colon[] = { "x-mns-version", NULL };
    static const char *const no_name[] = { ": value", NULL };
    struct mg_buf sts = MG_BUF_INIT(4096);

    CHECK(mns_string_to_sign(&sts, "GET", NULL, NULL, CONSUMER_DATE, no_colon,
                             "/") == -1);
    CHECK(mns_string_to_sign(&sts, "GET", NULL, NULL, CONSUMER_DATE, no_name,
                             "/") == -1);
    CHECK(mns_string_to_sign(&sts, "GET", NULL, NULL, NULL, NULL, "/") == -1);
    mg_buf_release(&sts);
}

/* ---- request building ------------------------------------------------- */

static struct mg_cred consumer_cred(const char *token)
{
    struct mg_cred c;

    memset(&c, 0, sizeof(c));
    snprintf(c.id, sizeof(c.id), "testid");
    snprintf(c.secret, sizeof(c.secret), "testSecret");
    snprintf(c.token, sizeof(c.token), "%s", token);
    return c;
}

static size_t count_headers(const struct mns_headers *h)
{
    size_t n = 0;

    while (h->list[n]) {
        n++;
    }
    return n;
}

static void test_receive_request_is_tv10(void)
{
    struct mns_request rq;
    struct mns_headers h;
    struct mg_buf sts = MG_BUF_INIT(4096);
    struct mg_cred cred = consumer_cred("");
    struct mg_error err;

    mg_error_clear(&err);
    mns_request_init(&rq);
    CHECK(mns_build_receive(&rq, "my-queue", 16, 30, &err) == 0);
    CHECK_STR(rq.verb, "GET");
    CHECK_STR(rq.action, "BatchReceiveMessage");
    CHECK_STR(mg_buf_str(&rq.resource),
              "/queues/my-queue/messages?numOfMessages=16&waitseconds=30");
    CHECK_INT(rq.body.len, 0);
    CHECK_INT(rq.timeout_ms, 40000);

    CHECK(mns_sign_request(&rq, &cred, CONSUMER_DATE, &h, &sts) == 0);
    CHECK_STR(sts.data, "GET\n\n\n" CONSUMER_DATE
                        "\nx-mns-version:2015-06-06\n/queues/my-queue/"
                        "messages?numOfMessages=16&waitseconds=30");
    CHECK_INT(count_headers(&h), 3);
    CHECK_STR(h.list[0], "Date: " CONSUMER_DATE);
    CHECK_STR(h.list[1], "x-mns-version: 2015-06-06");
    CHECK_STR(h.list[2],
              "Authorization: MNS testid:C+AGxSw4IA1yTJ+dthWaRowb8Ok=");

    CHECK(mns_build_receive(&rq, "my-queue", 1, 0, &err) == 0);
    CHECK_STR(mg_buf_str(&rq.resource),
              "/queues/my-queue/messages?numOfMessages=1&waitseconds=0");
    CHECK_INT(rq.timeout_ms, 10000);
    mns_request_release(&rq);
    mg_buf_release(&sts);
}

static void test_receive_arguments_checked(void)
{
    static const char *const bad_names[] = { "",   "a/b", "../x", "q?x=1",
                                             "-q", "q q", "队列" };
    struct mns_request rq;
    struct mg_error err;
    char name[300];
    size_t i;

    mns_request_init(&rq);
    for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        mg_error_clear(&err);
        CHECK(mns_build_receive(&rq, bad_names[i], 1, 1, &err) == -1);
        CHECK(err.cls == MG_INVALID);
    }
    mg_error_clear(&err);
    CHECK(mns_build_receive(&rq, NULL, 1, 1, &err) == -1);
    mg_error_clear(&err);
    CHECK(mns_build_receive(&rq, "q", 0, 1, &err) == -1);
    mg_error_clear(&err);
    CHECK(mns_build_receive(&rq, "q", 17, 1, &err) == -1);
    mg_error_clear(&err);
    CHECK(mns_build_receive(&rq, "q", 1, -1, &err) == -1);
    mg_error_clear(&err);
    CHECK(mns_build_receive(&rq, "q", 1, 31, &err) == -1);
    CHECK(err.cls == MG_INVALID);

    memset(name, 'a', 256);
    name[256] = '\0';
    CHECK(mns_build_receive(&rq, name, 1, 1, &err) == 0);
    name[256] = 'a';
    name[257] = '\0';
    CHECK(mns_build_receive(&rq, name, 1, 1, &err) == -1);
    CHECK(mns_build_receive(&rq, "Queue_1-b", 1, 1, &err) == 0);
    mns_request_release(&rq);
}

static void test_delete_request_encodes_and_signs_handle(void)
{
    struct mns_request rq;
    struct mns_headers h;
    struct mg_buf sts = MG_BUF_INIT(4096);
    struct mg_cred cred = consumer_cred("");
    struct mg_error err;

    mg_error_clear(&err);
    mns_request_init(&rq);
    CHECK(mns_build_delete(&rq, "my-queue", HANDLE, &err) == 0);
    CHECK_STR(rq.verb, "DELETE");
    CHECK_STR(mg_buf_str(&rq.resource),
              "/queues/my-queue/messages?ReceiptHandle="
              "1-ODU4OTkzNDU5My0xNDQ1OTk4Mjc5LTEtOA%3D%3D");
    CHECK(mns_sign_request(&rq, &cred, CONSUMER_DATE, &h, &sts) == 0);
    CHECK_INT(count_headers(&h), 3);
    CHECK_STR(h.list[2],
              "Authorization: MNS testid:RExnFOvhWqtqFKABLKjuMgr4kT4=");

    /* '+' would be read as a space and '/' '=' split the query. */
    CHECK(mns_build_delete(&rq, "q", "1-a+b/c=d==", &err) == 0);
    CHECK_STR(mg_buf_str(&rq.resource),
              "/queues/q/messages?ReceiptHandle=1-a%2Bb%2Fc%3Dd%3D%3D");
    mg_buf_reset(&sts);
    CHECK(mns_sign_request(&rq, &cred, CONSUMER_DATE, &h, &sts) == 0);
    CHECK(strstr(sts.data, "\n/queues/q/messages?ReceiptHandle=1-a%2Bb%2Fc"
                           "%3Dd%3D%3D") != NULL);

    mg_error_clear(&err);
    CHECK(mns_build_delete(&rq, "q", "", &err) == -1);
    CHECK(err.cls == MG_INVALID);
    mns_request_release(&rq);
    mg_buf_release(&sts);
}

static void test_security_token_sent_but_not_signed(void)
{
    struct mns_request rq;
    struct mns_headers h;
    struct mg_buf sts = MG_BUF_INIT(4096);
    struct mg_cred cred = consumer_cred("CAIS+sts/token==");
    struct mg_error err;

    mg_error_clear(&err);
    mns_request_init(&rq);
    CHECK(mns_build_receive(&rq, "my-queue", 16, 30, &err) == 0);
    CHECK(mns_sign_request(&rq, &cred, CONSUMER_DATE, &h, &sts) == 0);
    CHECK_INT(count_headers(&h), 4);
    CHECK_STR(h.list[2],
              "Authorization: MNS testid:C+AGxSw4IA1yTJ+dthWaRowb8Ok=");
    CHECK_STR(h.list[3], "security-token: CAIS+sts/token==");
    CHECK(strstr(sts.data, "token") == NULL);
    mns_request_release(&rq);
    mg_buf_release(&sts);
}

static void test_change_visibility_request(void)
{
    struct mns_request rq;
    struct mns_headers h;
    struct mg_buf sts = MG_BUF_INIT(4096);
    struct mg_cred cred = consumer_cred("");
    struct mg_error err;

    mg_error_clear(&err);
    mns_request_init(&rq);
    CHECK(mns_build_change_visibility(&rq, "my-queue", "1-a+b/c==", 60, &err) ==
          0);
    CHECK_STR(rq.verb, "PUT");
    CHECK_STR(rq.action, "ChangeMessageVisibility");
    CHECK_STR(mg_buf_str(&rq.resource),
              "/queues/my-queue/messages?ReceiptHandle=1-a%2Bb%2Fc%3D%3D"
              "&VisibilityTimeout=60");
    CHECK_INT(rq.body.len, 0);
    CHECK(mns_sign_request(&rq, &cred, CONSUMER_DATE, &h, &sts) == 0);
    CHECK_STR(sts.data, "PUT\n\n\n" CONSUMER_DATE
                        "\nx-mns-version:2015-06-06\n/queues/my-queue/"
                        "messages?ReceiptHandle=1-a%2Bb%2Fc%3D%3D"
                        "&VisibilityTimeout=60");
    CHECK_INT(count_headers(&h), 3);

    CHECK(mns_build_change_visibility(&rq, "q", "h", 43200, &err) == 0);
    CHECK(mns_build_change_visibility(&rq, "q", "h", 43201, &err) == -1);
    mg_error_clear(&err);
    CHECK(mns_build_change_visibility(&rq, "q", "h", -1, &err) == -1);
    CHECK(err.cls == MG_INVALID);
    mns_request_release(&rq);
    mg_buf_release(&sts);
}

static void test_batch_delete_request_is_tv13(void)
{
    static const char *const one[] = { HANDLE };
    static const char *const odd[] = { "a&b", "c<d>" };
    struct mns_request rq;
    struct mns_headers h;
    struct mg_buf sts = MG_BUF_INIT(4096);
    struct mg_cred cred = consumer_cred("");
    struct mg_error err;
    const char *many[17];
    char md5[40];
    size_t i;

    mg_error_clear(&err);
    mns_request_init(&rq);
    CHECK(mns_build_delete_batch(&rq, "my-queue", one, 1, &err) == 0);
    CHECK_STR(rq.verb, "DELETE");
    CHECK_STR(mg_buf_str(&rq.resource), "/queues/my-queue/messages");
    CHECK_STR(mg_buf_str(&rq.body),
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ReceiptHandles "
              "xmlns=\"http://mns.aliyuncs.com/doc/v1/\"><ReceiptHandle>" HANDLE
              "</ReceiptHandle></ReceiptHandles>");
    CHECK_INT(rq.body.len, 180);
    mg_md5_hex(rq.body.data, rq.body.len, md5, 0);
    CHECK_STR(md5, "48f50d1dadd0f3c6c11e04c8d74ef057");

    CHECK(mns_sign_request(&rq, &cred, CONSUMER_DATE, &h, &sts) == 0);
    CHECK_INT(count_headers(&h), 4);
    CHECK_STR(h.list[2], "Content-Type: text/xml;charset=UTF-8");
    CHECK_STR(h.list[3],
              "Authorization: MNS testid:CUlFGzaMgVXWKc1em9yOkC1JXPs=");

    CHECK(mns_build_delete_batch(&rq, "q", odd, 2, &err) == 0);
    CHECK(strstr(rq.body.data, "<ReceiptHandle>a&amp;b</ReceiptHandle>"
                               "<ReceiptHandle>c&lt;d&gt;</ReceiptHandle>"));
    for (i = 0; i < 17; i++) {
        many[i] = HANDLE;
    }
    CHECK(mns_build_delete_batch(&rq, "q", many, 16, &err) == 0);
    CHECK(mns_build_delete_batch(&rq, "q", many, 17, &err) == -1);
    mg_error_clear(&err);
    CHECK(mns_build_delete_batch(&rq, "q", many, 0, &err) == -1);
    CHECK(err.cls == MG_INVALID);
    mns_request_release(&rq);
    mg_buf_release(&sts);
}

static void test_send_request_escapes_and_bounds_body(void)
{
    const char *odd = "<a b=\"1\">'x' & \r\n</a>";
    struct mns_request rq;
    struct mg_error err;
    char *big = malloc(MNS_MAX_BODY + 1);

    mg_error_clear(&err);
    mns_request_init(&rq);
    CHECK(mns_build_send(&rq, "q", odd, strlen(odd), 0, &err) == 0);
    CHECK_STR(rq.verb, "POST");
    CHECK_STR(mg_buf_str(&rq.resource), "/queues/q/messages");
    CHECK_STR(mg_buf_str(&rq.body),
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Message "
              "xmlns=\"http://mns.aliyuncs.com/doc/v1/\"><MessageBody>&lt;a "
              "b=&quot;1&quot;&gt;&apos;x&apos; &amp; &#13;\n&lt;/a&gt;"
              "</MessageBody></Message>");
    CHECK(mns_build_send(&rq, "q", "hi", 2, 5, &err) == 0);
    CHECK(strstr(rq.body.data, "<MessageBody>hi</MessageBody>"
                               "<DelaySeconds>5</DelaySeconds></Message>"));

    memset(big, '{', MNS_MAX_BODY + 1);
    CHECK(mns_build_send(&rq, "q", big, MNS_MAX_BODY, 0, &err) == 0);
    CHECK(mns_build_send(&rq, "q", big, MNS_MAX_BODY + 1, 0, &err) == -1);
    CHECK(err.cls == MG_INVALID);
    mg_error_clear(&err);
    CHECK(mns_build_send(&rq, "q", "a\x01z", 3, 0, &err) == -1);
    mg_error_clear(&err);
    CHECK(mns_build_send(&rq, "q", "a\0z", 3, 0, &err) == -1);
    mg_error_clear(&err);
    CHECK(mns_build_send(&rq, "q", "\xc3\x28", 2, 0, &err) == -1);
    CHECK(err.cls == MG_INVALID);
    mg_error_clear(&err);
    CHECK(mns_build_send(&rq, "q", "x", 1, 604801, &err) == -1);
    free(big);
    mns_request_release(&rq);
}

static void test_publish_request_tag_limit(void)
{
    const char *han16 = "一二三四五六七八九十一二三四五六";
    struct mns_request rq;
    struct mg_error err;

    mg_error_clear(&err);
    mns_request_init(&rq);
    CHECK(mns_build_publish(&rq, "MNSTestConfig", "{}", 2, "mfaguard", &err) ==
          0);
    CHECK_STR(mg_buf_str(&rq.resource), "/topics/MNSTestConfig/messages");
    CHECK(strstr(rq.body.data, "<MessageBody>{}</MessageBody><MessageTag>"
                               "mfaguard</MessageTag></Message>"));
    CHECK(mns_build_publish(&rq, "t", "{}", 2, NULL, &err) == 0);
    CHECK(strstr(rq.body.data, "MessageTag") == NULL);
    CHECK(mns_build_publish(&rq, "t", "{}", 2, "", &err) == 0);
    CHECK(strstr(rq.body.data, "MessageTag") == NULL);
    CHECK(mns_build_publish(&rq, "t", "{}", 2, "0123456789abcdef", &err) == 0);
    /* Sixteen characters, 48 bytes. */
    CHECK(mns_build_publish(&rq, "t", "{}", 2, han16, &err) == 0);
    CHECK(mns_build_publish(&rq, "t", "{}", 2, "0123456789abcdefg", &err) ==
          -1);
    CHECK(err.cls == MG_INVALID);
    mns_request_release(&rq);
}

static void test_setup_requests(void)
{
    struct mns_request rq;
    struct mg_error err;

    mg_error_clear(&err);
    mns_request_init(&rq);
    CHECK(mns_build_create_queue(&rq, "q", 30, &err) == 0);
    CHECK_STR(rq.verb, "PUT");
    CHECK_STR(mg_buf_str(&rq.resource), "/queues/q");
    CHECK(strstr(rq.body.data, "<Queue xmlns=\"http://mns.aliyuncs.com/doc/v1/"
                               "\"><VisibilityTimeout>30</VisibilityTimeout>"
                               "</Queue>"));
    CHECK(mns_build_create_queue(&rq, "q", 0, &err) == -1);

    CHECK(mns_build_create_topic(&rq, "t", &err) == 0);
    CHECK_STR(mg_buf_str(&rq.resource), "/topics/t");
    CHECK(strstr(rq.body.data,
                 "<MaximumMessageSize>65536</MaximumMessageSize></Topic>"));

    CHECK(mns_build_subscribe(&rq, "t", "s", "acs:mns:cn-test:1:queues/q",
                              "SIMPLIFIED", &err) == 0);
    CHECK_STR(mg_buf_str(&rq.resource), "/topics/t/subscriptions/s");
    CHECK(strstr(rq.body.data,
                 "<Subscription xmlns=\"http://mns.aliyuncs.com/doc/v1/\">"
                 "<Endpoint>acs:mns:cn-test:1:queues/q</Endpoint>"
                 "<NotifyContentFormat>SIMPLIFIED</NotifyContentFormat>"
                 "</Subscription>"));
    mg_error_clear(&err);
    CHECK(mns_build_subscribe(&rq, "t", "s", "x", "xml", &err) == -1);
    CHECK(err.cls == MG_INVALID);
    CHECK(mns_build_subscribe(&rq, "t", "s", "", "XML", &err) == -1);

    CHECK(mns_build_queue_attributes(&rq, "q", &err) == 0);
    CHECK_STR(rq.verb, "GET");
    CHECK_INT(rq.body.len, 0);
    mns_request_release(&rq);
}

/* ---- answers ------------------------------------------------------------ */

/* §3.1, the documented ReceiveMessage answer (its MD5 is illustrative). */
static const char doc_receive[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Message xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\n"
    "  <MessageId>5F290C926D472878-2-14D9529A8FA-200000001</MessageId>\n"
    "  <ReceiptHandle>1-ODU4OTkzNDU5My0xNDMyNzI3ODI3LTItOA==</ReceiptHandle>\n"
    "  <MessageBodyMD5>C5DD56A39F5F7BB8B3337C6D11B6D8C7</MessageBodyMD5>\n"
    "  <MessageBody>This is a test message</MessageBody>\n"
    "  <EnqueueTime>1250700979248</EnqueueTime>\n"
    "  <NextVisibleTime>1250700799348</NextVisibleTime>\n"
    "  <FirstDequeueTime>1250700779318</FirstDequeueTime>\n"
    "  <DequeueCount>1</DequeueCount>\n"
    "  <Priority>8</Priority>\n"
    "</Message>\n";

/* §3.2, a captured BatchReceiveMessage answer: namespace without the
 * trailing slash, elements in another order. */
static const char captured_receive[] =
    "<?xml version=\"1.0\"?>\n"
    "<Messages xmlns=\"http://mns.aliyuncs.com/doc/v1\">\n"
    "  <Message>\n"
    "    <MessageId>D2D1DEC96E4678D4-1-150A9598DE9-200000001</MessageId>\n"
    "    <MessageBodyMD5>3AED23FB70BD99FA907F5212F50DF7B9</MessageBodyMD5>\n"
    "    <MessageBody>YToyOntzOjI6ImlkIjtpOjEwNTgyODc4O3M6MTA6ImVycm9yQ291"
    "bnQiO2k6MDt9</MessageBody>\n"
    "    <ReceiptHandle>1-ODU4OTkzNDU5My0xNDQ1OTk4Mjc5LTEtOA==</ReceiptHandle>"
    "\n"
    "    <EnqueueTime>1445950229993</EnqueueTime>\n"
    "    <FirstDequeueTime>1445952551937</FirstDequeueTime>\n"
    "    <NextVisibleTime>1445998279000</NextVisibleTime>\n"
    "    <DequeueCount>3</DequeueCount>\n"
    "    <Priority>8</Priority>\n"
    "  </Message>\n"
    "</Messages>\n";

struct inbox {
    struct mns_message m[4];
};

static void inbox_init(struct inbox *b)
{
    size_t i;

    for (i = 0; i < 4; i++) {
        mns_message_init(&b->m[i]);
    }
}

static void inbox_release(struct inbox *b)
{
    size_t i;

    for (i = 0; i < 4; i++) {
        mns_message_release(&b->m[i]);
    }
}

static int parse(const char *xml, struct inbox *b, int max,
                 struct mg_error *err)
{
    mg_error_clear(err);
    return mns_parse_messages(xml, strlen(xml), b->m, max, err);
}

static void test_parse_documented_single_message(void)
{
    struct inbox b;
    struct mg_error err;
    struct mns_message *m = &b.m[0];

    inbox_init(&b);
    CHECK_INT(parse(doc_receive, &b, 4, &err), 1);
    CHECK_STR(m->id, "5F290C926D472878-2-14D9529A8FA-200000001");
    CHECK_STR(m->receipt, "1-ODU4OTkzNDU5My0xNDMyNzI3ODI3LTItOA==");
    CHECK_STR(m->body_md5, "C5DD56A39F5F7BB8B3337C6D11B6D8C7");
    CHECK_STR(m->body.data, "This is a test message");
    CHECK(m->enqueue_ms == 1250700979248LL);
    CHECK(m->next_visible_ms == 1250700799348LL);
    CHECK(m->first_dequeue_ms == 1250700779318LL);
    CHECK_INT(m->dequeue_count, 1);
    CHECK_INT(m->priority, 8);
    CHECK_INT(m->oversize, 0);
    /* The documented MD5 is not that of the documented body. */
    CHECK(!mns_message_md5_ok(m));
    snprintf(m->body_md5, sizeof(m->body_md5),
             "fafb00f5732ab283681e124bf8747ed1");
    CHECK(mns_message_md5_ok(m));
    m->body_md5[0] = '\0';
    CHECK(!mns_message_md5_ok(m));
    inbox_release(&b);
}

static void test_parse_captured_batch(void)
{
    struct inbox b;
    struct mg_error err;
    struct mns_message *m = &b.m[0];

    inbox_init(&b);
    CHECK_INT(parse(captured_receive, &b, 4, &err), 1);
    CHECK_STR(m->id, "D2D1DEC96E4678D4-1-150A9598DE9-200000001");
    CHECK_STR(m->receipt, HANDLE);
    CHECK_STR(
        m->body.data,
        "YToyOntzOjI6ImlkIjtpOjEwNTgyODc4O3M6MTA6ImVycm9yQ291bnQiO2k6MDt9");
    CHECK(m->enqueue_ms == 1445950229993LL);
    CHECK(m->first_dequeue_ms == 1445952551937LL);
    CHECK(m->next_visible_ms == 1445998279000LL);
    CHECK_INT(m->dequeue_count, 3);
    CHECK_INT(m->priority, 8);
    CHECK(mns_message_md5_ok(m));
    inbox_release(&b);
}

static void test_parse_tolerates_unknown_empty_and_cdata(void)
{
    const char *xml =
        "<Messages xmlns=\"http://mns.aliyuncs.com/doc/v1/\">"
        "<Message><Priority></Priority><MessageGroupId></MessageGroupId>"
        "<UserProperties><PropertyValue><Name>a</Name><Value>1</Value>"
        "<Type>NUMBER</Type></PropertyValue></UserProperties>"
        "<MessageBody><![CDATA[<x a=\"1\">&amp;</x>]]></MessageBody>"
        "<MessageId>m1</MessageId><ReceiptHandle>r1</ReceiptHandle>"
        "<DequeueCount> 2 </DequeueCount><EnqueueTime>abc</EnqueueTime>"
        "</Message>"
        "<Message><MessageId>m2</MessageId><ReceiptHandle>r2</ReceiptHandle>"
        "<MessageBody>&lt;a&gt; &amp; &#13;&#x4e2d;&quot;</MessageBody>"
        "<Extra/></Message>"
        "<Message><MessageId>m3</MessageId><MessageBody/></Message>"
        "</Messages>";
    struct inbox b;
    struct mg_error err;

    inbox_init(&b);
    CHECK_INT(parse(xml, &b, 4, &err), 3);
    CHECK_STR(b.m[0].id, "m1");
    CHECK_STR(b.m[0].body.data, "<x a=\"1\">&amp;</x>");
    CHECK_INT(b.m[0].priority, 0);
    CHECK_INT(b.m[0].dequeue_count, 2);
    CHECK_INT(b.m[0].enqueue_ms, 0);
    CHECK_STR(b.m[0].body_md5, "");
    CHECK_STR(b.m[1].receipt, "r2");
    CHECK_STR(b.m[1].body.data, "<a> & \r中\"");
    CHECK_STR(b.m[2].id, "m3");
    CHECK(b.m[2].body.data != NULL);
    CHECK_INT(b.m[2].body.len, 0);

    /* No more than asked for, and a second parse reuses the bodies. */
    CHECK_INT(parse(xml, &b, 1, &err), 1);
    CHECK_STR(b.m[0].id, "m1");
    CHECK_INT(parse(doc_receive, &b, 4, &err), 1);
    CHECK_STR(b.m[0].body.data, "This is a test message");
    CHECK_INT(b.m[0].dequeue_count, 1);
    inbox_release(&b);
}

static void test_parse_keeps_non_ascii_body(void)
{
    const char *xml = "<Messages><Message><MessageId>m</MessageId>"
                      "<MessageBody>{\"DisplayName\":\"张三 Müller\","
                      "\"c\":\"运维 – on call ☎\"}</MessageBody>"
                      "<MessageBodyMD5>X</MessageBodyMD5></Message></Messages>";
    const char *want = "{\"DisplayName\":\"张三 Müller\","
                       "\"c\":\"运维 – on call ☎\"}";
    struct inbox b;
    struct mg_error err;
    char md5[40];

    inbox_init(&b);
    CHECK_INT(parse(xml, &b, 4, &err), 1);
    CHECK_STR(b.m[0].body.data, want);
    CHECK_INT(b.m[0].body.len, strlen(want));
    mg_md5_hex(want, strlen(want), md5, 1);
    snprintf(b.m[0].body_md5, sizeof(b.m[0].body_md5), "%s", md5);
    CHECK(mns_message_md5_ok(&b.m[0]));
    inbox_release(&b);
}

static void test_parse_drops_oversize_body(void)
{
    struct mg_buf xml = MG_BUF_INIT(MNS_MAX_BODY + 4096);
    struct inbox b;
    struct mg_error err;
    size_t i;

    inbox_init(&b);
    mg_buf_adds(&xml, "<Messages><Message><MessageId>big</MessageId>"
                      "<MessageBodyMD5>00</MessageBodyMD5><MessageBody>");
    for (i = 0; i <= MNS_MAX_BODY; i++) {
        mg_buf_addc(&xml, 'x');
    }
    mg_buf_adds(&xml, "</MessageBody></Message></Messages>");
    CHECK_INT(parse(xml.data, &b, 4, &err), 1);
    CHECK_STR(b.m[0].id, "big");
    CHECK_INT(b.m[0].oversize, 1);
    CHECK_INT(b.m[0].body.len, 0);
    CHECK(!mns_message_md5_ok(&b.m[0]));

    /* Exactly the limit still fits; an entity counts as one byte. */
    mg_buf_reset(&xml);
    mg_buf_adds(&xml, "<Message><MessageBody>&amp;");
    for (i = 1; i < MNS_MAX_BODY; i++) {
        mg_buf_addc(&xml, 'x');
    }
    mg_buf_adds(&xml, "</MessageBody></Message>");
    CHECK_INT(parse(xml.data, &b, 4, &err), 1);
    CHECK_INT(b.m[0].oversize, 0);
    CHECK_INT(b.m[0].body.len, MNS_MAX_BODY);
    mg_buf_release(&xml);
    inbox_release(&b);
}

/* One body with a byte XML cannot hold must not make the whole batch
 * unreadable forever: the intact messages come through. */
static void test_parse_recovers_intact_messages(void)
{
    const char *xml =
        "<Messages><Message><MessageId>m1</MessageId><ReceiptHandle>r1"
        "</ReceiptHandle><MessageBody>ok</MessageBody></Message>"
        "<Message><MessageId>m2</MessageId><ReceiptHandle>r2"
        "</ReceiptHandle><MessageBody>bad\x01byte</MessageBody></Message>"
        "<Message><MessageId>m3</MessageId><ReceiptHandle>r3"
        "</ReceiptHandle><MessageBody>fine</MessageBody></Message>"
        "</Messages>";
    struct inbox b;
    struct mg_error err;
    int n;

    inbox_init(&b);
    n = parse(xml, &b, 4, &err);
    CHECK(n >= 1);
    CHECK(err.cls == MG_OK);
    CHECK_STR(b.m[0].id, "m1");
    CHECK_STR(mg_buf_str(&b.m[0].body), "ok");
    inbox_release(&b);
}

static void test_parse_refuses_broken_answers(void)
{
    const char *broken[] = {
        "",
        "<Messages><Message>",
        "not xml",
        "<Queue><QueueName>q</QueueName></Queue>",
        "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">"
        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
        "<Messages><Message><MessageBody>&b;</MessageBody></Message>"
        "</Messages>",
    };
    struct mg_buf longid = MG_BUF_INIT(4096);
    struct inbox b;
    struct mg_error err;
    size_t i;

    inbox_init(&b);
    for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
        CHECK_INT(parse(broken[i], &b, 4, &err), -1);
        CHECK(err.cls == MG_RETRY);
        CHECK_STR(err.code, "MalformedResponse");
    }
    mg_buf_adds(&longid, "<Message><ReceiptHandle>");
    for (i = 0; i < 512; i++) {
        mg_buf_addc(&longid, 'r');
    }
    mg_buf_adds(&longid, "</ReceiptHandle></Message>");
    CHECK_INT(parse(longid.data, &b, 4, &err), -1);
    mg_buf_release(&longid);
    inbox_release(&b);
}

static void test_parse_error_document(void)
{
    const char *doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Error xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\n"
        "  <Code>InvalidArgument</Code>\n"
        "  <Message>Authorization header is invalid or missing.</Message>\n"
        "  <RequestId>04bb60e3-28aa-4706-99b0-9345d834****</RequestId>\n"
        "  <HostId>mns.cn-hangzhou.example</HostId>\n"
        "</Error>";
    struct mg_error err;

    mg_error_clear(&err);
    CHECK(mns_parse_error(doc, strlen(doc), 400, "HEADERID", &err) == -1);
    CHECK(err.cls == MG_FINAL);
    CHECK_INT(err.http_status, 400);
    CHECK_STR(err.code, "InvalidArgument");
    CHECK_STR(err.message, "Authorization header is invalid or missing.");
    CHECK_STR(err.request_id, "04bb60e3-28aa-4706-99b0-9345d834****");
}

static void check_error_class(long status, const char *code, enum mg_class cls,
                              int throttled)
{
    struct mg_buf doc = MG_BUF_INIT(1024);
    struct mg_error err;

    mg_buf_addf(&doc,
                "<Error xmlns=\"http://mns.aliyuncs.com/doc/v1\"><Code>"
                "%s</Code><Message>m</Message></Error>",
                code);
    mg_error_clear(&err);
    mns_parse_error(doc.data, doc.len, status, NULL, &err);
    CHECK_STR(err.code, code);
    CHECK_INT(err.cls, cls);
    CHECK_INT(err.throttled, throttled);
    mg_buf_release(&doc);
}

static void test_error_codes_classified(void)
{
    struct mg_error err;

    check_error_class(404, "MessageNotExist", MG_NOT_FOUND, 0);
    check_error_class(400, "ReceiptHandleError", MG_NOT_FOUND, 0);
    check_error_class(404, "QueueNotExist", MG_FINAL, 0);
    check_error_class(429, "TooManyRequests", MG_RETRY, 1);
    check_error_class(400, "QpsLimitExceeded", MG_RETRY, 1);
    check_error_class(500, "InternalError", MG_RETRY, 0);
    check_error_class(403, "SignatureDoesNotMatch", MG_FINAL, 0);
    check_error_class(409, "QueueAlreadyExist", MG_FINAL, 0);

    /* Not XML: the status and the request id header speak. */
    mg_error_clear(&err);
    mns_parse_error("Service Unavailable", 19, 503, "56302D9BB8C115C72842FEEE",
                    &err);
    CHECK(err.cls == MG_RETRY);
    CHECK_STR(err.code, "Http503");
    CHECK_STR(err.request_id, "56302D9BB8C115C72842FEEE");
    mg_error_clear(&err);
    mns_parse_error("<html><body>bad gateway</body></html>", 37, 502, NULL,
                    &err);
    CHECK_STR(err.code, "Http502");
    CHECK(err.cls == MG_RETRY);
    mg_error_clear(&err);
    mns_parse_error("", 0, 403, NULL, &err);
    CHECK_STR(err.code, "Http403");
    CHECK(err.cls == MG_FINAL);
}

static const char delete_errors[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Errors xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\n"
    "  <Error>\n"
    "    <ErrorCode>ReceiptHandleError</ErrorCode>\n"
    "    <ErrorMessage>The receipt handle you provide is not valid."
    "</ErrorMessage>\n"
    "    <ReceiptHandle>1-ODU4OTkzNDU5My0xNDM1MTk3NjAwLTItNg==</ReceiptHandle>"
    "\n"
    "  </Error>\n"
    "</Errors>";

static void test_parse_batch_delete_errors(void)
{
    static const char *const sent[] = {
        "1-ODU4OTkzNDU5NC0xNDM1MTk3NjAwLTItNg==",
        "1-ODU4OTkzNDU5My0xNDM1MTk3NjAwLTItNg==",
        HANDLE,
    };
    const char *stray = "<Errors><Error><ErrorCode>MessageNotExist</ErrorCode>"
                        "<ReceiptHandle>other</ReceiptHandle></Error></Errors>";
    const char *whole = "<Error><Code>QueueNotExist</Code></Error>";
    int failed[3] = { 0, 0, 0 };
    struct mg_error err;
    FILE *log = tmpfile();
    char line[512] = "";

    mg_log_setup(MG_LOG_INFO, MG_LOG_LOGFMT, log);
    mg_error_clear(&err);
    CHECK(mns_parse_delete_errors(delete_errors, strlen(delete_errors), 404,
                                  sent, 3, failed, &err) == 1);
    CHECK_INT(failed[0], 0);
    CHECK_INT(failed[1], 1);
    CHECK_INT(failed[2], 0);
    CHECK_STR(err.code, "ReceiptHandleError");
    CHECK(err.cls == MG_NOT_FOUND);
    rewind(log);
    CHECK(fgets(line, sizeof(line), log) != NULL);
    CHECK(strstr(line, "mns.delete_failed") != NULL);
    CHECK(strstr(line, "code=ReceiptHandleError") != NULL);
    CHECK(strstr(line, "index=1") != NULL);
    mg_log_setup(MG_LOG_OFF, MG_LOG_LOGFMT, NULL);
    fclose(log);

    /* An entry naming a handle that was not sent could be any of them. */
    memset(failed, 0, sizeof(failed));
    mg_error_clear(&err);
    CHECK(mns_parse_delete_errors(stray, strlen(stray), 404, sent, 3, failed,
                                  &err) == 1);
    CHECK(failed[0] && failed[1] && failed[2]);
    CHECK(err.cls == MG_NOT_FOUND);

    memset(failed, 0, sizeof(failed));
    mg_error_clear(&err);
    CHECK(mns_parse_delete_errors(whole, strlen(whole), 404, sent, 3, failed,
                                  &err) == 0);
    CHECK(!failed[0] && !failed[1] && !failed[2]);
    CHECK(err.cls == MG_OK);
}

static void test_parse_change_visibility(void)
{
    const char *doc =
        "<ChangeVisibility xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\n"
        "  <ReceiptHandle>TbZj6wDWli+9CEauMZc8ZRv37sIW2iJKq3M9Mx/TS1"
        "</ReceiptHandle>\n"
        "  <NextVisibleTime>1250700979298000</NextVisibleTime>\n"
        "</ChangeVisibility>";
    char handle[64];
    char tiny[8];
    int64_t next = 0;
    struct mg_error err;

    mg_error_clear(&err);
    CHECK(mns_parse_change_visibility(doc, strlen(doc), handle, sizeof(handle),
                                      &next, &err) == 0);
    CHECK_STR(handle, "TbZj6wDWli+9CEauMZc8ZRv37sIW2iJKq3M9Mx/TS1");
    CHECK(next == 1250700979298000LL);
    CHECK(mns_parse_change_visibility(doc, strlen(doc), tiny, sizeof(tiny),
                                      &next, &err) == -1);
    CHECK(err.cls == MG_INVALID);
    mg_error_clear(&err);
    CHECK(mns_parse_change_visibility("<ChangeVisibility/>", 19, handle,
                                      sizeof(handle), &next, &err) == -1);
    CHECK(err.cls == MG_RETRY);
}

static void test_parse_send_and_queue_answers(void)
{
    const char *sent = "<Message xmlns=\"http://mns.aliyuncs.com/doc/v1/\">"
                       "<MessageId>D273CD6A89564E54-1-15180395A19-200000001"
                       "</MessageId><MessageBodyMD5>3AC6DD36D2D6B7283F2F490A"
                       "09751234</MessageBodyMD5></Message>";
    const char *queue =
        "<Queue xmlns=\"http://mns.aliyuncs.com/doc/v1/\"><QueueName>q"
        "</QueueName><CreateTime>1250700999</CreateTime><LastModifyTime>"
        "1250700999</LastModifyTime><DelaySeconds>0</DelaySeconds>"
        "<MaximumMessageSize>65536</MaximumMessageSize>"
        "<MessageRetentionPeriod>345600</MessageRetentionPeriod>"
        "<VisibilityTimeout>60</VisibilityTimeout><PollingWaitSeconds>30"
        "</PollingWaitSeconds><ActiveMessages>20</ActiveMessages>"
        "<InactiveMessages>3</InactiveMessages><DelayMessages>1"
        "</DelayMessages><LoggingEnabled>False</LoggingEnabled></Queue>";
    struct mns_queue_attrs a;
    struct mg_error err;
    char id[128];

    mg_error_clear(&err);
    CHECK(mns_parse_message_id(sent, strlen(sent), id, sizeof(id), &err) == 0);
    CHECK_STR(id, "D273CD6A89564E54-1-15180395A19-200000001");
    CHECK(mns_parse_message_id(sent, strlen(sent), NULL, 0, &err) == 0);
    CHECK(mns_parse_message_id("<Message/>", 10, id, sizeof(id), &err) == -1);

    memset(&a, 0, sizeof(a));
    mg_error_clear(&err);
    CHECK(mns_parse_queue_attrs(queue, strlen(queue), &a, &err) == 0);
    CHECK_INT(a.visibility_timeout_s, 60);
    CHECK_INT(a.polling_wait_s, 30);
    CHECK_INT(a.maximum_message_size, 65536);
    CHECK_INT(a.active, 20);
    CHECK_INT(a.inactive, 3);
    CHECK_INT(a.delayed, 1);
}

static void test_utf8_validation(void)
{
    const char *wide = "张三 Müller ☎ \xf0\x9f\x98\x80";

    CHECK(mns_utf8_valid("plain ascii", 11));
    CHECK(mns_utf8_valid(wide, strlen(wide)));
    CHECK(!mns_utf8_valid("\xc3\x28", 2));         /* bad continuation */
    CHECK(!mns_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    CHECK(!mns_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
    CHECK(!mns_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!mns_utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    CHECK(!mns_utf8_valid("\xe4\xb8", 2));         /* cut short */
    CHECK(!mns_utf8_valid("\xff", 1));
}

/* ---- notifications ---------------------------------------------------- */

/* The Config events of the shared cases 15-envelope-* and
 * 16-non-ascii-display-name, serialised compactly as their runner does. */
static const char seed_event[] =
    "{\"orderingTimestamp\":1733300000000,\"invokingEvent\":{\"mess"
    "ageType\":\"ConfigurationItemChangeNotification\",\"configurat"
    "ionType\":\"COMMON\",\"configurationItem\":{\"accountId\":1698"
    "272328540001,\"arn\":\"acs:ram::1698272328540001:user/test123"
    "\",\"availabilityZone\":\"\",\"regionId\":\"global\",\"configu"
    "ration\":\"{\\\"UserName\\\":\\\"test123\\\",\\\"UserId\\\":\\"
    "\"200828888731170001\\\",\\\"DisplayName\\\":\\\"test123\\\","
    "\\\"Comments\\\":\\\"\\\",\\\"CreateDate\\\":\\\"2019-10-21T07"
    ":57:55Z\\\",\\\"UpdateDate\\\":\\\"2019-10-21T08:02:58Z\\\",\\"
    "\"AccessKeys\\\":{\\\"AccessKey\\\":[]},\\\"LoginProfile\\\":{"
    "\\\"UserName\\\":\\\"test123\\\",\\\"PasswordResetRequired\\\""
    ":false,\\\"MFABindRequired\\\":false,\\\"CreateDate\\\":\\\"20"
    "19-10-21T07:57:55Z\\\"}}\",\"captureTime\":1733300000000,\"res"
    "ourceCreationTime\":1571644675000,\"resourceId\":\"20082888873"
    "1170001\",\"resourceName\":\"test123\",\"resourceType\":\"ACS:"
    ":RAM::User\",\"tags\":\"{}\"}},\"ruleParameters\":{\"dangerous"
    "Actions\":\"ecs:*,oss:*,log:*\"},\"resultToken\":\"HLQr3BZx/C+"
    "DLjwudFcYdUsiYzW485CJlYIMAAUjibdHcJhG2uvgKZ9tXaFh2yvVUxO2+tFf3"
    "whxOmGigYQErk1ymtmLWLzFV4JForVWYIKdbwwhbDBOgVwF7Ov9c3uVCNz/Kpx"
    "NElwhTzMkZB95U1vmLs4vUYXuB/Txw4jiCYAZuoGWYC/HJw==\"}";

static const char non_ascii_event[] =
    "{\"orderingTimestamp\":1733300000000,\"invokingEvent\":{\"mess"
    "ageType\":\"ConfigurationItemChangeNotification\",\"configurat"
    "ionType\":\"COMMON\",\"configurationItem\":{\"accountId\":1698"
    "272328540001,\"arn\":\"acs:ram::1698272328540001:user/zhang.sa"
    "n\",\"availabilityZone\":\"\",\"regionId\":\"global\",\"config"
    "uration\":\"{\\\"UserName\\\":\\\"zhang.san\\\",\\\"UserId\\\""
    ":\\\"200828888731170016\\\",\\\"DisplayName\\\":\\\"张三 Mü"
    "ller\\\",\\\"Comments\\\":\\\"运维 – on call ☎\\\",\\\"C"
    "reateDate\\\":\\\"2019-10-21T07:57:55Z\\\",\\\"UpdateDate\\\":"
    "\\\"2019-10-21T08:02:58Z\\\",\\\"AccessKeys\\\":{\\\"AccessKey"
    "\\\":[]},\\\"LoginProfile\\\":{\\\"UserName\\\":\\\"zhang.san"
    "\\\",\\\"PasswordResetRequired\\\":false,\\\"MFABindRequired\\"
    "\":false,\\\"CreateDate\\\":\\\"2019-10-21T07:57:55Z\\\"}}\","
    "\"captureTime\":1733300000000,\"resourceCreationTime\":1571644"
    "675000,\"resourceId\":\"200828888731170016\",\"resourceName\":"
    "\"zhang.san\",\"resourceType\":\"ACS::RAM::User\",\"tags\":\"{"
    "}\"}},\"ruleParameters\":{\"dangerousActions\":\"ecs:*,oss:*,l"
    "og:*\"},\"resultToken\":\"HLQr3BZx/C+DLjwudFcYdUsiYzW485CJlYIM"
    "AAUjibdHcJhG2uvgKZ9tXaFh2yvVUxO2+tFf3whxOmGigYQErk1ymtmLWLzFV4"
    "JForVWYIKdbwwhbDBOgVwF7Ov9c3uVCNz/KpxNElwhTzMkZB95U1vmLs4vUYXu"
    "B/Txw4jiCYAZuoGWYC/HJw==\"}";

#define ENVELOPE_ID    "6CC4D900CA59A2CD-1-15180534A8F-200000001"
#define ENVELOPE_OWNER "1698272328540001"

/* What the publisher hands to MNS: the event, or its Base64. */
static void published(struct mg_buf *out, const char *event, int base64)
{
    mg_buf_reset(out);
    if (base64) {
        mg_b64_encode(out, event, strlen(event));
    } else {
        mg_buf_adds(out, event);
    }
}

/* §5.3: the queue message body of an XML subscription. */
static void xml_notification(struct mg_buf *out, const char *message)
{
    char md5[40];

    mg_md5_hex(message, strlen(message), md5, 1);
    mg_buf_reset(out);
    mg_buf_adds(out,
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                "<Notification xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\n"
                "  <TopicOwner>" ENVELOPE_OWNER "</TopicOwner>\n"
                "  <TopicName>MNSTestConfig</TopicName>\n"
                "  <Subscriber>" ENVELOPE_OWNER "</Subscriber>\n"
                "  <SubscriptionName>mfaguard</SubscriptionName>\n"
                "  <MessageId>" ENVELOPE_ID "</MessageId>\n"
                "  <Message>");
    mg_xml_escape(out, message, strlen(message));
    mg_buf_addf(out,
                "</Message>\n"
                "  <MessageMD5>%s</MessageMD5>\n"
                "  <MessageTag>important</MessageTag>\n"
                "  <PublishTime>1449556920975</PublishTime>\n"
                "</Notification>",
                md5);
}

/* §5.3: the queue message body of a JSON subscription. */
static void json_notification(struct mg_buf *out, const char *message)
{
    char md5[40];

    mg_md5_hex(message, strlen(message), md5, 1);
    mg_buf_reset(out);
    mg_buf_adds(out, "{\"TopicOwner\":\"" ENVELOPE_OWNER "\","
                     "\"TopicName\":\"MNSTestConfig\","
                     "\"Subscriber\":\"" ENVELOPE_OWNER "\","
                     "\"SubscriptionName\":\"mfaguard\","
                     "\"MessageId\":\"" ENVELOPE_ID "\",\"Message\":");
    mg_json_quote(out, message);
    mg_buf_addf(out,
                ",\"MessageMD5\":\"%s\",\"MessageTag\":\"important\","
                "\"PublishTime\":\"1449556920975\"}",
                md5);
}

static void check_decoded(const char *body, size_t len, enum mns_envelope env,
                          int base64, const char *want, size_t want_len)
{
    struct mns_notification n;
    struct mg_error err;

    mns_notification_init(&n);
    mg_error_clear(&err);
    CHECK(mns_notification_decode(body, len, &n, &err) == 0);
    CHECK_INT(n.envelope, env);
    CHECK_INT(n.base64, base64);
    CHECK_INT(n.payload.len, want_len);
    CHECK(n.payload.data && memcmp(n.payload.data, want, want_len) == 0);
    if (env == MNS_ENVELOPE_NONE) {
        CHECK(!n.topic[0] && !n.tag[0] && !n.message_id[0]);
        CHECK(!n.topic_owner[0]);
    }
    mns_notification_release(&n);
}

/* The envelope's own fields, as xml_ and json_notification write them. */
static void check_metadata(const char *body)
{
    struct mns_notification n;
    struct mg_error err;

    mns_notification_init(&n);
    mg_error_clear(&err);
    CHECK(mns_notification_decode(body, strlen(body), &n, &err) == 0);
    CHECK_STR(n.topic, "MNSTestConfig");
    CHECK_STR(n.tag, "important");
    CHECK_STR(n.message_id, ENVELOPE_ID);
    CHECK_STR(n.topic_owner, ENVELOPE_OWNER);
    mns_notification_release(&n);
}

static void check_text(const char *body, enum mns_envelope env, int base64,
                       const char *want)
{
    check_decoded(body, strlen(body), env, base64, want, strlen(want));
}

static void check_refused(const char *body, size_t len, const char *code)
{
    struct mns_notification n;
    struct mg_error err;

    mns_notification_init(&n);
    mg_error_clear(&err);
    CHECK(mns_notification_decode(body, len, &n, &err) == -1);
    CHECK(err.cls == MG_INVALID);
    CHECK_STR(err.code, code);
    mns_notification_release(&n);
}

/* Every delivery of the shared cases: XML, JSON and SIMPLIFIED
 * subscriptions, each with a raw and a Base64 publisher. */
static void check_every_delivery(const char *event)
{
    static const enum mns_envelope kinds[] = {
        MNS_ENVELOPE_XML,
        MNS_ENVELOPE_JSON,
        MNS_ENVELOPE_NONE,
    };
    struct mg_buf pub = MG_BUF_INIT(4 * MNS_MAX_BODY);
    struct mg_buf body = MG_BUF_INIT(4 * MNS_MAX_BODY);
    size_t k;
    int b64;

    for (k = 0; k < 3; k++) {
        for (b64 = 0; b64 <= 1; b64++) {
            published(&pub, event, b64);
            if (kinds[k] == MNS_ENVELOPE_XML) {
                xml_notification(&body, pub.data);
            } else if (kinds[k] == MNS_ENVELOPE_JSON) {
                json_notification(&body, pub.data);
            } else {
                published(&body, event, b64);
            }
            check_text(body.data, kinds[k], b64, event);
            if (kinds[k] != MNS_ENVELOPE_NONE) {
                check_metadata(body.data);
            }
        }
    }
    mg_buf_release(&pub);
    mg_buf_release(&body);
}

static void test_notification_every_format_raw_and_base64(void)
{
    check_every_delivery(seed_event);
}

static void test_notification_non_ascii_intact(void)
{
    check_every_delivery(non_ascii_event);
    check_text("{\"DisplayName\":\"张三 Müller\"}", MNS_ENVELOPE_NONE, 0,
               "{\"DisplayName\":\"张三 Müller\"}");
}

static void test_whole_body_base64_of_envelope(void)
{
    struct mg_buf env = MG_BUF_INIT(4 * MNS_MAX_BODY);
    struct mg_buf body = MG_BUF_INIT(4 * MNS_MAX_BODY);
    struct mg_buf inner = MG_BUF_INIT(4 * MNS_MAX_BODY);

    xml_notification(&env, seed_event);
    mg_b64_encode(&body, env.data, env.len);
    check_text(body.data, MNS_ENVELOPE_XML, 1, seed_event);
    check_metadata(body.data);

    json_notification(&env, seed_event);
    mg_buf_reset(&body);
    mg_b64_encode(&body, env.data, env.len);
    check_text(body.data, MNS_ENVELOPE_JSON, 1, seed_event);

    /* Base64 around an envelope whose publisher used Base64 too. */
    published(&inner, non_ascii_event, 1);
    json_notification(&env, inner.data);
    mg_buf_reset(&body);
    mg_b64_encode(&body, env.data, env.len);
    check_text(body.data, MNS_ENVELOPE_JSON, 1, non_ascii_event);

    /* One level only: Base64 of Base64 of the event stays as it came. */
    mg_buf_reset(&body);
    mg_b64_encode(&body, inner.data, inner.len);
    check_text(body.data, MNS_ENVELOPE_NONE, 0, body.data);
    mg_buf_release(&env);
    mg_buf_release(&body);
    mg_buf_release(&inner);
}

static void test_config_event_is_not_an_envelope(void)
{
    const char *alone = "{\"Message\":\"x\",\"dataType\":\"NonCompliant"
                        "Notification\",\"requestId\":\"r\"}";
    const char *lower = "{\"message\":\"x\",\"topicName\":\"t\"}";
    const char *half = "{\"message\":\"x\",\"MessageId\":\"m\"}";
    const char *object = "{\"Message\":{\"a\":1},\"MessageId\":\"m\"}";
    const char *numbers = "{\"Message\":\"{}\",\"MessageId\":12345,"
                          "\"TopicOwner\":1698272328540001}";
    const char *number_message = "{\"Message\":42,\"TopicName\":\"t\"}";
    const char *array = "[{\"Message\":\"x\",\"TopicName\":\"t\"}]";
    struct mns_notification n;
    struct mg_error err;

    check_text(seed_event, MNS_ENVELOPE_NONE, 0, seed_event);
    check_text(alone, MNS_ENVELOPE_NONE, 0, alone);
    check_text(lower, MNS_ENVELOPE_NONE, 0, lower);
    check_text(half, MNS_ENVELOPE_NONE, 0, half);
    check_text(object, MNS_ENVELOPE_NONE, 0, object);
    check_text(array, MNS_ENVELOPE_NONE, 0, array);
    check_text(number_message, MNS_ENVELOPE_JSON, 0, "42");

    mns_notification_init(&n);
    mg_error_clear(&err);
    CHECK(mns_notification_decode(numbers, strlen(numbers), &n, &err) == 0);
    CHECK_INT(n.envelope, MNS_ENVELOPE_JSON);
    CHECK_STR(n.payload.data, "{}");
    CHECK_STR(n.message_id, "12345");
    CHECK_STR(n.topic_owner, "1698272328540001");
    CHECK_STR(n.topic, "");
    mns_notification_release(&n);
}

static void test_base64_lookalikes_kept(void)
{
    const char *php = "YToyOntzOjI6ImlkIjtpOjEwNTgyODc4O3M6MTA6ImVycm9yQ291bnQi"
                      "O2k6MDt9";
    struct mg_buf body = MG_BUF_INIT(4096);

    check_text(php, MNS_ENVELOPE_NONE, 0, php);
    check_text("aGVsbG8=", MNS_ENVELOPE_NONE, 0, "aGVsbG8=");
    check_text("Zm9v YmFy", MNS_ENVELOPE_NONE, 0, "Zm9v YmFy");
    check_text("eyJhIjoxfQ", MNS_ENVELOPE_NONE, 0, "eyJhIjoxfQ");
    check_text("deadbeef", MNS_ENVELOPE_NONE, 0, "deadbeef");
    check_text("hello world", MNS_ENVELOPE_NONE, 0, "hello world");
    check_text(" eyJhIjoxfQ==\n", MNS_ENVELOPE_NONE, 1, "{\"a\":1}");

    json_notification(&body, "aGVsbG8=");
    check_text(body.data, MNS_ENVELOPE_JSON, 0, "aGVsbG8=");
    xml_notification(&body, "not base64 at all");
    check_text(body.data, MNS_ENVELOPE_XML, 0, "not base64 at all");
    mg_buf_release(&body);
}

static void test_invalid_utf8_after_decoding_kept(void)
{
    static const char *const decoded[] = {
        "{\xff\xfe}",
        "{\"a\":\"\xc3\x28\"}",
        "[\xed\xa0\x80]",
    };
    struct mg_buf body = MG_BUF_INIT(4096);
    struct mg_buf env = MG_BUF_INIT(4096);
    size_t i;

    for (i = 0; i < sizeof(decoded) / sizeof(decoded[0]); i++) {
        mg_buf_reset(&body);
        mg_b64_encode(&body, decoded[i], strlen(decoded[i]));
        check_text(body.data, MNS_ENVELOPE_NONE, 0, body.data);
        xml_notification(&env, body.data);
        check_text(env.data, MNS_ENVELOPE_XML, 0, body.data);
    }

    /* A NUL is not text either. */
    mg_buf_reset(&body);
    mg_b64_encode(&body, "{\0}", 3);
    check_text(body.data, MNS_ENVELOPE_NONE, 0, body.data);
    mg_buf_release(&body);
    mg_buf_release(&env);
}

static void test_hostile_xml_refused(void)
{
    const char *lol =
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
        "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
        "<Notification><Message>&lol3;</Message></Notification>";
    const char *external =
        "<?xml version=\"1.0\"?><!DOCTYPE n SYSTEM \"http://127.0.0.1:1/x\">"
        "<Notification><Message>x</Message></Notification>";
    const char *cut = "<Notification><Message>x</Notification>";
    const char *bare = "<Notification><TopicName>t</TopicName></Notification>";
    const char *other = "<Event><a>1</a></Event>";
    struct mg_buf body = MG_BUF_INIT(4096);

    check_refused(lol, strlen(lol), "XmlDoctype");
    check_refused(external, strlen(external), "XmlDoctype");
    check_refused(cut, strlen(cut), "XmlSyntax");
    check_refused(bare, strlen(bare), "NotificationWithoutMessage");
    mg_b64_encode(&body, lol, strlen(lol));
    check_refused(body.data, body.len, "XmlDoctype");

    /* Well-formed XML of another kind is a payload like any other. */
    check_text(other, MNS_ENVELOPE_NONE, 0, other);
    mg_buf_release(&body);
}

static void test_body_size_limits(void)
{
    char *big = malloc(MNS_MAX_BODY + 1);

    check_refused("", 0, "EmptyBody");
    check_refused(NULL, 0, "EmptyBody");
    memset(big, 'x', MNS_MAX_BODY + 1);
    check_refused(big, MNS_MAX_BODY + 1, "BodyTooLarge");
    check_decoded(big, MNS_MAX_BODY, MNS_ENVELOPE_NONE, 0, big, MNS_MAX_BODY);
    free(big);
}

/* MIME encoders wrap Base64 at 76 columns; only line breaks may sit
 * inside it. */
static void test_base64_with_line_breaks(void)
{
    const char *event = "{\"resultToken\":\"t\",\"invokingEvent\":{}}";
    struct mg_buf b64 = MG_BUF_INIT(1024);
    struct mg_buf wrapped = MG_BUF_INIT(1024);
    size_t i;

    mg_b64_encode(&b64, event, strlen(event));
    for (i = 0; i < b64.len; i += 20) {
        mg_buf_add(&wrapped, b64.data + i, b64.len - i < 20 ? b64.len - i : 20);
        mg_buf_adds(&wrapped, "\r\n");
    }
    check_text(wrapped.data, MNS_ENVELOPE_NONE, 1, event);
    mg_buf_reset(&wrapped);
    mg_buf_add(&wrapped, b64.data, 8);
    mg_buf_adds(&wrapped, " ");
    mg_buf_adds(&wrapped, b64.data + 8);
    check_text(wrapped.data, MNS_ENVELOPE_NONE, 0, wrapped.data);
    mg_buf_release(&b64);
    mg_buf_release(&wrapped);
}

static void test_nul_bytes(void)
{
    const char *xml = "<Notification><Message>a\0b</Message></Notification>";
    const char *nul = "{\"Message\":\"a\\u0000b\",\"TopicName\":\"t\"}";
    const char *slash = "{\"Message\":\"a\\\\u0000b\",\"TopicName\":\"t\"}";

    check_decoded("{\"a\":1}\0tail", 12, MNS_ENVELOPE_NONE, 0,
                  "{\"a\":1}\0tail", 12);
    check_decoded("abc\0def", 7, MNS_ENVELOPE_NONE, 0, "abc\0def", 7);
    check_refused(xml, 51, "XmlSyntax");
    check_refused(nul, strlen(nul), "EnvelopeNul");
    check_text(slash, MNS_ENVELOPE_JSON, 0, "a\\u0000b");
}

static void test_envelope_edges(void)
{
    const char *spaced = "  \n<?xml version=\"1.0\"?><Notification>"
                         "<Message/><TopicName>t</TopicName></Notification>";
    const char *truncated = "{\"orderingTimestamp\": 1733300000000, "
                            "\"invokingEvent\": {\"configurationItem\": "
                            "{\"accountId\": 16982";
    struct mg_buf body = MG_BUF_INIT(4096);
    struct mns_notification n;
    struct mg_error err;

    check_text(spaced, MNS_ENVELOPE_XML, 0, "");

    /* Case 17: a cut event still comes out, for the event parser to
     * refuse. */
    xml_notification(&body, truncated);
    check_text(body.data, MNS_ENVELOPE_XML, 0, truncated);

    /* Decoding again into the same structure forgets the first. */
    mns_notification_init(&n);
    mg_error_clear(&err);
    CHECK(mns_notification_decode(body.data, body.len, &n, &err) == 0);
    CHECK_STR(n.topic, "MNSTestConfig");
    CHECK(mns_notification_decode("{}", 2, &n, &err) == 0);
    CHECK_INT(n.envelope, MNS_ENVELOPE_NONE);
    CHECK_STR(n.topic, "");
    CHECK_STR(n.tag, "");
    CHECK_STR(n.topic_owner, "");
    CHECK_STR(n.payload.data, "{}");
    mns_notification_release(&n);
    mg_buf_release(&body);
}

/* ---- the client, against a canned server on 127.0.0.1 ------------------- */

#define NOT_EXIST(code)                                                   \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error xmlns=\"http://mns" \
    ".aliyuncs.com/doc/v1/\"><Code>" code "</Code><Message>m</Message>"   \
    "<RequestId>5F0D1B4F8D0C4A20001B0A2C</RequestId><HostId>h</HostId>"   \
    "</Error>"

static struct fake_server *server;
static struct mg_cred_provider *keys;
static struct mg_cred_provider *sts_keys;

static struct mns_client *client_at(const char *url,
                                    struct mg_cred_provider *cred, int attempts,
                                    volatile const int *stop)
{
    struct mns_options o = { url,  cred, NULL, { attempts, 1, 4 },
                             5000, stop, NULL };

    return mns_client_new(&o);
}

static struct mns_client *client(int attempts)
{
    return client_at(fake_url(server), keys, attempts, NULL);
}

/* Re-sign what the server received and compare with its Authorization. */
static void check_signed(const struct fake_request *r, const char *secret)
{
    char date[64] = "";
    char version[64] = "";
    char type[128] = "";
    char md5[64];
    char line[96];
    char auth[256] = "";
    char want[256] = "";
    const char *headers[] = { line, NULL };
    struct mg_buf sts = MG_BUF_INIT(8192);

    CHECK(r != NULL);
    if (r == NULL) {
        return;
    }
    CHECK(fake_header(r, "Date", date, sizeof(date)));
    CHECK(fake_header(r, "x-mns-version", version, sizeof(version)));
    CHECK_STR(version, "2015-06-06");
    CHECK(!fake_header(r, "Content-MD5", md5, sizeof(md5)));
    fake_header(r, "Content-Type", type, sizeof(type));
    snprintf(line, sizeof(line), "x-mns-version: %s", version);

    mns_string_to_sign(&sts, r->method, "", type, date, headers, r->target);
    mns_authorization("testid", secret, mg_buf_str(&sts), want, sizeof(want));
    CHECK(fake_header(r, "Authorization", auth, sizeof(auth)));
    CHECK_STR(auth, want);
    mg_buf_release(&sts);
}

static void check_no_body_headers(const struct fake_request *r)
{
    char v[128];

    CHECK(r && !fake_header(r, "Content-Type", v, sizeof(v)));
    CHECK(r && !fake_header(r, "security-token", v, sizeof(v)));
}

static double calls(const char *api, const char *outcome)
{
    char labels[160];

    snprintf(labels, sizeof(labels), "family=\"mns\",api=\"%s\",outcome=\"%s\"",
             api, outcome);
    return mg_metric_value("mfaguard_api_calls_total", labels);
}

static void test_client_rejects_bad_options(void)
{
    struct mns_client *c;

    CHECK(client_at("ftp://127.0.0.1:1", keys, 1, NULL) == NULL);
    CHECK(client_at("http://127.0.0.1:1/prefix", keys, 1, NULL) == NULL);
    CHECK(client_at("http://", keys, 1, NULL) == NULL);
    CHECK(client_at("http://127.0.0.1:1?x", keys, 1, NULL) == NULL);
    CHECK(client_at(NULL, keys, 1, NULL) == NULL);
    CHECK(client_at("http://127.0.0.1:1", NULL, 1, NULL) == NULL);
    c = client_at("http://127.0.0.1:1/", keys, 1, NULL);
    CHECK(c != NULL);
    mns_client_free(c);
    mns_client_free(NULL);
}

static void test_client_receive(void)
{
    static const char second[] =
        "<Messages xmlns=\"http://mns.aliyuncs.com/doc/v1/\"><Message>"
        "<MessageId>m1</MessageId><ReceiptHandle>r1</ReceiptHandle>"
        "<MessageBody>{&quot;a&quot;:1}</MessageBody></Message><Message>"
        "<MessageId>m2</MessageId><ReceiptHandle>r2</ReceiptHandle>"
        "<MessageBody>b</MessageBody></Message></Messages>";
    struct fake_reply replies[] = { { 200, second, NULL } };
    struct mns_client *c = client(3);
    struct inbox b;
    struct mg_error err;
    const struct fake_request *r;

    inbox_init(&b);
    mg_metrics_reset();
    fake_script(server, replies, 1);
    CHECK_INT(mns_receive(c, "my-queue", 4, 1, b.m, &err), 2);
    CHECK(err.cls == MG_OK);
    CHECK_STR(b.m[0].id, "m1");
    CHECK_STR(b.m[0].body.data, "{\"a\":1}");
    CHECK_STR(b.m[1].receipt, "r2");
    r = fake_request(server, 0);
    CHECK(r != NULL);
    CHECK_STR(r ? r->method : "", "GET");
    CHECK_STR(r ? r->target : "",
              "/queues/my-queue/messages?numOfMessages=4&waitseconds=1");
    check_no_body_headers(r);
    check_signed(r, "testSecret");
    CHECK(calls("BatchReceiveMessage", "ok") == 1);
    inbox_release(&b);
    mns_client_free(c);
}

static void test_client_receive_empty_queue_is_not_an_error(void)
{
    struct fake_reply replies[] = { { 404, NOT_EXIST("MessageNotExist"),
                                      NULL } };
    struct mns_client *c = client(3);
    struct inbox b;
    struct mg_error err;

    inbox_init(&b);
    fake_script(server, replies, 1);
    CHECK_INT(mns_receive(c, "q", 4, 0, b.m, &err), 0);
    CHECK(err.cls == MG_OK);
    CHECK_INT(fake_count(server), 1);
    inbox_release(&b);
    mns_client_free(c);
}

static void test_client_receive_makes_one_attempt(void)
{
    struct fake_reply replies[] = {
        { 503, "unavailable",
          "x-mns-request-id: 56302D9BB8C115C72842FEEE\r\n" },
        { 200, captured_receive, NULL },
    };
    struct fake_reply missing[] = { { 404, NOT_EXIST("QueueNotExist"), NULL } };
    struct fake_reply busy[] = { { 429, NOT_EXIST("TooManyRequests"), NULL } };
    struct mns_client *c = client(3);
    struct inbox b;
    struct mg_error err;

    inbox_init(&b);
    mg_metrics_reset();
    fake_script(server, replies, 2);
    CHECK_INT(mns_receive(c, "q", 4, 0, b.m, &err), -1);
    CHECK(err.cls == MG_RETRY);
    CHECK_STR(err.code, "Http503");
    CHECK_STR(err.api, "mns.BatchReceiveMessage");
    CHECK_STR(err.request_id, "56302D9BB8C115C72842FEEE");
    CHECK_INT(fake_count(server), 1);

    fake_script(server, missing, 1);
    CHECK_INT(mns_receive(c, "q", 4, 0, b.m, &err), -1);
    CHECK(err.cls == MG_FINAL);
    CHECK_STR(err.code, "QueueNotExist");
    CHECK_STR(err.request_id, "5F0D1B4F8D0C4A20001B0A2C");
    CHECK_INT(err.http_status, 404);

    fake_script(server, busy, 1);
    CHECK_INT(mns_receive(c, "q", 4, 0, b.m, &err), -1);
    CHECK(err.cls == MG_RETRY && err.throttled);
    CHECK_INT(fake_count(server), 1);
    CHECK(calls("BatchReceiveMessage", "throttled") == 1);
    CHECK(mg_metric_value("mfaguard_throttled_total", "family=\"mns\"") == 1);
    inbox_release(&b);
    mns_client_free(c);
}

static void test_client_delete_retries_transient(void)
{
    struct fake_reply replies[] = {
        { 503, "Service Unavailable", NULL },
        { 500, NOT_EXIST("InternalError"), NULL },
        { 204, NULL, NULL },
    };
    struct mns_client *c = client(3);
    struct mg_error err;
    size_t i;

    mg_metrics_reset();
    fake_script(server, replies, 3);
    CHECK(mns_delete(c, "my-queue", "1-a+b/c==", &err) == 0);
    CHECK(err.cls == MG_OK);
    CHECK_INT(fake_count(server), 3);
    for (i = 0; i < 3; i++) {
        const struct fake_request *r = fake_request(server, i);

        CHECK_STR(r ? r->method : "", "DELETE");
        CHECK_STR(r ? r->target : "",
                  "/queues/my-queue/messages?ReceiptHandle=1-a%2Bb%2Fc%3D%3D");
        check_no_body_headers(r);
        check_signed(r, "testSecret");
    }
    CHECK(calls("DeleteMessage", "retry") == 2);
    CHECK(calls("DeleteMessage", "ok") == 1);

    /* The retry policy bounds the attempts. */
    fake_script(server, replies, 1);
    CHECK(mns_delete(c, "my-queue", HANDLE, &err) == -1);
    CHECK(err.cls == MG_RETRY);
    CHECK_INT(fake_count(server), 3);
    mns_client_free(c);
}

static void test_client_delete_lease_lost(void)
{
    struct fake_reply gone[] = { { 404, NOT_EXIST("MessageNotExist"), NULL } };
    struct fake_reply stale[] = { { 400, NOT_EXIST("ReceiptHandleError"),
                                    NULL } };
    struct mns_client *c = client(3);
    struct mg_error err;

    fake_script(server, gone, 1);
    CHECK(mns_delete(c, "q", HANDLE, &err) == -1);
    CHECK(err.cls == MG_NOT_FOUND);
    CHECK_STR(err.code, "MessageNotExist");
    CHECK_STR(err.api, "mns.DeleteMessage");
    CHECK_INT(fake_count(server), 1);

    fake_script(server, stale, 1);
    CHECK(mns_delete(c, "q", HANDLE, &err) == -1);
    CHECK(err.cls == MG_NOT_FOUND);
    CHECK_STR(err.code, "ReceiptHandleError");
    CHECK_INT(fake_count(server), 1);

    CHECK(mns_delete(c, "bad/name", HANDLE, &err) == -1);
    CHECK(err.cls == MG_INVALID);
    CHECK_STR(err.api, "mns.DeleteMessage");
    mns_client_free(c);
}

static void test_client_throttling_slows_down(void)
{
    struct fake_reply replies[] = {
        { 429, NOT_EXIST("TooManyRequests"), "Retry-After: 0\r\n" },
        { 204, NULL, NULL },
    };
    struct mns_client *c = client(3);
    struct mg_error err;

    mg_metrics_reset();
    fake_script(server, replies, 2);
    CHECK(mns_delete(c, "q", HANDLE, &err) == 0);
    CHECK_INT(fake_count(server), 2);
    CHECK(calls("DeleteMessage", "throttled") == 1);
    CHECK(mg_metric_value("mfaguard_throttled_total", "family=\"mns\"") == 1);
    mns_client_free(c);
}

static void test_client_sends_security_token(void)
{
    struct fake_reply replies[] = { { 204, NULL, NULL } };
    struct mns_client *c = client_at(fake_url(server), sts_keys, 1, NULL);
    const struct fake_request *r;
    struct mg_error err;
    char token[128] = "";

    fake_script(server, replies, 1);
    CHECK(mns_delete(c, "q", HANDLE, &err) == 0);
    r = fake_request(server, 0);
    CHECK(r && fake_header(r, "security-token", token, sizeof(token)));
    CHECK_STR(token, "CAIS+sts/token==");
    check_signed(r, "testSecret");
    mns_client_free(c);
}

static void test_client_delete_batch(void)
{
    static const char *const sent[] = {
        "1-ODU4OTkzNDU5NC0xNDM1MTk3NjAwLTItNg==",
        "1-ODU4OTkzNDU5My0xNDM1MTk3NjAwLTItNg==",
        HANDLE,
    };
    struct fake_reply ok[] = { { 204, NULL, NULL } };
    struct fake_reply partial[] = { { 404, delete_errors, NULL } };
    struct fake_reply whole[] = { { 404, NOT_EXIST("QueueNotExist"), NULL } };
    struct mns_client *c = client(3);
    const struct fake_request *r;
    struct mns_request rq;
    struct mg_error err;
    int failed[3] = { 1, 1, 1 };
    char type[64] = "";

    fake_script(server, ok, 1);
    CHECK(mns_delete_batch(c, "my-queue", sent, 3, failed, &err) == 0);
    CHECK(!failed[0] && !failed[1] && !failed[2]);
    r = fake_request(server, 0);
    CHECK_STR(r ? r->target : "", "/queues/my-queue/messages");
    CHECK(r && fake_header(r, "Content-Type", type, sizeof(type)));
    CHECK_STR(type, "text/xml;charset=UTF-8");
    check_signed(r, "testSecret");
    mns_request_init(&rq);
    mns_build_delete_batch(&rq, "my-queue", sent, 3, &err);
    CHECK_STR(r ? r->body : "", rq.body.data);
    mns_request_release(&rq);

    fake_script(server, partial, 1);
    CHECK(mns_delete_batch(c, "my-queue", sent, 3, failed, &err) == -1);
    CHECK(!failed[0] && failed[1] && !failed[2]);
    CHECK(err.cls == MG_NOT_FOUND);
    CHECK_STR(err.api, "mns.BatchDeleteMessage");
    CHECK_INT(fake_count(server), 1);

    fake_script(server, whole, 1);
    CHECK(mns_delete_batch(c, "my-queue", sent, 3, failed, &err) == -1);
    CHECK(failed[0] && failed[1] && failed[2]);
    CHECK_STR(err.code, "QueueNotExist");

    CHECK(mns_delete_batch(c, "my-queue", sent, 0, NULL, &err) == 0);
    mns_client_free(c);
}

static void test_client_delete_batch_unreachable(void)
{
    static const char *const sent[] = { "a", "b" };
    struct fake_server *gone = fake_start();
    struct mns_client *c;
    struct mg_error err;
    int failed[2] = { 0, 0 };

    CHECK(gone != NULL);
    if (gone == NULL) {
        return;
    }
    c = client_at(fake_url(gone), keys, 2, NULL);
    fake_stop(gone);
    CHECK(mns_delete_batch(c, "q", sent, 2, failed, &err) == -1);
    CHECK(err.cls == MG_RETRY);
    CHECK(strncmp(err.code, "Transport", 9) == 0);
    CHECK(failed[0] && failed[1]);
    mns_client_free(c);
}

static void test_client_change_visibility(void)
{
    const char *doc = "<ChangeVisibility xmlns=\"http://mns.aliyuncs.com/doc/"
                      "v1/\"><ReceiptHandle>2-NEW+handle/==</ReceiptHandle>"
                      "<NextVisibleTime>1733300060000</NextVisibleTime>"
                      "</ChangeVisibility>";
    struct fake_reply replies[] = { { 200, doc, NULL } };
    struct fake_reply gone[] = { { 404, NOT_EXIST("MessageNotExist"), NULL } };
    struct mns_client *c = client(3);
    const struct fake_request *r;
    struct mg_error err;
    char handle[512] = "1-old+handle==";
    int64_t next = 0;

    fake_script(server, replies, 1);
    CHECK(mns_change_visibility(c, "q", handle, 60, handle, sizeof(handle),
                                &next, &err) == 0);
    CHECK_STR(handle, "2-NEW+handle/==");
    CHECK(next == 1733300060000LL);
    r = fake_request(server, 0);
    CHECK_STR(r ? r->method : "", "PUT");
    CHECK_STR(r ? r->target : "", "/queues/q/messages?ReceiptHandle="
                                  "1-old%2Bhandle%3D%3D&VisibilityTimeout=60");
    check_no_body_headers(r);
    check_signed(r, "testSecret");

    fake_script(server, gone, 1);
    CHECK(mns_change_visibility(c, "q", handle, 60, handle, sizeof(handle),
                                &next, &err) == -1);
    CHECK(err.cls == MG_NOT_FOUND);
    CHECK_STR(handle, "2-NEW+handle/==");
    mns_client_free(c);
}

static void test_client_send_and_publish(void)
{
    const char *answer = "<Message xmlns=\"http://mns.aliyuncs.com/doc/v1/\">"
                         "<MessageId>ID-1</MessageId><MessageBodyMD5>X"
                         "</MessageBodyMD5></Message>";
    struct fake_reply replies[] = { { 201, answer, NULL } };
    struct fake_reply missing[] = { { 404, NOT_EXIST("TopicNotExist"), NULL } };
    struct fake_reply garbled[] = { { 201, "<Message><MessageId>", NULL } };
    struct mns_client *c = client(3);
    const struct fake_request *r;
    struct mg_error err;
    char id[64] = "";
    char type[64] = "";

    fake_script(server, replies, 1);
    CHECK(mns_send(c, "q", "{\"a\":\"<&>\"}", 11, 0, id, sizeof(id), &err) ==
          0);
    CHECK_STR(id, "ID-1");
    r = fake_request(server, 0);
    CHECK_STR(r ? r->method : "", "POST");
    CHECK_STR(r ? r->target : "", "/queues/q/messages");
    CHECK(r && strstr(r->body, "<MessageBody>{&quot;a&quot;:&quot;&lt;&amp;"
                               "&gt;&quot;}</MessageBody>"));
    CHECK(r && fake_header(r, "Content-Type", type, sizeof(type)));
    check_signed(r, "testSecret");

    fake_script(server, replies, 1);
    CHECK(mns_publish(c, "MNSTestConfig", "{}", 2, "mfaguard", id, sizeof(id),
                      &err) == 0);
    r = fake_request(server, 0);
    CHECK_STR(r ? r->target : "", "/topics/MNSTestConfig/messages");
    CHECK(r && strstr(r->body, "<MessageTag>mfaguard</MessageTag>"));
    check_signed(r, "testSecret");

    /* Taken but unreadable: not sent again. */
    fake_script(server, garbled, 1);
    CHECK(mns_send(c, "q", "x", 1, 0, id, sizeof(id), &err) == 0);
    CHECK_STR(id, "");
    CHECK_INT(fake_count(server), 1);

    fake_script(server, missing, 1);
    CHECK(mns_publish(c, "t", "{}", 2, NULL, id, sizeof(id), &err) == -1);
    CHECK(err.cls == MG_FINAL);
    CHECK_STR(err.api, "mns.PublishMessage");
    CHECK(mns_publish(c, "t", "{}", 2, "seventeen-chars-x", id, sizeof(id),
                      &err) == -1);
    CHECK(err.cls == MG_INVALID);
    mns_client_free(c);
}

static const char queue_attrs[] =
    "<Queue xmlns=\"http://mns.aliyuncs.com/doc/v1/\"><QueueName>q</QueueName>"
    "<VisibilityTimeout>60</VisibilityTimeout><PollingWaitSeconds>0"
    "</PollingWaitSeconds><MaximumMessageSize>65536</MaximumMessageSize>"
    "<ActiveMessages>2</ActiveMessages></Queue>";

static void test_client_queue_setup(void)
{
    struct fake_reply attrs[] = { { 200, queue_attrs, NULL } };
    struct fake_reply made[] = { { 201, NULL, NULL } };
    struct fake_reply exists[] = {
        { 409, NOT_EXIST("QueueAlreadyExist"), NULL },
        { 200, queue_attrs, NULL },
    };
    struct mns_client *c = client(3);
    struct mns_queue_attrs a;
    struct mg_error err;

    fake_script(server, attrs, 1);
    CHECK(mns_queue_attributes(c, "q", &a, &err) == 0);
    CHECK_INT(a.visibility_timeout_s, 60);
    CHECK_INT(a.active, 2);
    check_signed(fake_request(server, 0), "testSecret");

    fake_script(server, made, 1);
    CHECK(mns_create_queue(c, "q", 60, &err) == 0);
    CHECK_STR(fake_request(server, 0)->method, "PUT");

    fake_script(server, exists, 2);
    CHECK(mns_create_queue(c, "q", 60, &err) == 0);
    CHECK_INT(fake_count(server), 2);
    CHECK_STR(fake_request(server, 1)->target, "/queues/q");

    fake_script(server, exists, 2);
    CHECK(mns_create_queue(c, "q", 30, &err) == -1);
    CHECK(err.cls == MG_FINAL);
    CHECK_STR(err.code, "QueueAlreadyExist");
    CHECK_STR(err.api, "mns.CreateQueue");
    CHECK_INT(err.http_status, 409);
    mns_client_free(c);
}

static void test_client_topic_setup(void)
{
    const char *topic = "<Topic><TopicName>t</TopicName><MaximumMessageSize>"
                        "65536</MaximumMessageSize></Topic>";
    const char *small = "<Topic><MaximumMessageSize>1024</MaximumMessageSize>"
                        "</Topic>";
    const char *sub = "<Subscription><Endpoint>acs:mns:cn-test:1:queues/q"
                      "</Endpoint><NotifyContentFormat>JSON"
                      "</NotifyContentFormat></Subscription>";
    struct fake_reply same[] = {
        { 409, NOT_EXIST("TopicAlreadyExist"), NULL },
        { 200, topic, NULL },
    };
    struct fake_reply differs[] = {
        { 409, NOT_EXIST("TopicAlreadyExist"), NULL },
        { 200, small, NULL },
    };
    struct fake_reply subscribed[] = {
        { 409, NOT_EXIST("SubscriptionAlreadyExist"), NULL },
        { 200, sub, NULL },
    };
    struct fake_reply made[] = { { 201, NULL, NULL } };
    struct mns_client *c = client(3);
    struct mg_error err;

    fake_script(server, made, 1);
    CHECK(mns_create_topic(c, "t", &err) == 0);
    fake_script(server, same, 2);
    CHECK(mns_create_topic(c, "t", &err) == 0);
    CHECK_STR(fake_request(server, 1)->target, "/topics/t");
    fake_script(server, differs, 2);
    CHECK(mns_create_topic(c, "t", &err) == -1);
    CHECK_STR(err.code, "TopicAlreadyExist");

    fake_script(server, made, 1);
    CHECK(mns_subscribe(c, "t", "s", "acs:mns:cn-test:1:queues/q", "JSON",
                        &err) == 0);
    check_signed(fake_request(server, 0), "testSecret");
    fake_script(server, subscribed, 2);
    CHECK(mns_subscribe(c, "t", "s", "acs:mns:cn-test:1:queues/q", "JSON",
                        &err) == 0);
    CHECK_STR(fake_request(server, 1)->target, "/topics/t/subscriptions/s");
    fake_script(server, subscribed, 2);
    CHECK(mns_subscribe(c, "t", "s", "acs:mns:cn-test:1:queues/q", "XML",
                        &err) == -1);
    CHECK_STR(err.code, "SubscriptionAlreadyExist");
    CHECK_STR(err.api, "mns.Subscribe");
    mns_client_free(c);
}

static void test_client_stop_cuts_retries(void)
{
    struct fake_reply replies[] = {
        { 503, NULL, NULL },
        { 503, NULL, NULL },
        { 503, NULL, NULL },
    };
    volatile int stop = 1;
    struct mns_client *c = client_at(fake_url(server), keys, 3, &stop);
    struct mg_error err;

    fake_script(server, replies, 3);
    CHECK(mns_delete(c, "q", HANDLE, &err) == -1);
    CHECK(err.cls == MG_RETRY);
    CHECK(fake_count(server) <= 1);
    mns_client_free(c);
}

static void run_offline_tests(void)
{
    RUN(test_tv1_documented_example);
    RUN(test_tv2_node_sdk_with_content_md5);
    RUN(test_tv3_raw_string);
    RUN(test_tv4_tv5_java_queue_put);
    RUN(test_tv6_header_name_lowercased_value_kept);
    RUN(test_tv7_other_headers_not_signed);
    RUN(test_tv8_tv9_no_mns_headers);
    RUN(test_tv10_batch_receive);
    RUN(test_tv11_delete_encoded_handle);
    RUN(test_tv12_tv13_batch_delete);
    RUN(test_tv14_headers_sorted);
    RUN(test_string_to_sign_refuses_malformed_headers);

    RUN(test_receive_request_is_tv10);
    RUN(test_receive_arguments_checked);
    RUN(test_delete_request_encodes_and_signs_handle);
    RUN(test_security_token_sent_but_not_signed);
    RUN(test_change_visibility_request);
    RUN(test_batch_delete_request_is_tv13);
    RUN(test_send_request_escapes_and_bounds_body);
    RUN(test_publish_request_tag_limit);
    RUN(test_setup_requests);

    RUN(test_parse_documented_single_message);
    RUN(test_parse_captured_batch);
    RUN(test_parse_tolerates_unknown_empty_and_cdata);
    RUN(test_parse_keeps_non_ascii_body);
    RUN(test_parse_drops_oversize_body);
    RUN(test_parse_refuses_broken_answers);
    RUN(test_parse_recovers_intact_messages);
    RUN(test_parse_error_document);
    RUN(test_error_codes_classified);
    RUN(test_parse_batch_delete_errors);
    RUN(test_parse_change_visibility);
    RUN(test_parse_send_and_queue_answers);
    RUN(test_utf8_validation);

    RUN(test_notification_every_format_raw_and_base64);
    RUN(test_notification_non_ascii_intact);
    RUN(test_whole_body_base64_of_envelope);
    RUN(test_config_event_is_not_an_envelope);
    RUN(test_base64_lookalikes_kept);
    RUN(test_invalid_utf8_after_decoding_kept);
    RUN(test_hostile_xml_refused);
    RUN(test_body_size_limits);
    RUN(test_nul_bytes);
    RUN(test_base64_with_line_breaks);
    RUN(test_envelope_edges);
}

static void run_client_tests(void)
{
    RUN(test_client_rejects_bad_options);
    RUN(test_client_receive);
    RUN(test_client_receive_empty_queue_is_not_an_error);
    RUN(test_client_receive_makes_one_attempt);
    RUN(test_client_delete_retries_transient);
    RUN(test_client_delete_lease_lost);
    RUN(test_client_throttling_slows_down);
    RUN(test_client_sends_security_token);
    RUN(test_client_delete_batch);
    RUN(test_client_delete_batch_unreachable);
    RUN(test_client_change_visibility);
    RUN(test_client_send_and_publish);
    RUN(test_client_queue_setup);
    RUN(test_client_topic_setup);
    RUN(test_client_stop_cuts_retries);
}

int main(void)
{
    mg_log_setup(MG_LOG_OFF, MG_LOG_LOGFMT, NULL);
    mg_xml_global_init();
    if (mg_http_global_init(NULL) != 0) {
        fprintf(stderr, "cannot set up libcurl\n");
        return 1;
    }
    run_offline_tests();

    keys = mg_cred_static_new("test", "testid", "testSecret", NULL);
    sts_keys = mg_cred_static_new("test-sts", "testid", "testSecret",
                                  "CAIS+sts/token==");
    server = fake_start();
    CHECK(server != NULL && keys != NULL && sts_keys != NULL);
    if (server && keys && sts_keys) {
        run_client_tests();
    }

    fake_stop(server);
    mg_cred_free(keys);
    mg_cred_free(sts_keys);
    mg_http_global_cleanup();
    xmlCleanupParser();
    CHECK_MAIN_END();
}
