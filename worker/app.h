#ifndef WRK_APP_H
#define WRK_APP_H

#include <stdint.h>

#include "worker/settings.h"

struct cfg_client;
struct mg_cred_provider;
struct mg_limiter;
struct mg_pool;
struct mns_client;
struct ram_client;
struct wrk_cache;

/*
 * Everything one mfaguard process shares between its threads: settings,
 * credentials, one rate limiter per API family, the service clients, the
 * helper pool for parallel calls and the policy document cache. Built once
 * by wrk_app_init from settings; the worker, `check`, `scan` and `serve`
 * all run on it, so they cannot drift apart.
 */
struct wrk_app {
    struct wrk_settings set;
    struct mg_cred_provider *cred;
    struct mg_limiter *ram_limit;
    struct mg_limiter *config_limit;
    struct mg_limiter *mns_limit;
    struct ram_client *ram;
    struct cfg_client *config;
    struct mns_client *mns;
    struct mg_pool *pool;
    struct wrk_cache *cache;
    int64_t account_id;    /* from settings or the MNS endpoint; 0 unknown */
    volatile int queue_ok; /* the queue answered a receive */
    /* Work of a running sweep, for progress displays. */
    size_t progress_done;
    size_t progress_total;
    volatile int stop;  /* set at the first SIGTERM/SIGINT */
    volatile int abort; /* set at the second */
};

/* What a command needs: the worker needs MNS, scan needs no MNS, ... */
enum {
    WRK_NEED_RAM = 1,
    WRK_NEED_CONFIG = 2,
    WRK_NEED_MNS = 4,
};

/*
 * Set up logging, the transport, credentials (cred may be NULL: from the
 * environment and profile files) and the clients a command needs.
 * Returns 0, or -1 with a message for the user in errbuf.
 */
int wrk_app_init(struct wrk_app *app, const struct wrk_settings *s,
                 struct mg_cred_provider *cred, int needs, char *errbuf,
                 size_t errlen);
void wrk_app_release(struct wrk_app *app);

#endif
