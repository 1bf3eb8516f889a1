#ifndef EMU_JSON_H
#define EMU_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

/*
 * A strict RFC 8259 reader for what clients send (Evaluations), unlike
 * cJSON's lenient one: no trailing commas, no leading zeros, no control
 * characters in strings, no duplicate keys, nothing after the value.
 * Numbers become cJSON "raw" items holding their exact text, so an
 * integer of any length keeps every digit and a test can tell 12 from
 * 12.0 or "12". NULL with a reason (and byte offset) in why.
 */
cJSON *emu_json_strict(const char *text, size_t len, char *why, size_t whylen);

/* Is the raw number text a JSON integer (no fraction, no exponent)? */
int emu_json_is_integer(const cJSON *item);

#endif
