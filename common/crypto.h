#ifndef MG_CRYPTO_H
#define MG_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

struct mg_buf;

/* Base64 (standard alphabet, padded) of HMAC-SHA1(key, msg). out >= 29. */
int mg_hmac_sha1_b64(const void *key, size_t keylen, const void *msg,
                     size_t msglen, char *out, size_t outlen);

/* Append the standard padded Base64 of in to out. */
int mg_b64_encode(struct mg_buf *out, const void *in, size_t n);

/*
 * Strict Base64: the standard alphabet, correct padding, no whitespace,
 * length a multiple of four. Anything else is refused with -1, so a
 * plain JSON or XML body is never mistaken for Base64.
 */
int mg_b64_decode(struct mg_buf *out, const char *in, size_t n);

/* Upper-case hex MD5 (the MNS MessageBodyMD5 form). out >= 33. */
void mg_md5_hex(const void *p, size_t n, char *out, int upper);

/* Lower-case hex SHA-256. out >= 65. */
void mg_sha256_hex(const void *p, size_t n, char *out);

/*
 * RFC 3986 percent-encoding as Alibaba's RPC signature wants it: every
 * byte outside A-Z a-z 0-9 - _ . ~ becomes %XY with upper-case hex.
 */
int mg_pct_encode(struct mg_buf *out, const char *s, size_t n);

/* A random version-4 UUID, for SignatureNonce. out >= 37. */
void mg_uuid(char *out, size_t outlen);

/* Random numbers for jitter; not for secrets. */
uint64_t mg_rand_u64(void);

/* Uniform in [0, n) (0 when n is 0). */
uint64_t mg_rand_below(uint64_t n);

#endif
