#ifndef MG_JSON_H
#define MG_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct mg_buf;
struct mg_error;

/*
 * Helpers over cJSON for data from services and messages.
 *
 * cJSON keeps numbers as doubles, which cannot hold every account id
 * (they can pass 2^53). mg_json_parse therefore turns every integer
 * literal of 16 or more digits into a string before cJSON sees it, and the
 * getters below accept a number or a string of digits alike. Text that is
 * not strict JSON (trailing garbage, a bare value where an object is
 * wanted) is refused.
 */

/* Parse an object or array; on failure err says why. Free with cJSON_Delete.
 */
cJSON *mg_json_parse(const char *text, size_t len, struct mg_error *err);

/* Member by exact name, then by name ignoring case; NULL if absent. */
const cJSON *mg_json_get(const cJSON *obj, const char *key);

/* The member's string, or NULL when absent or not a string. */
const char *mg_json_str(const cJSON *obj, const char *key);

/*
 * The member as an exact signed 64-bit integer: a JSON integer, or a
 * string of digits. Returns 0, or -1 when absent, fractional, out of range
 * or not a number.
 */
int mg_json_i64(const cJSON *obj, const char *key, int64_t *out);

/* Same for a value already in hand. */
int mg_json_value_i64(const cJSON *v, int64_t *out);

/* true/false, or the strings "true"/"false" (any case). */
int mg_json_bool(const cJSON *obj, const char *key, int *out);

/* The member as an object; when it is a string, parse it as JSON text. The
 * result is owned by the caller when *owned is set. */
const cJSON *mg_json_obj(const cJSON *obj, const char *key, cJSON **owned);

/* Append s as a JSON string literal (quoted, escaped). */
int mg_json_quote(struct mg_buf *out, const char *s);

#endif
