#ifndef WRK_SETTINGS_H
#define WRK_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

/*
 * The worker's settings, declared once in the table in settings.c. That
 * table drives parsing (file, then environment: the environment wins),
 * validation of types and bounds, `mfaguard settings --example` (the
 * documented example file in deploy/) and `--markdown` (the reference in
 * docs/configuration.md), so the three can never disagree.
 *
 * A settings file holds "name = value" lines; '#' starts a comment. Every
 * setting can also come from the variable MFAGUARD_<NAME> (upper case).
 * Credentials use the standard ALIBABA_CLOUD_* variables instead (see
 * worker/credentials.c) and never appear in this table.
 */
struct wrk_settings {
    /* endpoints and names */
    char region[64];
    char account_id[32];
    char mns_endpoint[256];
    char ram_endpoint[256];
    char config_endpoint[256];
    char config_api_version[16];
    char sts_endpoint[256];
    char metadata_endpoint[256];
    char queue[128];
    char topic[128];
    char subscription[128];
    char subscription_format[16];
    char notify_topic[128];
    char notify_tag[32];
    char dlq_queue[128];
    char rule_name[128];
    char resource_region[64];

    /* the check */
    char dangerous_actions[1024];
    int only_custom;
    char sweep_mode[16];

    /* receiving and processing */
    int wait_seconds;
    int batch_size;
    int max_attempts;
    int visibility_timeout;
    int lease_extension;
    int retry_delay;
    int concurrency;
    int io_threads;
    int shutdown_deadline;

    /* calls */
    int call_attempts;
    int retry_base_ms;
    int retry_cap_ms;
    int call_timeout_ms;
    int ram_rps;
    int config_rps;
    int mns_rps;
    int ram_page_size;
    int tls_verify;
    char ca_file[256];

    /* caches */
    int cache_ttl;
    int cache_entries;

    /* operations */
    char log_level[16];
    char log_format[16];
    char http_listen[64];
    char serve_listen[64];
    char serve_mode[16];
};

/* Fill with the table's defaults. */
void wrk_settings_defaults(struct wrk_settings *s);

/*
 * Read a settings file (path may be NULL: none), then the environment.
 * On error writes a message naming the setting to errbuf and returns -1.
 */
int wrk_settings_load(struct wrk_settings *s, const char *path, char *errbuf,
                      size_t errlen);

/* Set one setting by name from text, with the table's checks. */
int wrk_settings_set(struct wrk_settings *s, const char *name,
                     const char *value, char *errbuf, size_t errlen);

/* The documented example file / the Markdown reference table. */
void wrk_settings_write_example(FILE *out);
void wrk_settings_write_markdown(FILE *out);

/* Every setting with its current value (for --help and debugging). */
void wrk_settings_dump(const struct wrk_settings *s, FILE *out);

#endif
