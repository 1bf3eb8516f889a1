/* Every handed case, read where it lies: the body of each must parse as
 * the event its expectations call for. The body is taken from the file as
 * raw text, so its numbers reach the parser exactly as written. */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "config/config.h"
#include "config_tests.h"

#define MAX_CASES      256
#define MAX_CASE_BYTES (4u << 20)

static int read_file(const char *path, struct mg_buf *out)
{
    FILE *f = fopen(path, "rb");
    char chunk[8192];
    size_t n;
    int rc = 0;

    if (f == NULL) {
        return -1;
    }
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        rc = mg_buf_add(out, chunk, n);
    }
    if (ferror(f)) {
        rc = -1;
    }
    fclose(f);
    return rc;
}

static size_t skip_space(const char *s, size_t len, size_t i)
{
    while (i < len && strchr(" \t\r\n", s[i]) != NULL) {
        i++;
    }
    return i;
}

/* Index just past the string literal whose quote is at s[i]. */
static size_t string_end(const char *s, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (s[i] == '\\') {
            i++;
        } else if (s[i] == '"') {
            return i + 1;
        }
    }
    return len;
}

/* Index just past the JSON value that starts at s[i]. */
static size_t value_end(const char *s, size_t len, size_t i)
{
    int depth = 0;

    if (i < len && s[i] == '"') {
        return string_end(s, len, i);
    }
    for (; i < len; i++) {
        if (s[i] == '"') {
            i = string_end(s, len, i) - 1;
        } else if (s[i] == '{' || s[i] == '[') {
            depth++;
        } else if (s[i] == '}' || s[i] == ']') {
            if (--depth <= 0) {
                return depth == 0 ? i + 1 : i;
            }
        } else if (depth == 0 && strchr(", \t\r\n", s[i]) != NULL) {
            return i;
        }
    }
    return len;
}

/* The raw text of the top-level member "body", as the file holds it. */
static int raw_body(const char *s, size_t len, const char **out, size_t *n)
{
    size_t i = skip_space(s, len, 0);

    if (i >= len || s[i] != '{') {
        return -1;
    }
    for (i = skip_space(s, len, i + 1); i < len && s[i] == '"';) {
        size_t key = i;
        size_t key_end = string_end(s, len, i);
        size_t v = skip_space(s, len, skip_space(s, len, key_end) + 1);
        size_t v_end = value_end(s, len, v);

        if (key_end - key == 6 && memcmp(s + key, "\"body\"", 6) == 0) {
            *out = s + v;
            *n = v_end - v;
            return 0;
        }
        i = skip_space(s, len, v_end);
        i = i < len && s[i] == ',' ? skip_space(s, len, i + 1) : len;
    }
    return -1;
}

/* What a case's expectations say about the event in its body. */
struct expected {
    int refused;
    enum cfg_event_kind kind; /* for the kinds that are skipped: either */
    int skipped;
    int has_resource;
    const char *user_name; /* NULL: not checked */
    int64_t account_id;
};

static struct expected expectations(const cJSON *doc, const char *body,
                                    size_t len)
{
    const cJSON *expect = mg_json_get(doc, "expect");
    const cJSON *evals = mg_json_get(expect, "evaluations");
    const cJSON *notified = mg_json_get(expect, "notified");
    int n_eval = cJSON_GetArraySize(evals);
    int n_notified = cJSON_GetArraySize(notified);
    struct expected x = { 0 };
    char *copy = strndup(body, len);
    const char *fate = mg_json_str(expect, "source_message");

    x.refused = mg_json_get(doc, "body_text") != NULL && fate != NULL &&
                strcmp(fate, "dead-lettered") == 0;
    x.kind = n_eval > 0 ? CFG_EVENT_RULE : CFG_EVENT_CHANGE;
    x.skipped = n_eval == 0 && n_notified == 0;
    x.has_resource = n_eval <= 1;
    if (n_eval == 1) {
        x.user_name = evals->child->string;
    } else if (n_eval == 0 && n_notified == 1) {
        x.user_name = notified->child->valuestring;
    }
    /* A periodic request may carry no account id at all. */
    if (copy != NULL && strcasestr(copy, "\"accountId\"") != NULL) {
        mg_json_i64(mg_json_get(doc, "account"), "account_id", &x.account_id);
    }
    free(copy);
    return x;
}

/* The ordering the body gives, by the kind's first source. */
static int64_t body_ordering(const cJSON *body, enum cfg_event_kind kind)
{
    const cJSON *id = mg_json_get(body, "evaluationResultIdentifier");
    int64_t v = -1;

    if (kind == CFG_EVENT_RULE) {
        mg_json_i64(body, "orderingTimestamp", &v);
    } else if (kind == CFG_EVENT_CHANGE) {
        mg_json_i64(body, "notificationCreationTime", &v);
    } else {
        mg_json_i64(id, "orderingTimestamp", &v);
    }
    return v;
}

static void check_rule_fields(const struct cfg_event *ev, const cJSON *body)
{
    const cJSON *params = mg_json_get(body, "ruleParameters");

    CHECK_STR(ev->result_token, mg_json_str(body, "resultToken"));
    CHECK_STR(ev->dangerous_actions, mg_json_str(params, "dangerousActions"));
    CHECK_INT(ev->has_rule_parameters, 1);
}

static void check_event(const char *name, const struct cfg_event *ev,
                        const struct expected *x, const cJSON *body)
{
    if (x->skipped) {
        CHECK(ev->kind == CFG_EVENT_NONCOMPLIANCE ||
              ev->kind == CFG_EVENT_OTHER);
    } else {
        CHECK_INT(ev->kind, x->kind);
        CHECK_INT(ev->has_resource, x->has_resource);
    }
    if (x->user_name != NULL) {
        CHECK_STR(ev->res.user_name, x->user_name);
    }
    CHECK(ev->account_id == x->account_id);
    CHECK(ev->ordering_ms == body_ordering(body, ev->kind));
    if (ev->kind == CFG_EVENT_RULE) {
        check_rule_fields(ev, body);
    } else {
        CHECK(ev->result_token == NULL && ev->dangerous_actions == NULL);
    }
    if (strncmp(name, "12-", 3) == 0) {
        CHECK_STR(ev->res.type, "ACS::ECS::Instance");
    } else if (strncmp(name, "14-", 3) == 0) {
        CHECK_STR(ev->message_type, "ScheduledNotification");
    } else if (strncmp(name, "18-", 3) == 0) {
        CHECK_INT(ev->kind, CFG_EVENT_NONCOMPLIANCE);
        CHECK_STR(ev->rule_name, "RAMUserMFA");
        CHECK_STR(ev->request_id, "a13f5505-0000-4000-8000-000000000018");
    } else if (strncmp(name, "19-", 3) == 0) {
        CHECK_STR(ev->change_type, "ResourceUpdate");
        CHECK_STR(ev->res.id, "200828888731170001");
    }
}

/* Any cut of a whole body is refused as not JSON, never half-read. */
static void check_every_prefix_refused(const char *body, size_t len)
{
    struct cfg_event ev;
    struct mg_error err;
    size_t n;
    int refused = 0;

    for (n = 1; n < len; n++) {
        refused +=
            cfg_event_parse(body, n, &ev, &err) == -1 && err.cls == MG_INVALID;
        cfg_event_release(&ev);
    }
    CHECK_INT(refused, len - 1);
}

static void run_case(const char *dir, const char *name)
{
    struct mg_buf file = MG_BUF_INIT(MAX_CASE_BYTES);
    char path[4096];
    cJSON *doc = NULL;
    cJSON *body_doc = NULL;
    const char *body = NULL;
    size_t len = 0;
    struct expected x;
    struct cfg_event ev;
    struct mg_error err;
    int before = check_failures;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    CHECK(read_file(path, &file) == 0);
    doc = mg_json_parse(mg_buf_str(&file), file.len, NULL);
    CHECK(doc != NULL);
    if (mg_json_str(doc, "body_text") != NULL) {
        body = mg_json_str(doc, "body_text");
        len = strlen(body);
    } else {
        CHECK(raw_body(mg_buf_str(&file), file.len, &body, &len) == 0);
        body_doc = body ? mg_json_parse(body, len, NULL) : NULL;
    }

    if (doc != NULL && body != NULL) {
        x = expectations(doc, body, len);
        if (x.refused) {
            CHECK_INT(cfg_event_parse(body, len, &ev, &err), -1);
            CHECK_INT(err.cls, MG_INVALID);
            CHECK_STR(err.code, "EventNotJson");
        } else {
            CHECK_INT(cfg_event_parse(body, len, &ev, &err), 0);
            check_event(name, &ev, &x, body_doc);
        }
        cfg_event_release(&ev);
        if (strncmp(name, "01-", 3) == 0) {
            check_every_prefix_refused(body, len);
        }
    }
    printf("%s case %s\n", check_failures == before ? "ok  " : "FAIL", name);
    cJSON_Delete(body_doc);
    cJSON_Delete(doc);
    mg_buf_release(&file);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t list_cases(const char *dir, char **names)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    if (d == NULL) {
        return 0;
    }
    while ((e = readdir(d)) != NULL && n < MAX_CASES) {
        size_t len = strlen(e->d_name);

        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof(*names), by_name);
    return n;
}

void run_case_tests(const char *dir)
{
    char *names[MAX_CASES];
    size_t n = list_cases(dir, names);
    size_t i;

    if (n == 0) {
        fprintf(stderr, "no case files in %s\n", dir);
    }
    CHECK(n > 0);
    for (i = 0; i < n; i++) {
        run_case(dir, names[i]);
        free(names[i]);
    }
    printf("%zu cases read from %s\n", n, dir);
}
