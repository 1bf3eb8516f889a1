#include "worker/consumer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/limiter.h"
#include "common/log.h"
#include "common/metrics.h"
#include "mns/mns.h"
#include "worker/app.h"
#include "worker/deadletter.h"
#include "worker/process.h"

#include "common/banned.h"

/* Extend a lease once this share of it has passed. */
#define LEASE_SHARE 0.5
#define LAST_ERRORS 256

struct slot {
    pthread_mutex_t lock; /* held while the receipt is used or replaced */
    int used;
    int finishing;
    int lease_lost;
    struct mns_message msg;
    int64_t received_mono;
    int64_t lease_until; /* wall clock ms */
    int64_t retry_at;    /* no extension before this, after a failure */
    int64_t lease_len;   /* ms */
};

struct consumer {
    struct wrk_app *app;
    struct slot *slots;
    int nslots;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int *ready; /* ring of slot indices waiting for a thread */
    int head;
    int count;
    int held; /* slots in use */
    int done; /* the receiver has stopped */

    /* the last error of messages that were retried, by message id */
    struct {
        char id[128];
        struct mg_error err;
    } last[LAST_ERRORS];

    int nlast;
};

static void count(const char *result)
{
    char labels[64];

    snprintf(labels, sizeof(labels), "result=\"%s\"", result);
    mg_counter_add("mfaguard_messages_total", labels, 1);
}

static void remember_error(struct consumer *c, const char *id,
                           const struct mg_error *err)
{
    int i = c->nlast % LAST_ERRORS;

    pthread_mutex_lock(&c->lock);
    snprintf(c->last[i].id, sizeof(c->last[i].id), "%s", id);
    c->last[i].err = *err;
    c->nlast++;
    pthread_mutex_unlock(&c->lock);
}

static int recall_error(struct consumer *c, const char *id,
                        struct mg_error *out)
{
    int i;
    int found = 0;

    pthread_mutex_lock(&c->lock);
    for (i = 0; i < LAST_ERRORS && !found; i++) {
        if (strcmp(c->last[i].id, id) == 0) {
            *out = c->last[i].err;
            found = 1;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return found;
}

/* Stop extending the lease and take the newest receipt handle. */
static void take_receipt(struct slot *s, char *receipt, size_t len)
{
    pthread_mutex_lock(&s->lock);
    s->finishing = 1;
    snprintf(receipt, len, "%s", s->msg.receipt);
    pthread_mutex_unlock(&s->lock);
}

static void delete_message(struct consumer *c, struct slot *s,
                           const char *receipt, const char *result)
{
    struct mg_error err;

    mg_error_clear(&err);
    if (mns_delete(c->app->mns, c->app->set.queue, receipt, &err) == 0) {
        count(result);
        mg_log_info("message.deleted", MG_LS("result", result));
    } else if (err.cls == MG_NOT_FOUND || s->lease_lost) {
        /* Someone else holds it now; their delete will count. */
        count("lease_lost");
        mg_log_warn("message.lease_lost", MG_LERR(&err));
    } else {
        count("delete_failed");
        mg_log_error("message.delete_failed", MG_LERR(&err));
    }
}

/* Make the message visible again after delay_s (the lease is released). */
static void release_message(struct consumer *c, const char *receipt,
                            int delay_s, const char *result)
{
    struct mg_error err;
    char fresh[512];
    int64_t next = 0;

    mg_error_clear(&err);
    if (mns_change_visibility(c->app->mns, c->app->set.queue, receipt, delay_s,
                              fresh, sizeof(fresh), &next, &err) != 0) {
        mg_log_warn("message.release_failed", MG_LERR(&err));
    }
    count(result);
    mg_log_info("message.released", MG_LS("result", result),
                MG_LI("visible_in_s", delay_s));
}

static int retry_delay_s(const struct wrk_app *app, int dequeue_count)
{
    int64_t d = app->set.retry_delay;
    int i;

    for (i = 1; i < dequeue_count && d < 43200; i++) {
        d *= 2;
    }
    d = d > 43200 ? 43200 : d;
    /* Spread the retries of a burst of failures. */
    return (int)(d - (int64_t)mg_rand_below((uint64_t)(d / 4 + 1)));
}

static void dead_letter(struct consumer *c, struct slot *s, const char *receipt,
                        const struct mg_error *why, const char *stage)
{
    struct mg_error err;

    mg_error_clear(&err);
    if (wrk_dead_letter(c->app, &s->msg, why, stage, &err) == 0) {
        delete_message(c, s, receipt, "dead_lettered_deleted");
        return;
    }
    /* Never delete what did not reach the dead-letter queue. */
    mg_log_error("message.dead_letter_failed", MG_LERR(&err));
    release_message(c, receipt, retry_delay_s(c->app, 1), "dlq_retry");
}

static void finish(struct consumer *c, struct slot *s,
                   const struct wrk_result *res)
{
    char receipt[512];
    struct wrk_app *app = c->app;

    take_receipt(s, receipt, sizeof(receipt));
    switch (res->outcome) {
    case WRK_DONE:
        delete_message(c, s, receipt, "done");
        break;
    case WRK_SKIP:
        delete_message(c, s, receipt, "skipped");
        break;
    case WRK_DEAD:
        dead_letter(c, s, receipt, &res->err, res->what);
        break;
    case WRK_RETRY:
        remember_error(c, s->msg.id, &res->err);
        if (app->stop) {
            release_message(c, receipt, 1, "released");
        } else if (s->msg.dequeue_count >= app->set.max_attempts) {
            dead_letter(c, s, receipt, &res->err, res->what);
        } else {
            release_message(c, receipt,
                            retry_delay_s(app, s->msg.dequeue_count), "retry");
        }
        break;
    }
}

static void too_many_deliveries(struct consumer *c, struct slot *s,
                                struct wrk_result *res)
{
    struct mg_error last;

    memset(res, 0, sizeof(*res));
    res->outcome = WRK_DEAD;
    snprintf(res->what, sizeof(res->what), "deliveries");
    if (recall_error(c, s->msg.id, &last)) {
        res->err = last;
    } else {
        mg_error_set(&res->err, MG_FINAL, "TooManyDeliveries",
                     "delivered %d times (limit %d); the last error was "
                     "seen by another worker or before a restart",
                     s->msg.dequeue_count, c->app->set.max_attempts);
    }
}

static void work_on(struct consumer *c, struct slot *s)
{
    struct wrk_result res;
    int64_t age = mg_now_ms() - s->msg.enqueue_ms;
    char dq[16];

    snprintf(dq, sizeof(dq), "%d", s->msg.dequeue_count);
    mg_log_ctx_set("msg_id", s->msg.id);
    mg_log_ctx_set("dequeue", dq);
    mg_histogram_observe("mfaguard_message_age_seconds", "",
                         age > 0 ? (double)age / 1000.0 : 0);
    mg_log_debug("message.received");

    if (c->app->stop) {
        memset(&res, 0, sizeof(res));
        res.outcome = WRK_RETRY;
        snprintf(res.what, sizeof(res.what), "shutdown");
    } else if (s->msg.dequeue_count > c->app->set.max_attempts) {
        too_many_deliveries(c, s, &res);
    } else if (!mns_message_md5_ok(&s->msg)) {
        memset(&res, 0, sizeof(res));
        res.outcome = WRK_RETRY;
        mg_error_set(&res.err, MG_RETRY, "BodyMd5Mismatch",
                     "message body does not match its MD5");
    } else {
        wrk_process(c->app, &s->msg, &res);
    }
    finish(c, s, &res);
    mg_histogram_observe("mfaguard_processing_seconds", "",
                         (double)(mg_mono_ms() - s->received_mono) / 1000);
    mg_log_ctx_clear();
}

/* Wait for a change, or a while: signals set app->stop without waking
 * anyone. Lock held. */
static void timed_wait(struct consumer *c, int64_t ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&c->changed, &c->lock, &ts);
}

/* Slots change under both locks (consumer, then slot), so the lease
 * thread, which holds only the slot's, always sees a whole message. */
static void free_slot(struct consumer *c, struct slot *s)
{
    pthread_mutex_lock(&c->lock);
    pthread_mutex_lock(&s->lock);
    mns_message_release(&s->msg);
    mns_message_init(&s->msg);
    s->used = 0;
    pthread_mutex_unlock(&s->lock);
    c->held--;
    mg_gauge_set("mfaguard_in_flight", "", c->held);
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

static void *processor(void *arg)
{
    struct consumer *c = arg;

    for (;;) {
        struct slot *s;

        pthread_mutex_lock(&c->lock);
        while (c->count == 0 && !c->done) {
            pthread_cond_wait(&c->changed, &c->lock);
        }
        if (c->count == 0) {
            pthread_mutex_unlock(&c->lock);
            return NULL;
        }
        s = &c->slots[c->ready[c->head]];
        c->head = (c->head + 1) % c->nslots;
        c->count--;
        pthread_mutex_unlock(&c->lock);

        work_on(c, s);
        free_slot(c, s);
    }
}

/* Extend the lease of one slot if half of it has passed. */
static void extend(struct consumer *c, struct slot *s)
{
    struct mg_error err;
    char fresh[512];
    int64_t next = 0;
    int64_t now = mg_now_ms();

    if (pthread_mutex_trylock(&s->lock) != 0) {
        return;
    }
    if (!s->used || s->finishing || s->lease_lost || now < s->retry_at ||
        s->lease_until - now > (int64_t)(s->lease_len * (1 - LEASE_SHARE))) {
        pthread_mutex_unlock(&s->lock);
        return;
    }
    mg_error_clear(&err);
    if (mns_change_visibility(c->app->mns, c->app->set.queue, s->msg.receipt,
                              c->app->set.lease_extension, fresh, sizeof(fresh),
                              &next, &err) == 0) {
        snprintf(s->msg.receipt, sizeof(s->msg.receipt), "%s", fresh);
        s->lease_until = next ? next : now + c->app->set.lease_extension * 1000;
        s->lease_len = s->lease_until - now;
        mg_counter_add("mfaguard_lease_extensions_total", "", 1);
        mg_log_info("lease.extended", MG_LS("msg_id", s->msg.id),
                    MG_LI("seconds", c->app->set.lease_extension));
    } else if (err.cls == MG_NOT_FOUND) {
        s->lease_lost = 1;
        mg_log_warn("lease.lost", MG_LS("msg_id", s->msg.id), MG_LERR(&err));
    } else {
        /* Try again in a couple of seconds, not at every pass. */
        s->retry_at = now + 2000;
        mg_log_warn("lease.extend_failed", MG_LS("msg_id", s->msg.id),
                    MG_LERR(&err));
    }
    pthread_mutex_unlock(&s->lock);
}

static void *leaser(void *arg)
{
    struct consumer *c = arg;

    for (;;) {
        int i;
        int quit;

        pthread_mutex_lock(&c->lock);
        quit = c->done && c->held == 0;
        pthread_mutex_unlock(&c->lock);
        if (quit) {
            return NULL;
        }
        /* extend() rechecks under the slot's lock. */
        for (i = 0; i < c->nslots; i++) {
            extend(c, &c->slots[i]);
        }
        mg_sleep_ms(250, NULL);
    }
}

/* Put a received message in a free slot and queue it; lock held. */
static void hand_over(struct consumer *c, struct mns_message *m)
{
    int i;

    for (i = 0; i < c->nslots && c->slots[i].used; i++) {
    }
    pthread_mutex_lock(&c->slots[i].lock);
    c->slots[i].msg = *m;
    mns_message_init(m);
    c->slots[i].used = 1;
    c->slots[i].finishing = 0;
    c->slots[i].lease_lost = 0;
    c->slots[i].retry_at = 0;
    c->slots[i].received_mono = mg_mono_ms();
    c->slots[i].lease_until = c->slots[i].msg.next_visible_ms;
    c->slots[i].lease_len = c->slots[i].msg.next_visible_ms - mg_now_ms();
    pthread_mutex_unlock(&c->slots[i].lock);
    c->held++;
    c->ready[(c->head + c->count) % c->nslots] = i;
    c->count++;
    mg_gauge_set("mfaguard_in_flight", "", c->held);
}

/* Free slots, waiting for one if all are taken. 0 when stopping. */
static int wait_for_room(struct consumer *c)
{
    int room;

    pthread_mutex_lock(&c->lock);
    while (c->held == c->nslots && !c->app->stop) {
        timed_wait(c, 250);
    }
    room = c->app->stop ? 0 : c->nslots - c->held;
    pthread_mutex_unlock(&c->lock);
    return room;
}

/* Drain mode: is the queue empty, including messages waiting to become
 * visible again? Counters the service does not report read as 0. */
static int drained(struct consumer *c)
{
    struct mns_queue_attrs a;
    struct mg_error err;
    int idle;

    pthread_mutex_lock(&c->lock);
    idle = c->held == 0;
    pthread_mutex_unlock(&c->lock);
    if (!idle) {
        return 0;
    }
    mg_error_clear(&err);
    memset(&a, 0, sizeof(a));
    if (mns_queue_attributes(c->app->mns, c->app->set.queue, &a, &err) != 0) {
        return 0;
    }
    return a.active == 0 && a.inactive == 0 && a.delayed == 0;
}

static int receive_failed(struct consumer *c, const struct mg_error *err,
                          int *failures)
{
    struct mg_retry_policy p = { 0, 500, 30000 };

    if (c->app->stop) {
        return 0;
    }
    (*failures)++;
    mg_log_error("receive.failed", MG_LERR(err), MG_LI("failures", *failures));
    if (err->cls == MG_FINAL && *failures >= 5) {
        return -1; /* the queue is wrong, not busy */
    }
    mg_sleep_ms(mg_retry_delay(&p, *failures, err->retry_after_ms),
                &c->app->stop);
    return 0;
}

static int receive_loop(struct consumer *c, int drain)
{
    struct mns_message batch[16];
    struct mg_error err;
    int failures = 0;
    int i;
    int n;

    for (i = 0; i < 16; i++) {
        mns_message_init(&batch[i]);
    }
    while (!c->app->stop) {
        int room = wait_for_room(c);
        int want =
            room < c->app->set.batch_size ? room : c->app->set.batch_size;

        if (want == 0) {
            break;
        }
        mg_error_clear(&err);
        n = mns_receive(c->app->mns, c->app->set.queue, want,
                        c->app->set.wait_seconds, batch, &err);
        if (n < 0) {
            if (receive_failed(c, &err, &failures) != 0) {
                return 1;
            }
            continue;
        }
        failures = 0;
        c->app->queue_ok = 1;
        if (n == 0 && drain && drained(c)) {
            break;
        }
        pthread_mutex_lock(&c->lock);
        for (i = 0; i < n; i++) {
            count("received");
            hand_over(c, &batch[i]);
        }
        pthread_cond_broadcast(&c->changed);
        pthread_mutex_unlock(&c->lock);
    }
    for (i = 0; i < 16; i++) {
        mns_message_release(&batch[i]);
    }
    return 0;
}

static int consumer_init(struct consumer *c, struct wrk_app *app)
{
    int i;

    memset(c, 0, sizeof(*c));
    c->app = app;
    c->nslots = app->set.concurrency;
    c->slots = calloc((size_t)c->nslots, sizeof(*c->slots));
    c->ready = calloc((size_t)c->nslots, sizeof(*c->ready));
    if (c->slots == NULL || c->ready == NULL) {
        free(c->slots);
        free(c->ready);
        return -1;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->changed, NULL);
    for (i = 0; i < c->nslots; i++) {
        pthread_mutex_init(&c->slots[i].lock, NULL);
        mns_message_init(&c->slots[i].msg);
    }
    return 0;
}

static void consumer_release(struct consumer *c)
{
    int i;

    for (i = 0; i < c->nslots; i++) {
        mns_message_release(&c->slots[i].msg);
        pthread_mutex_destroy(&c->slots[i].lock);
    }
    pthread_cond_destroy(&c->changed);
    pthread_mutex_destroy(&c->lock);
    free(c->slots);
    free(c->ready);
}

/* After receiving stopped: let held work finish, within the deadline
 * when shutting down; past it, cut calls short so they release. */
static void wait_for_held(struct consumer *c)
{
    int64_t deadline = mg_mono_ms() + c->app->set.shutdown_deadline * 1000;

    pthread_mutex_lock(&c->lock);
    c->done = 1;
    pthread_cond_broadcast(&c->changed);
    while (c->held > 0) {
        if (c->app->stop && !c->app->abort && mg_mono_ms() > deadline) {
            mg_log_warn("shutdown.deadline", MG_LI("held", c->held));
            c->app->abort = 1;
        }
        timed_wait(c, 100);
    }
    pthread_mutex_unlock(&c->lock);
}

int wrk_consume(struct wrk_app *app, const struct wrk_consume_options *o)
{
    struct consumer c;
    pthread_t *threads;
    pthread_t lease;
    int leasing = 0;
    int started = 0;
    int rc;
    int i;

    if (consumer_init(&c, app) != 0) {
        return 1;
    }
    threads = c.nslots > 0 ? calloc((size_t)c.nslots, sizeof(*threads)) : NULL;
    for (i = 0; threads && i < c.nslots; i++) {
        if (pthread_create(&threads[i], NULL, processor, &c) == 0) {
            started++;
        }
    }
    leasing = started > 0 && pthread_create(&lease, NULL, leaser, &c) == 0;
    if (!leasing) {
        mg_log_error("worker.threads_failed");
        app->stop = 1;
        rc = 1;
    } else {
        mg_log_info("worker.started", MG_LS("queue", app->set.queue),
                    MG_LI("concurrency", c.nslots));
        rc = receive_loop(&c, o->drain);
    }

    wait_for_held(&c);
    for (i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
    }
    if (leasing) {
        pthread_join(lease, NULL);
    }
    free(threads);
    consumer_release(&c);
    mg_log_info("worker.stopped",
                MG_LS("reason", app->stop ? "signal" : "drained"));
    return rc;
}
