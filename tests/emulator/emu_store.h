#ifndef EMU_STORE_H
#define EMU_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/*
 * MNS state: queues with real lease semantics, and topics with their
 * subscriptions. A message is delayed until its first visible time,
 * visible until received, then in flight until NextVisibleTime, after
 * which it is visible again and its receipt handle is dead. Time is
 * evaluated lazily on every access, so no timer thread is needed; long
 * polls wait on the queue's condition variable until a message arrives
 * or the next moment something becomes visible.
 *
 * Every function expects the caller to hold emu_g.lock.
 */

#define EMU_TOPIC_KEEP 100000 /* published messages kept per topic */

struct emu_queue_attrs {
    long long delay_seconds;
    long long maximum_message_size;
    long long message_retention_period;
    long long visibility_timeout;
    long long polling_wait_seconds;
    int logging_enabled;
};

struct emu_msg {
    struct emu_msg *prev;
    struct emu_msg *next;
    uint64_t num;
    char id[64];
    char md5[33];
    char *body;
    size_t len;
    int priority;
    int64_t enqueue_ms;
    int64_t first_dequeue_ms;
    int64_t visible_ms; /* delayed or in flight until then */
    int64_t expire_ms;
    long dequeue_count;
    char *handle; /* the live receipt handle, NULL before any receive */
};

struct emu_queue {
    char name[128];
    struct emu_queue_attrs attrs;
    int64_t create_s;
    int64_t modify_s;
    struct emu_msg *head;
    struct emu_msg *tail;
    size_t count;
    struct emu_map *handles; /* receipt handle -> message */
    pthread_cond_t cond;
    int refs; /* long polls waiting on cond */
    int dead;
    uint64_t next_num;
    uint64_t next_lease;
    unsigned uid;
};

struct emu_queue_counts {
    size_t active;
    size_t inactive;
    size_t delayed;
};

struct emu_sub {
    char name[256];
    char endpoint[512];
    char queue[128]; /* the queue the endpoint names */
    char filter_tag[32];
    char strategy[32];
    char format[16];
    int64_t create_s;
    int64_t modify_s;
};

struct emu_tmsg {
    uint64_t seq;
    char id[64];
    char *body;
    size_t len;
    char tag[32];
    int64_t time_ms;
};

struct emu_topic {
    char name[256];
    long long maximum_message_size;
    int logging_enabled;
    int64_t create_s;
    int64_t modify_s;
    struct emu_sub **subs; /* sorted by name */
    size_t nsubs;
    struct emu_tmsg *msgs; /* ring of the last EMU_TOPIC_KEEP */
    size_t msgs_next;
    size_t msgs_used;
    uint64_t seq;
};

void emu_queue_defaults(struct emu_queue_attrs *a);
int emu_queue_attrs_equal(const struct emu_queue_attrs *a,
                          const struct emu_queue_attrs *b);

/* Names: letters, digits and '-', starting with a letter or digit. */
int emu_valid_name(const char *name, size_t max);

struct emu_queue *emu_queue_find(const char *name);
struct emu_queue *emu_queue_create(const char *name,
                                   const struct emu_queue_attrs *a,
                                   int64_t now_ms);
void emu_queue_delete(struct emu_queue *q);

/* A long poll is done with q (frees a deleted queue with no waiters). */
void emu_queue_release(struct emu_queue *q);

/*
 * Up to max queues in name order, from the first name >= marker (or the
 * first with the prefix). *next is the name to pass as the next marker,
 * NULL when the list is complete. Returns the count.
 */
size_t emu_queue_list(const char *prefix, const char *marker, size_t max,
                      struct emu_queue **out, const char **next);

void emu_queue_counts(struct emu_queue *q, int64_t now,
                      struct emu_queue_counts *c);

/* Add a message; NULL when memory ran out. delay < 0: the queue's. */
struct emu_msg *emu_queue_send(struct emu_queue *q, const char *body,
                               size_t len, long long delay, int priority,
                               int64_t now);

/*
 * Up to k visible messages, best priority first, then oldest. *wake is
 * set to the earliest later time at which some message becomes visible
 * (INT64_MAX when none will).
 */
size_t emu_queue_pick(struct emu_queue *q, int64_t now, size_t k,
                      struct emu_msg **out, int64_t *wake);

/* Receive m: count it, open a lease of vis seconds, issue a handle. */
int emu_queue_lease(struct emu_queue *q, struct emu_msg *m, int64_t now,
                    long long vis);

enum emu_handle_state {
    EMU_HANDLE_LIVE,
    EMU_HANDLE_MALFORMED, /* not a handle this emulator could issue */
    EMU_HANDLE_DEAD,      /* replaced, expired, or its message is gone */
};

enum emu_handle_state emu_queue_handle(struct emu_queue *q, const char *handle,
                                       int64_t now, struct emu_msg **out);

void emu_queue_remove(struct emu_queue *q, struct emu_msg *m);

/* "visible", "inflight" or "delayed". */
const char *emu_msg_state(const struct emu_msg *m, int64_t now);

/* A fresh message id, unique in this process. out >= 64. */
void emu_message_id(char *out, size_t outlen, int64_t now);

struct emu_topic *emu_topic_find(const char *name);
struct emu_topic *emu_topic_create(const char *name, long long max_size,
                                   int logging, int64_t now_ms);
void emu_topic_delete(struct emu_topic *t);
size_t emu_topic_list(const char *prefix, const char *marker, size_t max,
                      struct emu_topic **out, const char **next);

struct emu_sub *emu_sub_find(const struct emu_topic *t, const char *name);
struct emu_sub *emu_sub_add(struct emu_topic *t, const struct emu_sub *s);
void emu_sub_delete(struct emu_topic *t, const char *name);

/*
 * Publish to t: remember the message, and put it in every subscribed
 * queue in the subscription's format. id receives the message id.
 * Returns 0, or -1 when memory ran out.
 */
int emu_topic_publish(struct emu_topic *t, const char *body, size_t len,
                      const char *tag, int64_t now, char *id, size_t idlen);

/* Drop every queue and topic. */
void emu_store_reset(void);

/* Wake all long polls (shutdown). */
void emu_store_wake_all(void);

#endif
