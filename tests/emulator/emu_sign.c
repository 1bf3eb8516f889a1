#include "emu_sign.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/buf.h"
#include "emu_map.h"

#include "common/banned.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard padded Base64 into a fixed array; -1 when it does not fit. */
static int b64_encode(const unsigned char *in, size_t n, char *out,
                      size_t outlen)
{
    size_t i;
    size_t o = 0;

    if (outlen < ((n + 2) / 3) * 4 + 1) {
        return -1;
    }
    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;

        v |= i + 1 < n ? (unsigned)in[i + 1] << 8 : 0;
        v |= i + 2 < n ? in[i + 2] : 0;
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = '\0';
    return 0;
}

static int hmac_sha1_b64(const void *key, size_t keylen, const char *msg,
                         size_t len, char *sig, size_t siglen)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;

    if (HMAC(EVP_sha1(), key, (int)keylen, (const unsigned char *)msg, len, mac,
             &maclen) == NULL) {
        return -1;
    }
    return b64_encode(mac, maclen, sig, siglen);
}

/* ---- MNS ---------------------------------------------------------- */

struct mns_hdr {
    char name[128];
    const char *value;
    size_t vlen;
};

static int hdr_cmp(const void *a, const void *b)
{
    const struct mns_hdr *x = a;
    const struct mns_hdr *y = b;
    int c = strcmp(x->name, y->name);
    size_t n = x->vlen < y->vlen ? x->vlen : y->vlen;

    if (c != 0) {
        return c;
    }
    c = memcmp(x->value, y->value, n);
    return c != 0 ? c : (x->vlen > y->vlen) - (x->vlen < y->vlen);
}

/* Lower-case name and trimmed value of an x-mns- header; 0 if it is one. */
static int pick_mns_header(const struct emu_kv *h, struct mns_hdr *out)
{
    size_t len = strlen(h->name);
    size_t i;
    const char *v = h->value;
    size_t vlen;

    if (len < 6 || len >= sizeof(out->name) ||
        strncasecmp(h->name, "x-mns-", 6) != 0) {
        return -1;
    }
    for (i = 0; i <= len; i++) {
        out->name[i] = (char)tolower((unsigned char)h->name[i]);
    }
    while (*v == ' ' || *v == '\t') {
        v++;
    }
    vlen = strlen(v);
    while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t')) {
        vlen--;
    }
    out->value = v;
    out->vlen = vlen;
    return 0;
}

static int add_mns_headers(struct mg_buf *out, const struct emu_kv *headers,
                           size_t n)
{
    struct mns_hdr *list = calloc(n ? n : 1, sizeof(*list));
    size_t count = 0;
    size_t i;
    int rc = 0;

    if (list == NULL) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (pick_mns_header(&headers[i], &list[count]) == 0) {
            count++;
        }
    }
    qsort(list, count, sizeof(*list), hdr_cmp);
    for (i = 0; i < count && rc == 0; i++) {
        rc |= mg_buf_adds(out, list[i].name);
        rc |= mg_buf_addc(out, ':');
        rc |= mg_buf_add(out, list[i].value, list[i].vlen);
        rc |= mg_buf_addc(out, '\n');
    }
    free(list);
    return rc ? -1 : 0;
}

int emu_mns_string_to_sign(struct mg_buf *out, const char *verb,
                           const char *content_md5, const char *content_type,
                           const char *date, const struct emu_kv *headers,
                           size_t n, const char *resource)
{
    int rc = 0;

    rc |= mg_buf_addf(out, "%s\n%s\n%s\n%s\n", verb,
                      content_md5 ? content_md5 : "",
                      content_type ? content_type : "", date ? date : "");
    rc |= add_mns_headers(out, headers, n);
    rc |= mg_buf_adds(out, resource);
    return rc ? -1 : 0;
}

int emu_mns_signature(const char *secret, const char *msg, size_t len,
                      char *sig, size_t siglen)
{
    return hmac_sha1_b64(secret, strlen(secret), msg, len, sig, siglen);
}

int emu_mns_md5_matches(const char *header, const void *body, size_t len)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    char want[128];
    unsigned int i;

    if (EVP_Digest(body, len, d, &dlen, EVP_md5(), NULL) != 1) {
        return 0;
    }
    if (b64_encode(d, dlen, want, sizeof(want)) == 0 &&
        strcmp(header, want) == 0) {
        return 1;
    }
    for (i = 0; i < dlen; i++) {
        hex[2 * i] = "0123456789abcdef"[d[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
    }
    hex[2 * dlen] = '\0';
    return b64_encode((const unsigned char *)hex, 2 * dlen, want,
                      sizeof(want)) == 0 &&
           strcmp(header, want) == 0;
}

/* ---- RPC ---------------------------------------------------------- */

int emu_rpc_encode(struct mg_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;

    for (; *s && rc == 0; s++) {
        unsigned char c = (unsigned char)*s;

        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            rc = mg_buf_addc(out, (char)c);
        } else {
            char enc[3] = { '%', hex[c >> 4], hex[c & 15] };
            rc = mg_buf_add(out, enc, 3);
        }
    }
    if (rc == 0 && out->data == NULL) {
        rc = mg_buf_add(out, "", 0);
    }
    return rc;
}

struct sorted_param {
    const struct emu_kv *kv;
    size_t pos;
};

static int param_cmp(const void *a, const void *b)
{
    const struct sorted_param *x = a;
    const struct sorted_param *y = b;
    int c = strcmp(x->kv->name, y->kv->name);

    if (c != 0) {
        return c;
    }
    return (x->pos > y->pos) - (x->pos < y->pos);
}

int emu_rpc_canonical(struct mg_buf *out, const struct emu_kv *params, size_t n)
{
    struct sorted_param *list = calloc(n ? n : 1, sizeof(*list));
    size_t count = 0;
    size_t i;
    int rc = 0;

    if (list == NULL) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (strcmp(params[i].name, "Signature") != 0) {
            list[count].kv = &params[i];
            list[count].pos = i;
            count++;
        }
    }
    qsort(list, count, sizeof(*list), param_cmp);

    rc |= mg_buf_add(out, "", 0);
    for (i = 0; i < count && rc == 0; i++) {
        if (i > 0) {
            rc |= mg_buf_addc(out, '&');
        }
        rc |= emu_rpc_encode(out, list[i].kv->name);
        rc |= mg_buf_addc(out, '=');
        rc |= emu_rpc_encode(out, list[i].kv->value);
    }
    free(list);
    return rc ? -1 : 0;
}

int emu_rpc_string_to_sign(struct mg_buf *out, const char *method,
                           const char *canonical)
{
    int rc = 0;

    rc |= mg_buf_adds(out, method);
    rc |= mg_buf_adds(out, "&%2F&");
    rc |= emu_rpc_encode(out, canonical);
    return rc ? -1 : 0;
}

int emu_rpc_signature(const char *secret, const char *string_to_sign, char *sig,
                      size_t siglen)
{
    struct mg_buf key = MG_BUF_INIT(4096);
    int rc;

    if (mg_buf_adds(&key, secret) != 0 || mg_buf_addc(&key, '&') != 0) {
        mg_buf_release(&key);
        return -1;
    }
    rc = hmac_sha1_b64(key.data, key.len, string_to_sign,
                       strlen(string_to_sign), sig, siglen);
    OPENSSL_cleanse(key.data, key.len);
    mg_buf_release(&key);
    return rc;
}

int emu_sig_equal(const char *a, const char *b)
{
    size_t la = strlen(a);

    return la == strlen(b) && CRYPTO_memcmp(a, b, la) == 0;
}

/* ---- replay window ------------------------------------------------ */

struct emu_nonces {
    struct emu_map *seen;
    char **ring; /* insertion order, so the oldest goes first */
    size_t cap;
    size_t next;
    size_t used;
};

struct emu_nonces *emu_nonces_new(size_t cap)
{
    struct emu_nonces *w = calloc(1, sizeof(*w));

    if (w == NULL) {
        return NULL;
    }
    w->cap = cap ? cap : 1;
    w->ring = calloc(w->cap, sizeof(*w->ring));
    w->seen = emu_map_new(w->cap);
    if (w->ring == NULL || w->seen == NULL) {
        emu_nonces_free(w);
        return NULL;
    }
    return w;
}

void emu_nonces_free(struct emu_nonces *w)
{
    size_t i;

    if (w == NULL) {
        return;
    }
    for (i = 0; w->ring && i < w->cap; i++) {
        free(w->ring[i]);
    }
    free(w->ring);
    emu_map_free(w->seen);
    free(w);
}

int emu_nonces_check_add(struct emu_nonces *w, const char *key)
{
    char *copy;

    if (emu_map_get(w->seen, key) != NULL) {
        return 1;
    }
    copy = strdup(key);
    if (copy == NULL) {
        return -1;
    }
    if (w->used == w->cap) {
        emu_map_del(w->seen, w->ring[w->next]);
        free(w->ring[w->next]);
        w->used--;
    }
    if (emu_map_put(w->seen, copy, copy) != 0) {
        free(copy);
        return -1;
    }
    w->ring[w->next] = copy;
    w->next = (w->next + 1) % w->cap;
    w->used++;
    return 0;
}
