#include "config/config.h"

/* After the contract, so that it is seen to compile on its own. */
#include <string.h>

#include "common/buf.h"
#include "config/jsonw.h"

/* Last: its renames must not reach the headers above. */
#include "common/banned.h"

/* The values Config documents; its samples also use the last two. A typo
 * here would be filed by Config as something else, or refused late. */
static const char *const compliance_types[] = {
    "COMPLIANT",         "NON_COMPLIANT", "NOT_APPLICABLE",
    "INSUFFICIENT_DATA", "IGNORED",
};

static int known_compliance(const char *s)
{
    size_t i;

    for (i = 0; s != NULL &&
                i < sizeof(compliance_types) / sizeof(compliance_types[0]);
         i++) {
        if (strcmp(s, compliance_types[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int given(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* What Config needs to file a result against the right resource. An
 * account id of 0 means nobody found one: better refused than sent. */
int cfg_evaluation_valid(const struct cfg_evaluation *e)
{
    return e != NULL && e->account_id > 0 && e->ordering_ms >= 0 &&
           given(e->resource_id) && given(e->resource_type) &&
           e->region != NULL && known_compliance(e->compliance) &&
           cfg_utf8_valid(e->resource_id) && cfg_utf8_valid(e->resource_type) &&
           cfg_utf8_valid(e->region) &&
           (e->resource_name == NULL || cfg_utf8_valid(e->resource_name)) &&
           (e->annotation == NULL || cfg_utf8_valid(e->annotation));
}

/* One object, its members in the order of the API reference's example. */
static void put_evaluation(struct cfg_jw *w, const struct cfg_evaluation *e)
{
    if (!cfg_evaluation_valid(e)) {
        cfg_jw_fail(w);
        return;
    }
    cfg_jw_open(w, NULL, '{');
    cfg_jw_i64(w, "accountId", e->account_id);
    cfg_jw_str(w, "complianceResourceId", e->resource_id);
    cfg_jw_str(w, "complianceResourceType", e->resource_type);
    cfg_jw_str(w, "complianceRegionId", e->region);
    if (given(e->resource_name)) {
        cfg_jw_str(w, "complianceResourceName", e->resource_name);
    }
    cfg_jw_i64(w, "orderingTimestamp", e->ordering_ms);
    cfg_jw_str(w, "complianceType", e->compliance);
    if (given(e->annotation)) {
        cfg_jw_str(w, "annotation", e->annotation);
    }
    cfg_jw_close(w, '}');
}

int cfg_evaluations_json(struct mg_buf *out, const struct cfg_evaluation *ev,
                         size_t n)
{
    struct cfg_jw w;
    size_t i;

    if (out == NULL || (ev == NULL && n > 0)) {
        return -1;
    }
    cfg_jw_begin(&w, out);
    cfg_jw_open(&w, NULL, '[');
    for (i = 0; i < n; i++) {
        put_evaluation(&w, &ev[i]);
    }
    cfg_jw_close(&w, ']');
    return cfg_jw_end(&w);
}
