/*
 * Whole byte streams into the worker's HTTP server, over a loopback
 * connection, with keep-alive on as `mfaguard serve` has it: pipelined
 * requests, bodies of any stated length, heads of any size. The server
 * must answer or close, never read or write outside its buffers (ASan
 * watches its threads too), and never hang.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "worker/httpd.h"

#include "common/banned.h"

static struct wrk_httpd *server;

static void answer(void *ctx, const struct wrk_http_request *rq,
                   struct wrk_http_reply *rp)
{
    (void)ctx;
    rp->status = 200;
    mg_buf_addf(&rp->body, "%zu", rq->body_len);
}

static int dial(void)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    FUZZ_CHECK(fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)wrk_httpd_port(server));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FUZZ_CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    return fd;
}

/* Send everything, reading answers meanwhile so neither side blocks. */
static void exchange(int fd, const uint8_t *data, size_t size)
{
    char sink[65536];
    size_t sent = 0;
    int open = 1;

    while (open) {
        struct pollfd p = { fd, POLLIN | (sent < size ? POLLOUT : 0), 0 };

        if (poll(&p, 1, 15000) <= 0) {
            break; /* the server's own idle limit is shorter */
        }
        if (p.revents & POLLOUT) {
            ssize_t w = send(fd, data + sent, size - sent, MSG_NOSIGNAL);

            if (w <= 0) {
                break;
            }
            sent += (size_t)w;
            if (sent == size) {
                shutdown(fd, SHUT_WR);
            }
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            open = read(fd, sink, sizeof(sink)) > 0;
        }
    }
    if (size == 0) {
        shutdown(fd, SHUT_WR);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd;

    if (server == NULL) {
        FUZZ_CHECK(wrk_httpd_start("127.0.0.1:0", 1, answer, NULL, &server) ==
                   0);
    }
    fd = dial();
    exchange(fd, data, size);
    close(fd);
    return 0;
}
