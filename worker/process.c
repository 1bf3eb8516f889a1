#include "worker/process.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "config/config.h"
#include "mns/mns.h"
#include "mns/notify.h"
#include "worker/affected.h"
#include "worker/app.h"
#include "worker/cache.h"
#include "worker/check.h"
#include "worker/report.h"
#include "worker/sweep.h"

#include "common/banned.h"

#define RAM_USER   "ACS::RAM::User"
#define RAM_GROUP  "ACS::RAM::Group"
#define RAM_POLICY "ACS::RAM::Policy"

static void set_outcome(struct wrk_result *res, enum wrk_outcome o,
                        const char *what)
{
    res->outcome = o;
    snprintf(res->what, sizeof(res->what), "%s", what);
}

/* A failure of a check or a write: transient ones come back later;
 * anything else can never succeed and is dead-lettered. */
static void fail(struct wrk_result *res, const struct mg_error *err,
                 const char *what)
{
    res->err = *err;
    set_outcome(res, err->cls == MG_RETRY ? WRK_RETRY : WRK_DEAD, what);
}

static void invalid(struct wrk_result *res, const char *code, const char *what,
                    const char *msg)
{
    mg_error_set(&res->err, MG_INVALID, code, "%s", msg);
    set_outcome(res, WRK_DEAD, what);
}

/* The rule of an event: its parameters, else the worker's settings. */
static int event_rule(struct wrk_app *app, const struct cfg_event *ev,
                      struct wrk_rule *r, struct wrk_result *res)
{
    char msg[160];
    const char *actions = ev->has_rule_parameters ? ev->dangerous_actions
                                                  : app->set.dangerous_actions;
    int only_custom =
        ev->has_rule_parameters ? ev->only_custom : app->set.only_custom;

    if (wrk_rule_parse(r, actions, only_custom, msg, sizeof(msg)) != 0) {
        invalid(res, "BadRuleParameters", "rule", msg);
        return -1;
    }
    return 0;
}

/* Config reports RAM users in region "global" or the Config region; an
 * item without one gets the resource_region setting, as sweeps do. */
static int fill_subject(struct wrk_app *app, struct wrk_subject *s,
                        const struct cfg_event *ev, int64_t account_id,
                        struct mg_error *err)
{
    const char *region =
        ev->res.region[0] ? ev->res.region : app->set.resource_region;

    if (wrk_subject_set(s, account_id, ev->ordering_ms, ev->res.id,
                        ev->res.type, region, ev->res.name,
                        ev->res.user_name) != 0) {
        return mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
    }
    return 0;
}

/* Verdict for the event's one resource. */
static int check_resource(struct wrk_app *app, const struct cfg_event *ev,
                          const struct wrk_rule *r, struct wrk_verdict *v,
                          struct mg_error *err)
{
    char why[160];

    if (strcmp(ev->res.type, RAM_USER) != 0) {
        snprintf(why, sizeof(why), "resource type %s is not a RAM user",
                 ev->res.type[0] ? ev->res.type : "(none)");
        wrk_verdict_not_applicable(v, why);
        return 0;
    }
    if (ev->res.user_name[0] == '\0') {
        return mg_error_set(err, MG_INVALID, "NoUserName",
                            "the event names no user");
    }
    mg_log_ctx_set("user", ev->res.user_name);
    return wrk_check_user(app, r, ev->res.user_name, v, err);
}

static void log_verdict(const struct wrk_subject *s,
                        const struct wrk_verdict *v)
{
    mg_log_info("verdict", MG_LS("user", s->user_name),
                MG_LS("resource_id", s->resource_id),
                MG_LS("verdict", wrk_compliance_name(v->compliance)),
                MG_LI("grants", v->ngrants),
                MG_LS("annotation", v->annotation));
}

static int64_t event_account(struct wrk_app *app, const struct cfg_event *ev,
                             int64_t topic_owner)
{
    if (ev->res.account_id) {
        return ev->res.account_id;
    }
    if (ev->account_id) {
        return ev->account_id;
    }
    return app->account_id ? app->account_id : topic_owner;
}

static void rule_one(struct wrk_app *app, const struct cfg_event *ev,
                     const struct wrk_rule *r, const struct wrk_origin *o,
                     int64_t account, struct wrk_result *res)
{
    struct wrk_subject s;
    struct wrk_verdict v;
    struct mg_error err;

    mg_error_clear(&err);
    memset(&s, 0, sizeof(s));
    wrk_verdict_init(&v);
    if (fill_subject(app, &s, ev, account, &err) != 0 ||
        check_resource(app, ev, r, &v, &err) != 0) {
        fail(res, &err, "check");
    } else if (log_verdict(&s, &v),
               wrk_write_evaluations(app, ev->result_token, &s, &v, 1, &err) !=
                   0) {
        fail(res, &err, "put_evaluations");
    } else if (app->mns && wrk_notify(app, o, &s, &v, 1, &err) != 0) {
        fail(res, &err, "notify");
    } else {
        set_outcome(res, WRK_DONE, "rule");
    }
    wrk_verdict_release(&v);
    wrk_subject_release(&s);
}

static void rule_sweep(struct wrk_app *app, const struct cfg_event *ev,
                       const struct wrk_rule *r, const struct wrk_origin *o,
                       int64_t account, struct wrk_result *res)
{
    struct wrk_sweep_request rq = { r, account, app->set.resource_region,
                                    ev->ordering_ms, app->set.sweep_mode };
    struct wrk_subject *subjects = NULL;
    struct wrk_verdict *verdicts = NULL;
    struct mg_error err;
    size_t n = 0;
    size_t i;

    mg_error_clear(&err);
    if (wrk_sweep(app, &rq, &subjects, &verdicts, &n, &err) != 0) {
        fail(res, &err, "sweep");
        return;
    }
    for (i = 0; i < n; i++) {
        log_verdict(&subjects[i], &verdicts[i]);
    }
    if (wrk_write_evaluations(app, ev->result_token, subjects, verdicts, n,
                              &err) != 0) {
        fail(res, &err, "put_evaluations");
    } else if (app->mns &&
               wrk_notify(app, o, subjects, verdicts, n, &err) != 0) {
        fail(res, &err, "notify");
    } else {
        mg_log_info("sweep.done", MG_LI("users", n));
        set_outcome(res, WRK_DONE, "sweep");
    }
    wrk_sweep_free(subjects, verdicts, n);
}

static void handle_rule(struct wrk_app *app, const struct cfg_event *ev,
                        const struct wrk_origin *o, int64_t topic_owner,
                        struct wrk_result *res)
{
    struct wrk_rule r;
    int64_t account = event_account(app, ev, topic_owner);

    if (event_rule(app, ev, &r, res) != 0) {
        return;
    }
    if (account == 0) {
        invalid(res, "NoAccountId", "rule",
                "no account id in the event, the notification or settings");
        return;
    }
    if (ev->has_resource &&
        (ev->res.id[0] == '\0' || ev->res.type[0] == '\0')) {
        /* Nothing could be written for it: refuse before any RAM work. */
        invalid(res, "EventIncomplete", "rule",
                "the configuration item lacks resourceId or resourceType");
    } else if (ev->has_resource) {
        rule_one(app, ev, &r, o, account, res);
    } else {
        rule_sweep(app, ev, &r, o, account, res);
    }
}

/* A change event for a group or a policy: re-check everyone it reaches
 * (worker/affected.c) and notify the non-compliant. */
static void change_many(struct wrk_app *app, const struct cfg_event *ev,
                        const struct wrk_rule *r, const struct wrk_origin *o,
                        int64_t account, struct wrk_result *res)
{
    struct wrk_subject *subjects = NULL;
    struct wrk_verdict *verdicts = NULL;
    struct mg_error err;
    size_t n = 0;
    int group = strcmp(ev->res.type, RAM_GROUP) == 0;

    mg_error_clear(&err);
    if (!group) {
        /* Documents of any version of this policy may be stale now. */
        wrk_cache_invalidate(app->cache, NULL, ev->res.name);
    }
    if (wrk_affected_users(
            app, r, group ? ev->res.name : NULL, group ? NULL : ev->res.name,
            account, ev->ordering_ms, &subjects, &verdicts, &n, &err) != 0) {
        fail(res, &err, "affected_users");
    } else if (app->mns &&
               wrk_notify(app, o, subjects, verdicts, n, &err) != 0) {
        fail(res, &err, "notify");
    } else {
        mg_log_info("change.rechecked", MG_LS("resource_type", ev->res.type),
                    MG_LS("resource_name", ev->res.name), MG_LI("users", n));
        set_outcome(res, WRK_DONE, group ? "group_change" : "policy_change");
    }
    wrk_sweep_free(subjects, verdicts, n);
}

/* A change event: check the user and notify; there is nothing to write
 * to Config without a result token. */
static void handle_change(struct wrk_app *app, const struct cfg_event *ev,
                          const struct wrk_origin *o, int64_t topic_owner,
                          struct wrk_result *res)
{
    struct wrk_rule r;
    struct wrk_subject s;
    struct wrk_verdict v;
    struct mg_error err;
    int user = strcmp(ev->res.type, RAM_USER) == 0;
    int many = strcmp(ev->res.type, RAM_GROUP) == 0 ||
               strcmp(ev->res.type, RAM_POLICY) == 0;

    if (!user && !many) {
        set_outcome(res, WRK_SKIP, "change_other_type");
        return;
    }
    if (event_rule(app, ev, &r, res) != 0) {
        return;
    }
    if (r.npatterns == 0) {
        set_outcome(res, WRK_SKIP, "no_dangerous_actions");
        return;
    }
    if (many) {
        change_many(app, ev, &r, o, event_account(app, ev, topic_owner), res);
        return;
    }
    mg_error_clear(&err);
    memset(&s, 0, sizeof(s));
    wrk_verdict_init(&v);
    if (fill_subject(app, &s, ev, event_account(app, ev, topic_owner), &err) !=
            0 ||
        check_resource(app, ev, &r, &v, &err) != 0) {
        fail(res, &err, "check");
    } else if (log_verdict(&s, &v),
               app->mns && wrk_notify(app, o, &s, &v, 1, &err) != 0) {
        fail(res, &err, "notify");
    } else {
        set_outcome(res, WRK_DONE, "change");
    }
    wrk_verdict_release(&v);
    wrk_subject_release(&s);
}

static void route(struct wrk_app *app, const struct cfg_event *ev,
                  const char *source_id, int64_t topic_owner,
                  struct wrk_result *res)
{
    struct wrk_origin o = { ev->rule_name[0] ? ev->rule_name
                                             : app->set.rule_name,
                            ev->message_type, source_id };

    mg_log_ctx_set("rule", o.rule_name);
    switch (ev->kind) {
    case CFG_EVENT_RULE:
        handle_rule(app, ev, &o, topic_owner, res);
        break;
    case CFG_EVENT_CHANGE:
        handle_change(app, ev, &o, topic_owner, res);
        break;
    case CFG_EVENT_NONCOMPLIANCE:
        set_outcome(res, WRK_SKIP, "noncompliance_event");
        break;
    case CFG_EVENT_OTHER:
        set_outcome(res, WRK_SKIP, "other_event");
        break;
    }
}

void wrk_process_event(struct wrk_app *app, const char *text, size_t len,
                       const struct wrk_source_info *from,
                       struct wrk_result *res)
{
    struct cfg_event ev;

    memset(res, 0, sizeof(*res));
    memset(&ev, 0, sizeof(ev));
    if (cfg_event_parse(text, len, &ev, &res->err) != 0) {
        res->err.cls = MG_INVALID;
        set_outcome(res, WRK_DEAD, "undecodable_event");
        cfg_event_release(&ev);
        return;
    }
    /* An event without a time of its own takes its message's enqueue
     * time, which every redelivery repeats: the dedupe key stays. */
    if (!ev.ordering_given && from->enqueue_ms > 0) {
        ev.ordering_ms = from->enqueue_ms;
    }
    mg_log_ctx_set("event_type", ev.message_type);
    route(app, &ev, from->id, from->topic_owner, res);
    cfg_event_release(&ev);
}

void wrk_process(struct wrk_app *app, const struct mns_message *m,
                 struct wrk_result *res)
{
    struct mns_notification n;
    struct wrk_source_info from = { m->id, 0, m->enqueue_ms };

    memset(res, 0, sizeof(*res));
    mns_notification_init(&n);
    if (mns_notification_decode(m->body.data, m->body.len, &n, &res->err) !=
        0) {
        res->err.cls = MG_INVALID;
        set_outcome(res, WRK_DEAD, "undecodable_envelope");
    } else if (n.tag[0] && strcmp(n.tag, app->set.notify_tag) == 0) {
        set_outcome(res, WRK_SKIP, "own_notification");
    } else {
        if (n.topic_owner[0]) {
            from.topic_owner = strtoll(n.topic_owner, NULL, 10);
        }
        wrk_process_event(app, mg_buf_str(&n.payload), n.payload.len, &from,
                          res);
    }
    mns_notification_release(&n);
}
