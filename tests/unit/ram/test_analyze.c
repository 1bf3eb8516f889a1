/* The analysis of docs/semantics.md: every rule of the page, the policy
 * situations of the shared cases, ordering, and a brute-force check. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "ram/document.h"
#include "ram/policy.h"
#include "ram_tests.h"

#define MAX_SOURCES 8

/* The policies a user has, as documents, and where each comes from. */
struct account {
    struct ram_source src[MAX_SOURCES];
    struct ram_policy *doc[MAX_SOURCES];
    size_t n;
};

static void add(struct account *a, const char *name, const char *type,
                const char *group, const char *doc)
{
    struct mg_error err;

    mg_error_clear(&err);
    a->doc[a->n] = ram_policy_parse(doc, strlen(doc), &err);
    if (a->doc[a->n] == NULL) {
        fprintf(stderr, "%s refused: %s\n", name, err.message);
    }
    CHECK(a->doc[a->n] != NULL);
    a->src[a->n] = (struct ram_source){ name, type, group, a->doc[a->n] };
    a->n++;
}

static void drop(struct account *a)
{
    size_t i;

    for (i = 0; i < a->n; i++) {
        ram_policy_free(a->doc[i]);
    }
    a->n = 0;
}

/*
 * The grants for the dangerous patterns in csv, as text:
 * "pattern|policy|statement|action;" for each, in the order given.
 */
static void grants(struct account *a, const char *csv, char *out, size_t cap)
{
    char list[256];
    const char *pat[16];
    size_t n = 0;
    char *save = NULL;
    char *tok;
    struct ram_grant_list gl = { NULL, 0, 0 };
    struct mg_error err;
    struct mg_buf b = MG_BUF_INIT(4096);
    size_t i;

    snprintf(list, sizeof(list), "%s", csv);
    for (tok = strtok_r(list, ",", &save); tok && n < 16;
         tok = strtok_r(NULL, ",", &save)) {
        pat[n++] = tok;
    }
    mg_error_clear(&err);
    ram_sources_sort(a->src, a->n);
    CHECK(ram_analyze(a->src, a->n, pat, n, &gl, &err) == 0);
    for (i = 0; i < gl.n; i++) {
        const struct ram_grant *g = &gl.v[i];

        mg_buf_addf(&b, "%s|%s|%zu|%s;", pat[g->dangerous],
                    a->src[g->source].policy_name, g->statement, g->action);
    }
    snprintf(out, cap, "%s", mg_buf_str(&b));
    mg_buf_release(&b);
    ram_grant_list_release(&gl);
}

#define ECS_FULL                                                          \
    "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":" \
    "\"ecs:*\",\"Resource\":\"*\"},{\"Effect\":\"Allow\",\"Action\":["    \
    "\"vpc:DescribeVpcs\",\"vpc:DescribeVSwitches\"],\"Resource\":\"*\"}]}"
#define ADMIN                                                             \
    "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":" \
    "\"*\",\"Resource\":\"*\"}]}"
#define POWER_USER                                                           \
    "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"NotAction\":" \
    "[\"ram:*\",\"ims:*\",\"resourcemanager:*\",\"resourcesharing:*\","      \
    "\"cloudsso:*\"],\"Resource\":\"*\"}]}"
#define ALLOW(act)                                          \
    "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":" act \
    ",\"Resource\":\"*\"}]}"
#define DENY(act)                                          \
    "{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":" act \
    ",\"Resource\":\"*\"}]}"

#define DANGER "ecs:*,oss:*,log:*"

struct situation {
    const char *about;
    const char *docs[3]; /* policy documents, named P0, P1, P2 */
    const char *group[3];
    const char *dangerous;
    const char *want;
};

/* One line per rule of docs/semantics.md, and the policy situations of
 * the shared cases (named after them). */
static const struct situation situations[] = {
    { "01 AliyunECSFullAccess grants ecs:*",
      { ECS_FULL },
      { NULL },
      DANGER,
      "ecs:*|P0|0|ecs:*;" },
    { "03 AdministratorAccess grants every pattern",
      { ADMIN },
      { NULL },
      DANGER,
      "ecs:*|P0|0|*;oss:*|P0|0|*;log:*|P0|0|*;" },
    { "04 a partial wildcard overlaps",
      { ALLOW("[\"ecs:Delete*\",\"ecs:StopInstance\"]") },
      { NULL },
      DANGER,
      "ecs:*|P0|0|ecs:Delete*;" },
    { "05 case does not matter",
      { ALLOW("\"ECS:DeleteInstance\"") },
      { NULL },
      DANGER,
      "ecs:*|P0|0|ECS:DeleteInstance;" },
    { "06 a group's policy counts",
      { ALLOW("\"log:*\"") },
      { "log-admins" },
      DANGER,
      "log:*|P0|0|log:*;" },
    { "07 an Allow and a Deny in one policy cancel",
      { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs:*\","
        "\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":\"ecs:*\","
        "\"Resource\":\"*\"}]}" },
      { NULL },
      DANGER,
      "" },
    { "08 NotAction grants what it does not name",
      { POWER_USER },
      { NULL },
      DANGER,
      "ecs:*|P0|0|NotAction;oss:*|P0|0|NotAction;log:*|P0|0|NotAction;" },
    { "08 NotAction ram:* does not grant ram:*",
      { POWER_USER },
      { NULL },
      "ram:*,RAM:CreateUser,ims:Get*",
      "" },
    { "10 an Allow that needs MFA grants nothing",
      { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs:*\","
        "\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"acs:MFAPresent\":"
        "\"true\"}}}]}" },
      { NULL },
      DANGER,
      "" },
    { "20 oss:Get* is part of oss:*",
      { ALLOW("[\"oss:Get*\",\"oss:List*\"]") },
      { NULL },
      DANGER,
      "oss:*|P0|0|oss:Get*;" },
    { "21 rds:* is unrelated", { ALLOW("\"rds:*\"") }, { NULL }, DANGER, "" },
    { "a Deny in one policy cancels the Allow of another",
      { ECS_FULL, DENY("\"ecs:*\"") },
      { NULL },
      DANGER,
      "" },
    { "a Deny through a group cancels a grant on the user",
      { ECS_FULL, DENY("\"ECS:*\"") },
      { NULL, "fence" },
      DANGER,
      "" },
    { "a Deny under another condition removes nothing",
      { ECS_FULL,
        "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"ecs:*\",\"Resource\""
        ":\"*\",\"Condition\":{\"IpAddress\":{\"acs:SourceIp\":\"10.0.0.0/8\""
        "}}}}" },
      { NULL },
      DANGER,
      "ecs:*|P0|0|ecs:*;" },
    { "a Deny on some resources removes nothing",
      { ECS_FULL, "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"ecs:*\","
                  "\"Resource\":\"acs:ecs:*:*:instance/*\"}}" },
      { NULL },
      DANGER,
      "ecs:*|P0|0|ecs:*;" },
    { "a Deny with NotResource removes nothing",
      { ECS_FULL, "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"ecs:*\","
                  "\"NotResource\":\"acs:ecs:*:*:instance/i-1\"}}" },
      { NULL },
      DANGER,
      "ecs:*|P0|0|ecs:*;" },
    { "a Deny on acs:*:*:*:* removes",
      { ECS_FULL, "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"ecs:*\","
                  "\"Resource\":[\"acs:*:*:*:*\"]}}" },
      { NULL },
      DANGER,
      "" },
    { "a Deny without MFA makes the grant MFA-only",
      { ECS_FULL, "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"*\","
                  "\"Resource\":\"*\",\"Condition\":{\"Bool\":{"
                  "\"acs:MFAPresent\":\"false\"}}}}" },
      { NULL },
      DANGER,
      "" },
    { "BoolIfExists false works as well",
      { ADMIN, "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":[\"ecs:*\","
               "\"oss:*\"],\"Resource\":\"*\",\"Condition\":{\"BoolIfExists\":"
               "{\"acs:MFAPresent\":false}}}}" },
      { NULL },
      DANGER,
      "log:*|P0|0|*;" },
    { "a Deny without MFA and more conditions removes nothing",
      { ECS_FULL, "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"*\","
                  "\"Resource\":\"*\",\"Condition\":{\"Bool\":{"
                  "\"acs:MFAPresent\":\"false\",\"acs:SecureTransport\":"
                  "\"true\"}}}}" },
      { NULL },
      DANGER,
      "ecs:*|P0|0|ecs:*;" },
    { "an empty Condition on a Deny is a condition: nothing removed",
      { ECS_FULL, "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"*\","
                  "\"Resource\":\"*\",\"Condition\":{}}}" },
      { NULL },
      DANGER,
      "ecs:*|P0|0|ecs:*;" },
    { "Allow * with Deny ecs:* still grants oss:* and log:*",
      { ADMIN, DENY("\"ecs:*\"") },
      { NULL },
      DANGER,
      "oss:*|P0|0|*;log:*|P0|0|*;" },
    { "a partial Deny leaves the rest of the pattern",
      { ECS_FULL, DENY("\"ecs:Delete*\"") },
      { NULL },
      DANGER,
      "ecs:*|P0|0|ecs:*;" },
    { "Denies together can cover what none covers alone",
      { ALLOW("\"ecs:Delete*\""), DENY("[\"ecs:Delete\",\"ecs:Delete?*\"]") },
      { NULL },
      DANGER,
      "" },
    { "a NotAction Deny leaves only what it names",
      { ADMIN, "{\"Statement\":{\"Effect\":\"Deny\",\"NotAction\":"
               "\"ecs:Describe*\",\"Resource\":\"*\"}}" },
      { NULL },
      DANGER,
      "ecs:*|P0|0|*;" },
    { "two NotAction Denies leave only what both name",
      { ADMIN,
        "{\"Statement\":[{\"Effect\":\"Deny\",\"NotAction\":[\"ecs:Describe*\","
        "\"oss:Get*\"],\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"NotAction\":"
        "[\"ecs:DescribeRegions\",\"log:*\"],\"Resource\":\"*\"}]}" },
      { NULL },
      DANGER,
      "ecs:*|P0|0|*;" },
    { "NotAction Allow less Denies",
      { POWER_USER, DENY("[\"ecs:*\",\"oss:*\"]") },
      { NULL },
      DANGER,
      "log:*|P0|0|NotAction;" },
    { "a NotAction Deny with an empty list denies everything",
      { ADMIN, "{\"Statement\":{\"Effect\":\"Deny\",\"NotAction\":[],"
               "\"Resource\":\"*\"}}" },
      { NULL },
      DANGER,
      "" },
    { "a NotAction Allow with an empty list grants everything",
      { "{\"Statement\":{\"Effect\":\"Allow\",\"NotAction\":[]}}" },
      { NULL },
      "ecs:*",
      "ecs:*|P0|0|NotAction;" },
    { "Deny * removes everything",
      { ADMIN, DENY("\"*\"") },
      { NULL },
      DANGER,
      "" },
    { "an Allow on some resources still grants",
      { "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"oss:PutObject\","
        "\"Resource\":\"acs:oss:*:*:bucket/*\"}}" },
      { NULL },
      DANGER,
      "oss:*|P0|0|oss:PutObject;" },
    { "an Allow under another condition still grants",
      { "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"oss:*\","
        "\"Condition\":{\"Bool\":{\"acs:MFAPresent\":\"false\"}}}}" },
      { NULL },
      DANGER,
      "oss:*|P0|0|oss:*;" },
    { "ignored statements grant nothing",
      { "{\"Statement\":[{\"Effect\":\"Audit\",\"Action\":\"*\"},{\"Effect\":"
        "\"Allow\",\"Resource\":\"*\"},{\"effect\":\"allow\",\"action\":"
        "\"log:*\"}]}" },
      { NULL },
      DANGER,
      "log:*|P0|2|log:*;" },
    { "the action named is the first that survives the Denies",
      { ALLOW("[\"oss:Get*\",\"ecs:Describe*\",\"ecs:Delete*\"]"),
        DENY("\"ecs:Describe*\"") },
      { NULL },
      DANGER,
      "ecs:*|P0|0|ecs:Delete*;oss:*|P0|0|oss:Get*;" },
    { "dangerous patterns are globs too",
      { ALLOW("\"ecs:DeleteInstance\"") },
      { NULL },
      "ecs:?elete*,*,*:Run*",
      "ecs:?elete*|P0|0|ecs:DeleteInstance;*|P0|0|ecs:DeleteInstance;" },
    { "a dangerous pattern fully denied by one glob",
      { ECS_FULL, DENY("\"ecs:D*\"") },
      { NULL },
      "ecs:Delete*,ecs:Run*",
      "ecs:Run*|P0|0|ecs:*;" },
};

void test_analysis_semantics_table(void)
{
    static const char *const names[] = { "P0", "P1", "P2" };
    size_t i;
    size_t j;

    for (i = 0; i < sizeof(situations) / sizeof(situations[0]); i++) {
        const struct situation *s = &situations[i];
        struct account a = { .n = 0 };
        char got[1024];

        for (j = 0; j < 3 && s->docs[j]; j++) {
            add(&a, names[j], "Custom", s->group[j], s->docs[j]);
        }
        grants(&a, s->dangerous, got, sizeof(got));
        if (strcmp(got, s->want) != 0) {
            fprintf(stderr, "situation: %s\n", s->about);
        }
        CHECK_STR(got, s->want);
        drop(&a);
    }
}

/* Documents given as text inside text, as GetPolicy returns them, are
 * what the client hands over; the fixtures of the cases hold both forms. */
void test_analysis_cases(void)
{
    struct account a = { .n = 0 };
    char got[1024];

    /* 06: sources reach the user through a group; the grant names it. */
    add(&a, "AliyunLogFullAccess", "System", "log-admins", ALLOW("\"log:*\""));
    grants(&a, DANGER, got, sizeof(got));
    CHECK_STR(got, "log:*|AliyunLogFullAccess|0|log:*;");
    CHECK_STR(a.src[0].group, "log-admins");
    drop(&a);

    /* 14: the same system policy shared by many users is parsed once and
     * read by all; the analysis never changes it. */
    add(&a, "AliyunECSFullAccess", "System", NULL, ECS_FULL);
    grants(&a, DANGER, got, sizeof(got));
    CHECK_STR(got, "ecs:*|AliyunECSFullAccess|0|ecs:*;");
    grants(&a, DANGER, got, sizeof(got));
    CHECK_STR(got, "ecs:*|AliyunECSFullAccess|0|ecs:*;");
    drop(&a);

    /* No policies at all: nothing granted. */
    grants(&a, DANGER, got, sizeof(got));
    CHECK_STR(got, "");
}

void test_analysis_grant_order_and_action(void)
{
    struct account a = { .n = 0 };
    struct ram_grant_list gl = { NULL, 0, 0 };
    struct mg_error err;
    const char *danger[] = { "log:*", "ecs:*" };
    char longp[300];

    /* Listed out of order on purpose. */
    add(&a, "Zeta", "Custom", "admins", ADMIN);
    add(&a, "Beta", "System", NULL, ALLOW("[\"ecs:Run*\",\"log:Get*\"]"));
    add(&a, "Alpha", "System", NULL, ADMIN);
    add(&a, "Alpha", "Custom", NULL, ALLOW("\"rds:*\""));
    ram_sources_sort(a.src, a.n);
    mg_error_clear(&err);
    CHECK(ram_analyze(a.src, a.n, danger, 2, &gl, &err) == 0);
    CHECK_INT(gl.n, 6);
    if (gl.n == 6) {
        /* by source (Alpha/Custom, Alpha/System, Beta, Zeta), statement,
         * then pattern */
        CHECK_STR(a.src[gl.v[0].source].policy_name, "Alpha");
        CHECK_STR(a.src[gl.v[0].source].policy_type, "System");
        CHECK_INT(gl.v[0].dangerous, 0);
        CHECK_INT(gl.v[1].dangerous, 1);
        CHECK_STR(a.src[gl.v[2].source].policy_name, "Beta");
        CHECK_INT(gl.v[2].dangerous, 0);
        CHECK_STR(gl.v[2].action, "log:Get*");
        CHECK_INT(gl.v[3].dangerous, 1);
        CHECK_STR(gl.v[3].action, "ecs:Run*");
        CHECK_STR(a.src[gl.v[4].source].group, "admins");
    }
    ram_grant_list_release(&gl);
    CHECK(gl.v == NULL && gl.n == 0);
    drop(&a);

    /* A pattern longer than the action field is cut visibly. */
    memset(longp, 'x', sizeof(longp));
    memcpy(longp, "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"ecs:", 45);
    memcpy(longp + 240, "\xe5\xbc\xa0*\"}}", 8);
    longp[248] = '\0';
    memcpy(longp + 45 - 4 + 123, "\xe5\xbc\xa0", 3); /* across the cut */
    add(&a, "Long", "Custom", NULL, longp);
    ram_sources_sort(a.src, a.n);
    CHECK(ram_analyze(a.src, a.n, danger + 1, 1, &gl, &err) == 0);
    CHECK_INT(gl.n, 1);
    if (gl.n == 1) {
        size_t n = strlen(gl.v[0].action);

        CHECK_INT(n, 126); /* the character at the cut is left out whole */
        CHECK_STR(gl.v[0].action + 123, "...");
        CHECK(strncmp(gl.v[0].action, "ecs:xxx", 7) == 0);
    }
    ram_grant_list_release(&gl);
    drop(&a);
}

void test_analysis_sources_sort(void)
{
    static const struct ram_policy *const none = NULL;
    struct ram_source s[] = {
        { "b", "System", "ops", none }, { "a", "System", "dev", none },
        { "z", "Custom", NULL, none },  { "a", "System", NULL, none },
        { "B", "Custom", "ops", none }, { "a", "Custom", "ops", none },
        { "x", "System", "Ops", none },
    };
    static const char *const want[] = {
        "-/Custom/z",   "-/System/a",   "Ops/System/x", "dev/System/a",
        "ops/Custom/B", "ops/Custom/a", "ops/System/b",
    };
    size_t i;
    char got[64];

    ram_sources_sort(s, sizeof(s) / sizeof(s[0]));
    for (i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
        snprintf(got, sizeof(got), "%s/%s/%s", s[i].group ? s[i].group : "-",
                 s[i].policy_type, s[i].policy_name);
        CHECK_STR(got, want[i]);
    }
}

void test_analysis_may_grant_and_has_deny(void)
{
    struct account a = { .n = 0 };
    const char *danger[] = { "ecs:*", "oss:*", "log:*" };

    add(&a, "ecs", "System", NULL, ECS_FULL);
    add(&a, "rds", "System", NULL, ALLOW("\"rds:*\""));
    add(&a, "fence", "Custom", NULL, DENY("\"ecs:*\""));
    add(&a, "self", "Custom", NULL,
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs:*\"},"
        "{\"Effect\":\"Deny\",\"Action\":\"ecs:*\",\"Resource\":\"*\"}]}");
    add(&a, "cond", "Custom", NULL,
        "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"ecs:*\","
        "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"a\":\"b\"}}}}");

    CHECK(ram_policy_may_grant(a.doc[0], danger, 3));
    CHECK(!ram_policy_may_grant(a.doc[1], danger, 3));
    CHECK(!ram_policy_may_grant(a.doc[2], danger, 3));
    CHECK(!ram_policy_may_grant(a.doc[3], danger, 3));
    CHECK(!ram_policy_may_grant(a.doc[0], danger + 1, 2));
    CHECK(!ram_policy_may_grant(a.doc[0], danger, 0));

    CHECK(!ram_policy_has_deny(a.doc[0]));
    CHECK(!ram_policy_has_deny(a.doc[1]));
    CHECK(ram_policy_has_deny(a.doc[2]));
    CHECK(ram_policy_has_deny(a.doc[3]));
    CHECK(!ram_policy_has_deny(a.doc[4]));
    CHECK(!ram_policy_has_deny(NULL));
    drop(&a);
}

/* Whether the log written to f has a line naming event. */
static int logged(FILE *f, const char *event)
{
    char line[512];
    int seen = 0;

    rewind(f);
    while (fgets(line, sizeof(line), f)) {
        seen |= strstr(line, event) != NULL;
    }
    return seen;
}

/*
 * A question the search cannot finish within its bound ("a" followed by
 * eighteen bytes needs 2^18 subsets) must still come out as a grant, and
 * say so in the log.
 */
void test_analysis_bound_keeps_grant(void)
{
    struct account a = { .n = 0 };
    FILE *log = tmpfile();
    char got[256];

    add(&a, "P0", "Custom", NULL,
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
        "\"*a??????????????????\"},{\"Effect\":\"Deny\",\"Action\":"
        "\"*a??????????????????\",\"Resource\":\"*\"}]}");
    mg_log_setup(MG_LOG_WARN, MG_LOG_LOGFMT, log);
    grants(&a, "*", got, sizeof(got));
    mg_log_setup(MG_LOG_ERROR, MG_LOG_LOGFMT, NULL);
    CHECK_STR(got, "*|P0|0|*a??????????????????;");
    CHECK(logged(log, "ram.analysis.bounded"));
    fclose(log);
    drop(&a);
}

/*
 * Four such questions about one user: the budget for the whole analysis
 * runs out after two and a half, and the rest are answered "granted"
 * without a search, which the log says.
 */
void test_analysis_budget_keeps_grants(void)
{
    static const char pair[] =
        "{\"Effect\":\"Allow\",\"Action\":\"*%c??????????????????\"},"
        "{\"Effect\":\"Deny\",\"Action\":\"*%c??????????????????\","
        "\"Resource\":\"*\"}";
    struct account a = { .n = 0 };
    struct mg_buf doc = MG_BUF_INIT(4096);
    FILE *log = tmpfile();
    char got[256];
    char c;

    mg_buf_adds(&doc, "{\"Statement\":[");
    for (c = 'a'; c <= 'd'; c++) {
        mg_buf_addf(&doc, "%s", c == 'a' ? "" : ",");
        mg_buf_addf(&doc, pair, c, c);
    }
    mg_buf_adds(&doc, "]}");
    add(&a, "P0", "Custom", NULL, doc.data);
    mg_log_setup(MG_LOG_WARN, MG_LOG_LOGFMT, log);
    grants(&a, "*", got, sizeof(got));
    mg_log_setup(MG_LOG_ERROR, MG_LOG_LOGFMT, NULL);
    CHECK_STR(got, "*|P0|0|*a??????????????????;*|P0|2|*b??????????????????;"
                   "*|P0|4|*c??????????????????;*|P0|6|*d??????????????????;");
    CHECK(logged(log, "ram.analysis.budget_spent"));
    fclose(log);
    mg_buf_release(&doc);
    drop(&a);
}

/*
 * Brute force: random small accounts (sources of up to three statements
 * over short patterns on "aAbB*?"), compared with a direct reading of
 * docs/semantics.md over every name on "abc" up to NAME_LEN bytes.
 */
#define NAME_LEN 7

struct rstmt {
    int deny;
    int not_action;
    int cond; /* 0 none, 1 Bool true, 2 Bool false, 3 another one */
    int some_resource;
    size_t npat;
    char pat[3][4];
};

struct raccount {
    size_t nsrc;
    size_t nst[3];
    struct rstmt st[3][3];
    size_t nd;
    char d[3][4];
};

static void random_glob(uint64_t *seed, char *out)
{
    static const char chars[] = "aAbB*?*ab";
    size_t n = test_rand(seed) % 4;
    size_t i;

    for (i = 0; i < n; i++) {
        out[i] = chars[test_rand(seed) % (sizeof(chars) - 1)];
    }
    out[n] = '\0';
}

static void random_account(uint64_t *seed, struct raccount *r)
{
    size_t s;
    size_t i;
    size_t k;

    memset(r, 0, sizeof(*r));
    r->nsrc = 1 + test_rand(seed) % 3;
    for (s = 0; s < r->nsrc; s++) {
        r->nst[s] = 1 + test_rand(seed) % 3;
        for (i = 0; i < r->nst[s]; i++) {
            struct rstmt *st = &r->st[s][i];

            st->deny = test_rand(seed) % 5 < 2;
            st->not_action = test_rand(seed) % 4 == 0;
            st->cond = test_rand(seed) % 8 < 5 ? 0 : (int)(test_rand(seed) % 4);
            st->some_resource = test_rand(seed) % 8 == 0;
            st->npat = test_rand(seed) % 4;
            for (k = 0; k < st->npat; k++) {
                random_glob(seed, st->pat[k]);
            }
        }
    }
    r->nd = 1 + test_rand(seed) % 3;
    for (k = 0; k < r->nd; k++) {
        random_glob(seed, r->d[k]);
    }
}

static void write_statement(struct mg_buf *b, const struct rstmt *st)
{
    static const char *const conds[] = {
        "",
        ",\"Condition\":{\"Bool\":{\"acs:MFAPresent\":\"true\"}}",
        ",\"Condition\":{\"Bool\":{\"acs:MFAPresent\":\"false\"}}",
        ",\"Condition\":{\"StringLike\":{\"acs:SourceVpc\":\"vpc-*\"}}",
    };
    size_t k;

    mg_buf_addf(b, "{\"Effect\":\"%s\",\"%s\":[", st->deny ? "Deny" : "Allow",
                st->not_action ? "NotAction" : "Action");
    for (k = 0; k < st->npat; k++) {
        mg_buf_addf(b, "%s\"%s\"", k ? "," : "", st->pat[k]);
    }
    mg_buf_addf(b, "],\"Resource\":\"%s\"%s}",
                st->some_resource ? "acs:x" : "*", conds[st->cond]);
}

static int in_statement(const struct rstmt *st, const char *name)
{
    size_t k;
    int in = 0;

    for (k = 0; k < st->npat; k++) {
        in |= ref_match(st->pat[k], name);
    }
    return st->not_action ? !in : in;
}

static int denied(const struct raccount *r, const char *name)
{
    size_t s;
    size_t i;

    for (s = 0; s < r->nsrc; s++) {
        for (i = 0; i < r->nst[s]; i++) {
            const struct rstmt *st = &r->st[s][i];

            if (st->deny && !st->some_resource &&
                (st->cond == 0 || st->cond == 2) && in_statement(st, name)) {
                return 1;
            }
        }
    }
    return 0;
}

/* What the statement grants of D: its action, or NULL for nothing. */
static const char *brute_grant(const struct raccount *r, const struct rstmt *st,
                               const char *d, char (*names)[NAME_LEN + 1],
                               size_t nnames)
{
    size_t j;
    size_t k;

    if (st->not_action) {
        for (j = 0; j < nnames; j++) {
            if (ref_match(d, names[j]) && in_statement(st, names[j]) &&
                !denied(r, names[j])) {
                return "NotAction";
            }
        }
        return NULL;
    }
    for (k = 0; k < st->npat; k++) {
        for (j = 0; j < nnames; j++) {
            if (ref_match(d, names[j]) && ref_match(st->pat[k], names[j]) &&
                !denied(r, names[j])) {
                return st->pat[k];
            }
        }
    }
    return NULL;
}

static void brute_grants(const struct raccount *r, char (*names)[NAME_LEN + 1],
                         size_t nnames, struct mg_buf *out)
{
    size_t s;
    size_t i;
    size_t k;

    for (s = 0; s < r->nsrc; s++) {
        for (i = 0; i < r->nst[s]; i++) {
            const struct rstmt *st = &r->st[s][i];

            if (st->deny || st->cond == 1) {
                continue;
            }
            for (k = 0; k < r->nd; k++) {
                const char *g = brute_grant(r, st, r->d[k], names, nnames);

                if (g != NULL) {
                    mg_buf_addf(out, "%zu/%zu/%zu/%s;", k, s, i, g);
                }
            }
        }
    }
}

static int run_account(const struct raccount *r, struct mg_buf *out)
{
    struct ram_policy *p[3] = { NULL, NULL, NULL };
    struct ram_source src[3];
    struct ram_grant_list gl = { NULL, 0, 0 };
    const char *d[3];
    struct mg_buf doc = MG_BUF_INIT(4096);
    struct mg_error err;
    size_t s;
    size_t i;
    int rc = 0;

    for (s = 0; s < r->nsrc; s++) {
        mg_buf_reset(&doc);
        mg_buf_adds(&doc, "{\"Statement\":[");
        for (i = 0; i < r->nst[s]; i++) {
            mg_buf_adds(&doc, i ? "," : "");
            write_statement(&doc, &r->st[s][i]);
        }
        mg_buf_adds(&doc, "]}");
        mg_error_clear(&err);
        p[s] = ram_policy_parse(doc.data, doc.len, &err);
        rc |= p[s] == NULL;
        /* Names keep the order given, so source s stays at index s. */
        src[s] = (struct ram_source){ "P", "Custom", NULL, p[s] };
    }
    for (i = 0; i < r->nd; i++) {
        d[i] = r->d[i];
    }
    mg_error_clear(&err);
    rc |= ram_analyze(src, r->nsrc, d, r->nd, &gl, &err) != 0;
    for (i = 0; i < gl.n; i++) {
        mg_buf_addf(out, "%zu/%zu/%zu/%s;", gl.v[i].dangerous, gl.v[i].source,
                    gl.v[i].statement, gl.v[i].action);
    }
    ram_grant_list_release(&gl);
    for (s = 0; s < r->nsrc; s++) {
        ram_policy_free(p[s]);
    }
    mg_buf_release(&doc);
    return rc;
}

static size_t all_names(char (*names)[NAME_LEN + 1])
{
    size_t n = 1;
    size_t from = 0;
    size_t to = 1;
    size_t len;
    size_t i;
    size_t c;

    names[0][0] = '\0';
    for (len = 1; len <= NAME_LEN; len++) {
        for (i = from; i < to; i++) {
            for (c = 0; c < 3; c++) {
                memcpy(names[n], names[i], len - 1);
                names[n][len - 1] = (char)('a' + c);
                names[n][len] = '\0';
                n++;
            }
        }
        from = to;
        to = n;
    }
    return n;
}

void test_analysis_brute_force(void)
{
    char(*names)[NAME_LEN + 1] = calloc(4000, sizeof(*names));
    size_t nnames = all_names(names);
    struct mg_buf want = MG_BUF_INIT(1 << 16);
    struct mg_buf got = MG_BUF_INIT(1 << 16);
    uint64_t seed = 0x5eed0003u;
    int bad = 0;
    int granted = 0;
    int round;

    for (round = 0; round < 1500; round++) {
        struct raccount r;

        random_account(&seed, &r);
        mg_buf_reset(&want);
        mg_buf_reset(&got);
        brute_grants(&r, names, nnames, &want);
        CHECK(run_account(&r, &got) == 0);
        granted += want.len > 0;
        if (strcmp(mg_buf_str(&want), mg_buf_str(&got)) != 0 && bad++ < 5) {
            fprintf(stderr, "account %d: want %s got %s\n", round,
                    mg_buf_str(&want), mg_buf_str(&got));
        }
    }
    CHECK_INT(bad, 0);
    CHECK(granted > 300); /* the cases are not all trivial */
    mg_buf_release(&want);
    mg_buf_release(&got);
    free(names);
}

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* A typical user (four policies, a Deny, a NotAction) and a sweep's
 * pre-selection; timings are printed, not asserted. */
void test_analysis_benchmark(void)
{
    struct account a = { .n = 0 };
    struct ram_grant_list gl = { NULL, 0, 0 };
    struct mg_error err;
    const char *danger[] = { "ecs:*", "oss:*", "log:*" };
    double t0;
    double t1;
    int i;
    int picked = 0;

    add(&a, "AliyunECSFullAccess", "System", NULL, ECS_FULL);
    add(&a, "AliyunOSSReadOnlyAccess", "System", "readers",
        ALLOW("[\"oss:Get*\",\"oss:List*\"]"));
    add(&a, "PowerUserAccess", "System", "ops", POWER_USER);
    add(&a, "NoDelete", "Custom", NULL,
        DENY("[\"ecs:Delete*\",\"oss:Delete*\",\"log:Delete*\"]"));
    ram_sources_sort(a.src, a.n);

    t0 = now_us();
    for (i = 0; i < 2000; i++) {
        mg_error_clear(&err);
        CHECK(ram_analyze(a.src, a.n, danger, 3, &gl, &err) == 0);
        gl.n = 0;
    }
    t1 = now_us();
    printf("     ram_analyze, typical user: %.1f us\n", (t1 - t0) / 2000);
    ram_grant_list_release(&gl);

    t0 = now_us();
    for (i = 0; i < 2000; i++) {
        picked += ram_policy_may_grant(a.doc[i % 4], danger, 3);
    }
    t1 = now_us();
    printf("     ram_policy_may_grant: %.1f us\n", (t1 - t0) / 2000);
    CHECK_INT(picked, 1500);
    drop(&a);
}
