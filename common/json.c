#include "common/json.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/error.h"

#include "common/banned.h"

#define BIG_DIGITS 16

/* Skip a string literal starting at the quote at s[i]; return the index
 * just past its closing quote, or len when unterminated. Sets *nul when
 * the string escapes a NUL character, which cJSON would silently cut the
 * string at. */
static size_t skip_string(const char *s, size_t len, size_t i, int *nul)
{
    for (i++; i < len; i++) {
        if (s[i] == '\\') {
            if (i + 5 < len && memcmp(s + i + 1, "u0000", 5) == 0) {
                *nul = 1;
            }
            i++;
        } else if (s[i] == '"') {
            return i + 1;
        }
    }
    return len;
}

/* Length of the number token at s[i], and whether it is an integer. */
static size_t number_len(const char *s, size_t len, size_t i, int *integer,
                         size_t *digits)
{
    size_t j = i;

    *integer = 1;
    *digits = 0;
    if (j < len && s[j] == '-') {
        j++;
    }
    while (j < len && isdigit((unsigned char)s[j])) {
        j++;
        (*digits)++;
    }
    while (j < len &&
           (isdigit((unsigned char)s[j]) || s[j] == '.' || s[j] == 'e' ||
            s[j] == 'E' || s[j] == '+' || s[j] == '-')) {
        *integer = 0;
        j++;
    }
    return j - i;
}

/* Copy text, putting quotes around integers too long for a double. */
static int quote_big_integers(const char *s, size_t len, struct mg_buf *out,
                              int *nul)
{
    size_t i = 0;
    size_t start = 0;

    while (i < len) {
        if (s[i] == '"') {
            i = skip_string(s, len, i, nul);
        } else if (s[i] == '-' || isdigit((unsigned char)s[i])) {
            int integer;
            size_t digits;
            size_t n = number_len(s, len, i, &integer, &digits);

            if (integer && digits >= BIG_DIGITS) {
                if (mg_buf_add(out, s + start, i - start) != 0 ||
                    mg_buf_addc(out, '"') != 0 ||
                    mg_buf_add(out, s + i, n) != 0 ||
                    mg_buf_addc(out, '"') != 0) {
                    return -1;
                }
                start = i + n;
            }
            i += n;
        } else {
            i++;
        }
    }
    return mg_buf_add(out, s + start, len - start);
}

cJSON *mg_json_parse(const char *text, size_t len, struct mg_error *err)
{
    struct mg_buf b = MG_BUF_INIT(2 * len + 16);
    const char *end = NULL;
    int nul = 0;
    cJSON *root;

    if (text == NULL || len == 0) {
        mg_error_set(err, MG_INVALID, "JsonEmpty", "empty JSON text");
        return NULL;
    }
    if (memchr(text, '\0', len) != NULL) {
        mg_error_set(err, MG_INVALID, "JsonNul", "NUL byte in JSON text");
        return NULL;
    }
    if (quote_big_integers(text, len, &b, &nul) != 0) {
        mg_buf_release(&b);
        mg_error_set(err, MG_INVALID, "NoMemory", "JSON text too large");
        return NULL;
    }
    if (nul) {
        mg_buf_release(&b);
        mg_error_set(err, MG_INVALID, "JsonEscapedNul",
                     "a JSON string holds \\u0000, which would cut it");
        return NULL;
    }

    root = cJSON_ParseWithOpts(b.data, &end, 1);
    if (root == NULL) {
        size_t at = end && end >= b.data ? (size_t)(end - b.data) : 0;
        mg_error_set(err, MG_INVALID, "JsonSyntax",
                     "invalid JSON near byte %zu", at);
    } else if (!cJSON_IsObject(root) && !cJSON_IsArray(root)) {
        cJSON_Delete(root);
        root = NULL;
        mg_error_set(err, MG_INVALID, "JsonNotObject",
                     "JSON text is not an object or array");
    }
    mg_buf_release(&b);
    return root;
}

const cJSON *mg_json_get(const cJSON *obj, const char *key)
{
    const cJSON *v;

    if (!cJSON_IsObject(obj)) {
        return NULL;
    }
    v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL) {
        v = cJSON_GetObjectItem(obj, key);
    }
    return v;
}

const char *mg_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = mg_json_get(obj, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end = NULL;
    long long v;

    if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
        return -1;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') {
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

int mg_json_value_i64(const cJSON *v, int64_t *out)
{
    if (cJSON_IsString(v)) {
        return parse_i64(v->valuestring, out);
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;

        /* Below 2^53 a double holds every integer exactly. */
        if (d != d || d > 9007199254740992.0 || d < -9007199254740992.0 ||
            d != (double)(int64_t)d) {
            return -1;
        }
        *out = (int64_t)d;
        return 0;
    }
    return -1;
}

int mg_json_i64(const cJSON *obj, const char *key, int64_t *out)
{
    return mg_json_value_i64(mg_json_get(obj, key), out);
}

int mg_json_bool(const cJSON *obj, const char *key, int *out)
{
    const cJSON *v = mg_json_get(obj, key);

    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
        return 0;
    }
    if (cJSON_IsString(v)) {
        if (strcasecmp(v->valuestring, "true") == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(v->valuestring, "false") == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

const cJSON *mg_json_obj(const cJSON *obj, const char *key, cJSON **owned)
{
    const cJSON *v = mg_json_get(obj, key);

    *owned = NULL;
    if (cJSON_IsObject(v)) {
        return v;
    }
    if (cJSON_IsString(v) && v->valuestring[0] != '\0') {
        *owned = mg_json_parse(v->valuestring, strlen(v->valuestring), NULL);
        if (*owned && !cJSON_IsObject(*owned)) {
            cJSON_Delete(*owned);
            *owned = NULL;
        }
        return *owned;
    }
    return NULL;
}

int mg_json_quote(struct mg_buf *out, const char *s)
{
    int rc = 0;

    rc |= mg_buf_addc(out, '"');
    for (; *s && rc == 0; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            rc |= mg_buf_addc(out, '\\');
            rc |= mg_buf_addc(out, (char)c);
        } else if (c == '\n') {
            rc |= mg_buf_adds(out, "\\n");
        } else if (c == '\r') {
            rc |= mg_buf_adds(out, "\\r");
        } else if (c == '\t') {
            rc |= mg_buf_adds(out, "\\t");
        } else if (c < 0x20) {
            rc |= mg_buf_addf(out, "\\u%04x", c);
        } else {
            rc |= mg_buf_addc(out, (char)c);
        }
    }
    rc |= mg_buf_addc(out, '"');
    return rc ? -1 : 0;
}
