/* Policy documents: the forms RAM accepts, the parsed condition form,
 * what is refused, and the size limits. */

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/buf.h"
#include "common/error.h"
#include "ram/document.h"
#include "ram/policy.h"
#include "ram_tests.h"

static struct ram_policy *parse(const char *doc)
{
    struct mg_error err;
    struct ram_policy *p;

    mg_error_clear(&err);
    p = ram_policy_parse(doc, strlen(doc), &err);
    if (p == NULL) {
        fprintf(stderr, "refused: %s: %s\n", err.code, err.message);
    }
    return p;
}

/* The document is refused as not a policy, for the reason given. */
static void refused(const char *doc, size_t len, const char *why)
{
    struct mg_error err;
    struct ram_policy *p;

    mg_error_clear(&err);
    p = ram_policy_parse(doc, len, &err);
    CHECK(p == NULL);
    CHECK_INT(err.cls, MG_INVALID);
    if (strstr(err.message, why) == NULL) {
        fprintf(stderr, "%s: message \"%s\" lacks \"%s\"\n", doc, err.message,
                why);
    }
    CHECK(strstr(err.message, why) != NULL);
    ram_policy_free(p);
}

static void refused_text(const char *doc, const char *why)
{
    refused(doc, strlen(doc), why);
}

static const char *pattern(const struct ram_policy *p, size_t st, size_t i)
{
    return p->pattern[p->stmt[st].pattern0 + i];
}

void test_policy_forms(void)
{
    struct ram_policy *p;

    /* The list form, as RAM stores system policies. */
    p = parse("{\"Version\":\"1\",\"Statement\":["
              "{\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Resource\":\"*\"},"
              "{\"Effect\":\"Allow\",\"Action\":[\"vpc:DescribeVpcs\","
              "\"vpc:DescribeVSwitches\"],\"Resource\":\"*\"}]}");
    CHECK(p != NULL);
    CHECK_INT(ram_policy_statement_count(p), 2);
    CHECK_INT(p->stmt[0].effect, RAM_EFFECT_ALLOW);
    CHECK_INT(p->stmt[0].npattern, 1);
    CHECK_STR(pattern(p, 0, 0), "ecs:*");
    CHECK_INT(p->stmt[1].npattern, 2);
    CHECK_STR(pattern(p, 1, 1), "vpc:DescribeVSwitches");
    CHECK(p->stmt[0].resource_all);
    ram_policy_free(p);

    /* A lone statement object; element names and Effect in any case;
     * Version of any type or absent; unknown elements let be. */
    p = parse("{\"Version\":1,\"statement\":{\"sid\":\"x\",\"EFFECT\":\"deny\","
              "\"notaction\":[\"ram:*\"],\"resource\":[\"acs:oss:*:*:b\","
              "\"acs:*:*:*:*\"],\"Principal\":{\"RAM\":[\"*\"]}}}");
    CHECK(p != NULL);
    CHECK_INT(ram_policy_statement_count(p), 1);
    CHECK_INT(p->stmt[0].effect, RAM_EFFECT_DENY);
    CHECK(p->stmt[0].not_action);
    CHECK(p->stmt[0].resource_all);
    CHECK(p->stmt[0].deny_everywhere);
    ram_policy_free(p);
}

void test_policy_ignored_statements(void)
{
    struct ram_policy *p;

    /* An Effect other than Allow or Deny, or no Action at all: ignored,
     * yet counted, so that statement indices match the document. */
    p = parse("{\"Statement\":[{\"Effect\":\"Audit\",\"Action\":\"*\"},"
              "{\"Effect\":\"ALLOW\",\"Resource\":\"*\"},{\"Action\":\"*\"},"
              "{\"Effect\":\"Allow\",\"Action\":[],\"NotResource\":\"*\"}]}");
    CHECK(p != NULL);
    CHECK_INT(ram_policy_statement_count(p), 4);
    CHECK_INT(p->stmt[0].effect, RAM_EFFECT_OTHER);
    CHECK(!p->stmt[1].has_action);
    CHECK_INT(p->stmt[2].effect, RAM_EFFECT_OTHER);
    CHECK(p->stmt[3].has_action && p->stmt[3].npattern == 0);
    CHECK(p->stmt[3].has_not_resource);
    ram_policy_free(p);

    /* An empty list of statements is a policy that says nothing. */
    p = parse("{\"Version\":\"1\",\"Statement\":[]}");
    CHECK(p != NULL);
    CHECK_INT(ram_policy_statement_count(p), 0);
    ram_policy_free(p);

    /* A literal backslash before "u0000" is not a NUL character. */
    p = parse("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
              "\"ecs:\\\\u0000\"}}");
    CHECK(p != NULL);
    CHECK_STR(pattern(p, 0, 0), "ecs:\\u0000");
    ram_policy_free(p);

    /* Non-ASCII text passes through unchanged. */
    p = parse("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
              "\"ecs:\\u5f20*\"}}");
    CHECK(p != NULL);
    CHECK_STR(pattern(p, 0, 0), "ecs:\xe5\xbc\xa0*");
    ram_policy_free(p);
}

struct cond_case {
    const char *statement;
    int mfa_only;
    int deny_everywhere;
};

static const struct cond_case cond_cases[] = {
    /* Allow: MFA-only when Bool says acs:MFAPresent is only true. */
    { "\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Condition\":"
      "{\"Bool\":{\"acs:MFAPresent\":\"true\"}}",
      1, 0 },
    { "\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Condition\":"
      "{\"Bool\":{\"ACS:mfapresent\":true}}",
      1, 0 },
    { "\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Condition\":"
      "{\"Bool\":{\"acs:MFAPresent\":[\"TRUE\",true]}}",
      1, 0 },
    { "\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Condition\":{\"Bool\":"
      "{\"acs:SecureTransport\":\"true\",\"acs:MFAPresent\":\"true\"},"
      "\"IpAddress\":{\"acs:SourceIp\":\"10.0.0.0/8\"}}",
      1, 0 },
    { "\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Condition\":"
      "{\"Bool\":{\"acs:MFAPresent\":[\"true\",\"false\"]}}",
      0, 0 },
    { "\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Condition\":"
      "{\"Bool\":{\"acs:MFAPresent\":[]}}",
      0, 0 },
    { "\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Condition\":"
      "{\"BoolIfExists\":{\"acs:MFAPresent\":\"true\"}}",
      0, 0 },
    { "\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Condition\":"
      "{\"bool\":{\"acs:MFAPresent\":\"true\"}}",
      0, 0 },
    { "\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Condition\":"
      "{\"StringEquals\":{\"acs:MFAPresent\":\"true\"}}",
      0, 0 },
    { "\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Condition\":"
      "{\"Bool\":{\"acs:MFAPresent\":\"false\"}}",
      0, 0 },
    { "\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Condition\":"
      "{\"Bool\":{\"acs:MFAPresent\":1}}",
      0, 0 },

    /* Deny: applies everywhere on all resources with no condition, or
     * with exactly Bool / BoolIfExists {acs:MFAPresent: false}. */
    { "\"Effect\":\"Deny\",\"Action\":\"ecs:*\",\"Resource\":\"*\"", 0, 1 },
    { "\"Effect\":\"Deny\",\"Action\":\"ecs:*\",\"Resource\":"
      "[\"acs:ecs:*:*:instance/i-1\",\"*\"]",
      0, 1 },
    { "\"Effect\":\"Deny\",\"Action\":\"ecs:*\",\"Resource\":\"acs:*:*:*:*\"",
      0, 1 },
    { "\"Effect\":\"Deny\",\"Action\":\"ecs:*\",\"Resource\":"
      "\"acs:ecs:*:*:*\"",
      0, 0 },
    { "\"Effect\":\"Deny\",\"Action\":\"ecs:*\"", 0, 0 },
    { "\"Effect\":\"Deny\",\"Action\":\"ecs:*\",\"NotResource\":\"*\"", 0, 0 },
    { "\"Effect\":\"Deny\",\"Action\":\"ecs:*\",\"Resource\":\"*\","
      "\"Condition\":{\"Bool\":{\"acs:MFAPresent\":\"false\"}}",
      0, 1 },
    { "\"Effect\":\"Deny\",\"Action\":\"ecs:*\",\"Resource\":\"*\","
      "\"Condition\":{\"BoolIfExists\":{\"acs:mfapresent\":[false]}}",
      0, 1 },
    { "\"Effect\":\"Deny\",\"Action\":\"ecs:*\",\"Resource\":\"*\","
      "\"Condition\":{\"Bool\":{\"acs:MFAPresent\":\"false\","
      "\"acs:SecureTransport\":\"false\"}}",
      0, 0 },
    { "\"Effect\":\"Deny\",\"Action\":\"ecs:*\",\"Resource\":\"*\","
      "\"Condition\":{\"Bool\":{\"acs:MFAPresent\":\"false\"},"
      "\"IpAddress\":{\"acs:SourceIp\":\"10.0.0.0/8\"}}",
      0, 0 },
    { "\"Effect\":\"Deny\",\"Action\":\"ecs:*\",\"Resource\":\"*\","
      "\"Condition\":{\"Bool\":{\"acs:MFAPresent\":\"true\"}}",
      0, 0 },
    { "\"Effect\":\"Deny\",\"Action\":\"ecs:*\",\"Resource\":\"*\","
      "\"Condition\":{\"StringEquals\":{\"acs:SourceVpc\":\"vpc-1\"}}",
      0, 0 },
    { "\"Effect\":\"Deny\",\"Action\":\"ecs:*\",\"Resource\":\"*\","
      "\"Condition\":{}",
      0, 0 },
    { "\"Effect\":\"Deny\",\"Resource\":\"*\"", 0, 0 },
    { "\"Effect\":\"Deny\",\"NotAction\":\"ecs:*\",\"Resource\":\"*\"", 0, 1 },
};

void test_policy_conditions(void)
{
    struct mg_buf b = MG_BUF_INIT(4096);
    struct ram_policy *p;
    size_t i;

    for (i = 0; i < sizeof(cond_cases) / sizeof(cond_cases[0]); i++) {
        mg_buf_reset(&b);
        mg_buf_addf(&b, "{\"Statement\":[{%s}]}", cond_cases[i].statement);
        p = parse(b.data);
        CHECK(p != NULL);
        if (p == NULL) {
            continue;
        }
        if (p->stmt[0].mfa_only != cond_cases[i].mfa_only ||
            p->stmt[0].deny_everywhere != cond_cases[i].deny_everywhere) {
            fprintf(stderr, "condition case %zu: %s\n", i, b.data);
        }
        CHECK_INT(p->stmt[0].mfa_only, cond_cases[i].mfa_only);
        CHECK_INT(p->stmt[0].deny_everywhere, cond_cases[i].deny_everywhere);
        ram_policy_free(p);
    }
    mg_buf_release(&b);

    /* The condition is kept as written, for the analysis to inspect. */
    p = parse("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
              "\"Condition\":{\"NumericLessThan\":{\"k\":[3,null]},"
              "\"Bool\":{\"a\":true,\"b\":\"x\"}}}}");
    CHECK(p != NULL);
    CHECK_INT(p->stmt[0].nop, 2);
    CHECK_STR(p->op[0].name, "NumericLessThan");
    CHECK_INT(p->op[0].nkey, 1);
    CHECK_STR(p->key[p->op[0].key0].name, "k");
    CHECK_INT(p->key[0].nvalue, 2);
    CHECK_INT(p->value[0].kind, RAM_VALUE_NUMBER);
    CHECK(p->value[0].number == 3.0);
    CHECK_INT(p->value[1].kind, RAM_VALUE_NULL);
    CHECK_STR(p->op[1].name, "Bool");
    CHECK_INT(p->op[1].nkey, 2);
    CHECK_STR(p->key[p->op[1].key0 + 1].name, "b");
    CHECK_INT(p->value[2].kind, RAM_VALUE_BOOL);
    CHECK_STR(p->value[2].text, "true");
    CHECK_INT(p->value[3].kind, RAM_VALUE_STRING);
    CHECK_STR(p->value[3].text, "x");
    ram_policy_free(p);
}

void test_policy_refuses_malformed(void)
{
    static const char nul[] = "{\"Statement\":[]}\0";

    refused_text("", "empty");
    refused_text("{\"Statement\":[", "invalid JSON");
    refused_text("{\"Statement\":[]} x", "invalid JSON");
    refused_text("[{\"Effect\":\"Allow\",\"Action\":\"*\"}]",
                 "not a JSON object");
    refused_text("{\"Version\":\"1\"}", "no Statement");
    refused_text("{\"Statement\":\"*\"}", "not a list or an object");
    refused_text("{\"Statement\":[],\"statement\":[]}", "appears twice");
    refused_text("{\"Statement\":[\"Allow\"]}", "not an object");
    refused_text("{\"Statement\":[{\"Effect\":true,\"Action\":\"*\"}]}",
                 "Effect is not a string");
    refused_text("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":5}]}",
                 "Action is not a string or a list");
    refused_text(
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"a\",1]}]}",
        "not a string");
    refused_text("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"a\","
                 "\"NotAction\":\"b\"}]}",
                 "both Action and NotAction");
    refused_text("{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"a\","
                 "\"Resource\":\"*\",\"NotResource\":\"x\"}]}",
                 "both Resource and NotResource");
    refused_text("{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"a\","
                 "\"Resource\":{\"x\":1}}]}",
                 "Resource is not a string or a list");
    refused_text("{\"Statement\":[{\"Effect\":\"Allow\",\"effect\":\"Deny\","
                 "\"Action\":\"*\"}]}",
                 "Effect appears twice");
    refused_text("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
                 "\"Condition\":\"Bool\"}]}",
                 "Condition is not an object");
    refused_text("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
                 "\"Condition\":{\"Bool\":\"true\"}}]}",
                 "operator is not an object");
    refused_text("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
                 "\"Condition\":{\"Bool\":{\"k\":[[true]]}}}]}",
                 "a list or an object");
    refused_text("{\"Statement\":[{\"Effect\":\"Allow\","
                 "\"Action\":\"ecs:\\u0000*\"}]}",
                 "NUL");
    refused(nul, sizeof(nul) - 1, "NUL");
    refused(NULL, 0, "empty");
}

static void add_statements(struct mg_buf *b, size_t n)
{
    size_t i;

    mg_buf_adds(b, "{\"Statement\":[");
    for (i = 0; i < n; i++) {
        mg_buf_addf(b, "%s{\"Effect\":\"Allow\",\"Action\":\"a:%zu\"}",
                    i ? "," : "", i);
    }
    mg_buf_adds(b, "]}");
}

static void add_patterns(struct mg_buf *b, size_t n, size_t len)
{
    size_t i;
    size_t j;

    mg_buf_adds(b, "{\"Statement\":{\"Effect\":\"Allow\",\"NotAction\":[");
    for (i = 0; i < n; i++) {
        mg_buf_adds(b, i ? ",\"" : "\"");
        for (j = 0; j < len; j++) {
            mg_buf_addc(b, (char)('a' + (i + j) % 26));
        }
        mg_buf_addc(b, '"');
    }
    mg_buf_adds(b, "]}}");
}

static int parses(const struct mg_buf *b)
{
    struct mg_error err;
    struct ram_policy *p;

    mg_error_clear(&err);
    p = ram_policy_parse(b->data, b->len, &err);
    ram_policy_free(p);
    return p != NULL;
}

void test_policy_limits(void)
{
    struct mg_buf b = MG_BUF_INIT(4u << 20);

    add_statements(&b, RAM_POLICY_MAX_STATEMENTS);
    CHECK(parses(&b));
    mg_buf_reset(&b);
    add_statements(&b, RAM_POLICY_MAX_STATEMENTS + 1);
    CHECK(!parses(&b));

    mg_buf_reset(&b);
    add_patterns(&b, RAM_POLICY_MAX_PATTERNS, 8);
    CHECK(parses(&b));
    mg_buf_reset(&b);
    add_patterns(&b, RAM_POLICY_MAX_PATTERNS + 1, 8);
    CHECK(!parses(&b));

    mg_buf_reset(&b);
    add_patterns(&b, 1, RAM_POLICY_MAX_PATTERN_BYTES);
    CHECK(parses(&b));
    mg_buf_reset(&b);
    add_patterns(&b, 1, RAM_POLICY_MAX_PATTERN_BYTES + 1);
    CHECK(!parses(&b));

    /* Past the size limit, refused before it is read. */
    mg_buf_reset(&b);
    add_patterns(&b, 2000, 300 - 40);
    CHECK(b.len > RAM_POLICY_MAX_BYTES);
    refused(b.data, b.len, "limit");
    mg_buf_release(&b);
}
