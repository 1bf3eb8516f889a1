#ifndef TESTS_UNIT_RAM_TESTS_H
#define TESTS_UNIT_RAM_TESTS_H

/*
 * The parts of test_ram, one file per subject, and what they share: a
 * deterministic random source and a plain recursive glob matcher that the
 * brute-force checks trust instead of the code under test.
 */

#include <stdint.h>

/* Reference matcher: '*' any run, '?' one byte, ASCII case folded. */
int ref_match(const char *pattern, const char *name);

/* xorshift64*, seeded per test so that runs are reproducible. */
uint64_t test_rand(uint64_t *state);

void test_glob_match_table(void);
void test_glob_overlap_table(void);
void test_glob_covers_table(void);
void test_glob_long_patterns(void);
void test_glob_brute_force(void);
void test_automaton_brute_force(void);
void test_automaton_witness_is_shortest(void);
void test_automaton_bound_is_conservative(void);

void test_policy_forms(void);
void test_policy_ignored_statements(void);
void test_policy_conditions(void);
void test_policy_refuses_malformed(void);
void test_policy_limits(void);

void test_analysis_semantics_table(void);
void test_analysis_cases(void);
void test_analysis_grant_order_and_action(void);
void test_analysis_sources_sort(void);
void test_analysis_may_grant_and_has_deny(void);
void test_analysis_bound_keeps_grant(void);
void test_analysis_budget_keeps_grants(void);
void test_analysis_brute_force(void);
void test_analysis_benchmark(void);

void test_decode_users(void);
void test_decode_lists(void);
void test_decode_ids_exact(void);
void test_decode_single_answers(void);
void test_decode_policy_document(void);
void test_decode_refuses(void);
void test_decode_paging(void);

void test_client_pages_to_the_end(void);
void test_client_mfa_and_login_profile(void);
void test_client_policies_and_groups(void);
void test_client_names_travel_intact(void);
void test_client_signs_every_call(void);
void test_client_bad_paging(void);
void test_client_retries_throttling(void);

#endif
