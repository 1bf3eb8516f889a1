#ifndef MG_CLOCK_H
#define MG_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Wall-clock milliseconds since the Unix epoch. */
int64_t mg_now_ms(void);

/* Monotonic milliseconds, for timeouts and durations. */
int64_t mg_mono_ms(void);

/* Sleep, resuming after signals, unless *stop becomes non-zero. */
void mg_sleep_ms(int64_t ms, volatile const int *stop);

/* "Thu, 09 Jul 2015 03:01:34 GMT", locale-independent. out >= 30. */
void mg_fmt_rfc1123(time_t t, char *out, size_t outlen);

/* "2016-02-23T12:46:24Z". out >= 21. */
void mg_fmt_iso8601(time_t t, char *out, size_t outlen);

/* Parse either form above; returns 0 and sets *out, or -1. */
int mg_parse_rfc1123(const char *s, time_t *out);
int mg_parse_iso8601(const char *s, time_t *out);

#endif
