#ifndef MG_METRICS_H
#define MG_METRICS_H

#include <stdint.h>

struct mg_buf;
struct mg_error;

/*
 * Process-wide metrics in the Prometheus text format. A metric is named
 * once with mg_metric_describe; samples are keyed by their label text,
 * written as it appears between the braces: "api=\"GetUser\"". Label
 * values must come from a fixed set (API names, outcomes), never from
 * message data, so the table stays small; it holds at most 1024 series
 * and drops new ones beyond that.
 */
enum mg_metric_type {
    MG_COUNTER,
    MG_GAUGE,
    MG_HISTOGRAM,
};

void mg_metric_describe(const char *name, enum mg_metric_type type,
                        const char *help);

void mg_counter_add(const char *name, const char *labels, double v);
void mg_gauge_set(const char *name, const char *labels, double v);
void mg_gauge_add(const char *name, const char *labels, double v);

/* Buckets are fixed: 5 ms to 5 minutes, roughly doubling. */
void mg_histogram_observe(const char *name, const char *labels, double seconds);

/*
 * Record one service call: mfaguard_api_calls_total by family, API and
 * outcome (ok, throttled, or the error's class), its duration since
 * started_ms (monotonic) in mfaguard_api_seconds, and a throttling answer
 * in mfaguard_throttled_total.
 */
void mg_api_observe(const char *family, const char *api,
                    const struct mg_error *err, int64_t started_ms);

/* Current value of a counter or gauge series (0 when absent). */
double mg_metric_value(const char *name, const char *labels);

int mg_metrics_render(struct mg_buf *out);

/* Forget every series and description (tests). */
void mg_metrics_reset(void);

#endif
