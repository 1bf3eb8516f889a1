#include "config/config.h"

/* After the contract, so that it is seen to compile on its own. */
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "config/jsonw.h"

/* Last: its renames must not reach the headers above. */
#include "common/banned.h"

#define FIELD_SIZE(type, field) sizeof(((type *)NULL)->field)

static int given(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* A worker whose queue hears its own topic must read its notices back to
 * skip them, so nothing may be longer than cfg_event_parse accepts. */
static int reads_back(const struct cfg_notice *n)
{
    return strlen(n->request_id) < FIELD_SIZE(struct cfg_event, request_id) &&
           (n->rule_name == NULL ||
            strlen(n->rule_name) < FIELD_SIZE(struct cfg_event, rule_name));
}

static int complete(const struct cfg_notice *n)
{
    return n != NULL && cfg_evaluation_valid(n->evaluation) &&
           given(n->request_id) && reads_back(n);
}

/* The members Config puts at the top, in the order of its example. */
static void put_head(struct cfg_jw *w, const struct cfg_notice *n)
{
    const struct cfg_evaluation *e = n->evaluation;

    if (given(e->annotation)) {
        cfg_jw_str(w, "annotation", e->annotation);
    }
    cfg_jw_str(w, "riskLevel",
               given(n->risk_level) ? n->risk_level : "Warning");
    cfg_jw_str(w, "dataType", "NonCompliantNotification");
    cfg_jw_str(w, "eventType", "ResourceCompliance");
    cfg_jw_str(w, "eventName", "NonCompliant");
    cfg_jw_str(w, "complianceType", e->compliance);
    cfg_jw_i64(w, "accountId", e->account_id);
    cfg_jw_str(w, "requestId", n->request_id);
    if (given(n->invoking_message_type)) {
        cfg_jw_str(w, "invokingEventMessageType", n->invoking_message_type);
    }
    cfg_jw_i64(w, "notificationCreationTime",
               n->created_ms > 0 ? n->created_ms : mg_now_ms());
}

/* Which rule judged which resource, and when. */
static void put_identifier(struct cfg_jw *w, const struct cfg_notice *n)
{
    const struct cfg_evaluation *e = n->evaluation;

    cfg_jw_open(w, "evaluationResultIdentifier", '{');
    cfg_jw_i64(w, "orderingTimestamp", e->ordering_ms);
    cfg_jw_open(w, "evaluationResultQualifier", '{');
    cfg_jw_str(w, "resourceId", e->resource_id);
    if (given(e->resource_name)) {
        cfg_jw_str(w, "resourceName", e->resource_name);
    }
    cfg_jw_str(w, "resourceType", e->resource_type);
    cfg_jw_str(w, "regionId", e->region);
    if (given(n->rule_name)) {
        cfg_jw_str(w, "configRuleName", n->rule_name);
    }
    cfg_jw_i64(w, "resourceOwnerId", e->account_id);
    cfg_jw_close(w, '}');
    cfg_jw_close(w, '}');
}

int cfg_notice_json(struct mg_buf *out, const struct cfg_notice *n,
                    cJSON *extra)
{
    char *details = NULL;
    struct cfg_jw w;

    if (out == NULL || !complete(n) ||
        (extra != NULL && !cJSON_IsObject(extra))) {
        cJSON_Delete(extra);
        return -1;
    }
    if (extra != NULL) {
        details = cJSON_PrintUnformatted(extra);
        cJSON_Delete(extra);
        if (details == NULL) {
            return -1;
        }
    }

    cfg_jw_begin(&w, out);
    cfg_jw_open(&w, NULL, '{');
    put_head(&w, n);
    put_identifier(&w, n);
    if (details != NULL) {
        cfg_jw_raw(&w, "mfaguard", details);
    }
    cfg_jw_close(&w, '}');
    cJSON_free(details);
    return cfg_jw_end(&w);
}
