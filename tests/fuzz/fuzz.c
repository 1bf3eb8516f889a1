#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xml.h"

#include "common/banned.h"

/* The worker's settings read MFAGUARD_* variables after the file: a
 * variable left in the fuzzing shell would make runs differ between
 * machines. Names are gathered first, as unsetenv changes environ. */
static void drop_settings_variables(void)
{
    char names[64][128];
    size_t n = 0;
    size_t i;

    for (i = 0; environ[i] != NULL && n < 64; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t len = eq ? (size_t)(eq - environ[i]) : 0;

        if (strncmp(environ[i], "MFAGUARD_", 9) == 0 && len < 128) {
            memcpy(names[n], environ[i], len);
            names[n++][len] = '\0';
        }
    }
    for (i = 0; i < n; i++) {
        unsetenv(names[i]);
    }
}

/*
 * Log lines go to /dev/null at the lowest level rather than being turned
 * off: the logger's escaping then runs on every fuzzed value that a
 * decoder logs, without the output slowing the run down.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    FILE *sink = fopen("/dev/null", "w");

    (void)argc;
    (void)argv;
    if (sink != NULL) {
        mg_log_setup(MG_LOG_DEBUG, MG_LOG_JSON, sink);
    } else {
        mg_log_setup(MG_LOG_OFF, MG_LOG_JSON, NULL);
    }
    mg_xml_global_init();
    drop_settings_variables();
    return 0;
}

void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

char *fuzz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL) {
        fuzz_fail(__FILE__, __LINE__, "out of memory copying the input");
    }
    if (size > 0) {
        memcpy(s, data, size);
    }
    s[size] = '\0';
    return s;
}

int fuzz_terminated(const char *field, size_t size)
{
    return memchr(field, '\0', size) != NULL;
}

int fuzz_no_nul(const void *s, size_t n)
{
    return n == 0 || memchr(s, '\0', n) == NULL;
}

int fuzz_same(const void *a, size_t an, const void *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}
