#include "worker/settings.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/banned.h"

enum kind {
    STR,
    INT,
    BOOL,
    CHOICE,
};

struct setting {
    const char *name;
    enum kind kind;
    size_t offset;
    size_t size; /* of the field, for strings */
    const char *def;
    long min;
    long max;
    const char *choices; /* "a|b|c" for CHOICE */
    const char *section;
    const char *help;
};

#define S(field, def, section, help)                                    \
    {                                                                   \
#field, STR, offsetof(struct wrk_settings, field),              \
            sizeof(((struct wrk_settings *)0)->field), def, 0, 0, NULL, \
            section, help                                               \
    }
/* A name: text of lo..hi bytes. */
#define N(field, def, lo, hi, section, help)                              \
    {                                                                     \
#field, STR, offsetof(struct wrk_settings, field),                \
            sizeof(((struct wrk_settings *)0)->field), def, lo, hi, NULL, \
            section, help                                                 \
    }
#define I(field, def, lo, hi, section, help)                                 \
    {                                                                        \
#field, INT, offsetof(struct wrk_settings, field), sizeof(int), def, \
            lo, hi, NULL, section, help                                      \
    }
#define B(field, def, section, help)                                          \
    {                                                                         \
#field, BOOL, offsetof(struct wrk_settings, field), sizeof(int), def, \
            0, 1, NULL, section, help                                         \
    }
#define C(field, def, choices, section, help)                              \
    {                                                                      \
#field, CHOICE, offsetof(struct wrk_settings, field),              \
            sizeof(((struct wrk_settings *)0)->field), def, 0, 0, choices, \
            section, help                                                  \
    }

static const struct setting table[] = {
    S(region, "cn-hangzhou", "Where",
      "Region of the MNS queue and topic (used in queue ARNs)."),
    S(account_id, "", "Where",
      "Alibaba Cloud account id. Used when an event carries none; else "
      "taken from the topic notification or the MNS endpoint host."),
    S(mns_endpoint, "", "Where",
      "MNS account endpoint, e.g. https://<account>.mns.<region>."
      "aliyuncs.com. Required."),
    S(ram_endpoint, "", "Where",
      "RAM endpoint, e.g. https://ram.aliyuncs.com. Required."),
    S(config_endpoint, "", "Where",
      "Cloud Config endpoint, e.g. https://config.cn-shanghai.aliyuncs.com."
      " Required to write evaluations."),
    S(sts_endpoint, "", "Where",
      "STS endpoint, e.g. https://sts.aliyuncs.com; needed only for "
      "RAM-role and RRSA credentials."),
    S(metadata_endpoint, "", "Where",
      "Base URL of the instance metadata service (on ECS, the address "
      "Alibaba Cloud documents); needed only for EcsRamRole credentials. "
      "Never contacted unless set."),
    C(config_api_version, "2020-09-07", "2020-09-07|2019-01-08", "Where",
      "Cloud Config API version used for PutEvaluations."),
    N(queue, "mfaguard", 1, 120, "Where", "Queue the worker consumes."),
    N(topic, "MNSTestConfig", 1, 120, "Where",
      "Topic that feeds the queue (used by `mfaguard setup`)."),
    N(subscription, "mfaguard", 1, 120, "Where",
      "Name of the queue's subscription to the topic."),
    C(subscription_format, "XML", "XML|JSON|SIMPLIFIED", "Where",
      "NotifyContentFormat of that subscription (`mfaguard setup`)."),
    N(notify_topic, "MNSTestConfig", 1, 120, "Where",
      "Topic that receives non-compliance notifications. It may feed the "
      "worker's own queue: the worker skips its own notifications."),
    N(notify_tag, "mfaguard", 1, 16, "Where",
      "MessageTag of every notification (at most 16 characters)."),
    N(dlq_queue, "mfaguard-dlq", 1, 120, "Where",
      "Dead-letter queue: messages that cannot be processed, with why."),
    N(rule_name, "mfaguard-ram-user-mfa", 1, 127, "Where",
      "Rule name written into notifications when the event names none."),
    S(resource_region, "global", "Where",
      "complianceRegionId for users found by a sweep (RAM is global)."),

    S(dangerous_actions, "", "Check",
      "Dangerous action patterns for events without rule parameters "
      "(change events), e.g. ecs:*,oss:*,log:*. Empty: such events are "
      "not applicable."),
    B(only_custom, "false", "Check",
      "For events without rule parameters: consider Custom policies only."),
    C(sweep_mode, "policies", "policies|users", "Check",
      "How a periodic request checks every user: from the policies' side "
      "(few RAM calls) or user by user."),

    I(wait_seconds, "30", 0, 30, "Receiving",
      "Long-poll wait of each receive, in seconds."),
    I(batch_size, "16", 1, 16, "Receiving", "Messages asked for per receive."),
    I(max_attempts, "5", 1, 1000, "Receiving",
      "Deliveries of one message before it is dead-lettered."),
    I(visibility_timeout, "60", 10, 43200, "Receiving",
      "Visibility timeout of the queue created by `mfaguard setup`, in "
      "seconds."),
    I(lease_extension, "60", 10, 43200, "Receiving",
      "Seconds a lease is extended by when work runs long."),
    I(retry_delay, "10", 1, 43200, "Receiving",
      "Base delay before a failed message is seen again, in seconds; it "
      "doubles with each delivery."),
    I(concurrency, "8", 1, 256, "Receiving", "Messages processed at once."),
    I(io_threads, "8", 0, 256, "Receiving",
      "Helper threads for parallel calls inside one message."),
    I(shutdown_deadline, "20", 1, 3600, "Receiving",
      "Seconds to finish held messages after SIGTERM; the rest are "
      "released."),

    I(call_attempts, "4", 1, 20, "Calls",
      "Tries of one API call on throttling, 5xx or network errors."),
    I(retry_base_ms, "200", 1, 60000, "Calls",
      "Base of the jittered exponential backoff between tries."),
    I(retry_cap_ms, "5000", 1, 600000, "Calls",
      "Longest backoff between tries."),
    I(call_timeout_ms, "15000", 100, 600000, "Calls",
      "Timeout of one API call (long polls add their wait)."),
    I(ram_rps, "0", 0, 100000, "Calls",
      "Most RAM requests per second for this process (0: no limit)."),
    I(config_rps, "0", 0, 100000, "Calls",
      "Most Config requests per second for this process (0: no limit)."),
    I(mns_rps, "0", 0, 100000, "Calls",
      "Most MNS requests per second for this process (0: no limit)."),
    I(ram_page_size, "100", 1, 1000, "Calls", "MaxItems of paged RAM lists."),
    B(tls_verify, "true", "Calls",
      "Verify TLS certificates. Turning it off logs a warning."),
    S(ca_file, "", "Calls", "CA bundle for TLS (empty: the system's)."),

    I(cache_ttl, "300", 0, 86400, "Caches",
      "Seconds a policy document stays cached (0: no cache)."),
    I(cache_entries, "4096", 1, 1000000, "Caches",
      "Most policy documents cached."),

    C(log_level, "info", "debug|info|warn|error", "Operations",
      "Least important log level written."),
    C(log_format, "logfmt", "logfmt|json", "Operations",
      "Log lines as logfmt or JSON."),
    S(http_listen, "127.0.0.1:9464", "Operations",
      "Address of /metrics, /healthz and /readyz (empty: off)."),
    S(serve_listen, ":9000", "Function Compute",
      "Address `mfaguard serve` listens on; the port in FC_SERVER_PORT, "
      "when Function Compute sets it, wins."),
    C(serve_mode, "evaluate", "evaluate|forward", "Function Compute",
      "`serve`: evaluate each event at once and call PutEvaluations, or "
      "forward it to `topic` for the worker fleet and answer at once."),
};

#define NSETTINGS (sizeof(table) / sizeof(table[0]))

static const struct setting *find(const char *name)
{
    size_t i;

    for (i = 0; i < NSETTINGS; i++) {
        if (strcmp(table[i].name, name) == 0) {
            return &table[i];
        }
    }
    return NULL;
}

static int parse_bool(const char *v, int *out)
{
    if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
        strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0) {
        *out = 1;
    } else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
               strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0) {
        *out = 0;
    } else {
        return -1;
    }
    return 0;
}

static int choice_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    const char *p = choices;

    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);

        if (len == n && strncmp(p, v, n) == 0) {
            return 1;
        }
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

static int set_int(const struct setting *t, int *field, const char *v,
                   char *errbuf, size_t errlen)
{
    char *end = NULL;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0') {
        snprintf(errbuf, errlen, "%s: \"%.64s\" is not a whole number", t->name,
                 v);
        return -1;
    }
    if (n < t->min || n > t->max) {
        snprintf(errbuf, errlen, "%s: %ld is outside %ld..%ld", t->name, n,
                 t->min, t->max);
        return -1;
    }
    *field = (int)n;
    return 0;
}

static int apply(struct wrk_settings *s, const struct setting *t, const char *v,
                 char *errbuf, size_t errlen)
{
    char *field = (char *)s + t->offset;

    switch (t->kind) {
    case INT:
        return set_int(t, (int *)(void *)field, v, errbuf, errlen);
    case BOOL:
        if (parse_bool(v, (int *)(void *)field) != 0) {
            snprintf(errbuf, errlen, "%s: \"%.64s\" is not true or false",
                     t->name, v);
            return -1;
        }
        return 0;
    case CHOICE:
        if (!choice_ok(t->choices, v)) {
            snprintf(errbuf, errlen, "%s: \"%.64s\" is not one of %s", t->name,
                     v, t->choices);
            return -1;
        }
        break;
    case STR:
        if (t->max > 0 &&
            (strlen(v) < (size_t)t->min || strlen(v) > (size_t)t->max)) {
            snprintf(errbuf, errlen, "%s: needs %ld to %ld characters", t->name,
                     t->min, t->max);
            return -1;
        }
        break;
    }
    if (strlen(v) >= t->size) {
        snprintf(errbuf, errlen, "%s: value longer than %zu bytes", t->name,
                 t->size - 1);
        return -1;
    }
    snprintf(field, t->size, "%s", v);
    return 0;
}

int wrk_settings_set(struct wrk_settings *s, const char *name,
                     const char *value, char *errbuf, size_t errlen)
{
    const struct setting *t = find(name);

    if (t == NULL) {
        snprintf(errbuf, errlen, "unknown setting \"%s\"", name);
        return -1;
    }
    return apply(s, t, value, errbuf, errlen);
}

void wrk_settings_defaults(struct wrk_settings *s)
{
    char ignored[512];
    size_t i;

    memset(s, 0, sizeof(*s));
    for (i = 0; i < NSETTINGS; i++) {
        apply(s, &table[i], table[i].def, ignored, sizeof(ignored));
    }
}

static char *trim(char *p)
{
    char *end;

    while (isspace((unsigned char)*p)) {
        p++;
    }
    end = p + strlen(p);
    while (end > p && isspace((unsigned char)end[-1])) {
        *--end = '\0';
    }
    return p;
}

/* One "name = value" line; blank lines and comments are fine. */
static int load_line(struct wrk_settings *s, char *line, const char *path,
                     int lineno, char *errbuf, size_t errlen)
{
    char msg[300];
    char *eq;
    char *hash;
    char *p = trim(line);

    /* A UTF-8 byte order mark some editors put first is not text. */
    if (lineno == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0) {
        p = trim(p + 3);
    }

    if (*p == '\0' || *p == '#') {
        return 0;
    }
    eq = strchr(p, '=');
    if (eq == NULL) {
        snprintf(errbuf, errlen, "%s:%d: expected \"name = value\"", path,
                 lineno);
        return -1;
    }
    *eq = '\0';
    /* "name = value   # note": a '#' after whitespace starts a note. */
    for (hash = eq + 1; (hash = strchr(hash, '#')) != NULL; hash++) {
        if (hash[-1] == ' ' || hash[-1] == '\t') {
            *hash = '\0';
            break;
        }
    }
    if (wrk_settings_set(s, trim(p), trim(eq + 1), msg, sizeof(msg)) != 0) {
        snprintf(errbuf, errlen, "%s:%d: %s", path, lineno, msg);
        return -1;
    }
    return 0;
}

static int load_file(struct wrk_settings *s, const char *path, char *errbuf,
                     size_t errlen)
{
    char line[2048];
    FILE *f = fopen(path, "r");
    int lineno = 0;
    int rc = 0;

    if (f == NULL) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            snprintf(errbuf, errlen, "%s:%d: line too long", path, lineno);
            rc = -1;
            break;
        }
        rc = load_line(s, line, path, lineno, errbuf, errlen);
    }
    fclose(f);
    return rc;
}

static void env_name(const char *name, char *out, size_t outlen)
{
    size_t i;
    int n = snprintf(out, outlen, "MFAGUARD_%s", name);

    for (i = 9; n > 0 && i < (size_t)n && i < outlen; i++) {
        out[i] = (char)toupper((unsigned char)out[i]);
    }
}

static int load_env(struct wrk_settings *s, char *errbuf, size_t errlen)
{
    char var[96];
    char msg[300];
    size_t i;

    for (i = 0; i < NSETTINGS; i++) {
        const char *v;

        env_name(table[i].name, var, sizeof(var));
        v = getenv(var);
        if (v == NULL) {
            continue;
        }
        if (apply(s, &table[i], v, msg, sizeof(msg)) != 0) {
            snprintf(errbuf, errlen, "%s: %s", var, msg);
            return -1;
        }
    }
    return 0;
}

int wrk_settings_load(struct wrk_settings *s, const char *path, char *errbuf,
                      size_t errlen)
{
    if (path && load_file(s, path, errbuf, errlen) != 0) {
        return -1;
    }
    return load_env(s, errbuf, errlen);
}

static void format_value(const struct wrk_settings *s, const struct setting *t,
                         char *out, size_t outlen)
{
    const char *field = (const char *)s + t->offset;

    if (t->kind == INT) {
        snprintf(out, outlen, "%d", *(const int *)(const void *)field);
    } else if (t->kind == BOOL) {
        snprintf(out, outlen, "%s",
                 *(const int *)(const void *)field ? "true" : "false");
    } else {
        snprintf(out, outlen, "%s", field);
    }
}

/* Write text as "# " comment lines of at most 78 columns. */
static void write_comment(FILE *out, const char *text)
{
    const char *p = text;

    while (*p) {
        size_t len = strlen(p);
        size_t cut = len;

        if (len > 76) {
            cut = 76;
            while (cut > 0 && p[cut] != ' ') {
                cut--;
            }
            cut = cut ? cut : 76;
        }
        fprintf(out, "# %.*s\n", (int)cut, p);
        p += cut;
        while (*p == ' ') {
            p++;
        }
    }
}

void wrk_settings_write_example(FILE *out)
{
    const char *section = "";
    char var[96];
    char note[160];
    size_t i;

    write_comment(out, "mfaguard settings. Each line is \"name = value\"; the "
                       "value shown is the default. Every setting can also "
                       "be set with the environment variable named beside "
                       "it, which wins over this file. Generated by "
                       "`mfaguard settings --example`.");
    for (i = 0; i < NSETTINGS; i++) {
        const struct setting *t = &table[i];

        if (strcmp(section, t->section) != 0) {
            section = t->section;
            fprintf(out, "\n# --- %s ---\n", section);
        }
        env_name(t->name, var, sizeof(var));
        fprintf(out, "\n");
        write_comment(out, t->help);
        if (t->kind == INT) {
            snprintf(note, sizeof(note), "(%s; %ld..%ld)", var, t->min, t->max);
        } else if (t->kind == CHOICE) {
            snprintf(note, sizeof(note), "(%s; one of %s)", var, t->choices);
        } else if (t->kind == STR && t->max > 0) {
            snprintf(note, sizeof(note), "(%s; %ld..%ld characters)", var,
                     t->min, t->max);
        } else {
            snprintf(note, sizeof(note), "(%s)", var);
        }
        write_comment(out, note);
        if (t->def[0]) {
            fprintf(out, "%s = %s\n", t->name, t->def);
        } else {
            fprintf(out, "# %s =\n", t->name);
        }
    }
}

void wrk_settings_write_markdown(FILE *out)
{
    char var[96];
    size_t i;

    fprintf(out, "| setting | environment | default | allowed | what it "
                 "does |\n|---|---|---|---|---|\n");
    for (i = 0; i < NSETTINGS; i++) {
        const struct setting *t = &table[i];
        char allowed[96] = "text";

        if (t->kind == STR && t->max > 0) {
            snprintf(allowed, sizeof(allowed), "text, %ld..%ld characters",
                     t->min, t->max);
        } else if (t->kind == INT) {
            snprintf(allowed, sizeof(allowed), "%ld..%ld", t->min, t->max);
        } else if (t->kind == BOOL) {
            snprintf(allowed, sizeof(allowed), "true, false");
        } else if (t->kind == CHOICE) {
            char *bar;

            snprintf(allowed, sizeof(allowed), "%s", t->choices);
            /* A bare '|' would end the Markdown cell. */
            while ((bar = strchr(allowed, '|')) != NULL) {
                *bar = '/';
            }
        }
        env_name(t->name, var, sizeof(var));
        fprintf(out, "| `%s` | `%s` | `%s` | %s | %s |\n", t->name, var,
                t->def[0] ? t->def : "(empty)", allowed, t->help);
    }
}

void wrk_settings_dump(const struct wrk_settings *s, FILE *out)
{
    char value[1100];
    size_t i;

    for (i = 0; i < NSETTINGS; i++) {
        format_value(s, &table[i], value, sizeof(value));
        fprintf(out, "%s = %s\n", table[i].name, value);
    }
}
