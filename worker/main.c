/*
 * mfaguard: RAM users allowed dangerous actions must have MFA bound.
 *
 * One binary, several commands over the same engine (worker/app.c): the
 * queue worker, a Function Compute handler, and commands for people.
 */

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cred.h"
#include "common/log.h"
#include "worker/app.h"
#include "worker/cli.h"
#include "worker/consumer.h"
#include "worker/credentials.h"
#include "worker/httpd.h"
#include "worker/ops.h"
#include "worker/serve.h"
#include "worker/settings.h"

#include "common/banned.h"

#define MFAGUARD_VERSION "0.1.0"

static struct wrk_app app;
static volatile sig_atomic_t signals;

static void on_signal(int sig)
{
    (void)sig;
    signals++;
    if (signals > 1) {
        /* Second signal: leave at once; unfinished messages come back. */
        _exit(1);
    }
    app.stop = 1;
}

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void usage(FILE *out)
{
    static const char *const text[] = {
        "usage: mfaguard COMMAND [options]",
        "",
        "Checks that every RAM user allowed dangerous actions has MFA.",
        "",
        "commands:",
        "  worker          consume the MNS queue (the main job)",
        "  check USER      print the verdict for one user and why",
        "  scan            check every user and print a table",
        "  serve           Function Compute custom runtime handler",
        "  setup           create the queue, dead-letter queue, topic and",
        "                  subscription named in the settings",
        "  replay-dlq      send dead-lettered messages back to the queue",
        "  settings        print settings: --example, --markdown, --dump",
        "  version         print the version",
        "",
        "options for every command:",
        "  -c, --config FILE      settings file (\"name = value\" lines)",
        "  -s, --set NAME=VALUE   one setting; wins over the file and the",
        "                         environment",
        "  -h, --help             this help",
        "worker:",
        "  --drain                stop once the queue is empty and nothing",
        "                         is held",
        "check and scan:",
        "  -f, --format FMT       text (default), json or csv",
        "replay-dlq:",
        "  --dry-run              say what would be replayed; change nothing",
        "settings:",
        "  --example              the commented settings file, defaults",
        "  --markdown             the settings reference table",
        "  --dump                 every setting as loaded (the default)",
        "",
        "Settings also come from MFAGUARD_<NAME> variables; credentials from",
        "ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and",
        "ALIBABA_CLOUD_SECURITY_TOKEN, the Kubernetes RRSA variables or an",
        "Alibaba Cloud CLI profile. `mfaguard settings --example` explains",
        "every setting.",
        "",
        "Exit status: 0 done (for check and scan: nothing non-compliant);",
        "1 non-compliant users found, or the queue could not be read;",
        "2 bad usage, settings or credentials.",
    };
    size_t i;

    for (i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
        fprintf(out, "%s\n", text[i]);
    }
}

struct cmdline {
    const char *command;
    const char *config;
    char *sets[64];
    int nsets;
    int drain;
    int dry_run;
    const char *format;
    const char *settings_mode;
    int argc;
    char **argv; /* operands after the options */
};

static int parse_cmdline(int argc, char **argv, struct cmdline *cl)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "set", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { "drain", no_argument, NULL, 'd' },
        { "format", required_argument, NULL, 'f' },
        { "example", no_argument, NULL, 'E' },
        { "markdown", no_argument, NULL, 'M' },
        { "dump", no_argument, NULL, 'D' },
        { "dry-run", no_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 },
    };
    int ch;

    memset(cl, 0, sizeof(*cl));
    cl->command = argc > 1 ? argv[1] : "";
    optind = 2;
    while ((ch = getopt_long(argc, argv, "c:s:hf:", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            cl->config = optarg;
            break;
        case 's':
            if (cl->nsets == 64) {
                return -1;
            }
            cl->sets[cl->nsets++] = optarg;
            break;
        case 'd':
            cl->drain = 1;
            break;
        case 'n':
            cl->dry_run = 1;
            break;
        case 'f':
            cl->format = optarg;
            break;
        case 'E':
        case 'M':
        case 'D':
            cl->settings_mode = ch == 'E'   ? "example"
                                : ch == 'M' ? "markdown"
                                            : "dump";
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
    }
    cl->argc = argc - optind;
    cl->argv = argv + optind;
    return 0;
}

static int load_settings(const struct cmdline *cl, struct wrk_settings *s)
{
    char err[512];
    int i;

    wrk_settings_defaults(s);
    if (wrk_settings_load(s, cl->config, err, sizeof(err)) != 0) {
        fprintf(stderr, "mfaguard: %s\n", err);
        return -1;
    }
    for (i = 0; i < cl->nsets; i++) {
        char *eq = strchr(cl->sets[i], '=');

        if (eq == NULL) {
            fprintf(stderr, "mfaguard: --set needs NAME=VALUE\n");
            return -1;
        }
        *eq = '\0';
        if (wrk_settings_set(s, cl->sets[i], eq + 1, err, sizeof(err)) != 0) {
            fprintf(stderr, "mfaguard: %s\n", err);
            return -1;
        }
    }
    return 0;
}

static int start(const struct wrk_settings *s, int needs)
{
    char err[512];

    if (wrk_app_init(&app, s, NULL, needs, err, sizeof(err)) != 0) {
        fprintf(stderr, "mfaguard: %s\n", err);
        return -1;
    }
    install_signals();
    return 0;
}

static int run_worker(const struct cmdline *cl, const struct wrk_settings *s)
{
    struct wrk_consume_options o = { cl->drain };
    struct wrk_httpd *http = NULL;
    int rc;

    if (start(s, WRK_NEED_RAM | WRK_NEED_CONFIG | WRK_NEED_MNS) != 0) {
        return 2;
    }
    if (s->http_listen[0] &&
        wrk_httpd_start(s->http_listen, 0, wrk_ops_handle, &app, &http) != 0) {
        wrk_app_release(&app);
        return 2;
    }
    rc = wrk_consume(&app, &o);
    wrk_httpd_stop(http);
    wrk_app_release(&app);
    return rc;
}

/* Release what start() set up and pass the exit status on. */
static int finish(int rc)
{
    wrk_app_release(&app);
    return rc;
}

static int run_people(const struct cmdline *cl, const struct wrk_settings *s)
{
    enum wrk_format format;
    int check = strcmp(cl->command, "check") == 0;

    if (wrk_parse_format(cl->format, &format) != 0) {
        fprintf(stderr, "mfaguard: --format is text, json or csv\n");
        return 2;
    }
    if (check && (cl->argc != 1 || cl->argv[0][0] == '\0')) {
        fprintf(stderr,
                "usage: mfaguard check USER [--format text|json|csv]\n");
        return 2;
    }
    if (start(s, WRK_NEED_RAM) != 0) {
        return 2;
    }
    return finish(check ? wrk_cli_check(&app, cl->argv[0], format)
                        : wrk_cli_scan(&app, format));
}

/* Function Compute hands credentials with each request, so serve may
 * start without any. Notifications go out when MNS is configured. */
static int run_serve(const struct wrk_settings *s)
{
    char err[512];
    struct mg_cred_provider *cred = wrk_credentials_find(s, err, sizeof(err));
    int forward = strcmp(s->serve_mode, "forward") == 0;
    int needs = forward ? WRK_NEED_MNS : WRK_NEED_RAM | WRK_NEED_CONFIG;

    if (!forward && s->mns_endpoint[0]) {
        needs |= WRK_NEED_MNS;
    }
    if (cred == NULL) {
        cred = mg_cred_static_new("fc", "", "", "");
    }
    if (wrk_app_init(&app, s, cred, needs, err, sizeof(err)) != 0) {
        fprintf(stderr, "mfaguard: %s\n", err);
        return 2;
    }
    install_signals();
    return finish(wrk_serve(&app));
}

static int run_settings(const struct cmdline *cl, const struct wrk_settings *s)
{
    const char *mode = cl->settings_mode ? cl->settings_mode : "dump";

    if (strcmp(mode, "example") == 0) {
        wrk_settings_write_example(stdout);
    } else if (strcmp(mode, "markdown") == 0) {
        wrk_settings_write_markdown(stdout);
    } else {
        wrk_settings_dump(s, stdout);
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct cmdline cl;
    struct wrk_settings s;
    const char *cmd;

    if (parse_cmdline(argc, argv, &cl) != 0) {
        usage(stderr);
        return 2;
    }
    cmd = cl.command;
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("mfaguard %s\n", MFAGUARD_VERSION);
        return 0;
    }
    if (strcmp(cmd, "") == 0 || strcmp(cmd, "help") == 0 ||
        strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(cmd[0] ? stdout : stderr);
        return cmd[0] ? 0 : 2;
    }
    if (load_settings(&cl, &s) != 0) {
        return 2;
    }
    if (strcmp(cmd, "worker") == 0) {
        return run_worker(&cl, &s);
    }
    if (strcmp(cmd, "settings") == 0) {
        return run_settings(&cl, &s);
    }
    if (strcmp(cmd, "setup") == 0) {
        return start(&s, WRK_NEED_MNS) ? 2 : finish(wrk_cli_setup(&app));
    }
    if (strcmp(cmd, "replay-dlq") == 0) {
        return start(&s, WRK_NEED_MNS)
                   ? 2
                   : finish(wrk_cli_replay(&app, cl.dry_run));
    }
    if (strcmp(cmd, "serve") == 0) {
        return run_serve(&s);
    }
    if (strcmp(cmd, "check") == 0 || strcmp(cmd, "scan") == 0) {
        return run_people(&cl, &s);
    }
    fprintf(stderr, "mfaguard: unknown command \"%s\"\n", cmd);
    usage(stderr);
    return 2;
}
