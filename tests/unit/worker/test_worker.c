/* Unit tests of the worker's own pieces: rule parsing, annotations and
 * their byte limit, the order-independence of verdicts, dedupe keys,
 * settings, the document cache and the small HTTP server. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "common/buf.h"
#include "common/error.h"
#include "ram/policy.h"
#include "worker/cache.h"
#include "worker/check.h"
#include "worker/httpd.h"
#include "worker/report.h"
#include "worker/settings.h"

CHECK_GLOBALS;

static void test_rule_parse_trims_and_bounds(void)
{
    struct wrk_rule r;
    char err[160];
    char big[300];
    char many[1024] = "";
    int i;

    CHECK(wrk_rule_parse(&r, " ecs:* ,oss:*,,\tlog:*\t, ", 0, err,
                         sizeof(err)) == 0);
    CHECK_INT(r.npatterns, 3);
    CHECK_STR(r.patterns[0], "ecs:*");
    CHECK_STR(r.patterns[1], "oss:*");
    CHECK_STR(r.patterns[2], "log:*");
    CHECK(wrk_rule_parse(&r, "", 1, err, sizeof(err)) == 0);
    CHECK_INT(r.npatterns, 0);
    CHECK(wrk_rule_parse(&r, NULL, 0, err, sizeof(err)) == 0);
    CHECK(wrk_rule_parse(&r, " , ,", 0, err, sizeof(err)) == 0);
    CHECK_INT(r.npatterns, 0);

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK(wrk_rule_parse(&r, big, 0, err, sizeof(err)) == -1);
    CHECK(strstr(err, "longer") != NULL);
    for (i = 0; i < 70; i++) {
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "s%d:*,", i);
    }
    CHECK(wrk_rule_parse(&r, many, 0, err, sizeof(err)) == -1);
}

static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : 4;
        int i;

        for (i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) {
                return 0;
            }
        }
        p += n;
    }
    return 1;
}

static void test_truncation_keeps_utf8_whole(void)
{
    char out[16];
    const char *han = "\xe5\xbc\xa0\xe4\xb8\x89\xe5\xbc\xa0\xe4\xb8\x89"
                      "\xe5\xbc\xa0\xe4\xb8\x89"; /* six 3-byte chars */
    int n;

    wrk_utf8_truncate(out, sizeof(out), "short");
    CHECK_STR(out, "short");
    wrk_utf8_truncate(out, sizeof(out), "exactly 15 byte");
    CHECK_STR(out, "exactly 15 byte");
    wrk_utf8_truncate(out, sizeof(out), "sixteen bytes!!!");
    CHECK_STR(out, "sixteen byte...");
    for (n = 5; n <= 16; n++) {
        wrk_utf8_truncate(out, (size_t)n, han);
        CHECK(strlen(out) < (size_t)n);
        CHECK(valid_utf8(out));
        CHECK(strcmp(out + strlen(out) - 3, "...") == 0);
    }
}

static struct ram_policy *doc(const char *text)
{
    struct mg_error err;
    struct ram_policy *p;

    mg_error_clear(&err);
    p = ram_policy_parse(text, strlen(text), &err);
    CHECK(p != NULL);
    return p;
}

static void source(struct wrk_source *s, const char *name, const char *type,
                   const char *group, const struct ram_policy *p)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name);
    snprintf(s->type, sizeof(s->type), "%s", type);
    snprintf(s->group, sizeof(s->group), "%s", group);
    s->doc = p;
}

static void decide(struct wrk_source *src, size_t n, int bound,
                   struct wrk_verdict *v)
{
    struct wrk_rule r;
    struct ram_mfa mfa = { bound, "VMFA", "acs:ram::1:mfa/x" };
    struct mg_error err;
    char msg[64];

    mg_error_clear(&err);
    wrk_rule_parse(&r, "ecs:*,oss:*,log:*", 0, msg, sizeof(msg));
    wrk_verdict_init(v);
    CHECK(wrk_verdict_decide(&r, src, n, v, &err) == 0);
    wrk_verdict_finish(v, &mfa);
}

static void test_annotations_name_the_first_grant(void)
{
    struct ram_policy *ecs =
        doc("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs:*\","
            "\"Resource\":\"*\"}]}");
    struct ram_policy *admin =
        doc("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
            "\"Resource\":\"*\"}}");
    struct ram_policy *rds =
        doc("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"rds:*\","
            "\"Resource\":\"*\"}]}");
    struct wrk_source src[3];
    struct wrk_verdict v;

    source(&src[0], "AdministratorAccess", "System", "admins", admin);
    source(&src[1], "AliyunECSFullAccess", "System", "", ecs);
    source(&src[2], "AliyunRDSFullAccess", "System", "", rds);
    decide(src, 3, 0, &v);
    CHECK(v.compliance == WRK_NON_COMPLIANT);
    CHECK_STR(v.annotation, "ecs:* granted by AliyunECSFullAccess (System, "
                            "on user) and 3 more; no MFA device");
    CHECK_INT(v.ngrants, 4);
    wrk_verdict_release(&v);

    decide(src, 3, 1, &v);
    CHECK(v.compliance == WRK_COMPLIANT);
    CHECK(strstr(v.annotation, "; MFA device VMFA bound") != NULL);
    CHECK_STR(v.mfa_serial, "acs:ram::1:mfa/x");
    wrk_verdict_trim(&v);
    CHECK(v.grants == NULL && v.ngrants == 0);
    wrk_verdict_release(&v);

    decide(&src[2], 1, 0, &v);
    CHECK(v.compliance == WRK_COMPLIANT);
    CHECK_STR(v.annotation, "no dangerous action granted without MFA");
    wrk_verdict_release(&v);
    ram_policy_free(ecs);
    ram_policy_free(admin);
    ram_policy_free(rds);
}

static void test_verdicts_do_not_depend_on_listing_order(void)
{
    const char *texts[] = {
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"oss:Get*\","
        "\"Resource\":\"*\"}]}",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"log:*\","
        "\"Resource\":\"*\"}]}",
        "{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"oss:*\","
        "\"Resource\":\"*\"}]}",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"NotAction\":\"ram:*\","
        "\"Resource\":\"*\"}]}",
    };
    const char *names[] = { "B", "A", "C", "D" };
    const char *groups[] = { "", "g2", "g1", "" };
    struct ram_policy *p[4];
    struct wrk_source src[4];
    struct wrk_verdict first;
    struct wrk_verdict v;
    size_t order[4] = { 0, 1, 2, 3 };
    int round;
    size_t i;

    for (i = 0; i < 4; i++) {
        p[i] = doc(texts[i]);
    }
    for (round = 0; round < 24; round++) {
        /* every permutation of four, one per round */
        size_t a = (size_t)round % 4;
        size_t b = ((size_t)round / 4) % 3;
        size_t t;

        for (i = 0; i < 4; i++) {
            order[i] = i;
        }
        t = order[a];
        order[a] = order[3];
        order[3] = t;
        t = order[b];
        order[b] = order[2];
        order[2] = t;
        for (i = 0; i < 4; i++) {
            source(&src[i], names[order[i]], "Custom", groups[order[i]],
                   p[order[i]]);
        }
        decide(src, 4, 0, round == 0 ? &first : &v);
        if (round > 0) {
            CHECK_STR(v.annotation, first.annotation);
            CHECK_INT(v.ngrants, first.ngrants);
            wrk_verdict_release(&v);
        }
    }
    CHECK(first.compliance == WRK_NON_COMPLIANT);
    wrk_verdict_release(&first);
    for (i = 0; i < 4; i++) {
        ram_policy_free(p[i]);
    }
}

static void test_annotation_stays_within_its_limit(void)
{
    struct ram_policy *ecs =
        doc("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs:*\","
            "\"Resource\":\"*\"}]}");
    char name[128];
    char group[128];
    struct wrk_source src;
    struct wrk_verdict v;
    size_t i;

    /* 40 three-byte characters each: the annotation must be cut. */
    for (i = 0; i < 40; i++) {
        memcpy(name + 3 * i, "\xe7\xad\x96", 3);
        memcpy(group + 3 * i, "\xe7\xbb\x84", 3);
    }
    name[120] = group[120] = '\0';
    source(&src, name, "Custom", group, ecs);
    decide(&src, 1, 0, &v);
    CHECK(strlen(v.annotation) <= WRK_ANNOTATION_MAX);
    CHECK(valid_utf8(v.annotation));
    CHECK(strcmp(v.annotation + strlen(v.annotation) - 3, "...") == 0);
    wrk_verdict_release(&v);
    ram_policy_free(ecs);
}

static void test_dedupe_key_is_stable(void)
{
    struct wrk_subject s;
    char k1[40];
    char k2[40];
    char k3[40];

    CHECK(wrk_subject_set(&s, 1698272328540001, 1733300000000,
                          "200828888731170001", "ACS::RAM::User", "global",
                          "test123", "test123") == 0);
    wrk_dedupe_key(&s, "rule", "NON_COMPLIANT", k1, sizeof(k1));
    wrk_dedupe_key(&s, "rule", "NON_COMPLIANT", k2, sizeof(k2));
    CHECK_STR(k1, k2);
    CHECK_INT(strlen(k1), 32);
    s.ordering_ms++;
    wrk_dedupe_key(&s, "rule", "NON_COMPLIANT", k3, sizeof(k3));
    CHECK(strcmp(k1, k3) != 0);
    CHECK_STR(s.user_name, "test123");
    wrk_subject_release(&s);
    CHECK(s.block == NULL);
}

static void test_settings_file_environment_and_bounds(void)
{
    struct wrk_settings s;
    char err[512];
    char path[] = "/tmp/mfaguard-settings-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");

    fprintf(f, "# comment\n\nqueue = from-file\nbatch_size=4\n"
               "tls_verify = off\n");
    fclose(f);
    wrk_settings_defaults(&s);
    CHECK_STR(s.queue, "mfaguard");
    CHECK_INT(s.batch_size, 16);
    setenv("MFAGUARD_BATCH_SIZE", "8", 1);
    CHECK(wrk_settings_load(&s, path, err, sizeof(err)) == 0);
    unsetenv("MFAGUARD_BATCH_SIZE");
    CHECK_STR(s.queue, "from-file");
    CHECK_INT(s.batch_size, 8); /* the environment wins */
    CHECK_INT(s.tls_verify, 0);

    CHECK(wrk_settings_set(&s, "batch_size", "17", err, sizeof(err)) == -1);
    CHECK(strstr(err, "1..16") != NULL);
    CHECK(wrk_settings_set(&s, "wait_seconds", "3x", err, sizeof(err)) == -1);
    CHECK(wrk_settings_set(&s, "nope", "1", err, sizeof(err)) == -1);
    CHECK(strstr(err, "unknown setting") != NULL);
    CHECK(wrk_settings_set(&s, "sweep_mode", "fast", err, sizeof(err)) == -1);
    CHECK(wrk_settings_set(&s, "sweep_mode", "users", err, sizeof(err)) == 0);

    f = fopen(path, "w");
    fprintf(f, "queue from-file\n");
    fclose(f);
    CHECK(wrk_settings_load(&s, path, err, sizeof(err)) == -1);
    CHECK(strstr(err, ":1:") != NULL);
    unlink(path);
}

static void test_example_file_loads_back_to_the_defaults(void)
{
    struct wrk_settings want;
    struct wrk_settings got;
    char err[512];
    char path[] = "/tmp/mfaguard-example-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");

    wrk_settings_write_example(f);
    fclose(f);
    wrk_settings_defaults(&want);
    memset(&got, 0x5a, sizeof(got));
    wrk_settings_defaults(&got);
    CHECK(wrk_settings_load(&got, path, err, sizeof(err)) == 0);
    CHECK(memcmp(&want, &got, sizeof(want)) == 0);
    unlink(path);
}

static void test_cache_bounds_ttl_and_invalidation(void)
{
    struct wrk_cache *c = wrk_cache_new(2, 60000);
    const char *text = "{\"Statement\":[{\"Effect\":\"Allow\","
                       "\"Action\":\"ecs:*\",\"Resource\":\"*\"}]}";
    const struct ram_policy *a;
    const struct ram_policy *held;
    uint64_t hits;
    uint64_t misses;
    size_t n;

    CHECK(wrk_cache_get(c, "System", "A", "v1") == NULL);
    a = wrk_cache_add(c, "System", "A", "v1", doc(text));
    wrk_cache_put(c, a);
    held = wrk_cache_add(c, "Custom", "B", "v1", doc(text));
    wrk_cache_put(c, wrk_cache_add(c, "Custom", "C", "v1", doc(text)));
    /* A was least recently used and is gone; B is evicted later while
     * still held, and stays usable. */
    CHECK(wrk_cache_get(c, "System", "A", "v1") == NULL);
    CHECK(wrk_cache_get(c, "Custom", "B", "v2") == NULL);
    wrk_cache_put(c, wrk_cache_add(c, "Custom", "D", "v1", doc(text)));
    CHECK(ram_policy_statement_count(held) == 1);
    wrk_cache_put(c, held);

    a = wrk_cache_get(c, "Custom", "D", "v1");
    CHECK(a != NULL);
    wrk_cache_put(c, a);
    wrk_cache_invalidate(c, NULL, "D");
    CHECK(wrk_cache_get(c, "Custom", "D", "v1") == NULL);
    wrk_cache_stats(c, &hits, &misses, &n);
    CHECK(hits >= 1 && misses >= 3);
    wrk_cache_free(c);

    c = wrk_cache_new(8, 0); /* a zero time to live keeps nothing */
    wrk_cache_put(c, wrk_cache_add(c, "System", "A", "v1", doc(text)));
    CHECK(wrk_cache_get(c, "System", "A", "v1") == NULL);
    wrk_cache_free(c);
}

static void echo(void *ctx, const struct wrk_http_request *rq,
                 struct wrk_http_reply *rp)
{
    (void)ctx;
    rp->status = 200;
    mg_buf_addf(&rp->body, "%s %s %zu", rq->method, rq->path, rq->body_len);
}

/* Send raw bytes to the server; return what came back. */
static void exchange(int port, const char *req, char *out, size_t outlen)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    size_t have = 0;
    ssize_t n;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    CHECK(send(fd, req, strlen(req), 0) == (ssize_t)strlen(req));
    shutdown(fd, SHUT_WR);
    while (have + 1 < outlen &&
           (n = read(fd, out + have, outlen - have - 1)) > 0) {
        have += (size_t)n;
    }
    out[have] = '\0';
    close(fd);
}

/* A large body, then a request whose trailing bytes run far past the
 * head limit, on one keep-alive connection: once overflowed a stack
 * buffer (found by reading the code while writing the fuzzers). */
static void test_http_server_pipelined_large_bodies(void)
{
    struct wrk_httpd *h = NULL;
    struct mg_buf req = MG_BUF_INIT(1u << 20);
    char out[4096];
    size_t i;

    CHECK(wrk_httpd_start("127.0.0.1:0", 1, echo, NULL, &h) == 0);
    mg_buf_adds(&req, "POST /a HTTP/1.1\r\nContent-Length: 200000\r\n\r\n");
    for (i = 0; i < 200000; i++) {
        mg_buf_addc(&req, 'a');
    }
    mg_buf_adds(&req, "POST /b HTTP/1.1\r\nContent-Length: 50000\r\n\r\n");
    for (i = 0; i < 150000; i++) {
        mg_buf_addc(&req, 'b');
    }
    mg_buf_adds(&req, "\r\n\r\n");
    exchange(wrk_httpd_port(h), req.data, out, sizeof(out));
    CHECK(strstr(out, "POST /a 200000") != NULL);
    CHECK(strstr(out, "POST /b 50000") != NULL);
    mg_buf_release(&req);
    wrk_httpd_stop(h);
}

static void test_http_server_requests(void)
{
    struct wrk_httpd *h = NULL;
    char out[4096];
    char big[20000];
    int port;

    CHECK(wrk_httpd_start("127.0.0.1:0", 1, echo, NULL, &h) == 0);
    port = wrk_httpd_port(h);
    exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", out,
             sizeof(out));
    CHECK(strstr(out, "HTTP/1.1 200 OK") && strstr(out, "GET /metrics 0"));
    exchange(port,
             "POST /invoke HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
             "GET /two?q=1 HTTP/1.1\r\nConnection: close\r\n\r\n",
             out, sizeof(out));
    CHECK(strstr(out, "POST /invoke 5") && strstr(out, "GET /two 0"));
    exchange(port, "POST / HTTP/1.1\r\nContent-Length: -3\r\n\r\n", out,
             sizeof(out));
    CHECK(strstr(out, "400") != NULL);
    exchange(port, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", out,
             sizeof(out));
    CHECK(strstr(out, "411") != NULL);
    exchange(port, "GARBAGE\r\n\r\n", out, sizeof(out));
    CHECK(strstr(out, "400") != NULL);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "GET /", 5);
    exchange(port, big, out, sizeof(out));
    CHECK(strstr(out, "200") == NULL); /* a head over 16 KiB is dropped */
    wrk_httpd_stop(h);
}

int main(void)
{
    RUN(test_rule_parse_trims_and_bounds);
    RUN(test_truncation_keeps_utf8_whole);
    RUN(test_annotations_name_the_first_grant);
    RUN(test_verdicts_do_not_depend_on_listing_order);
    RUN(test_annotation_stays_within_its_limit);
    RUN(test_dedupe_key_is_stable);
    RUN(test_settings_file_environment_and_bounds);
    RUN(test_example_file_loads_back_to_the_defaults);
    RUN(test_cache_bounds_ttl_and_invalidation);
    RUN(test_http_server_requests);
    RUN(test_http_server_pipelined_large_bodies);
    CHECK_MAIN_END();
}
