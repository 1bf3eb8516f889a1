#include "fake_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"

/* Last: its renames must not reach the headers above. */
#include "common/banned.h"

#define MAX_REQUEST_BYTES (4u << 20)

struct fake_server {
    int fd;
    char url[64];
    pthread_t thread;
    pthread_mutex_t lock;
    volatile int stop;
    struct fake_reply replies[FAKE_MAX_REQUESTS];
    size_t nreplies;
    struct fake_request requests[FAKE_MAX_REQUESTS];
    size_t nrequests;
};

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read until the head is complete and the body has Content-Length bytes. */
static int read_request(int fd, struct mg_buf *in, size_t *head_len,
                        size_t *body_len)
{
    char chunk[16384];

    for (;;) {
        const char *end = in->data ? strstr(in->data, "\r\n\r\n") : NULL;
        ssize_t r;

        if (end) {
            const char *cl = strcasestr(in->data, "\r\nContent-Length:");

            *head_len = (size_t)(end - in->data) + 4;
            *body_len = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
            if (in->len >= *head_len + *body_len) {
                return 0;
            }
        }
        r = read(fd, chunk, sizeof(chunk));
        if (r <= 0 || mg_buf_add(in, chunk, (size_t)r) != 0) {
            return -1;
        }
    }
}

static void record(struct fake_server *s, const struct mg_buf *in,
                   size_t head_len, size_t body_len, struct fake_reply *reply)
{
    struct fake_request *q;
    const char *line_end = strstr(in->data, "\r\n");
    const char *rest = line_end ? line_end + 2 : in->data + head_len;
    size_t head_bytes = (size_t)(in->data + head_len - rest);

    pthread_mutex_lock(&s->lock);
    *reply = s->nrequests < s->nreplies
                 ? s->replies[s->nrequests]
                 : (struct fake_reply){ 500, NULL, NULL };
    if (s->nrequests < FAKE_MAX_REQUESTS) {
        q = &s->requests[s->nrequests];
        memset(q, 0, sizeof(*q));
        sscanf(in->data, "%15s %4095s", q->method, q->target);
        snprintf(q->head, sizeof(q->head), "%.*s", (int)head_bytes, rest);
        q->body = calloc(1, body_len + 1);
        if (q->body) {
            memcpy(q->body, in->data + head_len, body_len);
            q->body_len = body_len;
        }
    }
    s->nrequests++;
    pthread_mutex_unlock(&s->lock);
}

static void answer(int fd, const struct fake_reply *r)
{
    const char *body = r->body ? r->body : "";
    char head[1024];
    int n;

    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 %d Canned\r\nContent-Length: %zu\r\n"
                 "Content-Type: text/xml;charset=utf-8\r\n"
                 "Connection: close\r\n%s\r\n",
                 r->status, strlen(body), r->headers ? r->headers : "");
    if (n > 0 && (size_t)n < sizeof(head) &&
        write_all(fd, head, (size_t)n) == 0) {
        write_all(fd, body, strlen(body));
    }
}

static void serve_one(struct fake_server *s, int fd)
{
    struct mg_buf in = MG_BUF_INIT(MAX_REQUEST_BYTES);
    struct fake_reply reply;
    size_t head_len = 0;
    size_t body_len = 0;

    if (read_request(fd, &in, &head_len, &body_len) == 0) {
        record(s, &in, head_len, body_len, &reply);
        answer(fd, &reply);
    }
    mg_buf_release(&in);
}

static void *serve(void *arg)
{
    struct fake_server *s = arg;

    while (!s->stop) {
        struct pollfd p = { s->fd, POLLIN, 0 };
        int fd;

        if (poll(&p, 1, 50) <= 0) {
            continue;
        }
        fd = accept(s->fd, NULL, NULL);
        if (fd >= 0) {
            serve_one(s, fd);
            close(fd);
        }
    }
    return NULL;
}

static int listen_loopback(struct fake_server *s)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(s->fd, 16) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&a, &alen) != 0) {
        return -1;
    }
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u",
             (unsigned)ntohs(a.sin_port));
    return 0;
}

struct fake_server *fake_start(void)
{
    struct fake_server *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    if (listen_loopback(s) != 0 ||
        pthread_create(&s->thread, NULL, serve, s) != 0) {
        if (s->fd >= 0) {
            close(s->fd);
        }
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    return s;
}

static void forget_requests(struct fake_server *s)
{
    size_t i;

    for (i = 0; i < FAKE_MAX_REQUESTS; i++) {
        free(s->requests[i].body);
        s->requests[i].body = NULL;
    }
    s->nrequests = 0;
}

void fake_stop(struct fake_server *s)
{
    if (s == NULL) {
        return;
    }
    s->stop = 1;
    pthread_join(s->thread, NULL);
    close(s->fd);
    forget_requests(s);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

const char *fake_url(const struct fake_server *s)
{
    return s->url;
}

void fake_script(struct fake_server *s, const struct fake_reply *replies,
                 size_t n)
{
    pthread_mutex_lock(&s->lock);
    forget_requests(s);
    s->nreplies = n < FAKE_MAX_REQUESTS ? n : FAKE_MAX_REQUESTS;
    memcpy(s->replies, replies, s->nreplies * sizeof(*replies));
    pthread_mutex_unlock(&s->lock);
}

size_t fake_count(struct fake_server *s)
{
    size_t n;

    pthread_mutex_lock(&s->lock);
    n = s->nrequests;
    pthread_mutex_unlock(&s->lock);
    return n;
}

const struct fake_request *fake_request(struct fake_server *s, size_t i)
{
    const struct fake_request *q = NULL;

    pthread_mutex_lock(&s->lock);
    if (i < s->nrequests && i < FAKE_MAX_REQUESTS) {
        q = &s->requests[i];
    }
    pthread_mutex_unlock(&s->lock);
    return q;
}

int fake_header(const struct fake_request *r, const char *name, char *out,
                size_t cap)
{
    size_t k = strlen(name);
    const char *line = r->head;

    while (*line) {
        const char *end = strstr(line, "\r\n");
        size_t n = end ? (size_t)(end - line) : strlen(line);

        if (n > k && strncasecmp(line, name, k) == 0 && line[k] == ':') {
            const char *v = line + k + 1;

            while (*v == ' ') {
                v++;
            }
            snprintf(out, cap, "%.*s", (int)(n - (size_t)(v - line)), v);
            return 1;
        }
        line += n + (end ? 2 : 0);
    }
    return 0;
}
