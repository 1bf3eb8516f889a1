#include "worker/cli.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "common/error.h"
#include "mns/mns.h"
#include "ram/ram.h"
#include "worker/app.h"
#include "worker/check.h"
#include "worker/report.h"
#include "worker/sweep.h"

#include "common/banned.h"

static int step(const char *what, int rc, const struct mg_error *err)
{
    if (rc == 0) {
        printf("ok      %s\n", what);
        return 0;
    }
    fprintf(stderr, "failed  %s: %s %s\n", what, err->code, err->message);
    return -1;
}

int wrk_cli_setup(struct wrk_app *app)
{
    const struct wrk_settings *s = &app->set;
    struct mg_error err;
    char arn[512];
    char what[600];
    int bad = 0;

    mg_error_clear(&err);
    snprintf(what, sizeof(what), "queue %s", s->queue);
    bad |= step(
        what, mns_create_queue(app->mns, s->queue, s->visibility_timeout, &err),
        &err);
    mg_error_clear(&err);
    snprintf(what, sizeof(what), "dead-letter queue %s", s->dlq_queue);
    bad |= step(
        what,
        mns_create_queue(app->mns, s->dlq_queue, s->visibility_timeout, &err),
        &err);
    mg_error_clear(&err);
    snprintf(what, sizeof(what), "topic %s", s->topic);
    bad |= step(what, mns_create_topic(app->mns, s->topic, &err), &err);

    mg_error_clear(&err);
    snprintf(arn, sizeof(arn), "acs:mns:%s:%lld:queues/%s", s->region,
             (long long)app->account_id, s->queue);
    snprintf(what, sizeof(what), "subscription %s (%s) of %s to %s",
             s->subscription, s->subscription_format, s->queue, s->topic);
    bad |= step(what,
                mns_subscribe(app->mns, s->topic, s->subscription, arn,
                              s->subscription_format, &err),
                &err);
    return bad ? 1 : 0;
}

int wrk_parse_format(const char *s, enum wrk_format *out)
{
    if (s == NULL || strcmp(s, "text") == 0 || strcmp(s, "table") == 0) {
        *out = WRK_FORMAT_TEXT;
    } else if (strcmp(s, "json") == 0) {
        *out = WRK_FORMAT_JSON;
    } else if (strcmp(s, "csv") == 0) {
        *out = WRK_FORMAT_CSV;
    } else {
        return -1;
    }
    return 0;
}

static int rule_from_settings(const struct wrk_app *app, struct wrk_rule *r)
{
    char msg[160];

    if (wrk_rule_parse(r, app->set.dangerous_actions, app->set.only_custom, msg,
                       sizeof(msg)) != 0) {
        fprintf(stderr, "mfaguard: dangerous_actions: %s\n", msg);
        return -1;
    }
    if (r->npatterns == 0) {
        fprintf(stderr, "mfaguard: set dangerous_actions (for example "
                        "--set dangerous_actions='ecs:*,oss:*,log:*')\n");
        return -1;
    }
    return 0;
}

static int exit_status(enum wrk_compliance c)
{
    return c == WRK_NON_COMPLIANT ? 1 : 0;
}

static void print_grants_text(const struct wrk_verdict *v)
{
    size_t i;

    for (i = 0; i < v->ngrants; i++) {
        const struct wrk_grant *g = &v->grants[i];
        char origin[200];

        if (g->group[0]) {
            snprintf(origin, sizeof(origin), "via group %s", g->group);
        } else {
            snprintf(origin, sizeof(origin), "on the user");
        }
        printf("  grant    %s through \"%s\" in %s (%s) Statement[%zu], "
               "%s\n",
               g->pattern, g->action, g->policy, g->policy_type, g->statement,
               origin);
    }
}

static cJSON *verdict_json(const char *user, const struct wrk_verdict *v,
                           const struct ram_login_profile *login)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *grants = cJSON_AddArrayToObject(o, "grants");
    size_t i;

    cJSON_AddStringToObject(o, "user", user);
    cJSON_AddStringToObject(o, "verdict", wrk_compliance_name(v->compliance));
    cJSON_AddStringToObject(o, "annotation", v->annotation);
    /* A sweep keeps the grants of non-compliant users only. */
    if (login == NULL && v->compliance != WRK_NON_COMPLIANT) {
        cJSON_DeleteItemFromObject(o, "grants");
    }
    for (i = 0; grants && i < v->ngrants; i++) {
        cJSON *g = cJSON_CreateObject();

        cJSON_AddStringToObject(g, "pattern", v->grants[i].pattern);
        cJSON_AddStringToObject(g, "action", v->grants[i].action);
        cJSON_AddStringToObject(g, "policy", v->grants[i].policy);
        cJSON_AddStringToObject(g, "policyType", v->grants[i].policy_type);
        cJSON_AddStringToObject(g, "group", v->grants[i].group);
        cJSON_AddNumberToObject(g, "statement", (double)v->grants[i].statement);
        cJSON_AddItemToArray(grants, g);
    }
    cJSON_AddBoolToObject(o, "mfaBound", v->mfa_bound);
    cJSON_AddStringToObject(o, "mfaType", v->mfa_type);
    if (login) {
        cJSON_AddBoolToObject(o, "consoleLogin", login->exists);
        cJSON_AddBoolToObject(o, "mfaBindRequired", login->mfa_bind_required);
    }
    return o;
}

static void print_json(cJSON *o)
{
    char *text = cJSON_PrintUnformatted(o);

    if (text) {
        printf("%s\n", text);
    }
    free(text);
    cJSON_Delete(o);
}

static void csv_field(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"') {
            putchar('"');
        }
        putchar(*s);
    }
    putchar('"');
}

static void print_check_text(const char *user, const struct wrk_verdict *v,
                             const struct ram_login_profile *login)
{
    printf("user     %s\n", user);
    printf("verdict  %s\n", wrk_compliance_name(v->compliance));
    printf("why      %s\n", v->annotation);
    if (v->compliance == WRK_NOT_APPLICABLE) {
        return; /* no device or login to speak of */
    }
    print_grants_text(v);
    if (v->mfa_bound) {
        printf("  mfa      %s device %s\n", v->mfa_type,
               v->mfa_serial ? v->mfa_serial : "");
    } else {
        printf("  mfa      no device bound\n");
    }
    if (login->exists) {
        printf("  console  password login%s%s\n", login->status[0] ? ", " : "",
               login->status);
        printf("           MFA at next login: %s\n",
               login->mfa_bind_required ? "required" : "not required");
    } else {
        printf("  console  no password login (API access only)\n");
    }
}

int wrk_cli_check(struct wrk_app *app, const char *user, enum wrk_format format)
{
    struct wrk_rule r;
    struct wrk_verdict v;
    struct ram_login_profile login;
    struct mg_error err;
    int rc;

    if (rule_from_settings(app, &r) != 0) {
        return 2;
    }
    mg_error_clear(&err);
    wrk_verdict_init(&v);
    memset(&login, 0, sizeof(login));
    if (wrk_check_user(app, &r, user, &v, &err) != 0 ||
        (v.compliance != WRK_NOT_APPLICABLE &&
         ram_get_login_profile(app->ram, user, &login, &err) != 0)) {
        fprintf(stderr, "mfaguard: %s: %s %s (request %s)\n", err.api, err.code,
                err.message, err.request_id);
        wrk_verdict_release(&v);
        return 2;
    }
    if (format == WRK_FORMAT_TEXT) {
        print_check_text(user, &v, &login);
    } else if (format == WRK_FORMAT_CSV) {
        printf("user,verdict,annotation\n");
        csv_field(user);
        putchar(',');
        csv_field(wrk_compliance_name(v.compliance));
        putchar(',');
        csv_field(v.annotation);
        putchar('\n');
    } else {
        print_json(verdict_json(user, &v, &login));
    }
    rc = exit_status(v.compliance);
    wrk_verdict_release(&v);
    return rc;
}

struct progress {
    struct wrk_app *app;
    volatile int stop;
};

/* On a terminal, show how far the sweep is every quarter second. */
static void *show_progress(void *arg)
{
    struct progress *p = arg;

    while (!p->stop) {
        size_t done = __atomic_load_n(&p->app->progress_done, __ATOMIC_RELAXED);
        size_t total =
            __atomic_load_n(&p->app->progress_total, __ATOMIC_RELAXED);

        if (total > 0) {
            fprintf(stderr, "\rscanning: %zu/%zu checks", done, total);
        } else {
            fprintf(stderr, "\rscanning: reading users and policies");
        }
        mg_sleep_ms(250, &p->stop);
    }
    fprintf(stderr, "\r%60s\r", "");
    return NULL;
}

static void print_row(enum wrk_format format, const struct wrk_subject *s,
                      const struct wrk_verdict *v)
{
    if (format == WRK_FORMAT_JSON) {
        print_json(verdict_json(s->user_name, v, NULL));
    } else if (format == WRK_FORMAT_CSV) {
        csv_field(s->user_name);
        putchar(',');
        csv_field(s->resource_id);
        putchar(',');
        csv_field(wrk_compliance_name(v->compliance));
        putchar(',');
        csv_field(v->annotation);
        putchar('\n');
    } else {
        printf("%-32s %-15s %s\n", s->user_name,
               wrk_compliance_name(v->compliance), v->annotation);
    }
}

static int print_scan(enum wrk_format format, const struct wrk_subject *s,
                      const struct wrk_verdict *v, size_t n)
{
    size_t counts[3] = { 0, 0, 0 };
    size_t i;

    if (format == WRK_FORMAT_CSV) {
        printf("user,user_id,verdict,annotation\n");
    } else if (format == WRK_FORMAT_TEXT) {
        printf("%-32s %-15s %s\n", "USER", "VERDICT", "WHY");
    }
    for (i = 0; i < n; i++) {
        print_row(format, &s[i], &v[i]);
        counts[v[i].compliance]++;
    }
    if (format == WRK_FORMAT_TEXT) {
        printf("\n%zu users: %zu compliant, %zu non-compliant, %zu not "
               "applicable\n",
               n, counts[WRK_COMPLIANT], counts[WRK_NON_COMPLIANT],
               counts[WRK_NOT_APPLICABLE]);
    }
    return counts[WRK_NON_COMPLIANT] ? 1 : 0;
}

int wrk_cli_scan(struct wrk_app *app, enum wrk_format format)
{
    struct wrk_rule r;
    struct wrk_sweep_request rq;
    struct wrk_subject *subjects = NULL;
    struct wrk_verdict *verdicts = NULL;
    struct progress prog = { app, 0 };
    struct mg_error err;
    pthread_t t;
    int shown;
    size_t n = 0;
    int rc;

    if (rule_from_settings(app, &r) != 0) {
        return 2;
    }
    rq = (struct wrk_sweep_request){ &r, app->account_id,
                                     app->set.resource_region, mg_now_ms(),
                                     app->set.sweep_mode };
    mg_error_clear(&err);
    shown = isatty(STDERR_FILENO) &&
            pthread_create(&t, NULL, show_progress, &prog) == 0;
    rc = wrk_sweep(app, &rq, &subjects, &verdicts, &n, &err);
    if (shown) {
        prog.stop = 1;
        pthread_join(t, NULL);
    }
    if (rc != 0) {
        fprintf(stderr, "mfaguard: %s: %s %s (request %s)\n", err.api, err.code,
                err.message, err.request_id);
        return 2;
    }
    rc = print_scan(format, subjects, verdicts, n);
    wrk_sweep_free(subjects, verdicts, n);
    return rc;
}

/* ---- replay-dlq ---- */

struct held_message {
    struct mns_message msg;
    char body_of[128]; /* a raw body: its message id; a record: "" */
    char wants[128];   /* a record whose body travels apart */
    char queue[128];
    int done;
};

struct replay {
    struct wrk_app *app;
    int dry_run;
    struct held_message *v;
    size_t n;
    size_t cap;
    size_t replayed;
    size_t kept;
    size_t failed;
};

static int put_back(struct replay *r, const char *queue, const char *body,
                    size_t len)
{
    struct mg_error err;
    char id[128];

    if (r->dry_run) {
        printf("would replay %zu bytes to %s\n", len, queue);
        return 0;
    }
    mg_error_clear(&err);
    if (mns_send(r->app->mns, queue, body, len, 0, id, sizeof(id), &err) != 0) {
        fprintf(stderr, "mfaguard: replay to %s failed: %s %s\n", queue,
                err.code, err.message);
        r->failed++;
        return -1;
    }
    printf("replayed to %s as %s\n", queue, id);
    return 0;
}

static void drop(struct replay *r, struct held_message *h)
{
    struct mg_error err;

    if (r->dry_run) {
        return; /* stays held, and is released at the end */
    }
    mg_error_clear(&err);
    if (mns_delete(r->app->mns, r->app->set.dlq_queue, h->msg.receipt, &err) !=
        0) {
        fprintf(stderr, "mfaguard: delete from %s failed: %s\n",
                r->app->set.dlq_queue, err.code);
    }
    h->done = 1;
}

/* Classify one dead-letter message; replay it when it is complete. */
static void take(struct replay *r, struct held_message *h)
{
    cJSON *j = cJSON_ParseWithLength(h->msg.body.data, h->msg.body.len);
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(j, "body");
    const cJSON *queue = cJSON_GetObjectItemCaseSensitive(j, "sourceQueue");
    const cJSON *apart = cJSON_GetObjectItemCaseSensitive(j, "bodyMessageId");

    /* Bodies go back only to the queue this worker consumes: a record
     * naming any other (the dead-letter queue itself, say) stays put. */
    snprintf(h->queue, sizeof(h->queue), "%s", r->app->set.queue);
    if (cJSON_IsString(queue) &&
        strcmp(queue->valuestring, r->app->set.queue) != 0) {
        fprintf(stderr, "mfaguard: %s names queue %s, not %s: left alone\n",
                h->msg.id, queue->valuestring, r->app->set.queue);
        r->failed++;
        cJSON_Delete(j);
        return;
    }
    if (!cJSON_IsObject(j) ||
        !cJSON_GetObjectItemCaseSensitive(j, "mfaguardDeadLetter")) {
        snprintf(h->body_of, sizeof(h->body_of), "%s", h->msg.id);
    } else if (cJSON_IsString(body)) {
        if (put_back(r, h->queue, body->valuestring,
                     strlen(body->valuestring)) == 0) {
            r->replayed++;
            drop(r, h);
        }
    } else if (cJSON_IsString(apart)) {
        snprintf(h->wants, sizeof(h->wants), "%s", apart->valuestring);
    }
    cJSON_Delete(j);
}

/* Pair records whose bodies travelled apart with those bodies. */
static void pair_up(struct replay *r)
{
    size_t i;
    size_t k;

    for (i = 0; i < r->n; i++) {
        struct held_message *rec = &r->v[i];

        for (k = 0; !rec->done && rec->wants[0] && k < r->n; k++) {
            struct held_message *raw = &r->v[k];

            if (raw->done || strcmp(raw->body_of, rec->wants) != 0) {
                continue;
            }
            if (put_back(r, rec->queue, raw->msg.body.data,
                         raw->msg.body.len) == 0) {
                r->replayed++;
                drop(r, raw);
                drop(r, rec);
            }
        }
    }
}

static int hold_batch(struct replay *r, struct mns_message *batch, int got)
{
    int i;

    for (i = 0; i < got; i++) {
        if (r->n == r->cap) {
            size_t cap = r->cap ? 2 * r->cap : 64;
            struct held_message *v = realloc(r->v, cap * sizeof(*v));

            if (v == NULL) {
                return -1;
            }
            r->v = v;
            r->cap = cap;
        }
        memset(&r->v[r->n], 0, sizeof(r->v[r->n]));
        r->v[r->n].msg = batch[i];
        mns_message_init(&batch[i]);
        take(r, &r->v[r->n]);
        r->n++;
    }
    return 0;
}

/* What was not replayed is visible again at once, not after its lease. */
static void release(struct wrk_app *app, struct held_message *h)
{
    struct mg_error err;
    char fresh[512];
    int64_t next;

    mg_error_clear(&err);
    if (mns_change_visibility(app->mns, app->set.dlq_queue, h->msg.receipt, 1,
                              fresh, sizeof(fresh), &next, &err) != 0) {
        fprintf(stderr, "mfaguard: release in %s failed: %s\n",
                app->set.dlq_queue, err.code);
    }
}

int wrk_cli_replay(struct wrk_app *app, int dry_run)
{
    struct replay r = { app, dry_run, NULL, 0, 0, 0, 0, 0 };
    struct mns_message batch[16];
    struct mg_error err;
    size_t i;
    int got;

    for (i = 0; i < 16; i++) {
        mns_message_init(&batch[i]);
    }
    /* Everything stays invisible while held, so each message is seen
     * once; what is not replayed is released at the end. */
    do {
        mg_error_clear(&err);
        got = mns_receive(app->mns, app->set.dlq_queue, 16, 1, batch, &err);
        if (got < 0) {
            fprintf(stderr, "mfaguard: receive from %s failed: %s %s\n",
                    app->set.dlq_queue, err.code, err.message);
            break;
        }
    } while (got > 0 && hold_batch(&r, batch, got) == 0 && !app->stop);
    pair_up(&r);

    for (i = 0; i < r.n; i++) {
        if (!r.v[i].done) {
            release(app, &r.v[i]);
            r.kept++;
        }
        mns_message_release(&r.v[i].msg);
    }
    free(r.v);
    printf("%zu %s, %zu left in %s\n", r.replayed,
           dry_run ? "would be replayed" : "replayed", r.kept,
           app->set.dlq_queue);
    return got < 0 ? 2 : (r.failed ? 1 : 0);
}
