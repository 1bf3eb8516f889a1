#ifndef EMU_SIGN_H
#define EMU_SIGN_H

#include <stddef.h>

struct mg_buf;

/*
 * The emulator's own signature verifiers, written from the server's side:
 * they canonicalise what was received, never what a client meant to send.
 * Nothing here calls common/rpc.h, so the emulator checks the client's
 * signing code instead of agreeing with it by construction.
 */

/* A name and a value; who owns the strings is up to the caller. */
struct emu_kv {
    const char *name;
    const char *value;
};

/*
 * MNS V2 string-to-sign: VERB, Content-MD5, Content-Type and DATE each
 * followed by a newline, then every header whose lower-cased name starts
 * with "x-mns-" as "name:trimmed value\n" sorted by name (byte order),
 * then the request target exactly as received. headers may hold any
 * headers in any case; the function picks the x-mns- ones itself.
 */
int emu_mns_string_to_sign(struct mg_buf *out, const char *verb,
                           const char *content_md5, const char *content_type,
                           const char *date, const struct emu_kv *headers,
                           size_t n, const char *resource);

/* Base64 HMAC-SHA1 of msg keyed by the secret itself. sig >= 29. */
int emu_mns_signature(const char *secret, const char *msg, size_t len,
                      char *sig, size_t siglen);

/*
 * Does a Content-MD5 header match the body? Both forms seen in the wild
 * pass: RFC 1864 (Base64 of the 16-byte digest) and what the Python, Go
 * and Node SDKs send (Base64 of the 32-character hex digest).
 */
int emu_mns_md5_matches(const char *header, const void *body, size_t len);

/* RFC 3986 encoding as the RPC signature wants it (unreserved kept). */
int emu_rpc_encode(struct mg_buf *out, const char *s);

/*
 * The canonical query of decoded parameters: all but "Signature", sorted
 * by name in byte order (ties keep their order), each encoded as
 * name=value, joined with "&".
 */
int emu_rpc_canonical(struct mg_buf *out, const struct emu_kv *params,
                      size_t n);

/* METHOD&%2F&encode(canonical). */
int emu_rpc_string_to_sign(struct mg_buf *out, const char *method,
                           const char *canonical);

/* Base64 HMAC-SHA1 keyed by secret + "&". sig >= 29. */
int emu_rpc_signature(const char *secret, const char *string_to_sign, char *sig,
                      size_t siglen);

/* Constant-time comparison of two signatures; 1 when equal. */
int emu_sig_equal(const char *a, const char *b);

/*
 * A bounded replay window: remembers the last cap keys seen, forgetting
 * the oldest first, so memory stays flat however long the run.
 */
struct emu_nonces;

struct emu_nonces *emu_nonces_new(size_t cap);
void emu_nonces_free(struct emu_nonces *w);

/* 1 when key is still in the window (a replay), 0 after remembering it,
 * -1 when memory ran out. */
int emu_nonces_check_add(struct emu_nonces *w, const char *key);

#endif
