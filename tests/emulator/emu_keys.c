#include "emu_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "emu.h"
#include "emu_map.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

static struct emu_map *keys;
static struct emu_key **issued; /* ring of STS keys, oldest first */
static size_t issued_next;
static size_t issued_used;

static int ensure_tables(void)
{
    if (keys == NULL) {
        keys = emu_map_new(1024);
    }
    if (issued == NULL) {
        issued = calloc(EMU_STS_KEEP, sizeof(*issued));
    }
    return keys && issued ? 0 : -1;
}

int emu_keys_add(const char *id, const char *secret)
{
    struct emu_key *k;
    int rc = -1;

    if (*id == '\0' || *secret == '\0' || strlen(id) >= sizeof(k->id) ||
        strlen(secret) >= sizeof(k->secret)) {
        return -1;
    }
    k = calloc(1, sizeof(*k));
    if (k == NULL) {
        return -1;
    }
    snprintf(k->id, sizeof(k->id), "%s", id);
    snprintf(k->secret, sizeof(k->secret), "%s", secret);

    pthread_mutex_lock(&emu_g.lock);
    if (ensure_tables() == 0) {
        free(emu_map_del(keys, id));
        rc = emu_map_put(keys, id, k);
    }
    pthread_mutex_unlock(&emu_g.lock);
    if (rc != 0) {
        free(k);
    }
    return rc;
}

int emu_keys_find(const char *id, struct emu_key *out)
{
    struct emu_key *k;

    pthread_mutex_lock(&emu_g.lock);
    k = keys ? emu_map_get(keys, id) : NULL;
    if (k) {
        *out = *k;
    }
    pthread_mutex_unlock(&emu_g.lock);
    return k ? 0 : -1;
}

/* Random text from an alphabet, as the real service's keys look. */
static void random_text(char *out, size_t n, const char *alphabet)
{
    size_t len = strlen(alphabet);
    size_t i;

    for (i = 0; i < n; i++) {
        out[i] = alphabet[mg_rand_below(len)];
    }
    out[n] = '\0';
}

/*
 * Tokens carry '+', '/' and '=' on purpose, like real ones, so a client
 * that forgets to percent-encode SecurityToken fails here and not later.
 */
static int make_sts_key(int64_t ttl_ms, struct emu_key *k)
{
    static const char alnum[] =
        "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    unsigned char raw[96];
    struct mg_buf tok = MG_BUF_INIT(sizeof(k->token) - 5);
    size_t i;

    memcpy(k->id, "STS.", 4);
    random_text(k->id + 4, 26, alnum);
    random_text(k->secret, 44, alnum);
    for (i = 0; i < sizeof(raw); i++) {
        raw[i] = (unsigned char)mg_rand_u64();
    }
    raw[0] = 0xfb; /* makes the Base64 start with "+" after "CAIS" */
    if (mg_b64_encode(&tok, raw, sizeof(raw) - 1) != 0) {
        mg_buf_release(&tok);
        return -1;
    }
    snprintf(k->token, sizeof(k->token), "CAIS%s", tok.data);
    mg_buf_release(&tok);
    k->sts = 1;
    k->expire_ms = mg_now_ms() + ttl_ms;
    return 0;
}

int emu_keys_issue(int64_t ttl_ms, struct emu_key *out)
{
    struct emu_key *k = calloc(1, sizeof(*k));
    int rc = -1;

    if (k == NULL || make_sts_key(ttl_ms, k) != 0) {
        free(k);
        return -1;
    }
    pthread_mutex_lock(&emu_g.lock);
    if (ensure_tables() == 0) {
        if (issued_used == EMU_STS_KEEP) {
            struct emu_key *old = issued[issued_next];

            emu_map_del(keys, old->id);
            free(old);
            issued_used--;
        }
        rc = emu_map_put(keys, k->id, k);
        if (rc == 0) {
            issued[issued_next] = k;
            issued_next = (issued_next + 1) % EMU_STS_KEEP;
            issued_used++;
            *out = *k;
        }
    }
    pthread_mutex_unlock(&emu_g.lock);
    if (rc != 0) {
        free(k);
    }
    return rc;
}

static void free_long_term(const char *key, void *value, void *arg)
{
    struct emu_key *k = value;

    (void)key;
    (void)arg;
    if (!k->sts) {
        free(k);
    }
}

void emu_keys_free(void)
{
    size_t i;

    if (keys) {
        emu_map_each(keys, free_long_term, NULL);
    }
    for (i = 0; issued && i < EMU_STS_KEEP; i++) {
        if (i < issued_used) {
            free(issued[(issued_next + EMU_STS_KEEP - issued_used + i) %
                        EMU_STS_KEEP]);
        }
    }
    emu_map_free(keys);
    free(issued);
    keys = NULL;
    issued = NULL;
    issued_used = 0;
    issued_next = 0;
}
