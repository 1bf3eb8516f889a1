#include "common/clock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/banned.h"

static const char *days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

int64_t mg_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mg_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mg_sleep_ms(int64_t ms, volatile const int *stop)
{
    int64_t end = mg_mono_ms() + ms;

    /* Sleep in short slices so that a stop request is seen quickly. */
    while (ms > 0 && !(stop && *stop)) {
        int64_t slice = ms > 100 ? 100 : ms;
        struct timespec ts = { slice / 1000, (slice % 1000) * 1000000 };

        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
            if (stop && *stop) {
                return;
            }
        }
        ms = end - mg_mono_ms();
    }
}

void mg_fmt_rfc1123(time_t t, char *out, size_t outlen)
{
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d GMT",
             days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void mg_fmt_iso8601(time_t t, char *out, size_t outlen)
{
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int check_tm(struct tm *tm, time_t *out)
{
    if (tm->tm_mon < 0 || tm->tm_mon > 11 || tm->tm_mday < 1 ||
        tm->tm_mday > 31 || tm->tm_hour > 23 || tm->tm_min > 59 ||
        tm->tm_sec > 60) {
        return -1;
    }
    *out = timegm(tm);
    return 0;
}

int mg_parse_rfc1123(const char *s, time_t *out)
{
    struct tm tm;
    char wday[4];
    char mon[4];
    char zone[4];
    int i;

    memset(&tm, 0, sizeof(tm));
    if (sscanf(s, "%3s, %2d %3s %4d %2d:%2d:%2d %3s", wday, &tm.tm_mday, mon,
               &tm.tm_year, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, zone) != 8 ||
        strcmp(zone, "GMT") != 0) {
        return -1;
    }
    tm.tm_mon = -1;
    for (i = 0; i < 12; i++) {
        if (strcmp(mon, months[i]) == 0) {
            tm.tm_mon = i;
        }
    }
    tm.tm_year -= 1900;
    return check_tm(&tm, out);
}

int mg_parse_iso8601(const char *s, time_t *out)
{
    struct tm tm;
    char z = 0;

    memset(&tm, 0, sizeof(tm));
    if (strlen(s) != 20 ||
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
        z != 'Z') {
        return -1;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return check_tm(&tm, out);
}
