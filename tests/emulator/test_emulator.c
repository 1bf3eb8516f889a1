/*
 * The emulator over HTTP: starts the binary on a free loopback port and
 * checks lease semantics, batch failures, long polls, topic fan-out in
 * every format, fixture faults, rate limits, seeded random faults, Config
 * checks, STS keys, a large account, and a clean stop. The client side
 * signs with common/ (mg_rpc_*, mg_hmac_sha1_b64), so this also checks the
 * emulator's verifier against the project's own client code.
 *
 * usage: test_emulator PATH-TO-mfaguard-emulator
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "check.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/json.h"
#include "common/rpc.h"
#include "common/xml.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

CHECK_GLOBALS;

#define KEY_ID     "it-key"
#define KEY_SECRET "it-secret"
#define ACCOUNT    "1698272328540001"

static char base[64];
static pid_t emulator;
static char workdir[256];

/* ---- a small HTTP client ----------------------------------------- */

struct resp {
    long status; /* 0 when the connection closed without an answer */
    struct mg_buf body;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;

    return mg_buf_add(&r->body, p, size * n) == 0 ? size * n : 0;
}

static long http(const char *method, const char *target,
                 struct curl_slist *headers, const char *body, size_t len,
                 struct resp *r)
{
    CURL *curl = curl_easy_init();
    char url[8192];

    snprintf(url, sizeof(url), "%s%s", base, target);
    mg_buf_release(&r->body);
    mg_buf_init(&r->body, 64 * 1024 * 1024);
    r->status = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    if (curl_easy_perform(curl) == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
    }
    curl_easy_cleanup(curl);
    mg_buf_add(&r->body, "", 0);
    return r->status;
}

static long admin(const char *method, const char *path, const char *body,
                  struct resp *r)
{
    char target[1024];

    snprintf(target, sizeof(target), "/_emulator%s", path);
    return http(method, target, NULL, body, body ? strlen(body) : 0, r);
}

/* A signed MNS request, built by hand from the reference's rules. */
static long mns_with(const char *method, const char *target, const char *body,
                     time_t date, const char *token, struct resp *r)
{
    char when[64];
    char sig[64];
    char line[512];
    struct mg_buf sts = MG_BUF_INIT(1 << 20);
    struct curl_slist *h = NULL;
    const char *type = body ? "text/xml;charset=UTF-8" : "";
    long status;

    mg_fmt_rfc1123(date, when, sizeof(when));
    mg_buf_addf(&sts, "%s\n\n%s\n%s\nx-mns-version:2015-06-06\n%s", method,
                type, when, target);
    mg_hmac_sha1_b64(KEY_SECRET, strlen(KEY_SECRET), sts.data, sts.len, sig,
                     sizeof(sig));
    snprintf(line, sizeof(line), "Date: %s", when);
    h = curl_slist_append(h, line);
    h = curl_slist_append(h, "x-mns-version: 2015-06-06");
    snprintf(line, sizeof(line), "Authorization: MNS %s:%s", KEY_ID, sig);
    h = curl_slist_append(h, line);
    snprintf(line, sizeof(line), "Content-Type: %s", type);
    h = curl_slist_append(h, body ? line : "Content-Type:");
    if (token) {
        snprintf(line, sizeof(line), "security-token: %s", token);
        h = curl_slist_append(h, line);
    }
    status = http(method, target, h, body, body ? strlen(body) : 0, r);
    curl_slist_free_all(h);
    mg_buf_release(&sts);
    return status;
}

static long mns(const char *method, const char *target, const char *body,
                struct resp *r)
{
    return mns_with(method, target, body, time(NULL), NULL, r);
}

/* A signed RPC request: params are name, value pairs ending in NULL. */
static long rpc_as(const char *id, const char *secret, const char *token,
                   const char *method, const char *version, const char *action,
                   const char *const *kv, struct resp *r)
{
    struct mg_param p[32];
    char nonce[40];
    char ts[32];
    char sig[64];
    size_t n = 0;
    struct mg_buf canon = MG_BUF_INIT(1 << 22);
    struct mg_buf all = MG_BUF_INIT(1 << 22);
    long status;
    int post = strcmp(method, "POST") == 0;

    mg_uuid(nonce, sizeof(nonce));
    mg_fmt_iso8601(time(NULL), ts, sizeof(ts));
    p[n++] = (struct mg_param){ "Action", action };
    p[n++] = (struct mg_param){ "Version", version };
    p[n++] = (struct mg_param){ "Format", "JSON" };
    p[n++] = (struct mg_param){ "AccessKeyId", id };
    p[n++] = (struct mg_param){ "SignatureMethod", "HMAC-SHA1" };
    p[n++] = (struct mg_param){ "SignatureVersion", "1.0" };
    p[n++] = (struct mg_param){ "SignatureNonce", nonce };
    p[n++] = (struct mg_param){ "Timestamp", ts };
    if (token) {
        p[n++] = (struct mg_param){ "SecurityToken", token };
    }
    for (; kv && kv[0]; kv += 2) {
        p[n++] = (struct mg_param){ kv[0], kv[1] };
    }
    mg_rpc_canonical(&canon, p, n);
    mg_rpc_signature(method, canon.data, secret, sig, sizeof(sig));
    mg_buf_addf(&all, "%s%s&Signature=", post ? "" : "/?", canon.data);
    mg_pct_encode(&all, sig, strlen(sig));
    if (post) {
        struct curl_slist *h = curl_slist_append(
            NULL, "Content-Type: application/x-www-form-urlencoded");

        status = http("POST", "/", h, all.data, all.len, r);
        curl_slist_free_all(h);
    } else {
        status = http("GET", all.data, NULL, NULL, 0, r);
    }
    mg_buf_release(&canon);
    mg_buf_release(&all);
    return status;
}

static long rpc(const char *method, const char *version, const char *action,
                const char *const *kv, struct resp *r)
{
    return rpc_as(KEY_ID, KEY_SECRET, NULL, method, version, action, kv, r);
}

/* Text of the first <tag> in an XML answer ("" when absent). */
static const char *xml_get(const struct resp *r, const char *tag, char *out,
                           size_t outlen)
{
    char open[64];
    char close[64];
    const char *a;
    const char *b;

    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    a = strstr(mg_buf_str(&r->body), open);
    b = a ? strstr(a, close) : NULL;
    out[0] = '\0';
    if (a && b) {
        a += strlen(open);
        snprintf(out, outlen, "%.*s", (int)(b - a), a);
    }
    return out;
}

/* The decoded text of a child of the answer's root, via a real parser. */
static const char *xml_text(const char *doc, size_t len, const char *tag,
                            struct mg_buf *out)
{
    xmlDocPtr d = mg_xml_parse(doc, len, NULL);

    mg_buf_reset(out);
    mg_xml_text(mg_xml_child(mg_xml_root(d), tag), out);
    xmlFreeDoc(d);
    return mg_buf_str(out);
}

static int has(const struct resp *r, const char *text)
{
    return strstr(mg_buf_str(&r->body), text) != NULL;
}

static cJSON *json_of(const struct resp *r)
{
    return mg_json_parse(r->body.data, r->body.len, NULL);
}

/* ---- the emulator process ---------------------------------------- */

static int start_emulator(const char *bin)
{
    char portfile[300];
    char buf[32];
    int i;
    FILE *f;

    snprintf(workdir, sizeof(workdir), "/tmp/mfaguard-emu-it-XXXXXX");
    if (mkdtemp(workdir) == NULL) {
        return -1;
    }
    snprintf(portfile, sizeof(portfile), "%s/port", workdir);
    emulator = fork();
    if (emulator == 0) {
        execl(bin, bin, "--listen", "127.0.0.1:0", "--port-file", portfile,
              "--quiet", "--key", KEY_ID ":" KEY_SECRET, "--seed", "7",
              (char *)NULL);
        _exit(127);
    }
    for (i = 0; i < 500; i++) {
        f = fopen(portfile, "r");
        if (f && fgets(buf, sizeof(buf), f)) {
            fclose(f);
            snprintf(base, sizeof(base), "http://127.0.0.1:%ld",
                     strtol(buf, NULL, 10));
            return 0;
        }
        if (f) {
            fclose(f);
        }
        usleep(20000);
    }
    return -1;
}

static int stop_emulator(void)
{
    int status = 0;
    char portfile[300];

    kill(emulator, SIGTERM);
    waitpid(emulator, &status, 0);
    snprintf(portfile, sizeof(portfile), "%s/port", workdir);
    unlink(portfile);
    rmdir(workdir);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void make_queue(const char *name, const char *attrs)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    char target[256];
    char body[1024];

    snprintf(target, sizeof(target), "/queues/%s", name);
    snprintf(body, sizeof(body),
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Queue xmlns=\""
             "http://mns.aliyuncs.com/doc/v1/\">%s</Queue>",
             attrs);
    CHECK_INT(mns("PUT", target, body, &r), 201);
    mg_buf_release(&r.body);
}

static long send_body(const char *queue, const char *text, struct resp *r)
{
    char target[256];
    struct mg_buf b = MG_BUF_INIT(1 << 20);
    long status;

    snprintf(target, sizeof(target), "/queues/%s/messages", queue);
    mg_buf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Message "
                    "xmlns=\"http://mns.aliyuncs.com/doc/v1/\"><MessageBody>");
    mg_buf_adds(&b, text);
    mg_buf_adds(&b, "</MessageBody></Message>");
    status = mns("POST", target, b.data, r);
    mg_buf_release(&b);
    return status;
}

/* ---- tests -------------------------------------------------------- */

static void an_account_fixture_loads(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };

    CHECK_INT(admin("PUT", "/account", "{\"account_id\":" ACCOUNT "}", &r),
              204);
    CHECK_INT(admin("PUT", "/account", "{\"users\":[{\"name\":\"x\"}]}", &r),
              400);
    CHECK(has(&r, "needs an \\\"id\\\" of digits"));
    mg_buf_release(&r.body);
}

static void lease_redelivers_with_dequeue_count_two(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    char h1[256];
    char h2[256];
    char first[32];
    char v[256];

    make_queue("lease", "<VisibilityTimeout>1</VisibilityTimeout>");
    CHECK_INT(send_body("lease", "m1 &lt;x&gt; &amp;", &r), 201);
    CHECK_STR(xml_get(&r, "MessageBodyMD5", v, sizeof(v)),
              "A4B09A212A01EA186C24FC4551AF5C0A");
    CHECK_INT(mns("GET", "/queues/lease", NULL, &r), 200);
    CHECK_STR(xml_get(&r, "ActiveMessages", v, sizeof(v)), "1");

    CHECK_INT(mns("GET", "/queues/lease/messages?waitseconds=0", NULL, &r),
              200);
    CHECK_STR(xml_get(&r, "MessageBody", v, sizeof(v)), "m1 &lt;x&gt; &amp;");
    CHECK_STR(xml_get(&r, "DequeueCount", v, sizeof(v)), "1");
    xml_get(&r, "ReceiptHandle", h1, sizeof(h1));
    xml_get(&r, "FirstDequeueTime", first, sizeof(first));
    CHECK_INT(mns("GET", "/queues/lease", NULL, &r), 200);
    CHECK_STR(xml_get(&r, "InactiveMessages", v, sizeof(v)), "1");
    CHECK_STR(xml_get(&r, "ActiveMessages", v, sizeof(v)), "0");

    CHECK_INT(mns("GET", "/queues/lease/messages", NULL, &r), 404);
    CHECK(has(&r, "<Code>MessageNotExist</Code>"));

    usleep(1200 * 1000);
    CHECK_INT(mns("GET", "/queues/lease/messages", NULL, &r), 200);
    CHECK_STR(xml_get(&r, "DequeueCount", v, sizeof(v)), "2");
    CHECK_STR(xml_get(&r, "FirstDequeueTime", v, sizeof(v)), first);
    xml_get(&r, "ReceiptHandle", h2, sizeof(h2));
    CHECK(strcmp(h1, h2) != 0);
    mg_buf_release(&r.body);
}

/* before + percent-encoded handle + after. */
static void encoded(char *out, size_t outlen, const char *before,
                    const char *handle, const char *after)
{
    struct mg_buf b = MG_BUF_INIT(1024);

    mg_pct_encode(&b, handle, strlen(handle));
    snprintf(out, outlen, "%s%s%s", before, b.data, after);
    mg_buf_release(&b);
}

static void change_visibility_replaces_the_handle(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    char h[256];
    char h2[256];
    char target[1024];
    char v[64];

    CHECK_INT(send_body("lease", "m2", &r), 201);
    CHECK_INT(mns("GET", "/queues/lease/messages?numOfMessages=16", NULL, &r),
              200);
    xml_get(&r, "ReceiptHandle", h, sizeof(h));

    /* Parameter names in either case; a percent-encoded handle. */
    encoded(target, sizeof(target), "/queues/lease/messages?receiptHandle=", h,
            "&visibilityTimeout=30");
    CHECK_INT(mns("PUT", target, NULL, &r), 200);
    CHECK(has(&r, "<ChangeVisibility"));
    xml_get(&r, "ReceiptHandle", h2, sizeof(h2));
    CHECK(strcmp(h, h2) != 0);
    CHECK(strtoll(xml_get(&r, "NextVisibleTime", v, sizeof(v)), NULL, 10) >
          mg_now_ms() + 25000);

    encoded(target, sizeof(target), "/queues/lease/messages?ReceiptHandle=", h,
            "");
    CHECK_INT(mns("DELETE", target, NULL, &r), 404);
    CHECK(has(&r, "<Code>MessageNotExist</Code>"));
    encoded(target, sizeof(target), "/queues/lease/messages?ReceiptHandle=", h2,
            "&VisibilityTimeout=0");
    CHECK_INT(mns("PUT", target, NULL, &r), 400);
    CHECK(has(&r, "<Code>InvalidArgument</Code>"));
    encoded(target, sizeof(target), "/queues/lease/messages?ReceiptHandle=", h2,
            "");
    CHECK_INT(mns("DELETE", target, NULL, &r), 204);
    CHECK_INT(
        mns("DELETE", "/queues/lease/messages?ReceiptHandle=garbage", NULL, &r),
        400);
    CHECK(has(&r, "<Code>ReceiptHandleError</Code>"));
    mg_buf_release(&r.body);
}

static void expired_handle_cannot_delete(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    char h[256];
    char target[1024];

    make_queue("expire", "<VisibilityTimeout>1</VisibilityTimeout>");
    CHECK_INT(send_body("expire", "m3", &r), 201);
    CHECK_INT(mns("GET", "/queues/expire/messages", NULL, &r), 200);
    xml_get(&r, "ReceiptHandle", h, sizeof(h));
    usleep(1200 * 1000);
    encoded(target, sizeof(target), "/queues/expire/messages?ReceiptHandle=", h,
            "");
    CHECK_INT(mns("DELETE", target, NULL, &r), 404);
    CHECK(has(&r, "<Code>MessageNotExist</Code>"));
    CHECK_INT(mns("DELETE", "/queues/lease", NULL, &r), 204);
    CHECK_INT(mns("GET", "/queues/lease", NULL, &r), 404);
    CHECK(has(&r, "<Code>QueueNotExist</Code>"));
    mg_buf_release(&r.body);
}

static void batch_delete_reports_each_failed_handle(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    char h[256];
    char body[2048];
    char v[256];

    make_queue("batch", "");
    CHECK_INT(mns("POST", "/queues/batch/messages",
                  "<Messages><Message><MessageBody>a</MessageBody></Message>"
                  "<Message><MessageBody>b</MessageBody><Priority>0"
                  "</Priority></Message></Messages>",
                  &r),
              400);
    CHECK(has(&r, "<ErrorCode>InvalidArgument</ErrorCode>"));
    CHECK(has(&r, "<MessageId>"));
    CHECK_INT(mns("GET", "/queues/batch/messages?numOfMessages=16", NULL, &r),
              200);
    xml_get(&r, "ReceiptHandle", h, sizeof(h));
    snprintf(body, sizeof(body),
             "<ReceiptHandles xmlns=\"http://mns.aliyuncs.com/doc/v1\">"
             "<ReceiptHandle>%s</ReceiptHandle><ReceiptHandle>1-bogus"
             "</ReceiptHandle></ReceiptHandles>",
             h);
    CHECK_INT(mns("DELETE", "/queues/batch/messages", body, &r), 404);
    CHECK(has(&r, "<Errors xmlns="));
    CHECK_STR(xml_get(&r, "ErrorCode", v, sizeof(v)), "ReceiptHandleError");
    CHECK_STR(xml_get(&r, "ReceiptHandle", v, sizeof(v)), "1-bogus");
    CHECK_INT(mns("GET", "/queues/batch", NULL, &r), 200);
    CHECK_STR(xml_get(&r, "InactiveMessages", v, sizeof(v)), "0");
    CHECK_INT(mns("DELETE", "/queues/batch/messages",
                  "<ReceiptHandles><ReceiptHandle>x</ReceiptHandle>"
                  "</ReceiptHandles>",
                  &r),
              404);
    mg_buf_release(&r.body);
}

struct poller {
    long status;
    int64_t took_ms;
};

static void *long_poll(void *arg)
{
    struct poller *p = arg;
    struct resp r = { 0, MG_BUF_INIT(0) };
    int64_t t0 = mg_mono_ms();

    p->status = mns("GET", "/queues/poll/messages?waitseconds=20", NULL, &r);
    p->took_ms = mg_mono_ms() - t0;
    mg_buf_release(&r.body);
    return NULL;
}

static void long_poll_answers_when_a_message_arrives(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    struct poller p = { 0, 0 };
    pthread_t t;
    int64_t t0;

    make_queue("poll", "");
    pthread_create(&t, NULL, long_poll, &p);
    usleep(300 * 1000);
    CHECK_INT(admin("POST", "/queues/poll/send", "wake up", &r), 200);
    pthread_join(t, NULL);
    CHECK_INT(p.status, 200);
    CHECK(p.took_ms < 10000);

    t0 = mg_mono_ms();
    CHECK_INT(mns("GET", "/queues/poll/messages?waitseconds=1", NULL, &r), 404);
    CHECK(has(&r, "<Code>MessageNotExist</Code>"));
    CHECK(mg_mono_ms() - t0 >= 900);
    printf("     long poll answered after %lld ms; empty 1 s wait took %lld "
           "ms\n",
           (long long)p.took_ms, (long long)(mg_mono_ms() - t0));
    mg_buf_release(&r.body);
}

static void subscribe(const char *sub, const char *queue, const char *format,
                      const char *tag)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    char target[256];
    char body[1024];

    make_queue(queue, "");
    snprintf(target, sizeof(target), "/topics/fan/subscriptions/%s", sub);
    snprintf(body, sizeof(body),
             "<Subscription><Endpoint>acs:mns:cn-hangzhou:%s:queues/%s"
             "</Endpoint><NotifyContentFormat>%s</NotifyContentFormat>%s"
             "</Subscription>",
             ACCOUNT, queue, format, tag);
    CHECK_INT(mns("PUT", target, body, &r), 201);
    mg_buf_release(&r.body);
}

static void check_json_notification(const char *text, const char *id)
{
    cJSON *j = mg_json_parse(text, strlen(text), NULL);
    const char *keys[] = { "TopicOwner",       "TopicName",  "Subscriber",
                           "SubscriptionName", "MessageId",  "Message",
                           "MessageMD5",       "MessageTag", "PublishTime" };
    size_t i;

    CHECK(j != NULL);
    for (i = 0; j && i < sizeof(keys) / sizeof(keys[0]); i++) {
        CHECK(mg_json_str(j, keys[i]) != NULL);
    }
    CHECK_STR(mg_json_str(j, "Message"), "{\"a\":\"<b>\"}");
    CHECK_STR(mg_json_str(j, "MessageId"), id);
    CHECK_STR(mg_json_str(j, "TopicOwner"), ACCOUNT);
    CHECK_STR(mg_json_str(j, "MessageTag"), "cfg");
    cJSON_Delete(j);
}

static void topic_fans_out_in_every_format(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    struct mg_buf text = MG_BUF_INIT(1 << 20);
    struct mg_buf inner = MG_BUF_INIT(1 << 20);
    char id[128];
    char md5[40];
    char v[4096];
    const char *xml_head = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                           "<Notification xmlns=\"http://mns.aliyuncs.com/"
                           "doc/v1/\"><TopicOwner>" ACCOUNT "</TopicOwner>";

    mg_md5_hex("{\"a\":\"<b>\"}", 11, md5, 1);
    CHECK_INT(mns("PUT", "/topics/fan", NULL, &r), 201);
    subscribe("s-xml", "fan-xml", "XML", "");
    subscribe("s-json", "fan-json", "JSON", "");
    subscribe("s-simple", "fan-simple", "SIMPLIFIED", "");
    subscribe("s-other", "fan-other", "SIMPLIFIED",
              "<FilterTag>other</FilterTag>");
    CHECK_INT(mns("POST", "/topics/fan/messages",
                  "<Message><MessageBody>{\"a\":\"&lt;b&gt;\"}</MessageBody>"
                  "<MessageTag>cfg</MessageTag></Message>",
                  &r),
              201);
    xml_get(&r, "MessageId", id, sizeof(id));

    CHECK_INT(mns("GET", "/queues/fan-simple/messages", NULL, &r), 200);
    CHECK_STR(xml_text(r.body.data, r.body.len, "MessageBody", &text),
              "{\"a\":\"<b>\"}");
    CHECK_INT(mns("GET", "/queues/fan-json/messages", NULL, &r), 200);
    check_json_notification(
        xml_text(r.body.data, r.body.len, "MessageBody", &text), id);
    CHECK_INT(admin("GET", "/queues/fan-json/messages", NULL, &r), 200);
    {
        cJSON *j = json_of(&r);
        const cJSON *m = cJSON_GetArrayItem(mg_json_get(j, "messages"), 0);

        CHECK_STR(mg_json_str(m, "state"), "inflight");
        cJSON_Delete(j);
    }
    CHECK_INT(mns("GET", "/queues/fan-xml/messages", NULL, &r), 200);
    xml_text(r.body.data, r.body.len, "MessageBody", &text);
    CHECK(strncmp(text.data, xml_head, strlen(xml_head)) == 0);
    CHECK(strstr(text.data, "<MessageTag>cfg</MessageTag>") != NULL);
    CHECK(strstr(text.data, "<SubscriptionName>s-xml</SubscriptionName>") !=
          NULL);
    xml_text(text.data, text.len, "Message", &inner);
    CHECK_STR(mg_buf_str(&inner), "{\"a\":\"<b>\"}");
    xml_text(text.data, text.len, "MessageId", &inner);
    CHECK_STR(mg_buf_str(&inner), id);
    xml_text(text.data, text.len, "MessageMD5", &inner);
    CHECK_STR(mg_buf_str(&inner), md5);
    CHECK_INT(mns("GET", "/queues/fan-other/messages", NULL, &r), 404);

    CHECK_INT(admin("POST", "/topics/fan/publish?tag=other", "plain", &r), 200);
    CHECK_INT(mns("GET", "/queues/fan-other/messages", NULL, &r), 200);
    CHECK_STR(xml_get(&r, "MessageBody", v, sizeof(v)), "plain");
    mg_buf_release(&r.body);
    mg_buf_release(&text);
    mg_buf_release(&inner);
}

static void bodies_are_limited_to_the_queue_size(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    char *big = malloc(65538);

    memset(big, 'x', 65537);
    big[65537] = '\0';
    make_queue("size", "");
    CHECK_INT(send_body("size", big, &r), 400);
    CHECK(has(&r, "<Code>InvalidArgument</Code>"));
    big[65536] = '\0';
    CHECK_INT(send_body("size", big, &r), 201);
    CHECK_INT(mns("PUT", "/queues/size",
                  "<Queue xmlns=\"urn:wrong\"><DelaySeconds>1</DelaySeconds>"
                  "</Queue>",
                  &r),
              400);
    CHECK(has(&r, "<Code>MalformedXML</Code>"));
    CHECK_INT(mns("PUT", "/queues/size",
                  "<Queue><VisibilityTimeout>60</VisibilityTimeout></Queue>",
                  &r),
              409);
    free(big);
    mg_buf_release(&r.body);
}

static void time_skew_and_bad_signatures_are_refused(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    struct curl_slist *h = NULL;

    CHECK_INT(mns_with("GET", "/queues", NULL, time(NULL) - 20 * 60, NULL, &r),
              408);
    CHECK(has(&r, "<Code>TimeExpired</Code>"));
    h = curl_slist_append(h, "Date: Thu, 04 Dec 2025 15:23:00 GMT");
    h = curl_slist_append(h, "x-mns-version: 2015-06-06");
    h = curl_slist_append(h, "Authorization: MNS nobody:abc=");
    CHECK_INT(http("GET", "/queues", h, NULL, 0, &r), 408);
    curl_slist_free_all(h);
    mg_buf_release(&r.body);
}

#define FAULTY_ACCOUNT                                                       \
    "{\"account\":{\"account_id\":" ACCOUNT ",\"users\":[{\"name\":\"u1\","  \
    "\"id\":\"200828888731170001\",\"policies\":[],\"groups\":[]}],"         \
    "\"groups\":[],\"policies\":[],\"faults\":[{\"api\":\"GetUserMFAInfo\"," \
    "\"status\":400,\"code\":\"Throttling.User\",\"times\":2},{\"api\":"     \
    "\"ReceiveMessage\",\"status\":503,\"code\":\"ServiceUnavailable\","     \
    "\"times\":1}]}}"

static void fixture_faults_apply_the_first_times(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    const char *kv[] = { "UserName", "u1", NULL };
    cJSON *j;
    int i;

    CHECK_INT(admin("PUT", "/account", FAULTY_ACCOUNT, &r), 204);
    for (i = 0; i < 2; i++) {
        CHECK_INT(rpc("GET", "2015-05-01", "GetUserMFAInfo", kv, &r), 400);
        j = json_of(&r);
        CHECK_STR(mg_json_str(j, "Code"), "Throttling.User");
        CHECK(mg_json_str(j, "RequestId") && mg_json_str(j, "HostId") &&
              mg_json_str(j, "Recommend") && mg_json_str(j, "Message"));
        cJSON_Delete(j);
    }
    CHECK_INT(rpc("GET", "2015-05-01", "GetUserMFAInfo", kv, &r), 404);
    j = json_of(&r);
    CHECK_STR(mg_json_str(j, "Code"), "EntityNotExist.User.MFADevice");
    cJSON_Delete(j);

    make_queue("faulty", "");
    CHECK_INT(mns("GET", "/queues/faulty/messages", NULL, &r), 503);
    CHECK(has(&r, "<Code>ServiceUnavailable</Code>"));
    CHECK_INT(mns("GET", "/queues/faulty/messages", NULL, &r), 404);
    CHECK(has(&r, "<Code>MessageNotExist</Code>"));
    mg_buf_release(&r.body);
}

static void rate_limits_throttle_each_family(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    int ok = 0;
    int throttled = 0;
    int i;

    CHECK_INT(admin("POST", "/settings", "{\"rps\":{\"ram\":5,\"mns\":5}}", &r),
              204);
    for (i = 0; i < 20; i++) {
        long s = rpc("GET", "2015-05-01", "ListUsers", NULL, &r);

        ok += s == 200;
        throttled += s == 400 && has(&r, "\"Throttling.User\"");
    }
    CHECK(ok >= 5);
    CHECK(throttled >= 1);
    CHECK_INT(ok + throttled, 20);
    throttled = 0;
    for (i = 0; i < 20; i++) {
        throttled += mns("GET", "/queues", NULL, &r) == 429 &&
                     has(&r, "<Code>TooManyRequests</Code>");
    }
    CHECK(throttled >= 1);
    CHECK_INT(admin("POST", "/settings", "{\"rps\":{\"ram\":0,\"mns\":0}}", &r),
              204);
    mg_buf_release(&r.body);
}

/* The statuses of n GetQueueAttributes calls, as a string of codes. */
static void status_pattern(char *out, size_t n)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    size_t i;

    for (i = 0; i < n; i++) {
        long s = mns("GET", "/queues/faulty", NULL, &r);

        out[i] = s == 200 ? '.' : s == 500 ? 'E' : s == 0 ? 'D' : '?';
    }
    out[n] = '\0';
    mg_buf_release(&r.body);
}

static void seeded_random_faults_repeat(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    const char *settings = "{\"error_rate\":0.3,\"drop_rate\":0.1,"
                           "\"seed\":42}";
    char first[41];
    char second[41];
    cJSON *j;

    CHECK_INT(admin("POST", "/settings", settings, &r), 204);
    status_pattern(first, 40);
    CHECK_INT(admin("POST", "/settings", settings, &r), 204);
    status_pattern(second, 40);
    CHECK_STR(first, second);
    CHECK(strchr(first, 'E') != NULL);
    CHECK(strchr(first, 'D') != NULL);
    CHECK(strchr(first, '.') != NULL);
    CHECK(strchr(first, '?') == NULL);
    printf("     fault pattern with seed 42: %s\n", first);

    CHECK_INT(
        admin("POST", "/settings", "{\"error_rate\":0,\"drop_rate\":0}", &r),
        204);
    CHECK_INT(admin("GET", "/health", NULL, &r), 200);
    CHECK_INT(admin("GET", "/stats", NULL, &r), 200);
    j = json_of(&r);
    CHECK(cJSON_GetObjectItem(mg_json_get(j, "injected"), "error") != NULL);
    CHECK(mg_json_get(mg_json_get(j, "calls"), "mns.GetQueueAttributes") !=
          NULL);
    cJSON_Delete(j);
    CHECK_INT(admin("POST", "/settings", "{\"nonsense\":1}", &r), 400);
    mg_buf_release(&r.body);
}

#define GOOD_EVALS                                                          \
    "[{\"accountId\":" ACCOUNT ",\"complianceResourceId\":\"2008\","        \
    "\"complianceResourceType\":\"ACS::RAM::User\",\"complianceRegionId\":" \
    "\"global\",\"complianceType\":\"COMPLIANT\",\"orderingTimestamp\":"    \
    "1733300000000}]"

static void put_evaluations_is_strict_and_stored(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    const char *good[] = { "ResultToken", "tok+/=", "Evaluations", GOOD_EVALS,
                           NULL };
    const char *quoted[] = { "ResultToken", "tok", "Evaluations",
                             "[{\"accountId\":\"1\"}]", NULL };
    const char *bad_type[] = { "ResultToken", "tok", "Evaluations",
                               "[{\"accountId\":1,\"complianceResourceId\":"
                               "\"x\",\"complianceResourceType\":\"t\","
                               "\"complianceRegionId\":\"r\","
                               "\"complianceType\":\"MAYBE\","
                               "\"orderingTimestamp\":1}]",
                               NULL };
    cJSON *j;

    CHECK_INT(rpc("POST", "2020-09-07", "PutEvaluations", good, &r), 200);
    CHECK(has(&r, "\"Result\":true"));
    CHECK_INT(rpc("POST", "2019-01-08", "PutEvaluations", good, &r), 200);
    CHECK_INT(rpc("GET", "2020-09-07", "PutEvaluations", good, &r), 400);
    CHECK_INT(rpc("POST", "2020-09-07", "PutEvaluations", quoted, &r), 400);
    CHECK(has(&r, "accountId must be an integer"));
    CHECK_INT(rpc("POST", "2020-09-07", "PutEvaluations", bad_type, &r), 400);
    CHECK(has(&r, "complianceType must be one of"));

    CHECK_INT(admin("GET", "/evaluations", NULL, &r), 200);
    j = json_of(&r);
    CHECK_INT(cJSON_GetArraySize(mg_json_get(j, "calls")), 2);
    CHECK_STR(mg_json_str(cJSON_GetArrayItem(mg_json_get(j, "calls"), 0),
                          "evaluations_raw"),
              GOOD_EVALS);
    CHECK_STR(
        mg_json_str(cJSON_GetArrayItem(mg_json_get(j, "calls"), 1), "version"),
        "2019-01-08");
    cJSON_Delete(j);
    mg_buf_release(&r.body);
}

static void sts_keys_work_with_their_token_only(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    const char *kv[] = { "RoleArn", "acs:ram::" ACCOUNT ":role/worker",
                         "RoleSessionName", "it", NULL };
    char id[128];
    char secret[128];
    char token[512];
    cJSON *j;
    const cJSON *cred;

    CHECK_INT(rpc("GET", "2015-04-01", "AssumeRole", kv, &r), 200);
    j = json_of(&r);
    cred = mg_json_get(j, "Credentials");
    snprintf(id, sizeof(id), "%s", mg_json_str(cred, "AccessKeyId"));
    snprintf(secret, sizeof(secret), "%s",
             mg_json_str(cred, "AccessKeySecret"));
    snprintf(token, sizeof(token), "%s", mg_json_str(cred, "SecurityToken"));
    cJSON_Delete(j);

    CHECK_INT(
        rpc_as(id, secret, token, "GET", "2015-05-01", "ListUsers", NULL, &r),
        200);
    CHECK_INT(
        rpc_as(id, secret, NULL, "GET", "2015-05-01", "ListUsers", NULL, &r),
        400);
    CHECK(has(&r, "MissingSecurityToken"));
    CHECK_INT(rpc_as(id, secret, "CAISwrong", "GET", "2015-05-01", "ListUsers",
                     NULL, &r),
              400);
    CHECK(has(&r, "InvalidSecurityToken.MismatchWithAccessKey"));
    mg_buf_release(&r.body);
}

/* A 10,000-user account with 30 groups and 360 policies. */
static void big_account(struct mg_buf *b)
{
    int i;

    mg_buf_addf(b, "{\"account_id\":%s,\"policies\":[", "12345678901234567");
    for (i = 0; i < 360; i++) {
        mg_buf_addf(b,
                    "%s{\"name\":\"P%d\",\"type\":\"%s\",\"document\":{"
                    "\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":\"svc%d:*\",\"Resource\":\"*\"}]}}",
                    i ? "," : "", i, i % 2 ? "Custom" : "System", i);
    }
    mg_buf_adds(b, "],\"groups\":[");
    for (i = 0; i < 30; i++) {
        mg_buf_addf(b,
                    "%s{\"name\":\"g%d\",\"policies\":[{\"name\":\"P%d\","
                    "\"type\":\"%s\"}]}",
                    i ? "," : "", i, i, i % 2 ? "Custom" : "System");
    }
    mg_buf_adds(b, "],\"users\":[");
    for (i = 0; i < 10000; i++) {
        mg_buf_addf(b,
                    "%s{\"name\":\"user%05d\",\"id\":\"2%017d\","
                    "\"policies\":[{\"name\":\"P%d\",\"type\":\"%s\"}],"
                    "\"groups\":[\"g%d\"]%s}",
                    i ? "," : "", i, i, i % 360, i % 2 ? "Custom" : "System",
                    i % 30,
                    i % 7 ? ""
                          : ",\"mfa_device\":{\"type\":\"VMFA\",\"serial\":"
                            "\"s\"}");
    }
    mg_buf_adds(b, "]}");
}

static int page_all_users(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    char marker[256] = "";
    int total = 0;
    int more = 1;

    while (more) {
        const char *kv[] = { "MaxItems", "1000", "Marker", marker, NULL };
        cJSON *j;

        if (marker[0] == '\0') {
            kv[2] = NULL;
        }
        if (rpc("GET", "2015-05-01", "ListUsers", kv, &r) != 200) {
            break;
        }
        j = json_of(&r);
        total +=
            cJSON_GetArraySize(mg_json_get(mg_json_get(j, "Users"), "User"));
        more = cJSON_IsTrue(mg_json_get(j, "IsTruncated"));
        snprintf(marker, sizeof(marker), "%s",
                 more ? mg_json_str(j, "Marker") : "");
        cJSON_Delete(j);
    }
    mg_buf_release(&r.body);
    return total;
}

static void large_account_loads_and_pages(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    struct mg_buf b = MG_BUF_INIT(64 * 1024 * 1024);
    const char *pol[] = { "PolicyName", "P7", "PolicyType", "Custom", NULL };
    const char *vm[] = { "MaxItems", "500", NULL };
    int64_t t0;
    cJSON *j;

    big_account(&b);
    t0 = mg_mono_ms();
    CHECK_INT(admin("PUT", "/account", b.data, &r), 204);
    printf("     10,000 users, 30 groups, 360 policies (%zu bytes) loaded "
           "in %lld ms\n",
           b.len, (long long)(mg_mono_ms() - t0));
    CHECK_INT(page_all_users(), 10000);

    CHECK_INT(rpc("GET", "2015-05-01", "GetPolicy", pol, &r), 200);
    j = json_of(&r);
    /* P7: users 7, 367, 727, ... (28 of them) and no group (g7 has P7). */
    CHECK_INT(
        mg_json_get(mg_json_get(j, "Policy"), "AttachmentCount")->valueint, 29);
    cJSON_Delete(j);
    CHECK_INT(rpc("GET", "2015-05-01", "ListVirtualMFADevices", vm, &r), 200);
    j = json_of(&r);
    CHECK(cJSON_IsTrue(mg_json_get(j, "IsTruncated")));
    CHECK_INT(cJSON_GetArraySize(mg_json_get(
                  mg_json_get(j, "VirtualMFADevices"), "VirtualMFADevice")),
              500);
    cJSON_Delete(j);
    CHECK_INT(rpc("GET", "2015-05-01", "ListVirtualMFADevices", NULL, &r), 200);
    j = json_of(&r);
    CHECK_INT(cJSON_GetArraySize(mg_json_get(
                  mg_json_get(j, "VirtualMFADevices"), "VirtualMFADevice")),
              1429);
    cJSON_Delete(j);
    CHECK_INT(rpc("GET", "2015-04-01", "GetCallerIdentity", NULL, &r), 200);
    CHECK(has(&r, "\"AccountId\":12345678901234567,"));
    mg_buf_release(&b);
    mg_buf_release(&r.body);
}

/* The size of Wrap.Item in the answer, or -1. */
static int list_size(const struct resp *r, const char *wrap, const char *item)
{
    cJSON *j = json_of(r);
    const cJSON *a = mg_json_get(mg_json_get(j, wrap), item);
    int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;

    cJSON_Delete(j);
    return n;
}

static void ram_lists_answer_from_the_indexes(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    const char *u5[] = { "UserName", "user00005", NULL };
    const char *g3[] = { "GroupName", "g3", "MaxItems", "100", NULL };
    const char *sys[] = { "PolicyType", "System", "MaxItems", "1000", NULL };
    const char *p7[] = { "PolicyName", "P7", "PolicyType", "Custom", NULL };
    const char *res[] = { "ResourceId",
                          "200000000000000005",
                          "ResourceType",
                          "ACS::RAM::User",
                          "Region",
                          "global",
                          NULL };

    CHECK_INT(rpc("GET", "2015-05-01", "ListPoliciesForUser", u5, &r), 200);
    CHECK_INT(list_size(&r, "Policies", "Policy"), 1);
    CHECK(has(&r, "\"PolicyName\":\"P5\""));
    CHECK_INT(rpc("GET", "2015-05-01", "ListGroupsForUser", u5, &r), 200);
    CHECK(has(&r, "\"GroupName\":\"g5\""));
    CHECK_INT(rpc("POST", "2015-05-01", "ListPoliciesForGroup", g3, &r), 200);
    CHECK_INT(list_size(&r, "Policies", "Policy"), 1);
    CHECK_INT(rpc("GET", "2015-05-01", "ListUsersForGroup", g3, &r), 200);
    CHECK_INT(list_size(&r, "Users", "User"), 100);
    CHECK(has(&r, "\"IsTruncated\":true"));
    CHECK_INT(rpc("GET", "2015-05-01", "ListPolicies", sys, &r), 200);
    CHECK_INT(list_size(&r, "Policies", "Policy"), 180);
    CHECK(has(&r, "\"IsTruncated\":false"));
    CHECK_INT(rpc("GET", "2015-05-01", "ListGroups", NULL, &r), 200);
    CHECK_INT(list_size(&r, "Groups", "Group"), 30);
    CHECK_INT(rpc("GET", "2015-05-01", "ListEntitiesForPolicy", p7, &r), 200);
    CHECK_INT(list_size(&r, "Users", "User"), 28);
    CHECK_INT(list_size(&r, "Groups", "Group"), 1);
    CHECK_INT(list_size(&r, "Roles", "Role"), 0);
    CHECK_INT(rpc("GET", "2015-05-01", "GetLoginProfile", u5, &r), 404);
    CHECK(has(&r, "EntityNotExist.User.LoginProfile"));
    CHECK_INT(rpc("GET", "2020-09-07", "GetDiscoveredResource", res, &r), 200);
    CHECK(has(&r, "\"ResourceName\":\"user00005\""));
    CHECK(has(&r, "\"AccountId\":12345678901234567,"));
    CHECK_INT(rpc("GET", "2015-05-01", "NoSuchAction", NULL, &r), 404);
    CHECK(has(&r, "InvalidAction.NotFound"));
    CHECK_INT(rpc("GET", "1999-01-01", "ListUsers", NULL, &r), 400);
    mg_buf_release(&r.body);
}

static void the_log_records_what_happened(void)
{
    struct resp r = { 0, MG_BUF_INIT(0) };
    const char *types[] = { "\"send\"",    "\"receive\"",
                            "\"delete\"",  "\"publish\"",
                            "\"deliver\"", "\"change_visibility\"",
                            "\"fault\"",   "\"put_evaluations\"" };
    size_t i;

    CHECK_INT(admin("GET", "/log", NULL, &r), 200);
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        CHECK(has(&r, types[i]));
    }
    CHECK_INT(admin("POST", "/reset", NULL, &r), 204);
    CHECK_INT(admin("GET", "/log?since=0", NULL, &r), 200);
    CHECK(has(&r, "\"events\":[]"));
    CHECK_INT(mns("GET", "/queues/fan-xml", NULL, &r), 404);
    mg_buf_release(&r.body);
}

static void non_loopback_addresses_are_refused(const char *bin)
{
    const char *addrs[] = { "0.0.0.0:0", "10.1.2.3:0", "[::]:0" };
    size_t i;

    for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        pid_t pid = fork();
        int status = 0;

        if (pid == 0) {
            int devnull = open("/dev/null", O_WRONLY);

            dup2(devnull, 2);
            execl(bin, bin, "--listen", addrs[i], "--quiet", (char *)NULL);
            _exit(127);
        }
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
              WEXITSTATUS(status) != 127);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_emulator PATH-TO-mfaguard-emulator\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (start_emulator(argv[1]) != 0) {
        fprintf(stderr, "the emulator did not start\n");
        return 1;
    }
    RUN(an_account_fixture_loads);
    RUN(lease_redelivers_with_dequeue_count_two);
    RUN(change_visibility_replaces_the_handle);
    RUN(expired_handle_cannot_delete);
    RUN(batch_delete_reports_each_failed_handle);
    RUN(long_poll_answers_when_a_message_arrives);
    RUN(topic_fans_out_in_every_format);
    RUN(bodies_are_limited_to_the_queue_size);
    RUN(time_skew_and_bad_signatures_are_refused);
    RUN(fixture_faults_apply_the_first_times);
    RUN(rate_limits_throttle_each_family);
    RUN(seeded_random_faults_repeat);
    RUN(put_evaluations_is_strict_and_stored);
    RUN(sts_keys_work_with_their_token_only);
    RUN(the_log_records_what_happened);
    RUN(large_account_loads_and_pages);
    RUN(ram_lists_answer_from_the_indexes);
    CHECK_INT(stop_emulator(), 0);
    non_loopback_addresses_are_refused(argv[1]);
    printf("ok   non_loopback_addresses_are_refused\n");
    curl_global_cleanup();
    CHECK_MAIN_END();
}
