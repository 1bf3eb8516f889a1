#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/*
 * What every libFuzzer target here shares. A target defines only
 * LLVMFuzzerTestOneInput; fuzz.c defines LLVMFuzzerInitialize, which puts
 * the process in a quiet, repeatable state before the first input.
 *
 * A broken invariant aborts through FUZZ_CHECK, so that libFuzzer keeps
 * the input as a crash file; the message names the check that failed.
 * Targets free everything they allocate: AddressSanitizer reports leaks.
 */

/* The entry points libFuzzer calls (declared for -Wmissing-prototypes). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report a broken invariant on stderr and abort. */
void fuzz_fail(const char *file, int line, const char *what)
    __attribute__((noreturn));

#define FUZZ_CHECK(cond)                          \
    do {                                          \
        if (!(cond)) {                            \
            fuzz_fail(__FILE__, __LINE__, #cond); \
        }                                         \
    } while (0)

/* A NUL-terminated copy of data (malloc'd, the caller frees it); aborts
 * when memory runs out, which libFuzzer's limits make an error anyway. */
char *fuzz_text(const uint8_t *data, size_t size);

/* Is a fixed-size text field NUL-terminated inside its array? */
int fuzz_terminated(const char *field, size_t size);

/* Is s[0..n) free of NUL bytes? */
int fuzz_no_nul(const void *s, size_t n);

/* Are a[0..an) and b[0..bn) the same bytes? */
int fuzz_same(const void *a, size_t an, const void *b, size_t bn);

#endif
