/*
 * cfg_event_parse on any payload, then what the worker builds from a
 * parsed event. A refusal is MG_INVALID and leaves nothing owned; an
 * accepted event has fields that fit and hold UTF-8, the kind's required
 * parts (a rule request's token, a change's resource), and non-negative
 * ids and times.
 *
 * Its resource then goes through cfg_evaluations_json, which must accept
 * it exactly when cfg_evaluation_valid says so and write strict JSON with
 * the exact account id; and through cfg_notice_json, whose notice must be
 * strict JSON that cfg_event_parse reads back as a non-compliance event
 * naming the same resource, account, rule and request (a worker whose
 * queue hears its own topic relies on that to skip its own notices).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "config/config.h"
#include "config/jsonw.h"
#include "fuzz.h"

#include "common/banned.h"

#define OUT_MAX (1u << 20)

static int utf8_field(const char *s, size_t size)
{
    return fuzz_terminated(s, size) && cfg_utf8_valid(s);
}

static void check_event(const struct cfg_event *ev)
{
    const struct cfg_resource *r = &ev->res;

    FUZZ_CHECK(ev->kind >= CFG_EVENT_RULE && ev->kind <= CFG_EVENT_OTHER);
    FUZZ_CHECK(utf8_field(ev->message_type, sizeof(ev->message_type)));
    FUZZ_CHECK(utf8_field(ev->change_type, sizeof(ev->change_type)));
    FUZZ_CHECK(utf8_field(ev->request_id, sizeof(ev->request_id)));
    FUZZ_CHECK(utf8_field(ev->rule_name, sizeof(ev->rule_name)));
    FUZZ_CHECK(utf8_field(r->id, sizeof(r->id)));
    FUZZ_CHECK(utf8_field(r->name, sizeof(r->name)));
    FUZZ_CHECK(utf8_field(r->type, sizeof(r->type)));
    FUZZ_CHECK(utf8_field(r->region, sizeof(r->region)));
    FUZZ_CHECK(utf8_field(r->user_name, sizeof(r->user_name)));
    FUZZ_CHECK(ev->account_id >= 0 && ev->ordering_ms >= 0);
    FUZZ_CHECK(r->account_id >= 0 && r->capture_ms >= 0);
    FUZZ_CHECK(ev->dangerous_actions == NULL ||
               cfg_utf8_valid(ev->dangerous_actions));

    if (ev->kind == CFG_EVENT_RULE) {
        FUZZ_CHECK(ev->result_token != NULL && ev->result_token[0] != '\0');
        FUZZ_CHECK(cfg_utf8_valid(ev->result_token));
    } else {
        FUZZ_CHECK(ev->result_token == NULL);
    }
    if (ev->kind == CFG_EVENT_CHANGE) {
        FUZZ_CHECK(ev->has_resource);
    }
    FUZZ_CHECK(!ev->has_resource || r->id[0] != '\0' || r->name[0] != '\0');
}

static void to_evaluation(const struct cfg_event *ev, struct cfg_evaluation *e)
{
    memset(e, 0, sizeof(*e));
    e->account_id = ev->account_id;
    e->resource_id = ev->res.id;
    e->resource_type = ev->res.type;
    e->region = ev->res.region;
    e->resource_name = ev->res.name[0] ? ev->res.name : NULL;
    e->ordering_ms = ev->ordering_ms;
    e->compliance = "NON_COMPLIANT";
    e->annotation = ev->dangerous_actions;
}

static void check_evaluations(const struct cfg_evaluation *e)
{
    struct mg_buf out = MG_BUF_INIT(OUT_MAX);
    struct mg_error err;
    cJSON *arr;
    const cJSON *first;
    int64_t account = 0;
    int rc;

    rc = cfg_evaluations_json(&out, e, 1);
    FUZZ_CHECK((rc == 0) == cfg_evaluation_valid(e));
    if (rc != 0) {
        FUZZ_CHECK(out.len == 0);
        mg_buf_release(&out);
        return;
    }
    mg_error_clear(&err);
    arr = mg_json_parse(out.data, out.len, &err);
    FUZZ_CHECK(arr != NULL && cJSON_GetArraySize(arr) == 1);
    first = cJSON_GetArrayItem(arr, 0);
    FUZZ_CHECK(mg_json_i64(first, "accountId", &account) == 0);
    FUZZ_CHECK(account == e->account_id);
    FUZZ_CHECK(mg_json_str(first, "complianceResourceId") != NULL);
    FUZZ_CHECK(strcmp(mg_json_str(first, "complianceResourceId"),
                      e->resource_id) == 0);
    cJSON_Delete(arr);
    mg_buf_release(&out);
}

/* The notice read back as the event it stands for. */
static void check_read_back(const struct mg_buf *out,
                            const struct cfg_notice *n)
{
    const struct cfg_evaluation *e = n->evaluation;
    struct cfg_event back;
    struct mg_error err;

    if (cfg_event_parse(out->data, out->len, &back, &err) != 0) {
        fprintf(stderr, "notice not read back: %s: %s\n", err.code,
                err.message);
        fuzz_fail(__FILE__, __LINE__, "cfg_event_parse(notice) == 0");
    }
    FUZZ_CHECK(back.kind == CFG_EVENT_NONCOMPLIANCE);
    FUZZ_CHECK(back.account_id == e->account_id);
    FUZZ_CHECK(back.ordering_ms == e->ordering_ms);
    FUZZ_CHECK(strcmp(back.res.id, e->resource_id) == 0);
    FUZZ_CHECK(strcmp(back.res.type, e->resource_type) == 0);
    FUZZ_CHECK(strcmp(back.request_id, n->request_id) == 0);
    FUZZ_CHECK(strcmp(back.rule_name, n->rule_name ? n->rule_name : "") == 0);
    cfg_event_release(&back);
}

static void check_notice(const struct cfg_event *ev,
                         const struct cfg_evaluation *e)
{
    struct mg_buf out = MG_BUF_INIT(OUT_MAX);
    struct cfg_notice n;
    struct mg_error err;
    cJSON *extra = cJSON_CreateObject();
    cJSON *parsed;
    int rc;

    FUZZ_CHECK(extra != NULL);
    cJSON_AddStringToObject(extra, "user", ev->res.user_name);
    memset(&n, 0, sizeof(n));
    n.evaluation = e;
    n.rule_name = ev->rule_name[0] ? ev->rule_name : NULL;
    n.invoking_message_type = ev->message_type;
    n.request_id = ev->request_id[0] ? ev->request_id : "fuzz-request";
    n.created_ms = 1733300000000;

    rc = cfg_notice_json(&out, &n, extra);
    FUZZ_CHECK((rc == 0) == cfg_evaluation_valid(e));
    if (rc == 0) {
        mg_error_clear(&err);
        parsed = mg_json_parse(out.data, out.len, &err);
        FUZZ_CHECK(parsed != NULL && cJSON_IsObject(parsed));
        cJSON_Delete(parsed);
        check_read_back(&out, &n);
    }
    mg_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cfg_event ev;
    struct cfg_evaluation e;
    struct mg_error err;

    if (cfg_event_parse((const char *)data, size, &ev, &err) != 0) {
        FUZZ_CHECK(err.cls == MG_INVALID || err.cls == MG_RETRY);
        FUZZ_CHECK(ev.result_token == NULL && ev.dangerous_actions == NULL);
        return 0;
    }
    FUZZ_CHECK(err.cls == MG_OK);
    check_event(&ev);
    to_evaluation(&ev, &e);
    check_evaluations(&e);
    check_notice(&ev, &e);
    cfg_event_release(&ev);
    return 0;
}
