#include "common/cred.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"

#include "common/banned.h"

/* Refresh temporary credentials this long before they expire, or after
 * three quarters of their life when they live shorter than that. */
#define REFRESH_MARGIN_MS (5 * 60 * 1000)

struct mg_cred_provider {
    char source[64];
    pthread_mutex_t lock;
    struct mg_cred current;
    int64_t obtained_ms;
    int have;
    mg_cred_fetch_fn fetch; /* NULL for static keys */
    void *ctx;
    void (*ctx_free)(void *);
};

void mg_cred_wipe(struct mg_cred *c)
{
    volatile char *p = (volatile char *)c;
    size_t i;

    for (i = 0; i < sizeof(*c); i++) {
        p[i] = 0;
    }
}

static struct mg_cred_provider *provider_new(const char *source)
{
    struct mg_cred_provider *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        return NULL;
    }
    snprintf(p->source, sizeof(p->source), "%s", source);
    pthread_mutex_init(&p->lock, NULL);
    return p;
}

struct mg_cred_provider *mg_cred_static_new(const char *source, const char *id,
                                            const char *secret,
                                            const char *token)
{
    struct mg_cred_provider *p = provider_new(source);

    if (p == NULL) {
        return NULL;
    }
    snprintf(p->current.id, sizeof(p->current.id), "%s", id ? id : "");
    snprintf(p->current.secret, sizeof(p->current.secret), "%s",
             secret ? secret : "");
    snprintf(p->current.token, sizeof(p->current.token), "%s",
             token ? token : "");
    p->have = p->current.id[0] && p->current.secret[0];
    mg_log_secret_add(p->current.secret);
    mg_log_secret_add(p->current.token);
    return p;
}

int mg_cred_static_update(struct mg_cred_provider *p, const char *id,
                          const char *secret, const char *token)
{
    struct mg_cred c;

    if (p == NULL || p->fetch != NULL || id == NULL || secret == NULL ||
        strlen(id) >= sizeof(c.id) || strlen(secret) >= sizeof(c.secret) ||
        (token && strlen(token) >= sizeof(c.token))) {
        return -1;
    }
    memset(&c, 0, sizeof(c));
    snprintf(c.id, sizeof(c.id), "%s", id);
    snprintf(c.secret, sizeof(c.secret), "%s", secret);
    snprintf(c.token, sizeof(c.token), "%s", token ? token : "");
    mg_log_secret_add(c.secret);
    mg_log_secret_add(c.token);

    pthread_mutex_lock(&p->lock);
    p->current = c;
    p->have = c.id[0] && c.secret[0];
    pthread_mutex_unlock(&p->lock);
    mg_cred_wipe(&c);
    return 0;
}

struct mg_cred_provider *mg_cred_dynamic_new(const char *source,
                                             mg_cred_fetch_fn fetch, void *ctx,
                                             void (*ctx_free)(void *))
{
    struct mg_cred_provider *p = provider_new(source);

    if (p == NULL) {
        if (ctx_free) {
            ctx_free(ctx);
        }
        return NULL;
    }
    p->fetch = fetch;
    p->ctx = ctx;
    p->ctx_free = ctx_free;
    return p;
}

static int fresh_enough(const struct mg_cred_provider *p)
{
    int64_t margin = REFRESH_MARGIN_MS;
    int64_t life;

    if (!p->have) {
        return 0;
    }
    if (p->current.expires_ms == 0) {
        return 1;
    }
    life = p->current.expires_ms - p->obtained_ms;
    if (life > 0 && life / 4 < margin) {
        margin = life / 4;
    }
    return p->current.expires_ms - margin > mg_now_ms();
}

/* Fetch new credentials; lock held. Keeps the old ones on failure while
 * they are still valid, so a short outage of the source costs nothing. */
static int refresh(struct mg_cred_provider *p, struct mg_error *err)
{
    struct mg_cred fresh;
    int rc;

    memset(&fresh, 0, sizeof(fresh));
    rc = p->fetch(p->ctx, &fresh, err);
    if (rc == 0) {
        mg_log_secret_add(fresh.secret);
        mg_log_secret_add(fresh.token);
        p->current = fresh;
        p->obtained_ms = mg_now_ms();
        p->have = 1;
        mg_log_info("credentials.refreshed", MG_LS("source", p->source),
                    MG_LI("expires_ms", fresh.expires_ms));
    } else if (p->have && p->current.expires_ms > mg_now_ms()) {
        mg_log_warn("credentials.refresh_failed", MG_LS("source", p->source),
                    MG_LERR(err));
        mg_error_clear(err);
        rc = 0;
    }
    mg_cred_wipe(&fresh);
    return rc;
}

int mg_cred_get(struct mg_cred_provider *p, struct mg_cred *out,
                struct mg_error *err)
{
    int rc = 0;

    if (p == NULL) {
        return mg_error_set(err, MG_FINAL, "NoCredentials",
                            "no credentials configured");
    }
    pthread_mutex_lock(&p->lock);
    if (p->fetch && !fresh_enough(p)) {
        rc = refresh(p, err);
    }
    if (rc == 0 && !p->have) {
        rc = mg_error_set(err, MG_FINAL, "NoCredentials",
                          "no access key id and secret are set");
    }
    if (rc == 0) {
        *out = p->current;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void mg_cred_invalidate(struct mg_cred_provider *p)
{
    if (p == NULL || p->fetch == NULL) {
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->current.expires_ms = 1;
    pthread_mutex_unlock(&p->lock);
}

const char *mg_cred_source(const struct mg_cred_provider *p)
{
    return p ? p->source : "none";
}

void mg_cred_free(struct mg_cred_provider *p)
{
    if (p == NULL) {
        return;
    }
    if (p->ctx_free) {
        p->ctx_free(p->ctx);
    }
    mg_cred_wipe(&p->current);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
