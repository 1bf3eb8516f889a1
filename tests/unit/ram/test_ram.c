/* Unit tests of the RAM module: globs, the automaton, policy documents,
 * the analysis of docs/semantics.md, answer decoding and the client. */

#include <stdio.h>

#include "check.h"
#include "common/http.h"
#include "common/log.h"
#include "ram_tests.h"

CHECK_GLOBALS;

int main(void)
{
    /* Warnings some tests provoke on purpose stay out of the output. */
    mg_log_setup(MG_LOG_ERROR, MG_LOG_LOGFMT, NULL);
    if (mg_http_global_init(NULL) != 0) {
        fprintf(stderr, "cannot set up the HTTP transport\n");
        return 1;
    }

    RUN(test_glob_match_table);
    RUN(test_glob_overlap_table);
    RUN(test_glob_covers_table);
    RUN(test_glob_long_patterns);
    RUN(test_glob_brute_force);
    RUN(test_automaton_brute_force);
    RUN(test_automaton_witness_is_shortest);
    RUN(test_automaton_bound_is_conservative);

    RUN(test_policy_forms);
    RUN(test_policy_ignored_statements);
    RUN(test_policy_conditions);
    RUN(test_policy_refuses_malformed);
    RUN(test_policy_limits);

    RUN(test_analysis_semantics_table);
    RUN(test_analysis_cases);
    RUN(test_analysis_grant_order_and_action);
    RUN(test_analysis_sources_sort);
    RUN(test_analysis_may_grant_and_has_deny);
    RUN(test_analysis_bound_keeps_grant);
    RUN(test_analysis_budget_keeps_grants);
    RUN(test_analysis_brute_force);
    RUN(test_analysis_benchmark);

    RUN(test_decode_users);
    RUN(test_decode_lists);
    RUN(test_decode_ids_exact);
    RUN(test_decode_single_answers);
    RUN(test_decode_policy_document);
    RUN(test_decode_refuses);
    RUN(test_decode_paging);

    RUN(test_client_pages_to_the_end);
    RUN(test_client_mfa_and_login_profile);
    RUN(test_client_policies_and_groups);
    RUN(test_client_names_travel_intact);
    RUN(test_client_signs_every_call);
    RUN(test_client_bad_paging);
    RUN(test_client_retries_throttling);

    mg_http_global_cleanup();
    CHECK_MAIN_END();
}
