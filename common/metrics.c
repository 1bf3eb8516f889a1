#include "common/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/error.h"

#include "common/banned.h"

#define MAX_SERIES 1024
#define MAX_NAMES  64
#define NBUCKETS   17

static const double bounds[NBUCKETS] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                         0.5,   1,    2.5,   5,    10,  20,
                                         30,    60,   120,   180,  300 };

struct desc {
    char name[64];
    enum mg_metric_type type;
    char help[160];
};

struct series {
    char name[64];
    char labels[160];
    double value; /* counter / gauge, or histogram sum */
    unsigned long long count;
    unsigned long long buckets[NBUCKETS];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct desc descs[MAX_NAMES];
static size_t ndescs;
static struct series table[MAX_SERIES];
static size_t nseries;

void mg_metric_describe(const char *name, enum mg_metric_type type,
                        const char *help)
{
    size_t i;

    pthread_mutex_lock(&lock);
    for (i = 0; i < ndescs; i++) {
        if (strcmp(descs[i].name, name) == 0) {
            break;
        }
    }
    if (i == ndescs && ndescs < MAX_NAMES) {
        snprintf(descs[i].name, sizeof(descs[i].name), "%s", name);
        descs[i].type = type;
        snprintf(descs[i].help, sizeof(descs[i].help), "%s", help);
        ndescs++;
    }
    pthread_mutex_unlock(&lock);
}

/* Find or add a series; lock held. NULL when the table is full. */
static struct series *find(const char *name, const char *labels)
{
    size_t i;

    labels = labels ? labels : "";
    for (i = 0; i < nseries; i++) {
        if (strcmp(table[i].name, name) == 0 &&
            strcmp(table[i].labels, labels) == 0) {
            return &table[i];
        }
    }
    if (nseries == MAX_SERIES) {
        return NULL;
    }
    memset(&table[nseries], 0, sizeof(table[0]));
    snprintf(table[nseries].name, sizeof(table[0].name), "%s", name);
    snprintf(table[nseries].labels, sizeof(table[0].labels), "%s", labels);
    return &table[nseries++];
}

void mg_counter_add(const char *name, const char *labels, double v)
{
    mg_gauge_add(name, labels, v);
}

void mg_gauge_add(const char *name, const char *labels, double v)
{
    struct series *s;

    pthread_mutex_lock(&lock);
    s = find(name, labels);
    if (s) {
        s->value += v;
    }
    pthread_mutex_unlock(&lock);
}

void mg_gauge_set(const char *name, const char *labels, double v)
{
    struct series *s;

    pthread_mutex_lock(&lock);
    s = find(name, labels);
    if (s) {
        s->value = v;
    }
    pthread_mutex_unlock(&lock);
}

void mg_histogram_observe(const char *name, const char *labels, double seconds)
{
    struct series *s;
    int i;

    pthread_mutex_lock(&lock);
    s = find(name, labels);
    if (s) {
        s->value += seconds;
        s->count++;
        for (i = 0; i < NBUCKETS; i++) {
            if (seconds <= bounds[i]) {
                s->buckets[i]++;
            }
        }
    }
    pthread_mutex_unlock(&lock);
}

double mg_metric_value(const char *name, const char *labels)
{
    double v = 0;
    size_t i;

    pthread_mutex_lock(&lock);
    for (i = 0; i < nseries; i++) {
        if (strcmp(table[i].name, name) == 0 &&
            strcmp(table[i].labels, labels ? labels : "") == 0) {
            v = table[i].value;
        }
    }
    pthread_mutex_unlock(&lock);
    return v;
}

static void render_histogram(struct mg_buf *out, const struct series *s)
{
    const char *sep = s->labels[0] ? "," : "";
    int i;

    for (i = 0; i < NBUCKETS; i++) {
        mg_buf_addf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", s->name, s->labels,
                    sep, bounds[i], s->buckets[i]);
    }
    mg_buf_addf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", s->name, s->labels,
                sep, s->count);
    if (s->labels[0]) {
        mg_buf_addf(out, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", s->name,
                    s->labels, s->value, s->name, s->labels, s->count);
    } else {
        mg_buf_addf(out, "%s_sum %.6f\n%s_count %llu\n", s->name, s->value,
                    s->name, s->count);
    }
}

static const char *type_name(enum mg_metric_type t)
{
    return t == MG_COUNTER ? "counter"
                           : (t == MG_GAUGE ? "gauge" : "histogram");
}

int mg_metrics_render(struct mg_buf *out)
{
    size_t d;
    size_t i;

    pthread_mutex_lock(&lock);
    for (d = 0; d < ndescs; d++) {
        mg_buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", descs[d].name,
                    descs[d].help, descs[d].name, type_name(descs[d].type));
        for (i = 0; i < nseries; i++) {
            if (strcmp(table[i].name, descs[d].name) != 0) {
                continue;
            }
            if (descs[d].type == MG_HISTOGRAM) {
                render_histogram(out, &table[i]);
            } else if (table[i].labels[0]) {
                mg_buf_addf(out, "%s{%s} %.17g\n", table[i].name,
                            table[i].labels, table[i].value);
            } else {
                mg_buf_addf(out, "%s %.17g\n", table[i].name, table[i].value);
            }
        }
    }
    pthread_mutex_unlock(&lock);
    return out->data ? 0 : mg_buf_add(out, "", 0);
}

void mg_metrics_reset(void)
{
    pthread_mutex_lock(&lock);
    ndescs = 0;
    nseries = 0;
    pthread_mutex_unlock(&lock);
}

void mg_api_observe(const char *family, const char *api,
                    const struct mg_error *err, int64_t started_ms)
{
    char labels[160];
    const char *outcome = err->cls == MG_OK ? "ok"
                          : err->throttled  ? "throttled"
                                            : mg_class_name(err->cls);

    snprintf(labels, sizeof(labels), "family=\"%s\",api=\"%s\",outcome=\"%s\"",
             family, api, outcome);
    mg_counter_add("mfaguard_api_calls_total", labels, 1);
    snprintf(labels, sizeof(labels), "family=\"%s\",api=\"%s\"", family, api);
    mg_histogram_observe("mfaguard_api_seconds", labels,
                         (double)(mg_mono_ms() - started_ms) / 1000.0);
    if (err->throttled) {
        snprintf(labels, sizeof(labels), "family=\"%s\"", family);
        mg_counter_add("mfaguard_throttled_total", labels, 1);
    }
}
