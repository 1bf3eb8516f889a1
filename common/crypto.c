#include "common/crypto.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "common/buf.h"

#include "common/banned.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int mg_b64_encode(struct mg_buf *out, const void *in, size_t n)
{
    const unsigned char *p = in;
    size_t i;
    char q[4];

    for (i = 0; i + 2 < n; i += 3) {
        q[0] = b64_alphabet[p[i] >> 2];
        q[1] = b64_alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
        q[2] = b64_alphabet[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
        q[3] = b64_alphabet[p[i + 2] & 63];
        if (mg_buf_add(out, q, 4) != 0) {
            return -1;
        }
    }
    if (i < n) {
        q[0] = b64_alphabet[p[i] >> 2];
        if (i + 1 < n) {
            q[1] = b64_alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
            q[2] = b64_alphabet[(p[i + 1] & 15) << 2];
        } else {
            q[1] = b64_alphabet[(p[i] & 3) << 4];
            q[2] = '=';
        }
        q[3] = '=';
        if (mg_buf_add(out, q, 4) != 0) {
            return -1;
        }
    }
    if (out->data == NULL) {
        return mg_buf_add(out, "", 0);
    }
    return 0;
}

static int b64_value(char c)
{
    const char *hit;

    if (c == '\0') {
        return -1;
    }
    hit = strchr(b64_alphabet, c);
    return hit ? (int)(hit - b64_alphabet) : -1;
}

static int decode_quad(struct mg_buf *out, const char *q, int last)
{
    int v[4];
    int i;
    int pad = 0;
    unsigned char bytes[3];

    for (i = 0; i < 4; i++) {
        if (q[i] == '=' && last && i >= 2) {
            pad++;
            v[i] = 0;
            continue;
        }
        if (pad > 0) {
            return -1;
        }
        v[i] = b64_value(q[i]);
        if (v[i] < 0) {
            return -1;
        }
    }
    /* Canonical encodings only: unused bits must be zero. */
    if ((pad == 2 && (v[1] & 15) != 0) || (pad == 1 && (v[2] & 3) != 0)) {
        return -1;
    }
    bytes[0] = (unsigned char)((v[0] << 2) | (v[1] >> 4));
    bytes[1] = (unsigned char)(((v[1] & 15) << 4) | (v[2] >> 2));
    bytes[2] = (unsigned char)(((v[2] & 3) << 6) | v[3]);
    return mg_buf_add(out, bytes, (size_t)(3 - pad));
}

int mg_b64_decode(struct mg_buf *out, const char *in, size_t n)
{
    size_t i;

    if (n == 0 || n % 4 != 0) {
        return -1;
    }
    for (i = 0; i < n; i += 4) {
        if (decode_quad(out, in + i, i + 4 == n) != 0) {
            return -1;
        }
    }
    return 0;
}

int mg_hmac_sha1_b64(const void *key, size_t keylen, const void *msg,
                     size_t msglen, char *out, size_t outlen)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    struct mg_buf b = MG_BUF_INIT(64);

    if (HMAC(EVP_sha1(), key, (int)keylen, msg, msglen, mac, &maclen) == NULL) {
        return -1;
    }
    if (mg_b64_encode(&b, mac, maclen) != 0 || b.len + 1 > outlen) {
        mg_buf_release(&b);
        return -1;
    }
    memcpy(out, b.data, b.len + 1);
    mg_buf_release(&b);
    return 0;
}

static void to_hex(const unsigned char *d, size_t n, char *out, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void mg_md5_hex(const void *p, size_t n, char *out, int upper)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;

    EVP_Digest(p, n, d, &dlen, EVP_md5(), NULL);
    to_hex(d, dlen, out, upper);
}

void mg_sha256_hex(const void *p, size_t n, char *out)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;

    EVP_Digest(p, n, d, &dlen, EVP_sha256(), NULL);
    to_hex(d, dlen, out, 0);
}

int mg_pct_encode(struct mg_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                    c == '.' || c == '~';
        char enc[3] = { '%', hex[c >> 4], hex[c & 15] };

        if (plain ? mg_buf_addc(out, (char)c) : mg_buf_add(out, enc, 3)) {
            return -1;
        }
    }
    if (out->data == NULL) {
        return mg_buf_add(out, "", 0);
    }
    return 0;
}

void mg_uuid(char *out, size_t outlen)
{
    unsigned char r[16];

    if (RAND_bytes(r, sizeof(r)) != 1) {
        uint64_t a = mg_rand_u64();
        uint64_t b = mg_rand_u64();
        memcpy(r, &a, 8);
        memcpy(r + 8, &b, 8);
    }
    r[6] = (unsigned char)((r[6] & 0x0F) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3F) | 0x80);
    snprintf(out, outlen,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
             r[11], r[12], r[13], r[14], r[15]);
}

/* splitmix64 over a per-thread state seeded from the clock and thread. */
uint64_t mg_rand_u64(void)
{
    static _Thread_local uint64_t state;
    uint64_t z;

    if (state == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        state = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
                (uint64_t)(uintptr_t)&state ^ (uint64_t)pthread_self();
        state |= 1;
    }
    state += 0x9E3779B97F4A7C15ULL;
    z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t mg_rand_below(uint64_t n)
{
    return n == 0 ? 0 : mg_rand_u64() % n;
}
