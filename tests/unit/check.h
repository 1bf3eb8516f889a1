#ifndef TESTS_CHECK_H
#define TESTS_CHECK_H

/*
 * A minimal test harness: each test is a function; CHECK macros count
 * failures and print where they happened; the program's exit status says
 * whether everything passed. ctest runs one program per module.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

extern int check_failures;
extern int check_count;

#define CHECK(cond)                                                            \
    do {                                                                       \
        check_count++;                                                         \
        if (!(cond)) {                                                         \
            check_failures++;                                                  \
            fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                      \
    } while (0)

#define CHECK_STR(a, b)                                                     \
    do {                                                                    \
        const char *check_a_ = (a);                                         \
        const char *check_b_ = (b);                                         \
        check_count++;                                                      \
        if (check_a_ == NULL || check_b_ == NULL ||                         \
            strcmp(check_a_, check_b_) != 0) {                              \
            check_failures++;                                               \
            fprintf(stderr, "%s:%d: %s is \"%s\", want \"%s\"\n", __FILE__, \
                    __LINE__, #a, check_a_ ? check_a_ : "(null)",           \
                    check_b_ ? check_b_ : "(null)");                        \
        }                                                                   \
    } while (0)

#define CHECK_INT(a, b)                                                 \
    do {                                                                \
        long long check_a_ = (long long)(a);                            \
        long long check_b_ = (long long)(b);                            \
        check_count++;                                                  \
        if (check_a_ != check_b_) {                                     \
            check_failures++;                                           \
            fprintf(stderr, "%s:%d: %s is %lld, want %lld\n", __FILE__, \
                    __LINE__, #a, check_a_, check_b_);                  \
        }                                                               \
    } while (0)

#define RUN(test)                                                            \
    do {                                                                     \
        int check_before_ = check_failures;                                  \
        test();                                                              \
        printf("%s %s\n", check_failures == check_before_ ? "ok  " : "FAIL", \
               #test);                                                       \
    } while (0)

#define CHECK_MAIN_END()                                               \
    do {                                                               \
        printf("%d checks, %d failed\n", check_count, check_failures); \
        return check_failures ? 1 : 0;                                 \
    } while (0)

#define CHECK_GLOBALS   \
    int check_failures; \
    int check_count

#endif
