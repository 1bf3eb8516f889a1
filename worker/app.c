#include "worker/app.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cred.h"
#include "common/http.h"
#include "common/limiter.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/pool.h"
#include "common/xml.h"
#include "config/config.h"
#include "mns/mns.h"
#include "ram/ram.h"
#include "worker/cache.h"
#include "worker/credentials.h"

#include "common/banned.h"

static void describe_metrics(void)
{
    mg_metric_describe("mfaguard_messages_total", MG_COUNTER,
                       "Messages by what became of them.");
    mg_metric_describe("mfaguard_verdicts_total", MG_COUNTER,
                       "Verdicts by compliance type.");
    mg_metric_describe("mfaguard_notifications_total", MG_COUNTER,
                       "Non-compliance notifications published.");
    mg_metric_describe("mfaguard_api_calls_total", MG_COUNTER,
                       "Service calls by family, API and outcome.");
    mg_metric_describe("mfaguard_api_seconds", MG_HISTOGRAM,
                       "Duration of service calls.");
    mg_metric_describe("mfaguard_throttled_total", MG_COUNTER,
                       "Throttling answers by family.");
    mg_metric_describe("mfaguard_cache_requests_total", MG_COUNTER,
                       "Policy document cache lookups by result.");
    mg_metric_describe("mfaguard_in_flight", MG_GAUGE,
                       "Messages being processed now.");
    mg_metric_describe("mfaguard_processing_seconds", MG_HISTOGRAM,
                       "Time from receiving a message to its end.");
    mg_metric_describe("mfaguard_message_age_seconds", MG_HISTOGRAM,
                       "Age of messages when received.");
    mg_metric_describe("mfaguard_lease_extensions_total", MG_COUNTER,
                       "Visibility extensions of held messages.");
}

/* The account id in "https://1234.mns.cn-hangzhou.aliyuncs.com". */
static int64_t account_from_endpoint(const char *url)
{
    const char *p = strstr(url, "://");
    const char *q;

    p = p ? p + 3 : url;
    for (q = p; isdigit((unsigned char)*q); q++) {
    }
    if (q == p || *q != '.' || q - p > 19) {
        return 0;
    }
    return strtoll(p, NULL, 10);
}

static int setup_logging(const struct wrk_settings *s, char *errbuf,
                         size_t errlen)
{
    enum mg_log_level level;
    enum mg_log_format format;

    if (mg_log_parse_level(s->log_level, &level) != 0 ||
        mg_log_parse_format(s->log_format, &format) != 0) {
        snprintf(errbuf, errlen, "bad log_level or log_format");
        return -1;
    }
    mg_log_setup(level, format, NULL);
    return 0;
}

static int need(const char *value, const char *name, char *errbuf,
                size_t errlen)
{
    char var[64];
    size_t i;

    if (value[0] != '\0') {
        return 0;
    }
    snprintf(var, sizeof(var), "MFAGUARD_%s", name);
    for (i = 0; var[i]; i++) {
        var[i] = (char)toupper((unsigned char)var[i]);
    }
    snprintf(errbuf, errlen, "%s is not set (setting %s or %s); see README.md",
             name, name, var);
    return -1;
}

static struct mg_retry_policy retry_policy(const struct wrk_settings *s)
{
    struct mg_retry_policy p = { s->call_attempts, s->retry_base_ms,
                                 s->retry_cap_ms };

    return p;
}

static int make_clients(struct wrk_app *app, int needs, char *errbuf,
                        size_t errlen)
{
    const struct wrk_settings *s = &app->set;

    if ((needs & WRK_NEED_RAM) &&
        need(s->ram_endpoint, "ram_endpoint", errbuf, errlen) == 0) {
        struct ram_options o = { s->ram_endpoint,    app->cred,
                                 app->ram_limit,     retry_policy(s),
                                 s->call_timeout_ms, s->ram_page_size,
                                 &app->abort };
        app->ram = ram_client_new(&o);
    } else if (needs & WRK_NEED_RAM) {
        return -1;
    }
    if ((needs & WRK_NEED_CONFIG) &&
        need(s->config_endpoint, "config_endpoint", errbuf, errlen) == 0) {
        struct cfg_options o = { s->config_endpoint, s->config_api_version,
                                 app->cred,          app->config_limit,
                                 retry_policy(s),    s->call_timeout_ms,
                                 &app->abort };
        app->config = cfg_client_new(&o);
    } else if (needs & WRK_NEED_CONFIG) {
        return -1;
    }
    if ((needs & WRK_NEED_MNS) &&
        need(s->mns_endpoint, "mns_endpoint", errbuf, errlen) == 0) {
        /* MNS calls are never cut short: after the shutdown deadline they
         * are what releases held messages. Long polls end at the first
         * signal. */
        struct mns_options o = { s->mns_endpoint,    app->cred,
                                 app->mns_limit,     retry_policy(s),
                                 s->call_timeout_ms, NULL,
                                 &app->stop };
        app->mns = mns_client_new(&o);
    } else if (needs & WRK_NEED_MNS) {
        return -1;
    }
    if (((needs & WRK_NEED_RAM) && app->ram == NULL) ||
        ((needs & WRK_NEED_CONFIG) && app->config == NULL) ||
        ((needs & WRK_NEED_MNS) && app->mns == NULL)) {
        snprintf(errbuf, errlen, "cannot create the service clients");
        return -1;
    }
    return 0;
}

int wrk_app_init(struct wrk_app *app, const struct wrk_settings *s,
                 struct mg_cred_provider *cred, int needs, char *errbuf,
                 size_t errlen)
{
    struct mg_http_options http = { s->tls_verify,
                                    s->ca_file[0] ? s->ca_file : NULL, 5000 };

    memset(app, 0, sizeof(*app));
    app->set = *s;
    if (setup_logging(s, errbuf, errlen) != 0) {
        return -1;
    }
    describe_metrics();
    mg_xml_global_init();
    if (mg_http_global_init(&http) != 0) {
        snprintf(errbuf, errlen, "cannot initialise libcurl");
        return -1;
    }
    if (!s->tls_verify) {
        mg_log_warn("tls.verification_off",
                    MG_LS("why", "tls_verify is false: certificates of "
                                 "the services are not checked"));
    }

    app->cred = cred ? cred : wrk_credentials_find(s, errbuf, errlen);
    if (app->cred == NULL) {
        return -1;
    }
    app->account_id = s->account_id[0] ? strtoll(s->account_id, NULL, 10)
                                       : account_from_endpoint(s->mns_endpoint);
    app->ram_limit = mg_limiter_new("ram", s->ram_rps);
    app->config_limit = mg_limiter_new("config", s->config_rps);
    app->mns_limit = mg_limiter_new("mns", s->mns_rps);
    app->pool = mg_pool_new(s->io_threads);
    app->cache =
        wrk_cache_new((size_t)s->cache_entries, (int64_t)s->cache_ttl * 1000);
    if (app->ram_limit == NULL || app->config_limit == NULL ||
        app->mns_limit == NULL || app->pool == NULL || app->cache == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    return make_clients(app, needs, errbuf, errlen);
}

void wrk_app_release(struct wrk_app *app)
{
    mns_client_free(app->mns);
    cfg_client_free(app->config);
    ram_client_free(app->ram);
    mg_pool_free(app->pool);
    if (app->cache) {
        wrk_cache_free(app->cache);
    }
    mg_limiter_free(app->ram_limit);
    mg_limiter_free(app->config_limit);
    mg_limiter_free(app->mns_limit);
    mg_cred_free(app->cred);
    mg_http_global_cleanup();
    memset(app, 0, sizeof(*app));
}
