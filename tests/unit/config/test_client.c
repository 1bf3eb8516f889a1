/* PutEvaluations against a one-shot HTTP server on 127.0.0.1 (a port the
 * system picks): what is sent, and how each kind of answer is classed. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"
#include "common/buf.h"
#include "common/cred.h"
#include "common/error.h"
#include "common/http.h"
#include "common/log.h"
#include "common/rpc.h"
#include "config/config.h"
#include "config_tests.h"

#define TOKEN "HLQr3BZx/C+DLjwudFcYdUsiYzW485CJ=="

/* Serves exactly one request with a fixed answer and keeps what came. */
struct fake {
    int listen_fd;
    int port;
    const char *status;
    const char *body;
    char request[65536];
    size_t len;
    pthread_t thread;
};

static const char *body_of(const struct fake *f)
{
    const char *end = strstr(f->request, "\r\n\r\n");

    return end != NULL ? end + 4 : "";
}

static int complete_request(const struct fake *f)
{
    const char *end = strstr(f->request, "\r\n\r\n");
    const char *cl = strcasestr(f->request, "\r\ncontent-length:");
    long want = cl != NULL ? strtol(cl + 17, NULL, 10) : 0;

    return end != NULL &&
           (size_t)(end + 4 - f->request) + (size_t)want <= f->len;
}

static void read_request(int fd, struct fake *f)
{
    struct timeval tv = { 5, 0 };

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (f->len < sizeof(f->request) - 1 && !complete_request(f)) {
        ssize_t n =
            recv(fd, f->request + f->len, sizeof(f->request) - 1 - f->len, 0);

        if (n <= 0) {
            break;
        }
        f->len += (size_t)n;
        f->request[f->len] = '\0';
    }
}

static void *serve_one(void *arg)
{
    struct fake *f = arg;
    struct pollfd pfd = { f->listen_fd, POLLIN, 0 };
    char head[256];
    int fd;

    if (poll(&pfd, 1, 5000) <= 0) {
        return NULL;
    }
    fd = accept(f->listen_fd, NULL, NULL);
    if (fd < 0) {
        return NULL;
    }
    read_request(fd, f);
    snprintf(head, sizeof(head),
             "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n",
             f->status, strlen(f->body));
    send(fd, head, strlen(head), MSG_NOSIGNAL);
    send(fd, f->body, strlen(f->body), MSG_NOSIGNAL);
    close(fd);
    return NULL;
}

static int fake_start(struct fake *f, const char *status, const char *body)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);

    memset(f, 0, sizeof(*f));
    f->status = status;
    f->body = body;
    f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (f->listen_fd < 0 ||
        bind(f->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(f->listen_fd, 1) != 0 ||
        getsockname(f->listen_fd, (struct sockaddr *)&a, &alen) != 0) {
        return -1;
    }
    f->port = ntohs(a.sin_port);
    return pthread_create(&f->thread, NULL, serve_one, f) == 0 ? 0 : -1;
}

static void fake_finish(struct fake *f)
{
    pthread_join(f->thread, NULL);
    close(f->listen_fd);
}

static int hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decoded copy of s[0..n); the caller frees it. */
static char *decoded(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    size_t i;
    size_t k = 0;

    for (i = 0; out != NULL && i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hex(s[i + 1]) >= 0 &&
            hex(s[i + 2]) >= 0) {
            out[k++] = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    if (out != NULL) {
        out[k] = '\0';
    }
    return out;
}

/* The decoded value of name in a form body, or NULL; the caller frees. */
static char *form_value(const char *form, const char *name)
{
    size_t nlen = strlen(name);
    const char *p = form;

    while (p != NULL && *p) {
        const char *end = strchr(p, '&');
        size_t plen = end != NULL ? (size_t)(end - p) : strlen(p);

        if (plen > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            return decoded(p + nlen + 1, plen - nlen - 1);
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

static const struct cfg_evaluation evals[2] = {
    { 1698272328540001LL, "200828888731170001", "ACS::RAM::User", "global",
      "test123", 1733300000000LL, "NON_COMPLIANT", "no MFA device" },
    { 9007199254740993LL, "200828888731170002", "ACS::RAM::User", "global",
      NULL, 1733300000000LL, "COMPLIANT", NULL },
};

static struct mg_cred_provider *cred;

static struct cfg_client *client_for(const struct fake *f, const char *path,
                                     const char *version)
{
    char url[128];
    struct cfg_options o = { url,  version, cred, NULL, { 1, 10, 100 },
                             5000, NULL };

    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", f->port, path);
    return cfg_client_new(&o);
}

/* The signature must hold for the body as sent, signed as a POST. */
static void check_signature(const char *form)
{
    char *names[32];
    char *values[32];
    struct mg_param params[32];
    struct mg_buf canon = MG_BUF_INIT(1 << 20);
    char *sig = form_value(form, "Signature");
    char want[64] = "";
    const char *p = form;
    size_t n = 0;

    while (p != NULL && *p && n < 32) {
        const char *eq = strchr(p, '=');
        const char *end = strchr(p, '&');
        size_t plen = end != NULL ? (size_t)(end - p) : strlen(p);

        if (eq != NULL && eq < p + plen && strncmp(p, "Signature=", 10) != 0) {
            names[n] = decoded(p, (size_t)(eq - p));
            values[n] = decoded(eq + 1, plen - (size_t)(eq - p) - 1);
            params[n] = (struct mg_param){ names[n], values[n] };
            n++;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    CHECK(mg_rpc_canonical(&canon, params, n) == 0);
    CHECK(mg_rpc_signature("POST", mg_buf_str(&canon), "testsecret", want,
                           sizeof(want)) == 0);
    CHECK_STR(sig, want);
    while (n > 0) {
        n--;
        free(names[n]);
        free(values[n]);
    }
    free(sig);
    mg_buf_release(&canon);
}

/* Checks form member name against want. */
static void check_form(const struct fake *f, const char *name, const char *want)
{
    char *got = form_value(body_of(f), name);

    CHECK_STR(got, want);
    free(got);
}

static void test_put_evaluations_sends_what_the_reference_says(void)
{
    struct fake f;
    struct cfg_client *c;
    struct mg_error err;
    struct mg_buf want = MG_BUF_INIT(1 << 20);

    CHECK(fake_start(&f, "200 OK", "{\"RequestId\":\"r1\",\"Result\":true}") ==
          0);
    c = client_for(&f, "/", NULL);
    CHECK(c != NULL);
    CHECK_INT(cfg_put_evaluations(c, TOKEN, evals, 2, &err), 0);
    fake_finish(&f);

    /* The trailing "/" of the endpoint is not doubled. */
    CHECK(strncmp(f.request, "POST / HTTP/1.1\r\n", 17) == 0);
    CHECK(strcasestr(f.request, "\r\nContent-Type: "
                                "application/x-www-form-urlencoded") != NULL);
    check_form(&f, "Action", "PutEvaluations");
    check_form(&f, "Version", "2020-09-07");
    check_form(&f, "Format", "JSON");
    check_form(&f, "ResultToken", TOKEN);
    CHECK_INT(cfg_evaluations_json(&want, evals, 2), 0);
    check_form(&f, "Evaluations", want.data);
    CHECK(strstr(want.data, "\"accountId\":9007199254740993,") != NULL);
    check_signature(body_of(&f));

    cfg_client_free(c);
    mg_buf_release(&want);
}

static void test_legacy_version_is_sent_as_given(void)
{
    struct fake f;
    struct cfg_client *c;
    struct mg_error err;

    CHECK(fake_start(&f, "200 OK", "{\"Result\":true}") == 0);
    c = client_for(&f, "", "2019-01-08");
    CHECK_INT(cfg_put_evaluations(c, TOKEN, evals, 1, &err), 0);
    fake_finish(&f);
    check_form(&f, "Version", "2019-01-08");
    cfg_client_free(c);
}

static void check_answer(const char *status, const char *body,
                         enum mg_class cls, const char *code)
{
    struct fake f;
    struct cfg_client *c;
    struct mg_error err;

    CHECK(fake_start(&f, status, body) == 0);
    c = client_for(&f, "/", "2020-09-07");
    CHECK_INT(cfg_put_evaluations(c, TOKEN, evals, 1, &err), -1);
    fake_finish(&f);
    CHECK_INT(err.cls, cls);
    CHECK_STR(err.code, code);
    CHECK_STR(err.api, "config.PutEvaluations");
    cfg_client_free(c);
}

/* A 2xx without "Result": true wrote nothing: try again, never drop. */
static void test_answers_are_classed(void)
{
    struct fake f;
    struct cfg_client *c;
    struct mg_error err;

    check_answer("200 OK", "{\"RequestId\":\"r2\",\"Result\":false}", MG_RETRY,
                 "ResultFalse");
    check_answer("200 OK", "{\"RequestId\":\"r3\"}", MG_RETRY, "ResultMissing");
    check_answer("400 Bad Request",
                 "{\"RequestId\":\"r4\",\"Code\":\"NoPermission\","
                 "\"Message\":\"denied\"}",
                 MG_FINAL, "NoPermission");
    check_answer("503 Service Unavailable",
                 "{\"Code\":\"ServiceUnavailable\",\"Message\":\"later\"}",
                 MG_RETRY, "ServiceUnavailable");

    CHECK(fake_start(&f, "200 OK", "{\"RequestId\":\"r5\",\"Result\":false}") ==
          0);
    c = client_for(&f, "/", NULL);
    cfg_put_evaluations(c, TOKEN, evals, 1, &err);
    fake_finish(&f);
    CHECK_STR(err.request_id, "r5");
    cfg_client_free(c);
}

/* Refused before anything is sent: port 9 on 127.0.0.1 has no server,
 * so a call that went out would fail as Transport, not MG_INVALID. */
static void test_refusals_send_nothing(void)
{
    struct cfg_options o = { "http://127.0.0.1:9", NULL, cred, NULL,
                             { 1, 10, 100 },       1000, NULL };
    struct cfg_client *c = cfg_client_new(&o);
    struct cfg_evaluation many[CFG_MAX_EVALUATIONS_PER_CALL + 1];
    struct cfg_evaluation bad = evals[0];
    struct mg_error err;
    size_t i;

    for (i = 0; i < CFG_MAX_EVALUATIONS_PER_CALL + 1; i++) {
        many[i] = evals[0];
    }
    bad.account_id = 0;
    CHECK_INT(cfg_put_evaluations(c, TOKEN, evals, 0, &err), -1);
    CHECK_INT(err.cls, MG_INVALID);
    CHECK_STR(err.code, "EvaluationsCount");
    CHECK_INT(cfg_put_evaluations(c, TOKEN, many, 101, &err), -1);
    CHECK_STR(err.code, "EvaluationsCount");
    CHECK_INT(cfg_put_evaluations(c, NULL, evals, 1, &err), -1);
    CHECK_STR(err.code, "MissingResultToken");
    CHECK_INT(cfg_put_evaluations(c, "", evals, 1, &err), -1);
    CHECK_INT(err.cls, MG_INVALID);
    CHECK_INT(cfg_put_evaluations(c, TOKEN, &bad, 1, &err), -1);
    CHECK_STR(err.code, "EvaluationsInvalid");
    CHECK_INT(cfg_put_evaluations(NULL, TOKEN, evals, 1, &err), -1);
    CHECK_INT(err.cls, MG_INVALID);

    /* The maximum itself is allowed: it goes out and meets no server. */
    CHECK_INT(cfg_put_evaluations(c, TOKEN, many, 100, &err), -1);
    CHECK_INT(err.cls, MG_RETRY);
    cfg_client_free(c);
}

static void test_client_options_are_checked(void)
{
    char long_url[300];
    struct cfg_options o = { NULL, NULL, cred, NULL, { 1, 10, 100 }, 0, NULL };

    CHECK(cfg_client_new(NULL) == NULL);
    CHECK(cfg_client_new(&o) == NULL);
    o.endpoint = "";
    CHECK(cfg_client_new(&o) == NULL);
    o.endpoint = "ftp://127.0.0.1";
    CHECK(cfg_client_new(&o) == NULL);
    o.endpoint = "127.0.0.1:8080";
    CHECK(cfg_client_new(&o) == NULL);
    o.endpoint = "http://127.0.0.1:8080";
    o.version = "2018-01-01";
    CHECK(cfg_client_new(&o) == NULL);
    memset(long_url, 'a', sizeof(long_url) - 1);
    memcpy(long_url, "http://", 7);
    long_url[sizeof(long_url) - 1] = '\0';
    o.endpoint = long_url;
    o.version = "";
    CHECK(cfg_client_new(&o) == NULL);
    cfg_client_free(NULL);
}

/* The whole token never reaches a log line, even at debug level. */
static void check_log(FILE *log)
{
    char text[16384];
    size_t n;

    fflush(log);
    rewind(log);
    n = fread(text, 1, sizeof(text) - 1, log);
    text[n] = '\0';
    CHECK(strstr(text, "config.evaluations.put") != NULL);
    CHECK(strstr(text, "config.client.refused") != NULL);
    CHECK(strstr(text, "HLQr3B") != NULL);
    CHECK(strstr(text, "HLQr3BZ") == NULL);
    CHECK(strstr(text, "DLjwud") == NULL);
}

void run_client_tests(void)
{
    FILE *log = tmpfile();

    CHECK(log != NULL);
    CHECK(mg_http_global_init(NULL) == 0);
    mg_log_setup(MG_LOG_DEBUG, MG_LOG_LOGFMT, log);
    cred = mg_cred_static_new("test", "testid", "testsecret", "");

    RUN(test_put_evaluations_sends_what_the_reference_says);
    RUN(test_legacy_version_is_sent_as_given);
    RUN(test_answers_are_classed);
    RUN(test_refusals_send_nothing);
    RUN(test_client_options_are_checked);
    check_log(log);

    mg_cred_free(cred);
    mg_log_setup(MG_LOG_WARN, MG_LOG_LOGFMT, NULL);
    mg_http_global_cleanup();
    fclose(log);
}
