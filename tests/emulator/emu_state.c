#include <stdio.h>

#include "common/crypto.h"
#include "emu.h"
#include "emu_account.h"
#include "emu_events.h"
#include "emu_keys.h"
#include "emu_store.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

/*
 * Start-up and tear-down of the shared state: an empty account until a
 * fixture arrives, the RPC replay window, and the per-process part of
 * message ids (so two emulator runs never hand out the same id).
 */
int emu_state_init(void)
{
    emu_random_hex(emu_g.id_prefix, 16);
    if (emu_account_current == NULL) {
        emu_account_current = emu_account_empty();
    }
    if (emu_account_current == NULL || emu_rpc_init() != 0) {
        return -1;
    }
    return 0;
}

void emu_state_free(void)
{
    pthread_mutex_lock(&emu_g.lock);
    emu_store_reset();
    emu_account_free(emu_account_current);
    emu_account_current = NULL;
    pthread_mutex_unlock(&emu_g.lock);
    emu_keys_free();
    emu_events_free();
    emu_rpc_free();
}
