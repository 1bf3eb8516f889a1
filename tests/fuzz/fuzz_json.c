/*
 * mg_json_parse and the getters the decoders read members with. Whatever
 * the text, a parsed document is an object or an array; every member is
 * found again by its exact name and by its name in another case; the
 * typed getters agree with the member's type; a document printed by cJSON
 * parses again to the same tree (integers of 16 digits or more come back
 * as strings of the same value, infinities as null, other numbers within
 * cJSON's printing precision); and mg_json_quote
 * writes strings that parse back to themselves.
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "fuzz.h"

#include "common/banned.h"

/* Strings re-quoted per input: enough to reach every escape, few enough
 * to keep a run fast on documents of thousands of strings. */
#define MAX_QUOTED 64

static void check_case_blind(const cJSON *obj, const char *key)
{
    char *upper = strdup(key);
    size_t i;

    FUZZ_CHECK(upper != NULL);
    for (i = 0; upper[i] != '\0'; i++) {
        if (upper[i] >= 'a' && upper[i] <= 'z') {
            upper[i] = (char)(upper[i] - 'a' + 'A');
        }
    }
    FUZZ_CHECK(mg_json_get(obj, upper) != NULL);
    free(upper);
}

static void check_member(const cJSON *obj, const cJSON *m)
{
    const cJSON *got;
    cJSON *owned = NULL;
    const cJSON *as_obj;
    int64_t n;
    int b;

    FUZZ_CHECK(m->string != NULL);
    got = mg_json_get(obj, m->string);
    FUZZ_CHECK(got != NULL && strcmp(got->string, m->string) == 0);
    check_case_blind(obj, m->string);

    FUZZ_CHECK((mg_json_str(obj, m->string) != NULL) == cJSON_IsString(got));
    if (mg_json_i64(obj, m->string, &n) == 0 && cJSON_IsNumber(got)) {
        FUZZ_CHECK((double)n == got->valuedouble);
    }
    if (mg_json_bool(obj, m->string, &b) == 0) {
        FUZZ_CHECK(b == 0 || b == 1);
    }

    as_obj = mg_json_obj(obj, m->string, &owned);
    if (cJSON_IsObject(got)) {
        FUZZ_CHECK(as_obj == got && owned == NULL);
    }
    FUZZ_CHECK(as_obj == NULL || cJSON_IsObject(as_obj));
    cJSON_Delete(owned);
}

/* mg_json_quote, then a strict parse, must give the same bytes back. */
static void check_quote(const char *s)
{
    struct mg_buf b = MG_BUF_INIT(8 * strlen(s) + 16);
    struct mg_error err;
    cJSON *back;

    mg_error_clear(&err);
    FUZZ_CHECK(mg_buf_addc(&b, '[') == 0);
    FUZZ_CHECK(mg_json_quote(&b, s) == 0);
    FUZZ_CHECK(mg_buf_addc(&b, ']') == 0);
    back = mg_json_parse(b.data, b.len, &err);
    FUZZ_CHECK(back != NULL && cJSON_IsString(back->child));
    FUZZ_CHECK(strcmp(back->child->valuestring, s) == 0);
    cJSON_Delete(back);
    mg_buf_release(&b);
}

static void walk(const cJSON *v, int *quoted)
{
    const cJSON *c;

    if (cJSON_IsString(v) && *quoted < MAX_QUOTED) {
        (*quoted)++;
        check_quote(v->valuestring);
    }
    cJSON_ArrayForEach(c, v)
    {
        if (cJSON_IsObject(v)) {
            check_member(v, c);
        }
        walk(c, quoted);
    }
}

/*
 * cJSON prints a double with 15 significant digits when that reads back
 * within an epsilon of it, so a printed number may come back a few units
 * in the last place away: equal enough here.
 */
static int close_enough(double a, double b)
{
    double ma = a < 0 ? -a : a;
    double mb = b < 0 ? -b : b;
    double diff = a - b < 0 ? b - a : a - b;

    return a == b || diff <= (ma > mb ? ma : mb) * 4 * DBL_EPSILON;
}

/* A number that printing turned into something else, legitimately. */
static int number_reprinted(const cJSON *a, const cJSON *b)
{
    double d = a->valuedouble;

    if (d - d != 0) {
        return cJSON_IsNull(b); /* cJSON prints infinity as null */
    }
    return cJSON_IsString(b) && close_enough(strtod(b->valuestring, NULL), d);
}

static int same_tree(const cJSON *a, const cJSON *b)
{
    const cJSON *x;
    const cJSON *y;

    if (cJSON_IsNumber(a) && !cJSON_IsNumber(b)) {
        return number_reprinted(a, b);
    }
    if ((a->type & 0xff) != (b->type & 0xff)) {
        return 0;
    }
    if (cJSON_IsNumber(a)) {
        return close_enough(a->valuedouble, b->valuedouble);
    }
    if (cJSON_IsString(a)) {
        return strcmp(a->valuestring, b->valuestring) == 0;
    }
    for (x = a->child, y = b->child; x && y; x = x->next, y = y->next) {
        if ((x->string || y->string) &&
            (!x->string || !y->string || strcmp(x->string, y->string) != 0)) {
            return 0;
        }
        if (!same_tree(x, y)) {
            return 0;
        }
    }
    return x == NULL && y == NULL;
}

static void check_reprint(const cJSON *root)
{
    char *printed = cJSON_PrintUnformatted(root);
    struct mg_error err;
    cJSON *again;

    FUZZ_CHECK(printed != NULL);
    mg_error_clear(&err);
    again = mg_json_parse(printed, strlen(printed), &err);
    FUZZ_CHECK(again != NULL);
    FUZZ_CHECK(same_tree(root, again));
    cJSON_Delete(again);
    cJSON_free(printed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mg_error err;
    cJSON *root;
    int quoted = 0;

    mg_error_clear(&err);
    root = mg_json_parse((const char *)data, size, &err);
    if (root == NULL) {
        FUZZ_CHECK(err.cls == MG_INVALID && err.code[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(err.cls == MG_OK);
    FUZZ_CHECK(cJSON_IsObject(root) || cJSON_IsArray(root));
    FUZZ_CHECK(fuzz_no_nul(data, size));

    walk(root, &quoted);
    check_reprint(root);
    cJSON_Delete(root);
    return 0;
}
