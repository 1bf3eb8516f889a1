/*
 * mfaguard-emulator: a local stand-in for Alibaba Cloud MNS, RAM, Cloud
 * Config, STS and the ECS metadata credential path, for tests. It listens
 * on loopback only and refuses any other address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/xml.h"
#include "emu.h"
#include "emu_account.h"
#include "emu_faults.h"
#include "emu_http.h"
#include "emu_keys.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

#define MAX_FIXTURE (256 * 1024 * 1024)

/* The command line, one table: the parser and --help both read it. */
struct option_doc {
    const char *name;
    const char *arg;
    const char *help;
};

static const struct option_doc docs[] = {
    { "listen", "ADDR:PORT",
      "address to listen on, loopback only (127.0.0.0/8 or [::1]); "
      "default 127.0.0.1:0, a free port" },
    { "port-file", "FILE",
      "write the chosen port number to FILE once listening" },
    { "account", "FILE",
      "account fixture: a bare account object or a case file with an "
      "\"account\" member" },
    { "key", "ID:SECRET",
      "accept this long-term access key (repeatable); default "
      "emulator-key-id:emulator-key-secret" },
    { "region", "REGION", "region in queue ARNs; default cn-hangzhou" },
    { "account-id", "DIGITS",
      "account id; default the fixture's, else 1000000000000001" },
    { "latency-ms", "FAMILY=MS",
      "add MS of latency to family ram, config, mns or sts (repeatable)" },
    { "rps", "FAMILY=N",
      "at most N requests per second for a family; beyond it RAM, Config "
      "and STS answer 400 Throttling.User and MNS 429 TooManyRequests "
      "(repeatable)" },
    { "error-rate", "R", "answer 500 InternalError to a fraction R (0..1)" },
    { "drop-rate", "R", "close the connection unanswered for a fraction R" },
    { "stall-rate", "R", "sleep --stall-ms before answering a fraction R" },
    { "stall-ms", "MS", "length of a stall; default 3000" },
    { "throttle-burst", "PERIOD_MS:LENGTH_MS",
      "throttle every request during the first LENGTH_MS of every "
      "PERIOD_MS" },
    { "seed", "N", "seed of the fault generator, so fault runs repeat" },
    { "ecs-role", "NAME", "RAM role served by the ECS metadata path" },
    { "sts-ttl-ms", "MS",
      "cap the lifetime of issued STS credentials (to test expiry)" },
    { "quiet", NULL, "log nothing per request" },
    { "help", NULL, "show this text" },
};

#define NOPTS (sizeof(docs) / sizeof(docs[0]))

/* Help text indented by 8 and folded at word breaks before column 78. */
static void wrap(FILE *out, const char *text)
{
    const char *p = text;

    while (*p) {
        size_t n = strlen(p);

        if (n > 70) {
            n = 70;
            while (n > 0 && p[n] != ' ') {
                n--;
            }
            n = n ? n : 70;
        }
        fprintf(out, "        %.*s\n", (int)n, p);
        p += n;
        while (*p == ' ') {
            p++;
        }
    }
}

static void usage(FILE *out)
{
    size_t i;

    fprintf(out, "usage: mfaguard-emulator [options]\n\n"
                 "Emulates Alibaba Cloud MNS, RAM, Config, STS and the ECS "
                 "metadata path\non loopback. Admin interface under "
                 "/_emulator/ (see tests/emulator/README.md).\n\n");
    for (i = 0; i < NOPTS; i++) {
        fprintf(out, "  --%s%s%s\n", docs[i].name, docs[i].arg ? " " : "",
                docs[i].arg ? docs[i].arg : "");
        wrap(out, docs[i].help);
    }
}

struct config {
    const char *listen;
    const char *port_file;
    const char *account;
    int keys;
    int seeded;
    struct emu_settings s;
};

static int bad(const char *opt, const char *value)
{
    fprintf(stderr, "mfaguard-emulator: bad value for --%s: %s\n", opt, value);
    return -1;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}

/* "FAMILY=VALUE" into the family index and the value text. */
static int family_value(const char *arg, int *family, const char **value)
{
    const char *eq = strchr(arg, '=');
    char name[16];

    if (eq == NULL || (size_t)(eq - arg) >= sizeof(name)) {
        return -1;
    }
    snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
    *family = emu_family_parse(name);
    *value = eq + 1;
    return *family < 0 ? -1 : 0;
}

static int add_key(const char *arg)
{
    const char *colon = strchr(arg, ':');
    char id[128];

    if (colon == NULL || (size_t)(colon - arg) >= sizeof(id)) {
        return -1;
    }
    snprintf(id, sizeof(id), "%.*s", (int)(colon - arg), arg);
    return emu_keys_add(id, colon + 1);
}

static int set_burst(struct config *cf, const char *arg)
{
    long long p;
    long long l;
    const char *colon = strchr(arg, ':');
    char head[32];

    if (colon == NULL || (size_t)(colon - arg) >= sizeof(head)) {
        return -1;
    }
    snprintf(head, sizeof(head), "%.*s", (int)(colon - arg), arg);
    if (emu_parse_int(head, 1, 1000000000, &p) != 0 ||
        emu_parse_int(colon + 1, 0, p, &l) != 0) {
        return -1;
    }
    cf->s.burst_period_ms = (int)p;
    cf->s.burst_length_ms = (int)l;
    return 0;
}

static int set_family_option(struct config *cf, const char *name,
                             const char *arg)
{
    int f;
    const char *v;
    long long ms;

    if (family_value(arg, &f, &v) != 0) {
        return -1;
    }
    if (strcmp(name, "rps") == 0) {
        return parse_double(v, 0, 1e9, &cf->s.rps[f]);
    }
    if (emu_parse_int(v, 0, 600000, &ms) != 0) {
        return -1;
    }
    cf->s.latency_ms[f] = (int)ms;
    return 0;
}

static int set_number_option(struct config *cf, const char *name,
                             const char *arg)
{
    long long n;

    if (strcmp(name, "error-rate") == 0) {
        return parse_double(arg, 0, 1, &cf->s.error_rate);
    }
    if (strcmp(name, "drop-rate") == 0) {
        return parse_double(arg, 0, 1, &cf->s.drop_rate);
    }
    if (strcmp(name, "stall-rate") == 0) {
        return parse_double(arg, 0, 1, &cf->s.stall_rate);
    }
    if (emu_parse_int(arg, 0, INT64_MAX, &n) != 0) {
        return -1;
    }
    if (strcmp(name, "stall-ms") == 0 && n <= 600000) {
        cf->s.stall_ms = (int)n;
    } else if (strcmp(name, "seed") == 0) {
        cf->s.seed = (uint64_t)n;
        cf->seeded = 1;
    } else if (strcmp(name, "sts-ttl-ms") == 0) {
        cf->s.sts_ttl_ms = n;
    } else {
        return -1;
    }
    return 0;
}

static int set_text_option(const char *name, const char *arg)
{
    long long ignored;

    if (strcmp(name, "region") == 0 && *arg &&
        strlen(arg) < sizeof(emu_g.region)) {
        snprintf(emu_g.region, sizeof(emu_g.region), "%s", arg);
    } else if (strcmp(name, "account-id") == 0 &&
               strlen(arg) < sizeof(emu_g.account_id) &&
               (emu_parse_int(arg, 0, INT64_MAX, &ignored) == 0 ||
                strspn(arg, "0123456789") == strlen(arg)) &&
               *arg) {
        snprintf(emu_g.account_id, sizeof(emu_g.account_id), "%s", arg);
        emu_g.account_id_fixed = 1;
    } else if (strcmp(name, "ecs-role") == 0 && *arg &&
               strlen(arg) < sizeof(emu_g.ecs_role)) {
        snprintf(emu_g.ecs_role, sizeof(emu_g.ecs_role), "%s", arg);
    } else {
        return -1;
    }
    return 0;
}

static int apply_option(struct config *cf, const char *name, const char *arg)
{
    if (strcmp(name, "quiet") == 0) {
        emu_g.quiet = 1;
        return 0;
    }
    if (strcmp(name, "listen") == 0) {
        cf->listen = arg;
    } else if (strcmp(name, "port-file") == 0) {
        cf->port_file = arg;
    } else if (strcmp(name, "account") == 0) {
        cf->account = arg;
    } else if (strcmp(name, "key") == 0) {
        cf->keys++;
        return add_key(arg);
    } else if (strcmp(name, "throttle-burst") == 0) {
        return set_burst(cf, arg);
    } else if (strcmp(name, "rps") == 0 || strcmp(name, "latency-ms") == 0) {
        return set_family_option(cf, name, arg);
    } else if (strcmp(name, "region") == 0 || strcmp(name, "account-id") == 0 ||
               strcmp(name, "ecs-role") == 0) {
        return set_text_option(name, arg);
    } else {
        return set_number_option(cf, name, arg);
    }
    return 0;
}

/* 0 to go on, 1 after --help, -1 on a bad command line. */
static int parse_args(int argc, char **argv, struct config *cf)
{
    struct option longopts[NOPTS + 1];
    size_t i;
    int idx = 0;
    int ch;

    memset(longopts, 0, sizeof(longopts));
    for (i = 0; i < NOPTS; i++) {
        longopts[i].name = docs[i].name;
        longopts[i].has_arg = docs[i].arg ? required_argument : no_argument;
    }
    while ((ch = getopt_long(argc, argv, "", longopts, &idx)) == 0) {
        if (strcmp(docs[idx].name, "help") == 0) {
            usage(stdout);
            return 1;
        }
        if (apply_option(cf, docs[idx].name, optarg) != 0) {
            return bad(docs[idx].name, optarg ? optarg : "");
        }
    }
    if (ch != -1 || optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

/* ---- listening --------------------------------------------------- */

/* Parse "127.0.0.1:0" or "[::1]:8080"; only loopback is accepted. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss,
                        socklen_t *len, int *v6)
{
    char host[64];
    const char *colon = strrchr(spec, ':');
    long long port;
    size_t hlen = colon ? (size_t)(colon - spec) : 0;
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

    if (colon == NULL || hlen == 0 || hlen >= sizeof(host) ||
        emu_parse_int(colon + 1, 0, 65535, &port) != 0) {
        return -1;
    }
    snprintf(host, sizeof(host), "%.*s", (int)hlen, spec);
    memset(ss, 0, sizeof(*ss));
    if (host[0] == '[' && host[hlen - 1] == ']') {
        host[hlen - 1] = '\0';
        *v6 = 1;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*a6);
        return inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1 &&
                       IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr)
                   ? 0
                   : -1;
    }
    *v6 = 0;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *len = sizeof(*a4);
    return inet_pton(AF_INET, host, &a4->sin_addr) == 1 &&
                   (ntohl(a4->sin_addr.s_addr) >> 24) == 127
               ? 0
               : -1;
}

static int open_listener(const char *spec, int *v6, int *port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1;
    int fd;

    if (parse_listen(spec, &ss, &len, v6) != 0) {
        mg_log_error("emu.listen_refused", MG_LS("listen", spec),
                     MG_LS("why", "only 127.0.0.0/8 and [::1] are allowed"));
        return -1;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 512) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        mg_log_error("emu.listen_failed", MG_LS("listen", spec),
                     MG_LS("why", strerror(errno)));
        close(fd);
        return -1;
    }
    *port = ntohs(*v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                      : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* Written whole under a temporary name, then renamed, so a reader never
 * sees half a number. */
static int write_port_file(const char *path, int port)
{
    char tmp[4096];
    FILE *f;
    int ok;

    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    f = fopen(tmp, "w");
    if (f == NULL) {
        return -1;
    }
    ok = fprintf(f, "%d\n", port) > 0;
    ok &= fclose(f) == 0;
    return ok && rename(tmp, path) == 0 ? 0 : -1;
}

static int load_fixture(const char *path)
{
    struct mg_buf b = MG_BUF_INIT(MAX_FIXTURE);
    char chunk[65536];
    char why[512];
    size_t n;
    FILE *f = fopen(path, "rb");
    int rc = -1;

    if (f == NULL) {
        mg_log_error("emu.fixture_unreadable", MG_LS("file", path),
                     MG_LS("why", strerror(errno)));
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 &&
           mg_buf_add(&b, chunk, n) == 0) {
    }
    if (!ferror(f) && feof(f)) {
        emu_account_current = emu_account_load(b.data, b.len, why, sizeof(why));
        rc = emu_account_current ? 0 : -1;
        if (rc != 0) {
            mg_log_error("emu.fixture_invalid", MG_LS("file", path),
                         MG_LS("why", why));
        }
    }
    fclose(f);
    mg_buf_release(&b);
    return rc;
}

static int setup(struct config *cf)
{
    if (cf->keys == 0 &&
        emu_keys_add("emulator-key-id", "emulator-key-secret") != 0) {
        return -1;
    }
    if (!cf->seeded) {
        cf->s.seed = (uint64_t)mg_now_ms() ^ mg_rand_u64();
    }
    emu_settings_put(&cf->s, 1);
    if (cf->account && load_fixture(cf->account) != 0) {
        return -1;
    }
    if (emu_state_init() != 0) {
        return -1;
    }
    if (!emu_g.account_id_fixed && emu_account_current->account_id[0]) {
        snprintf(emu_g.account_id, sizeof(emu_g.account_id), "%s",
                 emu_account_current->account_id);
    }
    return 0;
}

static int serve(struct config *cf, const sigset_t *stop)
{
    int v6 = 0;
    int fd = open_listener(cf->listen, &v6, &emu_g.port);
    struct MHD_Daemon *d;
    int sig = 0;

    if (fd < 0) {
        return -1;
    }
    snprintf(emu_g.base_url, sizeof(emu_g.base_url),
             v6 ? "http://[::1]:%d" : "http://127.0.0.1:%d", emu_g.port);
    d = emu_http_start(fd, v6);
    if (d == NULL) {
        mg_log_error("emu.start_failed", MG_LS("why", "libmicrohttpd"));
        close(fd);
        return -1;
    }
    if (cf->port_file && write_port_file(cf->port_file, emu_g.port) != 0) {
        mg_log_error("emu.port_file_failed", MG_LS("file", cf->port_file));
    }
    printf("listening on %s\n", emu_g.base_url);
    fflush(stdout);
    mg_log_info("emu.started", MG_LS("url", emu_g.base_url),
                MG_LS("account_id", emu_g.account_id),
                MG_LI("seed", (long long)cf->s.seed));

    sigwait(stop, &sig);
    mg_log_info("emu.stopping", MG_LI("signal", sig));
    emu_g.stopping = 1;
    emu_wake_all();
    MHD_stop_daemon(d);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    struct config cf;
    sigset_t stop;
    int rc;

    memset(&cf, 0, sizeof(cf));
    cf.listen = "127.0.0.1:0";
    cf.s.stall_ms = 3000;
    mg_log_setup(MG_LOG_INFO, MG_LOG_LOGFMT, NULL);
    rc = parse_args(argc, argv, &cf);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }

    /* Block the stop signals in every thread; main waits for them. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    mg_xml_global_init();

    rc = setup(&cf) == 0 && serve(&cf, &stop) == 0 ? 0 : 1;
    emu_state_free();
    return rc;
}
