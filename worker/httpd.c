#include "worker/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"

#include "common/banned.h"

#define HEAD_MAX        16384
#define BODY_MAX        (1u << 20)
#define MAX_CONNECTIONS 64
#define IDLE_MS         10000

struct wrk_httpd {
    int fd;
    int port;
    pthread_t thread;
    volatile int stop;
    wrk_http_handler handler;
    void *ctx;
    int keepalive;
    pthread_mutex_t lock;
    int connections;
};

struct conn {
    struct wrk_httpd *h;
    int fd;
};

const char *wrk_http_header(const struct wrk_http_request *rq, const char *name)
{
    int i;

    for (i = 0; i < rq->nheaders; i++) {
        if (strcasecmp(rq->names[i], name) == 0) {
            return rq->values[i];
        }
    }
    return NULL;
}

/* Read until the buffer holds a whole head ("\r\n\r\n") within its
 * first HEAD_MAX bytes; return its length, 0 when the peer closed, -1 on
 * error or a head too large. The buffer may already hold more than
 * HEAD_MAX bytes (a pipelined request behind a large body): only the
 * first HEAD_MAX count as the head. */
static long read_head(int fd, char *buf, size_t *have)
{
    for (;;) {
        size_t look = *have < HEAD_MAX ? *have : HEAD_MAX;
        char *end = look >= 4 ? memmem(buf, look, "\r\n\r\n", 4) : NULL;
        struct pollfd p = { fd, POLLIN, 0 };
        ssize_t n;

        if (end) {
            return (long)(end - buf) + 4;
        }
        if (*have >= HEAD_MAX || poll(&p, 1, IDLE_MS) <= 0) {
            return -1;
        }
        n = read(fd, buf + *have, HEAD_MAX - *have);
        if (n <= 0) {
            return n == 0 && *have == 0 ? 0 : -1;
        }
        *have += (size_t)n;
    }
}

int wrk_http_parse_head(char *head, struct wrk_http_request *rq)
{
    char *save = NULL;
    char *line = strtok_r(head, "\r\n", &save);
    char *sp1;
    char *sp2;
    char *q;

    if (line == NULL || (sp1 = strchr(line, ' ')) == NULL ||
        (sp2 = strchr(sp1 + 1, ' ')) == NULL) {
        return -1;
    }
    *sp1 = *sp2 = '\0';
    rq->method = line;
    rq->path = sp1 + 1;
    q = strchr(sp1 + 1, '?');
    rq->query = q ? q + 1 : "";
    if (q) {
        *q = '\0';
    }
    while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
        char *colon = strchr(line, ':');

        if (colon == NULL || rq->nheaders == 64) {
            return -1;
        }
        *colon = '\0';
        for (colon++; *colon == ' ' || *colon == '\t'; colon++) {
        }
        rq->names[rq->nheaders] = line;
        rq->values[rq->nheaders++] = colon;
    }
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 202:
        return "Accepted";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return status >= 500 ? "Internal Server Error" : "Status";
    }
}

static int send_reply(int fd, struct wrk_http_reply *rp, int keep)
{
    char head[1024];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
                     "Content-Length: %zu\r\n%sConnection: %s\r\n\r\n",
                     rp->status, reason(rp->status),
                     rp->content_type[0] ? rp->content_type : "text/plain",
                     rp->body.len, rp->headers, keep ? "keep-alive" : "close");

    if (n < 0 || (size_t)n >= sizeof(head) ||
        write_all(fd, head, (size_t)n) != 0) {
        return -1;
    }
    return write_all(fd, mg_buf_str(&rp->body), rp->body.len);
}

static void reply_error(int fd, int status, const char *text)
{
    struct wrk_http_reply rp = { status, "text/plain", MG_BUF_INIT(256), "" };

    mg_buf_adds(&rp.body, text);
    send_reply(fd, &rp, 0);
    mg_buf_release(&rp.body);
}

/* Make sure the whole body is in buf (growing it); -1 on failure. */
static int read_body(int fd, char **buf, size_t *cap, size_t *have, size_t need)
{
    if (need > *cap) {
        char *p = realloc(*buf, need);

        if (p == NULL) {
            return -1;
        }
        *buf = p;
        *cap = need;
    }
    while (*have < need) {
        struct pollfd pf = { fd, POLLIN, 0 };
        ssize_t n;

        if (poll(&pf, 1, IDLE_MS) <= 0) {
            return -1;
        }
        /* This body and no more: what follows is the next request. */
        n = read(fd, *buf + *have, need - *have);
        if (n <= 0) {
            return -1;
        }
        *have += (size_t)n;
    }
    return 0;
}

static long content_length(const struct wrk_http_request *rq)
{
    const char *v = wrk_http_header(rq, "Content-Length");
    char *end = NULL;
    long n;

    if (wrk_http_header(rq, "Transfer-Encoding") != NULL) {
        return -2;
    }
    if (v == NULL) {
        return 0;
    }
    n = strtol(v, &end, 10);
    return end == v || *end != '\0' || n < 0 ? -1 : n;
}

/* Serve one request from buf; returns bytes used, or -1 to close. */
static long serve_one(struct wrk_httpd *h, int fd, char **buf, size_t *cap,
                      size_t *have)
{
    struct wrk_http_request rq;
    struct wrk_http_reply rp;
    char head[HEAD_MAX + 1];
    long hlen = read_head(fd, *buf, have);
    long blen;
    const char *conn;
    int keep;

    if (hlen <= 0 || hlen > HEAD_MAX) {
        return -1;
    }
    memcpy(head, *buf, (size_t)hlen);
    head[hlen] = '\0';
    memset(&rq, 0, sizeof(rq));
    if (wrk_http_parse_head(head, &rq) != 0) {
        reply_error(fd, 400, "bad request\n");
        return -1;
    }
    blen = content_length(&rq);
    if (blen == -2 || blen == -1 || blen > (long)BODY_MAX) {
        reply_error(fd, blen == -2 ? 411 : (blen == -1 ? 400 : 413),
                    "unsupported request body\n");
        return -1;
    }
    if (read_body(fd, buf, cap, have, (size_t)(hlen + blen)) != 0) {
        return -1;
    }
    rq.body = *buf + hlen;
    rq.body_len = (size_t)blen;
    conn = wrk_http_header(&rq, "Connection");
    keep = h->keepalive && !(conn && strcasecmp(conn, "close") == 0);

    memset(&rp, 0, sizeof(rp));
    rp.status = 404;
    mg_buf_init(&rp.body, 16u << 20);
    h->handler(h->ctx, &rq, &rp);
    if (send_reply(fd, &rp, keep) != 0) {
        keep = 0;
    }
    mg_buf_release(&rp.body);
    return keep ? hlen + blen : -1;
}

static void *connection(void *arg)
{
    struct conn *c = arg;
    size_t cap = HEAD_MAX;
    size_t have = 0;
    char *buf = malloc(cap);
    long used;

    while (buf && !c->h->stop &&
           (used = serve_one(c->h, c->fd, &buf, &cap, &have)) > 0) {
        memmove(buf, buf + used, have - (size_t)used);
        have -= (size_t)used;
    }
    free(buf);
    close(c->fd);
    pthread_mutex_lock(&c->h->lock);
    c->h->connections--;
    pthread_mutex_unlock(&c->h->lock);
    free(c);
    return NULL;
}

static void spawn(struct wrk_httpd *h, int fd)
{
    struct conn *c = malloc(sizeof(*c));
    pthread_attr_t attr;
    pthread_t t;
    int ok = 0;

    pthread_mutex_lock(&h->lock);
    if (c && h->connections < MAX_CONNECTIONS) {
        h->connections++;
        ok = 1;
    }
    pthread_mutex_unlock(&h->lock);
    if (!ok) {
        free(c);
        close(fd);
        return;
    }
    c->h = h;
    c->fd = fd;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, connection, c) != 0) {
        close(fd);
        free(c);
        pthread_mutex_lock(&h->lock);
        h->connections--;
        pthread_mutex_unlock(&h->lock);
    }
    pthread_attr_destroy(&attr);
}

static void *acceptor(void *arg)
{
    struct wrk_httpd *h = arg;

    while (!h->stop) {
        struct pollfd p = { h->fd, POLLIN, 0 };
        int fd;

        if (poll(&p, 1, 200) <= 0) {
            continue;
        }
        fd = accept(h->fd, NULL, NULL);
        if (fd >= 0) {
            spawn(h, fd);
        }
    }
    return NULL;
}

/* "host:port", "[v6]:port" or ":port" into a socket address. */
static int parse_listen(const char *addr, struct sockaddr_storage *ss,
                        socklen_t *len)
{
    char host[128];
    const char *colon = strrchr(addr, ':');
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    long port;
    char *end = NULL;

    if (colon == NULL || (size_t)(colon - addr) >= sizeof(host)) {
        return -1;
    }
    snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
    port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || port < 0 || port > 65535) {
        return -1;
    }
    memset(ss, 0, sizeof(*ss));
    if (host[0] == '[') {
        host[strlen(host) - 1] = '\0';
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*v6);
        return inet_pton(AF_INET6, host + 1, &v6->sin6_addr) == 1 ? 0 : -1;
    }
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    *len = sizeof(*v4);
    if (host[0] == '\0') {
        v4->sin_addr.s_addr = htonl(INADDR_ANY);
        return 0;
    }
    return inet_pton(AF_INET, host, &v4->sin_addr) == 1 ? 0 : -1;
}

static int open_socket(const char *addr, int *port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1;
    int fd;

    if (parse_listen(addr, &ss, &len) != 0) {
        mg_log_error("http.bad_address", MG_LS("listen", addr));
        return -1;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 64) != 0) {
        mg_log_error("http.bind_failed", MG_LS("listen", addr),
                     MG_LS("error", strerror(errno)));
        close(fd);
        return -1;
    }
    len = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &len);
    *port =
        ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                       : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

int wrk_httpd_start(const char *addr, int keepalive, wrk_http_handler handler,
                    void *ctx, struct wrk_httpd **out)
{
    struct wrk_httpd *h = calloc(1, sizeof(*h));

    *out = NULL;
    if (h == NULL) {
        return -1;
    }
    h->handler = handler;
    h->ctx = ctx;
    h->keepalive = keepalive;
    pthread_mutex_init(&h->lock, NULL);
    h->fd = open_socket(addr, &h->port);
    if (h->fd < 0 || pthread_create(&h->thread, NULL, acceptor, h) != 0) {
        if (h->fd >= 0) {
            close(h->fd);
        }
        free(h);
        return -1;
    }
    mg_log_info("http.listening", MG_LS("listen", addr),
                MG_LI("port", h->port));
    *out = h;
    return 0;
}

int wrk_httpd_port(const struct wrk_httpd *h)
{
    return h ? h->port : 0;
}

void wrk_httpd_stop(struct wrk_httpd *h)
{
    int waited;

    if (h == NULL) {
        return;
    }
    h->stop = 1;
    pthread_join(h->thread, NULL);
    close(h->fd);
    /* Connections notice the flag after their current request. */
    for (waited = 0; waited < 50; waited++) {
        int left;

        pthread_mutex_lock(&h->lock);
        left = h->connections;
        pthread_mutex_unlock(&h->lock);
        if (left == 0) {
            break;
        }
        usleep(100000);
    }
    if (waited < 50) {
        pthread_mutex_destroy(&h->lock);
        free(h);
    }
}
