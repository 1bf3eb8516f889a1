#ifndef TESTS_UNIT_CONFIG_TESTS_H
#define TESTS_UNIT_CONFIG_TESTS_H

/* The parts of test_config that live in files of their own. */

/* Every NN-name.json in dir; fails when dir holds none. */
void run_case_tests(const char *dir);

/* PutEvaluations against a one-shot HTTP server on 127.0.0.1. */
void run_client_tests(void);

#endif
