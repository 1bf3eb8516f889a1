#ifndef EMU_RPC_H
#define EMU_RPC_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "emu.h"

/*
 * RPC services (RAM, Config, STS) share one entry point: the Version
 * parameter picks the service, the Action parameter picks a handler from
 * that service's table. Answers are JSON; helpers here build them.
 */

#define EMU_RPC_UNSIGNED 1u /* no signature (AssumeRoleWithOIDC) */

/*
 * Most actions only read the account and fill an answer: they give a
 * fill function instead of a handler, and the shared entry point makes
 * the answer, takes the state lock around the call, and sends the answer
 * when fill returns 0. On -1 nothing is sent: fill has answered with an
 * error itself (emu_fail), or memory ran out and the server answers 500.
 */
typedef int (*emu_rpc_fill)(struct emu_ctx *c, cJSON *root);

struct emu_rpc_action {
    const char *name;
    emu_handler handler; /* NULL when fill is given */
    emu_rpc_fill fill;
    unsigned flags;
};

/* Each service's table, terminated by a NULL name. */
extern const struct emu_rpc_action emu_ram_actions[];
extern const struct emu_rpc_action emu_config_actions[];
extern const struct emu_rpc_action emu_sts_actions[];

/* A parameter that must be present and non-empty; NULL after answering
 * MissingParameter. */
const char *emu_rpc_need(struct emu_ctx *c, const char *name);

/* A new answer object holding RequestId; NULL on no memory. */
cJSON *emu_rpc_answer(struct emu_ctx *c);

/* Print root into the answer with status 200 and free it. */
void emu_rpc_send(struct emu_ctx *c, cJSON *root);

/* {"Name":{"Item":[]}}: the wrapper object RAM uses for lists; returns the
 * array, or NULL on no memory. */
cJSON *emu_rpc_list(cJSON *root, const char *name, const char *item);

/*
 * Paging over total items by Marker and MaxItems (1..1000, default 100):
 * the first index and how many to return. 0, or -1 after answering.
 */
int emu_rpc_page(struct emu_ctx *c, const char *kind, size_t total,
                 size_t *first, size_t *count);

/* IsTruncated, and Marker when more remain after next. */
void emu_rpc_page_end(cJSON *root, const char *kind, size_t next, size_t total);

#endif
