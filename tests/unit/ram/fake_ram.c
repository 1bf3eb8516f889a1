#include "fake_ram.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/rpc.h"

struct fake_ram {
    int fd;
    char url[64];
    fake_ram_fn fn;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    atomic_int stop;
    size_t count;
    size_t bad;
};

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

/* Percent-decode s[0..n) into out; -1 when it does not fit. */
static int decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t i;
    size_t k = 0;

    for (i = 0; i < n; i++) {
        char c = s[i];

        if (c == '%' && i + 2 < n && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            c = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        }
        if (k + 1 >= cap) {
            return -1;
        }
        out[k++] = c;
    }
    out[k] = '\0';
    return 0;
}

static void parse_query(const char *q, struct fake_call *c)
{
    while (*q && c->n < FAKE_MAX_PARAMS) {
        const char *amp = strchr(q, '&');
        const char *eq = strchr(q, '=');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);

        if (eq == NULL || eq > q + len) {
            break;
        }
        if (decode(q, (size_t)(eq - q), c->name[c->n], sizeof(c->name[0])) ==
                0 &&
            decode(eq + 1, len - (size_t)(eq - q) - 1, c->value[c->n],
                   sizeof(c->value[0])) == 0) {
            c->n++;
        }
        q += len + (amp ? 1 : 0);
    }
}

const char *fake_param(const struct fake_call *c, const char *name)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        if (strcmp(c->name[i], name) == 0) {
            return c->value[i];
        }
    }
    return NULL;
}

/* Sign the parameters again, as the server side of the scheme does. */
static int signature_ok(const struct fake_call *c)
{
    struct mg_param p[FAKE_MAX_PARAMS];
    struct mg_buf canon = MG_BUF_INIT(1 << 20);
    const char *sig = fake_param(c, "Signature");
    char want[64];
    size_t i;
    size_t n = 0;
    int ok;

    for (i = 0; i < c->n; i++) {
        if (strcmp(c->name[i], "Signature") != 0) {
            p[n++] = (struct mg_param){ c->name[i], c->value[i] };
        }
    }
    ok = sig != NULL && mg_rpc_canonical(&canon, p, n) == 0 &&
         mg_rpc_signature("GET", canon.data, "testsecret", want,
                          sizeof(want)) == 0 &&
         strcmp(sig, want) == 0;
    mg_buf_release(&canon);
    return ok;
}

static int read_head(int fd, char *buf, size_t cap)
{
    size_t n = 0;

    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);

        if (r <= 0) {
            return -1;
        }
        n += (size_t)r;
        buf[n] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL) {
            return 0;
        }
    }
    return -1;
}

static void reply(int fd, int status, const struct mg_buf *body)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, body->len);

    if (write(fd, head, (size_t)n) < 0 ||
        (body->len && write(fd, body->data, body->len) < 0)) {
        return;
    }
}

static void serve(struct fake_ram *f, int fd)
{
    static char head[65536];
    struct fake_call *c = calloc(1, sizeof(*c));
    struct mg_buf body = MG_BUF_INIT(1 << 20);
    int status = 200;
    char *q;
    char *sp;

    if (c == NULL || read_head(fd, head, sizeof(head)) != 0) {
        free(c);
        return;
    }
    q = strchr(head, '?');
    sp = q ? strchr(q, ' ') : NULL;
    if (q && sp) {
        *sp = '\0';
        parse_query(q + 1, c);
    }
    c->signature_ok = signature_ok(c);
    f->fn(c, f->ctx, &status, &body);
    pthread_mutex_lock(&f->lock);
    f->count++;
    f->bad += !c->signature_ok;
    pthread_mutex_unlock(&f->lock);
    reply(fd, status, &body);
    mg_buf_release(&body);
    free(c);
}

static void *run(void *arg)
{
    struct fake_ram *f = arg;

    while (!f->stop) {
        struct pollfd p = { f->fd, POLLIN, 0 };
        int fd;

        if (poll(&p, 1, 20) <= 0) {
            continue;
        }
        fd = accept(f->fd, NULL, NULL);
        if (fd >= 0) {
            serve(f, fd);
            close(fd);
        }
    }
    return NULL;
}

struct fake_ram *fake_ram_start(fake_ram_fn fn, void *ctx)
{
    struct fake_ram *f = calloc(1, sizeof(*f));
    struct sockaddr_in a;
    socklen_t len = sizeof(a);

    if (f == NULL) {
        return NULL;
    }
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(f->fd, 16) != 0 ||
        getsockname(f->fd, (struct sockaddr *)&a, &len) != 0) {
        if (f->fd >= 0) {
            close(f->fd);
        }
        free(f);
        return NULL;
    }
    snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u",
             (unsigned)ntohs(a.sin_port));
    f->fn = fn;
    f->ctx = ctx;
    pthread_mutex_init(&f->lock, NULL);
    pthread_create(&f->thread, NULL, run, f);
    return f;
}

void fake_ram_stop(struct fake_ram *f)
{
    if (f == NULL) {
        return;
    }
    f->stop = 1;
    pthread_join(f->thread, NULL);
    close(f->fd);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

const char *fake_ram_url(const struct fake_ram *f)
{
    return f->url;
}

size_t fake_ram_count(struct fake_ram *f)
{
    size_t n;

    pthread_mutex_lock(&f->lock);
    n = f->count;
    pthread_mutex_unlock(&f->lock);
    return n;
}

size_t fake_ram_bad_signatures(struct fake_ram *f)
{
    size_t n;

    pthread_mutex_lock(&f->lock);
    n = f->bad;
    pthread_mutex_unlock(&f->lock);
    return n;
}
