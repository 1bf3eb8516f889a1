#ifndef RAM_DOCUMENT_H
#define RAM_DOCUMENT_H

#include <stddef.h>

#include "ram/policy.h"

/*
 * The parsed form of a policy document, shared by the parser (document.c)
 * and the analysis (policy.c). Everything, strings included, lives in
 * memory owned by the struct ram_policy and freed by ram_policy_free;
 * nothing changes after parsing, so any number of threads may read it.
 */

/* Largest document accepted, in bytes (RAM itself stores a few KB). */
#define RAM_POLICY_MAX_BYTES      (512u * 1024u)
#define RAM_POLICY_MAX_STATEMENTS 1024
/* Action, NotAction, Resource and NotResource entries of a statement. */
#define RAM_POLICY_MAX_PATTERNS 4096
/* One Action or NotAction pattern, in bytes. */
#define RAM_POLICY_MAX_PATTERN_BYTES 256

enum ram_effect {
    RAM_EFFECT_OTHER, /* neither Allow nor Deny: the statement is ignored */
    RAM_EFFECT_ALLOW,
    RAM_EFFECT_DENY,
};

enum ram_value_kind {
    RAM_VALUE_STRING,
    RAM_VALUE_BOOL,
    RAM_VALUE_NUMBER,
    RAM_VALUE_NULL,
};

/* One value of a condition key: text is the string, "true" or "false"
 * for a boolean, "" for a number (held in number) or null. */
struct ram_cond_value {
    enum ram_value_kind kind;
    const char *text;
    double number;
};

struct ram_cond_key {
    const char *name;
    size_t value0; /* into ram_policy.value */
    size_t nvalue;
};

/* An operator of a Condition block ("Bool", "StringEquals", ...). */
struct ram_cond_op {
    const char *name;
    size_t key0; /* into ram_policy.key */
    size_t nkey;
};

struct ram_statement {
    enum ram_effect effect;
    int has_action;  /* Action or NotAction present */
    int not_action;  /* the patterns are NotAction */
    size_t pattern0; /* into ram_policy.pattern */
    size_t npattern;
    int has_resource;
    int resource_all; /* Resource holds "*" or "acs:*:*:*:*" */
    int has_not_resource;
    int has_condition;
    size_t op0; /* into ram_policy.op */
    size_t nop;

    /* Derived from the above by the parser (docs/semantics.md). */
    int mfa_only;        /* an Allow usable only with MFA */
    int deny_everywhere; /* a Deny that removes grants everywhere */
};

struct ram_policy {
    struct ram_statement *stmt;
    size_t nstmt;
    const char **pattern;
    size_t npattern;
    struct ram_cond_op *op;
    size_t nop;
    struct ram_cond_key *key;
    size_t nkey;
    struct ram_cond_value *value;
    size_t nvalue;
    char *text; /* the strings above point in here */
    size_t text_len;
    size_t text_cap;
};

#endif
