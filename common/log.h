#ifndef MG_LOG_H
#define MG_LOG_H

#include <stdio.h>

struct mg_error;

/*
 * The one logger. Every line is one event: a level, a timestamp, an event
 * name ("message.deleted"), the calling thread's context fields (message
 * id, dequeue count, rule, user: set once per message with mg_log_ctx_set)
 * and the fields given at the call:
 *
 *     mg_log_info("verdict", MG_LS("verdict", "NON_COMPLIANT"),
 *                 MG_LI("grants", n));
 *     mg_log_warn("api.failed", MG_LERR(&err));
 *
 * Output is logfmt or JSON lines. Values are escaped, so a user name with
 * a newline or a quote cannot split or forge a line. Registered secrets
 * (mg_log_secret_add) are masked wherever they appear; callers still must
 * not pass secrets or full result tokens (see mg_log_token).
 */
enum mg_log_level {
    MG_LOG_DEBUG,
    MG_LOG_INFO,
    MG_LOG_WARN,
    MG_LOG_ERROR,
    MG_LOG_OFF,
};

enum mg_log_format {
    MG_LOG_LOGFMT,
    MG_LOG_JSON,
};

enum mg_log_type {
    MG_LOG_T_END,
    MG_LOG_T_STR,
    MG_LOG_T_INT,
    MG_LOG_T_ERR,
};

#define MG_LS(k, v) MG_LOG_T_STR, (const char *)(k), (const char *)(v)
#define MG_LI(k, v) MG_LOG_T_INT, (const char *)(k), (long long)(v)
#define MG_LERR(e)  MG_LOG_T_ERR, "err", (const struct mg_error *)(e)

#define mg_log_debug(...) mg_log_at(MG_LOG_DEBUG, __VA_ARGS__, MG_LOG_T_END)
#define mg_log_info(...)  mg_log_at(MG_LOG_INFO, __VA_ARGS__, MG_LOG_T_END)
#define mg_log_warn(...)  mg_log_at(MG_LOG_WARN, __VA_ARGS__, MG_LOG_T_END)
#define mg_log_error(...) mg_log_at(MG_LOG_ERROR, __VA_ARGS__, MG_LOG_T_END)

/* Not thread-safe: call before starting threads. out NULL means stderr. */
void mg_log_setup(enum mg_log_level min, enum mg_log_format fmt, FILE *out);

int mg_log_parse_level(const char *s, enum mg_log_level *out);
int mg_log_parse_format(const char *s, enum mg_log_format *out);

int mg_log_enabled(enum mg_log_level lvl);

/* Fields follow event as (type, key, value) triples ending in T_END. */
void mg_log_at(enum mg_log_level lvl, const char *event, ...);

/*
 * Context of the calling thread, added to each line it logs. Values are
 * copied (cut to 128 bytes). Setting a key again replaces its value; NULL
 * removes it.
 */
void mg_log_ctx_set(const char *key, const char *value);
void mg_log_ctx_clear(void);

/* Mask this string in every later line (credentials). The last 64
 * distinct ones are kept; rotated credentials replace the oldest. */
void mg_log_secret_add(const char *secret);

/*
 * A result token or other bearer string cut to a short prefix that is
 * still useful to match log lines: "HLQr3B…(180)". out must hold 24 bytes.
 */
const char *mg_log_token(const char *token, char *out, size_t outlen);

#endif
