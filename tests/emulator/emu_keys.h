#ifndef EMU_KEYS_H
#define EMU_KEYS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Access keys the emulator accepts: long-term ones given on the command
 * line, and temporary STS ones it issued itself (AssumeRole, the ECS
 * metadata path). Issued keys are kept in a bounded window of the most
 * recent EMU_STS_KEEP, so memory stays flat however many are issued.
 * Every function takes emu_g.lock itself.
 */
#define EMU_STS_KEEP 100000

struct emu_key {
    char id[128];
    char secret[128];
    char token[512]; /* "" for long-term keys */
    int sts;
    int64_t expire_ms; /* wall clock; 0 for long-term keys */
};

/* Accept a long-term key. 0, or -1 on a bad key or no memory. */
int emu_keys_add(const char *id, const char *secret);

/* Copy the key called id into out; 0, or -1 when unknown. */
int emu_keys_find(const char *id, struct emu_key *out);

/* Issue a fresh STS key valid for ttl_ms; 0 or -1. */
int emu_keys_issue(int64_t ttl_ms, struct emu_key *out);

void emu_keys_free(void);

#endif
