#include "ram/document.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"

#include "common/banned.h"

/* The statement elements the analysis reads; others (Sid, ...) are let
 * be. Each may appear once, in any letter case. */
enum element {
    EL_EFFECT,
    EL_ACTION,
    EL_NOT_ACTION,
    EL_RESOURCE,
    EL_NOT_RESOURCE,
    EL_CONDITION,
    EL_COUNT,
};

static const char *const element_names[EL_COUNT] = {
    "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition",
};

struct parser {
    struct ram_policy *p;
    size_t stmt_cap;
    size_t pattern_cap;
    size_t op_cap;
    size_t key_cap;
    size_t value_cap;
    size_t at; /* index of the statement being read, for messages */
    struct mg_error *err;
};

static int invalid(struct parser *ps, const char *what)
{
    return mg_error_set(ps->err, MG_INVALID, "InvalidPolicy",
                        "policy Statement[%zu]: %s", ps->at, what);
}

static int nomem(struct mg_error *err)
{
    return mg_error_set(err, MG_RETRY, "NoMemory",
                        "out of memory parsing a policy");
}

/*
 * Copy a string into the policy's text. The text was sized from the
 * document, which holds every string with at least its quotes around it,
 * so it never moves and the pointers handed out stay valid.
 */
static const char *keep(struct parser *ps, const char *s)
{
    struct ram_policy *p = ps->p;
    size_t n = strlen(s) + 1;
    char *at;

    if (n > p->text_cap - p->text_len) {
        nomem(ps->err);
        return NULL;
    }
    at = p->text + p->text_len;
    memcpy(at, s, n);
    p->text_len += n;
    return at;
}

/* cJSON turns "\u0000" into the end of the string; refuse instead of
 * reading a cut name. */
static int has_nul_escape(const char *doc, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i++) {
        if (doc[i] != '\\') {
            continue;
        }
        if (doc[i + 1] == 'u' && i + 5 < len &&
            memcmp(doc + i + 2, "0000", 4) == 0) {
            return 1;
        }
        i++;
    }
    return 0;
}

/* Member of obj named name in any case, refusing a second one. */
static int member(struct parser *ps, const cJSON *obj, const char *name,
                  const cJSON **out)
{
    const cJSON *c;

    *out = NULL;
    for (c = obj->child; c != NULL; c = c->next) {
        if (c->string == NULL || strcasecmp(c->string, name) != 0) {
            continue;
        }
        if (*out != NULL) {
            return mg_error_set(ps->err, MG_INVALID, "InvalidPolicy",
                                "policy document: %s appears twice", name);
        }
        *out = c;
    }
    return 0;
}

static int add_pattern(struct parser *ps, const char *s)
{
    struct ram_policy *p = ps->p;
    const char *kept;
    char msg[64];
    void *q;

    if (strlen(s) > RAM_POLICY_MAX_PATTERN_BYTES) {
        snprintf(msg, sizeof(msg), "an action pattern is longer than %d bytes",
                 RAM_POLICY_MAX_PATTERN_BYTES);
        return invalid(ps, msg);
    }
    q = mg_grow(p->pattern, p->npattern, &ps->pattern_cap, sizeof(*p->pattern));
    if (q == NULL) {
        return nomem(ps->err);
    }
    p->pattern = q;
    kept = keep(ps, s);
    if (kept == NULL) {
        return -1;
    }
    p->pattern[p->npattern++] = kept;
    return 0;
}

/*
 * Visit the strings of an element given as a string or a list of them.
 * fn, when set, takes each; the count is bounded.
 */
static int each_string(struct parser *ps, const cJSON *v, const char *what,
                       int (*fn)(struct parser *, const char *, void *),
                       void *ctx)
{
    const cJSON *c;
    size_t n = 0;
    char msg[96];

    if (cJSON_IsString(v)) {
        return fn ? fn(ps, v->valuestring, ctx) : 0;
    }
    if (!cJSON_IsArray(v)) {
        snprintf(msg, sizeof(msg), "%s is not a string or a list", what);
        return invalid(ps, msg);
    }
    cJSON_ArrayForEach(c, v)
    {
        if (!cJSON_IsString(c)) {
            snprintf(msg, sizeof(msg), "%s holds a value that is not a string",
                     what);
            return invalid(ps, msg);
        }
        if (++n > RAM_POLICY_MAX_PATTERNS) {
            snprintf(msg, sizeof(msg), "%s has more than %d entries", what,
                     RAM_POLICY_MAX_PATTERNS);
            return invalid(ps, msg);
        }
        if (fn && fn(ps, c->valuestring, ctx) != 0) {
            return -1;
        }
    }
    return 0;
}

static int take_pattern(struct parser *ps, const char *s, void *ctx)
{
    (void)ctx;
    return add_pattern(ps, s);
}

/* Does the Resource entry name every resource? */
static int see_resource(struct parser *ps, const char *s, void *ctx)
{
    struct ram_statement *st = ctx;

    (void)ps;
    if (strcmp(s, "*") == 0 || strcmp(s, "acs:*:*:*:*") == 0) {
        st->resource_all = 1;
    }
    return 0;
}

static int read_actions(struct parser *ps, struct ram_statement *st,
                        const cJSON *action, const cJSON *not_action)
{
    const cJSON *v = action ? action : not_action;

    if (action && not_action) {
        return invalid(ps, "both Action and NotAction");
    }
    st->pattern0 = ps->p->npattern;
    if (v == NULL) {
        return 0;
    }
    st->has_action = 1;
    st->not_action = v == not_action;
    if (each_string(ps, v, st->not_action ? "NotAction" : "Action",
                    take_pattern, NULL) != 0) {
        return -1;
    }
    st->npattern = ps->p->npattern - st->pattern0;
    return 0;
}

static int read_resources(struct parser *ps, struct ram_statement *st,
                          const cJSON *resource, const cJSON *not_resource)
{
    if (resource && not_resource) {
        return invalid(ps, "both Resource and NotResource");
    }
    if (resource) {
        st->has_resource = 1;
        return each_string(ps, resource, "Resource", see_resource, st);
    }
    if (not_resource) {
        st->has_not_resource = 1;
        return each_string(ps, not_resource, "NotResource", NULL, NULL);
    }
    return 0;
}

static int add_value(struct parser *ps, const cJSON *v)
{
    struct ram_policy *p = ps->p;
    struct ram_cond_value cv = { RAM_VALUE_NULL, "", 0.0 };
    void *q;

    if (cJSON_IsString(v)) {
        cv.kind = RAM_VALUE_STRING;
        cv.text = keep(ps, v->valuestring);
        if (cv.text == NULL) {
            return -1;
        }
    } else if (cJSON_IsBool(v)) {
        cv.kind = RAM_VALUE_BOOL;
        cv.text = cJSON_IsTrue(v) ? "true" : "false";
    } else if (cJSON_IsNumber(v)) {
        cv.kind = RAM_VALUE_NUMBER;
        cv.number = v->valuedouble;
    } else if (!cJSON_IsNull(v)) {
        return invalid(ps, "a Condition value is a list or an object");
    }
    q = mg_grow(p->value, p->nvalue, &ps->value_cap, sizeof(*p->value));
    if (q == NULL) {
        return nomem(ps->err);
    }
    p->value = q;
    p->value[p->nvalue++] = cv;
    return 0;
}

/* One key of an operator: a value or a list of values. */
static int add_key(struct parser *ps, const cJSON *k)
{
    struct ram_policy *p = ps->p;
    struct ram_cond_key ck = { keep(ps, k->string), p->nvalue, 0 };
    const cJSON *c;
    void *q;

    if (ck.name == NULL) {
        return -1;
    }
    if (cJSON_IsArray(k)) {
        cJSON_ArrayForEach(c, k)
        {
            if (add_value(ps, c) != 0) {
                return -1;
            }
        }
    } else if (add_value(ps, k) != 0) {
        return -1;
    }
    ck.nvalue = p->nvalue - ck.value0;
    q = mg_grow(p->key, p->nkey, &ps->key_cap, sizeof(*p->key));
    if (q == NULL) {
        return nomem(ps->err);
    }
    p->key = q;
    p->key[p->nkey++] = ck;
    return 0;
}

/*
 * Condition: {"Operator": {"key": value-or-list, ...}, ...}, kept as
 * written (operators and keys in document order, duplicates included)
 * for the analysis to judge.
 */
static int read_condition(struct parser *ps, struct ram_statement *st,
                          const cJSON *cond)
{
    struct ram_policy *p = ps->p;
    const cJSON *o;
    const cJSON *k;

    st->op0 = p->nop;
    if (cond == NULL) {
        return 0;
    }
    if (!cJSON_IsObject(cond)) {
        return invalid(ps, "Condition is not an object");
    }
    st->has_condition = 1;
    cJSON_ArrayForEach(o, cond)
    {
        struct ram_cond_op op = { keep(ps, o->string), p->nkey, 0 };
        void *q;

        if (op.name == NULL) {
            return -1;
        }
        if (!cJSON_IsObject(o)) {
            return invalid(ps, "a Condition operator is not an object");
        }
        cJSON_ArrayForEach(k, o)
        {
            if (add_key(ps, k) != 0) {
                return -1;
            }
        }
        op.nkey = p->nkey - op.key0;
        q = mg_grow(p->op, p->nop, &ps->op_cap, sizeof(*p->op));
        if (q == NULL) {
            return nomem(ps->err);
        }
        p->op = q;
        p->op[p->nop++] = op;
    }
    st->nop = p->nop - st->op0;
    return 0;
}

/* Does every value of the key (and there is one) say want, any case? */
static int values_all(const struct ram_policy *p, const struct ram_cond_key *k,
                      const char *want)
{
    size_t i;

    if (k->nvalue == 0) {
        return 0;
    }
    for (i = k->value0; i < k->value0 + k->nvalue; i++) {
        const struct ram_cond_value *v = &p->value[i];

        if ((v->kind != RAM_VALUE_STRING && v->kind != RAM_VALUE_BOOL) ||
            strcasecmp(v->text, want) != 0) {
            return 0;
        }
    }
    return 1;
}

static int is_mfa_key(const struct ram_cond_key *k)
{
    return strcasecmp(k->name, "acs:MFAPresent") == 0;
}

/* An operator Bool with acs:MFAPresent only true: unusable without MFA.
 * Whatever else the Condition asks can only narrow it further. */
static int mfa_only(const struct ram_policy *p, const struct ram_statement *st)
{
    size_t i;
    size_t j;

    for (i = st->op0; i < st->op0 + st->nop; i++) {
        const struct ram_cond_op *op = &p->op[i];

        if (strcmp(op->name, "Bool") != 0) {
            continue;
        }
        for (j = op->key0; j < op->key0 + op->nkey; j++) {
            if (is_mfa_key(&p->key[j]) && values_all(p, &p->key[j], "true")) {
                return 1;
            }
        }
    }
    return 0;
}

/* The whole Condition is Bool or BoolIfExists {acs:MFAPresent: false}. */
static int without_mfa(const struct ram_policy *p,
                       const struct ram_statement *st)
{
    const struct ram_cond_op *op = &p->op[st->op0];

    if (st->nop != 1 || op->nkey != 1) {
        return 0;
    }
    if (strcmp(op->name, "Bool") != 0 &&
        strcmp(op->name, "BoolIfExists") != 0) {
        return 0;
    }
    return is_mfa_key(&p->key[op->key0]) &&
           values_all(p, &p->key[op->key0], "false");
}

static void derive(const struct ram_policy *p, struct ram_statement *st)
{
    st->mfa_only = st->effect == RAM_EFFECT_ALLOW && st->has_action &&
                   st->has_condition && mfa_only(p, st);
    st->deny_everywhere = st->effect == RAM_EFFECT_DENY && st->has_action &&
                          st->resource_all && !st->has_not_resource &&
                          (!st->has_condition || without_mfa(p, st));
}

static int read_effect(struct parser *ps, struct ram_statement *st,
                       const cJSON *effect)
{
    st->effect = RAM_EFFECT_OTHER;
    if (effect == NULL) {
        return 0;
    }
    if (!cJSON_IsString(effect)) {
        return invalid(ps, "Effect is not a string");
    }
    if (strcasecmp(effect->valuestring, "Allow") == 0) {
        st->effect = RAM_EFFECT_ALLOW;
    } else if (strcasecmp(effect->valuestring, "Deny") == 0) {
        st->effect = RAM_EFFECT_DENY;
    }
    return 0;
}

/* The elements of a statement by name, each at most once. */
static int elements(struct parser *ps, const cJSON *obj,
                    const cJSON *el[EL_COUNT])
{
    const cJSON *c;
    char msg[64];
    int i;

    memset(el, 0, EL_COUNT * sizeof(*el));
    for (c = obj->child; c != NULL; c = c->next) {
        for (i = 0; i < EL_COUNT; i++) {
            if (c->string && strcasecmp(c->string, element_names[i]) == 0) {
                break;
            }
        }
        if (i == EL_COUNT) {
            continue;
        }
        if (el[i] != NULL) {
            snprintf(msg, sizeof(msg), "%s appears twice", element_names[i]);
            return invalid(ps, msg);
        }
        el[i] = c;
    }
    return 0;
}

static int read_statement(struct parser *ps, const cJSON *obj)
{
    struct ram_policy *p = ps->p;
    struct ram_statement st;
    const cJSON *el[EL_COUNT];
    void *q;

    memset(&st, 0, sizeof(st));
    if (!cJSON_IsObject(obj)) {
        return invalid(ps, "not an object");
    }
    if (elements(ps, obj, el) != 0 ||
        read_effect(ps, &st, el[EL_EFFECT]) != 0 ||
        read_actions(ps, &st, el[EL_ACTION], el[EL_NOT_ACTION]) != 0 ||
        read_resources(ps, &st, el[EL_RESOURCE], el[EL_NOT_RESOURCE]) != 0 ||
        read_condition(ps, &st, el[EL_CONDITION]) != 0) {
        return -1;
    }
    derive(p, &st);

    q = mg_grow(p->stmt, p->nstmt, &ps->stmt_cap, sizeof(*p->stmt));
    if (q == NULL) {
        return nomem(ps->err);
    }
    p->stmt = q;
    p->stmt[p->nstmt++] = st;
    return 0;
}

static int read_statements(struct parser *ps, const cJSON *root)
{
    const cJSON *list;
    const cJSON *c;

    if (member(ps, root, "Statement", &list) != 0) {
        return -1;
    }
    if (list == NULL) {
        return mg_error_set(ps->err, MG_INVALID, "InvalidPolicy",
                            "policy document has no Statement");
    }
    if (cJSON_IsObject(list)) {
        return read_statement(ps, list);
    }
    if (!cJSON_IsArray(list)) {
        return mg_error_set(ps->err, MG_INVALID, "InvalidPolicy",
                            "policy Statement is not a list or an object");
    }
    if (cJSON_GetArraySize(list) > RAM_POLICY_MAX_STATEMENTS) {
        return mg_error_set(ps->err, MG_INVALID, "InvalidPolicy",
                            "policy has more than %d statements",
                            RAM_POLICY_MAX_STATEMENTS);
    }
    cJSON_ArrayForEach(c, list)
    {
        ps->at = ps->p->nstmt;
        if (read_statement(ps, c) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Refuse what cannot be a document before building anything. */
static cJSON *load(const char *doc, size_t len, struct mg_error *err)
{
    cJSON *root;

    if (doc == NULL || len == 0) {
        mg_error_set(err, MG_INVALID, "InvalidPolicy", "empty policy document");
        return NULL;
    }
    if (len > RAM_POLICY_MAX_BYTES) {
        mg_error_set(err, MG_INVALID, "InvalidPolicy",
                     "policy document of %zu bytes; the limit is %u", len,
                     RAM_POLICY_MAX_BYTES);
        return NULL;
    }
    if (has_nul_escape(doc, len)) {
        mg_error_set(err, MG_INVALID, "InvalidPolicy",
                     "policy document holds a NUL character");
        return NULL;
    }
    root = mg_json_parse(doc, len, err);
    if (root != NULL && !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        mg_error_set(err, MG_INVALID, "InvalidPolicy",
                     "policy document is not a JSON object");
        return NULL;
    }
    return root;
}

struct ram_policy *ram_policy_parse(const char *doc, size_t len,
                                    struct mg_error *err)
{
    struct parser ps;
    cJSON *root = load(doc, len, err);

    if (root == NULL) {
        return NULL;
    }
    memset(&ps, 0, sizeof(ps));
    ps.err = err;
    ps.p = calloc(1, sizeof(*ps.p));
    if (ps.p != NULL) {
        ps.p->text_cap = 2 * len + 64;
        ps.p->text = malloc(ps.p->text_cap);
    }
    if (ps.p == NULL || ps.p->text == NULL) {
        nomem(err);
    } else if (read_statements(&ps, root) == 0) {
        cJSON_Delete(root);
        return ps.p;
    }
    cJSON_Delete(root);
    ram_policy_free(ps.p);
    return NULL;
}

void ram_policy_free(struct ram_policy *p)
{
    if (p == NULL) {
        return;
    }
    free(p->stmt);
    free((void *)p->pattern);
    free(p->op);
    free(p->key);
    free(p->value);
    free(p->text);
    free(p);
}

size_t ram_policy_statement_count(const struct ram_policy *p)
{
    return p ? p->nstmt : 0;
}
