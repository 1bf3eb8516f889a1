#include "common/http.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/error.h"

#include "common/banned.h"

static struct mg_http_options options = { 1, NULL, 5000 };
static CURLSH *share;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
static pthread_key_t handle_key;

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access a,
                       void *u)
{
    (void)h;
    (void)a;
    (void)u;
    pthread_mutex_lock(&share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *u)
{
    (void)h;
    (void)u;
    pthread_mutex_unlock(&share_locks[data]);
}

static void handle_free(void *h)
{
    curl_easy_cleanup(h);
}

int mg_http_global_init(const struct mg_http_options *opt)
{
    int i;

    if (opt) {
        options = *opt;
    }
    if (options.connect_timeout_ms <= 0) {
        options.connect_timeout_ms = 5000;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return -1;
    }
    for (i = 0; i < CURL_LOCK_DATA_LAST; i++) {
        pthread_mutex_init(&share_locks[i], NULL);
    }
    share = curl_share_init();
    if (share == NULL) {
        return -1;
    }
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return pthread_key_create(&handle_key, handle_free) == 0 ? 0 : -1;
}

void mg_http_global_cleanup(void)
{
    CURL *h = share ? pthread_getspecific(handle_key) : NULL;

    if (h) {
        curl_easy_cleanup(h);
        pthread_setspecific(handle_key, NULL);
    }
    if (share) {
        curl_share_cleanup(share);
        share = NULL;
    }
    curl_global_cleanup();
}

/* The calling thread's handle, created on first use. */
static CURL *thread_handle(void)
{
    CURL *h = pthread_getspecific(handle_key);

    if (h == NULL) {
        h = curl_easy_init();
        if (h && pthread_setspecific(handle_key, h) != 0) {
            curl_easy_cleanup(h);
            h = NULL;
        }
    }
    return h;
}

void mg_http_response_init(struct mg_http_response *rs, size_t max_body)
{
    rs->status = 0;
    mg_buf_init(&rs->body, max_body);
    rs->request_id[0] = '\0';
    rs->retry_after_ms = 0;
}

void mg_http_response_release(struct mg_http_response *rs)
{
    mg_buf_release(&rs->body);
}

struct exchange {
    struct mg_http_response *rs;
    volatile const int *abort;
    int too_large;
};

static size_t on_body(char *p, size_t size, size_t n, void *u)
{
    struct exchange *x = u;

    if (mg_buf_add(&x->rs->body, p, size * n) != 0) {
        x->too_large = 1;
        return 0;
    }
    return size * n;
}

/* Copy a header's value, trimmed, when its name matches. */
static int header_value(const char *line, size_t n, const char *name, char *out,
                        size_t outlen)
{
    size_t k = strlen(name);
    size_t start;
    size_t end;

    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':') {
        return 0;
    }
    start = k + 1;
    while (start < n && (line[start] == ' ' || line[start] == '\t')) {
        start++;
    }
    end = n;
    while (end > start && (line[end - 1] == '\r' || line[end - 1] == '\n' ||
                           line[end - 1] == ' ')) {
        end--;
    }
    snprintf(out, outlen, "%.*s", (int)(end - start), line + start);
    return 1;
}

static size_t on_header(char *p, size_t size, size_t n, void *u)
{
    struct exchange *x = u;
    size_t len = size * n;
    char value[64];

    if (header_value(p, len, "x-mns-request-id", x->rs->request_id,
                     sizeof(x->rs->request_id)) ||
        header_value(p, len, "x-acs-request-id", x->rs->request_id,
                     sizeof(x->rs->request_id))) {
        return len;
    }
    if (header_value(p, len, "retry-after", value, sizeof(value))) {
        long s = strtol(value, NULL, 10);
        x->rs->retry_after_ms = s > 0 && s < 3600 ? s * 1000 : 0;
    }
    return len;
}

static int on_progress(void *u, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                       curl_off_t un)
{
    struct exchange *x = u;

    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return x->abort && *x->abort ? 1 : 0;
}

static int build_headers(const char *const *in, struct curl_slist **out)
{
    struct curl_slist *list = NULL;
    struct curl_slist *next;

    /* Drop curl's own defaults that would change what was signed. */
    int has_type = 0;

    list = curl_slist_append(list, "Expect:");
    list = list ? curl_slist_append(list, "Accept:") : NULL;
    for (; in && *in && list; in++) {
        has_type |= strncasecmp(*in, "Content-Type:", 13) == 0;
        if (strpbrk(*in, "\r\n") != NULL) {
            curl_slist_free_all(list);
            return -1;
        }
        next = curl_slist_append(list, *in);
        if (next == NULL) {
            curl_slist_free_all(list);
            return -1;
        }
        list = next;
    }
    /* curl would add a form content type to any body; it is signed. */
    if (!has_type && list) {
        next = curl_slist_append(list, "Content-Type:");
        if (next == NULL) {
            curl_slist_free_all(list);
            return -1;
        }
        list = next;
    }
    *out = list;
    return list ? 0 : -1;
}

static void setup(CURL *h, const struct mg_http_request *rq,
                  struct curl_slist *hdrs, struct exchange *x)
{
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, rq->url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_SHARE, share);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, options.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     rq->timeout_ms > 0 ? rq->timeout_ms : 30000L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options.tls_verify ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options.tls_verify ? 2L : 0L);
    if (options.ca_file) {
        curl_easy_setopt(h, CURLOPT_CAINFO, options.ca_file);
    }
    if (strcmp(rq->method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (rq->body || strcmp(rq->method, "HEAD") != 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)rq->body_len);
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
}

static const char *transport_code(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return "Transport.Timeout";
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        return "Transport.Connect";
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
        return "Transport.Reset";
    case CURLE_ABORTED_BY_CALLBACK:
        return "Transport.Aborted";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
        return "Transport.Tls";
    default:
        return "Transport.Other";
    }
}

int mg_http_perform(const struct mg_http_request *rq,
                    struct mg_http_response *rs, struct mg_error *err)
{
    struct exchange x = { rs, rq->abort, 0 };
    struct curl_slist *hdrs = NULL;
    CURL *h = thread_handle();
    CURLcode rc;

    rs->status = 0;
    rs->request_id[0] = '\0';
    rs->retry_after_ms = 0;
    mg_buf_reset(&rs->body);
    if (h == NULL) {
        return mg_error_set(err, MG_RETRY, "Transport.Other",
                            "cannot create a curl handle");
    }
    if (build_headers(rq->headers, &hdrs) != 0) {
        return mg_error_set(err, MG_FINAL, "BadHeader",
                            "request header holds a line break");
    }

    setup(h, rq, hdrs, &x);
    rc = curl_easy_perform(h);
    curl_slist_free_all(hdrs);
    if (x.too_large) {
        return mg_error_set(err, MG_FINAL, "ResponseTooLarge",
                            "response passed %zu bytes", rs->body.max);
    }
    if (rc != CURLE_OK) {
        return mg_error_set(err, MG_RETRY, transport_code(rc), "%s",
                            curl_easy_strerror(rc));
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
    if (rs->body.data == NULL) {
        mg_buf_add(&rs->body, "", 0);
    }
    return 0;
}
