/*
 * The worker's settings file: "name = value" lines read by
 * wrk_settings_load (the file is written to a memfd, so nothing touches
 * the disk). A refused file leaves a message; an accepted one, written
 * out by wrk_settings_dump and read again, must give the same settings
 * (unless a value holds what the file format reads as a note), so the
 * dump is a file the loader takes back. Each line is also handed
 * to wrk_settings_set as it stands, untrimmed, as the CLI and the
 * environment do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "worker/settings.h"

#include "common/banned.h"

#define DUMP_MAX (64u * 1024u)

/* A memory file holding text, and the path the loader opens it by. */
struct memfile {
    int fd;
    char path[64];
};

static void memfile_write(struct memfile *f, const char *text, size_t n)
{
    FUZZ_CHECK(ftruncate(f->fd, 0) == 0);
    FUZZ_CHECK(n == 0 || pwrite(f->fd, text, n, 0) == (ssize_t)n);
}

static struct memfile *memfile_get(void)
{
    static struct memfile f = { -1, "" };

    if (f.fd < 0) {
        f.fd = memfd_create("fuzz-settings", 0);
        FUZZ_CHECK(f.fd >= 0);
        snprintf(f.path, sizeof(f.path), "/proc/self/fd/%d", f.fd);
    }
    return &f;
}

/* wrk_settings_dump into a malloc'd string. */
static char *dump(const struct wrk_settings *s, size_t *len)
{
    char *text = NULL;
    FILE *out = open_memstream(&text, len);

    FUZZ_CHECK(out != NULL);
    wrk_settings_dump(s, out);
    FUZZ_CHECK(fclose(out) == 0 && text != NULL);
    FUZZ_CHECK(*len < DUMP_MAX);
    return text;
}

static int load(struct wrk_settings *s, const char *text, size_t n,
                char *errbuf, size_t errlen)
{
    struct memfile *f = memfile_get();

    memfile_write(f, text, n);
    wrk_settings_defaults(s);
    errbuf[0] = '\0';
    return wrk_settings_load(s, f->path, errbuf, errlen);
}

/*
 * Can a file say this dump? Not when a value holds a '#' after a blank
 * (or opens with one): the loader reads that as the start of a note,
 * while "name =#x" (no blank) sets "#x". Such values can come from a
 * file or the environment but cannot be written back.
 */
static int value_writable(const char *v, const char *end)
{
    if (v < end && *v == '#') {
        return 0;
    }
    for (; v + 1 < end; v++) {
        if ((v[0] == ' ' || v[0] == '\t') && v[1] == '#') {
            return 0;
        }
    }
    return 1;
}

static int writable(const char *dump)
{
    const char *line = dump;

    while (*line != '\0') {
        const char *end = strchr(line, '\n');
        const char *eq = strstr(line, " = ");

        if (end == NULL) {
            end = line + strlen(line);
        }
        if (eq != NULL && eq < end && !value_writable(eq + 3, end)) {
            return 0;
        }
        line = *end != '\0' ? end + 1 : end;
    }
    return 1;
}

static void check_round_trip(const struct wrk_settings *s)
{
    struct wrk_settings again;
    char errbuf[512];
    size_t n1;
    size_t n2;
    char *first = dump(s, &n1);
    char *second;

    if (!writable(first)) {
        free(first);
        return;
    }
    FUZZ_CHECK(load(&again, first, n1, errbuf, sizeof(errbuf)) == 0);
    second = dump(&again, &n2);
    FUZZ_CHECK(fuzz_same(first, n1, second, n2));
    free(second);
    free(first);
}

/* Every "name=value" line straight to wrk_settings_set. */
static void check_set_lines(char *text)
{
    struct wrk_settings s;
    char errbuf[64];
    char *save = NULL;
    char *line;

    wrk_settings_defaults(&s);
    for (line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');

        if (eq == NULL) {
            continue;
        }
        *eq = '\0';
        errbuf[0] = '\0';
        if (wrk_settings_set(&s, line, eq + 1, errbuf, sizeof(errbuf)) != 0) {
            FUZZ_CHECK(errbuf[0] != '\0');
        }
        FUZZ_CHECK(fuzz_terminated(errbuf, sizeof(errbuf)));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wrk_settings s;
    char errbuf[128];
    char *text = fuzz_text(data, size);

    if (load(&s, text, size, errbuf, sizeof(errbuf)) == 0) {
        check_round_trip(&s);
    } else {
        FUZZ_CHECK(errbuf[0] != '\0');
        FUZZ_CHECK(fuzz_terminated(errbuf, sizeof(errbuf)));
    }
    check_set_lines(text);
    free(text);
    return 0;
}
