#include "emu_store.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/json.h"
#include "common/xml.h"
#include "emu.h"
#include "emu_events.h"
#include "emu_map.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

/* A list of named things kept sorted by name, for lookups and listing. */
struct named_list {
    void **items;
    size_t n;
    size_t cap;
};

static struct named_list queues;
static struct named_list topics;
static unsigned next_queue_uid = 1;
static uint64_t next_message_serial = 200000001;

/* Both queue and topic structures start with their name. */
static const char *name_of(const void *item)
{
    return (const char *)item;
}

static size_t lower_bound(const struct named_list *l, const char *name)
{
    size_t lo = 0;
    size_t hi = l->n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (strcmp(name_of(l->items[mid]), name) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static void *list_find(const struct named_list *l, const char *name)
{
    size_t at = lower_bound(l, name);

    return at < l->n && strcmp(name_of(l->items[at]), name) == 0 ? l->items[at]
                                                                 : NULL;
}

static int list_insert(struct named_list *l, void *item)
{
    size_t at = lower_bound(l, name_of(item));

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        void **p = realloc(l->items, cap * sizeof(*p));

        if (p == NULL) {
            return -1;
        }
        l->items = p;
        l->cap = cap;
    }
    memmove(&l->items[at + 1], &l->items[at], (l->n - at) * sizeof(void *));
    l->items[at] = item;
    l->n++;
    return 0;
}

static void list_remove(struct named_list *l, const void *item)
{
    size_t at = lower_bound(l, name_of(item));

    if (at < l->n && l->items[at] == item) {
        memmove(&l->items[at], &l->items[at + 1],
                (l->n - at - 1) * sizeof(void *));
        l->n--;
    }
}

/* Names in order, starting after marker (or at the first), with prefix. */
static size_t list_page(const struct named_list *l, const char *prefix,
                        const char *marker, size_t max, void **out,
                        const char **next)
{
    size_t plen = prefix ? strlen(prefix) : 0;
    size_t at = 0;
    size_t n = 0;

    if (plen) {
        at = lower_bound(l, prefix);
    }
    if (marker && *marker && lower_bound(l, marker) > at) {
        at = lower_bound(l, marker);
    }
    *next = NULL;
    for (; at < l->n; at++) {
        const char *name = name_of(l->items[at]);

        if (plen && strncmp(name, prefix, plen) != 0) {
            break;
        }
        if (n == max) {
            *next = name;
            break;
        }
        out[n++] = l->items[at];
    }
    return n;
}

int emu_valid_name(const char *name, size_t max)
{
    size_t i;

    if (!isalnum((unsigned char)name[0])) {
        return 0;
    }
    for (i = 0; name[i]; i++) {
        if (!isalnum((unsigned char)name[i]) && name[i] != '-') {
            return 0;
        }
    }
    return i <= max;
}

void emu_message_id(char *out, size_t outlen, int64_t now)
{
    snprintf(out, outlen, "%s-1-%llX-%09llu", emu_g.id_prefix,
             (unsigned long long)now,
             (unsigned long long)next_message_serial++);
}

/* ---- queues ------------------------------------------------------ */

void emu_queue_defaults(struct emu_queue_attrs *a)
{
    a->delay_seconds = 0;
    a->maximum_message_size = 65536;
    a->message_retention_period = 345600;
    a->visibility_timeout = 30;
    a->polling_wait_seconds = 0;
    a->logging_enabled = 0;
}

int emu_queue_attrs_equal(const struct emu_queue_attrs *a,
                          const struct emu_queue_attrs *b)
{
    return a->delay_seconds == b->delay_seconds &&
           a->maximum_message_size == b->maximum_message_size &&
           a->message_retention_period == b->message_retention_period &&
           a->visibility_timeout == b->visibility_timeout &&
           a->polling_wait_seconds == b->polling_wait_seconds &&
           a->logging_enabled == b->logging_enabled;
}

struct emu_queue *emu_queue_find(const char *name)
{
    return list_find(&queues, name);
}

struct emu_queue *emu_queue_create(const char *name,
                                   const struct emu_queue_attrs *a,
                                   int64_t now_ms)
{
    struct emu_queue *q = calloc(1, sizeof(*q));
    pthread_condattr_t ca;

    if (q == NULL) {
        return NULL;
    }
    snprintf(q->name, sizeof(q->name), "%s", name);
    q->attrs = *a;
    q->create_s = q->modify_s = now_ms / 1000;
    q->uid = next_queue_uid++;
    q->handles = emu_map_new(64);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (q->handles == NULL || list_insert(&queues, q) != 0) {
        emu_map_free(q->handles);
        pthread_cond_destroy(&q->cond);
        free(q);
        return NULL;
    }
    return q;
}

static void free_msg(struct emu_msg *m)
{
    free(m->body);
    free(m->handle);
    free(m);
}

static void free_queue(struct emu_queue *q)
{
    struct emu_msg *m = q->head;

    while (m) {
        struct emu_msg *next = m->next;
        free_msg(m);
        m = next;
    }
    emu_map_free(q->handles);
    pthread_cond_destroy(&q->cond);
    free(q);
}

void emu_queue_delete(struct emu_queue *q)
{
    list_remove(&queues, q);
    q->dead = 1;
    pthread_cond_broadcast(&q->cond);
    if (q->refs == 0) {
        free_queue(q);
    }
}

void emu_queue_release(struct emu_queue *q)
{
    q->refs--;
    if (q->dead && q->refs == 0) {
        free_queue(q);
    }
}

size_t emu_queue_list(const char *prefix, const char *marker, size_t max,
                      struct emu_queue **out, const char **next)
{
    return list_page(&queues, prefix, marker, max, (void **)out, next);
}

void emu_queue_remove(struct emu_queue *q, struct emu_msg *m)
{
    if (m->handle) {
        emu_map_del(q->handles, m->handle);
    }
    if (m->prev) {
        m->prev->next = m->next;
    } else {
        q->head = m->next;
    }
    if (m->next) {
        m->next->prev = m->prev;
    } else {
        q->tail = m->prev;
    }
    q->count--;
    free_msg(m);
}

/* Messages past their retention period leave the queue unseen. */
static int expire(struct emu_queue *q, struct emu_msg *m, int64_t now)
{
    if (now < m->expire_ms) {
        return 0;
    }
    emu_queue_remove(q, m);
    return 1;
}

const char *emu_msg_state(const struct emu_msg *m, int64_t now)
{
    if (now >= m->visible_ms) {
        return "visible";
    }
    return m->dequeue_count > 0 ? "inflight" : "delayed";
}

void emu_queue_counts(struct emu_queue *q, int64_t now,
                      struct emu_queue_counts *c)
{
    struct emu_msg *m = q->head;

    memset(c, 0, sizeof(*c));
    while (m) {
        struct emu_msg *next = m->next;

        if (!expire(q, m, now)) {
            const char *s = emu_msg_state(m, now);

            c->active += s[0] == 'v';
            c->inactive += s[0] == 'i';
            c->delayed += s[0] == 'd';
        }
        m = next;
    }
}

struct emu_msg *emu_queue_send(struct emu_queue *q, const char *body,
                               size_t len, long long delay, int priority,
                               int64_t now)
{
    struct emu_msg *m = calloc(1, sizeof(*m));

    if (m == NULL || (m->body = malloc(len + 1)) == NULL) {
        free(m);
        return NULL;
    }
    memcpy(m->body, body, len);
    m->body[len] = '\0';
    m->len = len;
    mg_md5_hex(body, len, m->md5, 1);
    emu_message_id(m->id, sizeof(m->id), now);
    m->num = ++q->next_num;
    m->priority = priority;
    m->enqueue_ms = now;
    m->visible_ms = now + (delay < 0 ? q->attrs.delay_seconds : delay) * 1000;
    m->expire_ms = now + q->attrs.message_retention_period * 1000;

    m->prev = q->tail;
    if (q->tail) {
        q->tail->next = m;
    } else {
        q->head = m;
    }
    q->tail = m;
    q->count++;
    pthread_cond_broadcast(&q->cond);
    return m;
}

/* Is a better than b for delivery: higher priority (lower number), then
 * older? */
static int before(const struct emu_msg *a, const struct emu_msg *b)
{
    if (a->priority != b->priority) {
        return a->priority < b->priority;
    }
    return a->num < b->num;
}

static void keep_best(struct emu_msg **out, size_t *n, size_t k,
                      struct emu_msg *m)
{
    size_t i = *n;

    if (*n == k && !before(m, out[k - 1])) {
        return;
    }
    if (*n < k) {
        (*n)++;
    }
    for (i = *n - 1; i > 0 && before(m, out[i - 1]); i--) {
        out[i] = out[i - 1];
    }
    out[i] = m;
}

size_t emu_queue_pick(struct emu_queue *q, int64_t now, size_t k,
                      struct emu_msg **out, int64_t *wake)
{
    struct emu_msg *m = q->head;
    size_t n = 0;

    *wake = INT64_MAX;
    while (m) {
        struct emu_msg *next = m->next;

        if (!expire(q, m, now)) {
            if (now >= m->visible_ms) {
                keep_best(out, &n, k, m);
            } else if (m->visible_ms < *wake) {
                *wake = m->visible_ms;
            }
        }
        m = next;
    }
    return n;
}

static char *make_handle(struct emu_queue *q, const struct emu_msg *m)
{
    char raw[128];
    struct mg_buf b = MG_BUF_INIT(256);

    snprintf(raw, sizeof(raw), "%u-%lld-%llu-%llu", q->uid,
             (long long)(m->visible_ms / 1000),
             (unsigned long long)++q->next_lease, (unsigned long long)m->num);
    if (mg_buf_adds(&b, "1-") != 0 ||
        mg_b64_encode(&b, raw, strlen(raw)) != 0) {
        mg_buf_release(&b);
        return NULL;
    }
    return mg_buf_detach(&b, NULL);
}

/* Give m a new live handle in place of any old one. */
static int renew_handle(struct emu_queue *q, struct emu_msg *m)
{
    char *h = make_handle(q, m);

    if (h == NULL) {
        return -1;
    }
    if (m->handle) {
        emu_map_del(q->handles, m->handle);
        free(m->handle);
    }
    m->handle = h;
    return emu_map_put(q->handles, h, m);
}

int emu_queue_lease(struct emu_queue *q, struct emu_msg *m, int64_t now,
                    long long vis)
{
    m->dequeue_count++;
    if (m->first_dequeue_ms == 0) {
        m->first_dequeue_ms = now;
    }
    m->visible_ms = now + vis * 1000;
    return renew_handle(q, m);
}

/* Could this emulator have issued the handle? "1-" + Base64 of four
 * dash-separated numbers. */
static int well_formed(const char *handle)
{
    struct mg_buf b = MG_BUF_INIT(256);
    unsigned uid;
    long long t;
    unsigned long long lease;
    unsigned long long num;
    int used = 0;
    int ok;

    if (strncmp(handle, "1-", 2) != 0 ||
        mg_b64_decode(&b, handle + 2, strlen(handle + 2)) != 0) {
        mg_buf_release(&b);
        return 0;
    }
    ok = sscanf(mg_buf_str(&b), "%u-%lld-%llu-%llu%n", &uid, &t, &lease, &num,
                &used) == 4 &&
         (size_t)used == b.len;
    mg_buf_release(&b);
    return ok;
}

enum emu_handle_state emu_queue_handle(struct emu_queue *q, const char *handle,
                                       int64_t now, struct emu_msg **out)
{
    struct emu_msg *m;

    if (!well_formed(handle)) {
        return EMU_HANDLE_MALFORMED;
    }
    m = emu_map_get(q->handles, handle);
    if (m == NULL || expire(q, m, now) || now >= m->visible_ms) {
        return EMU_HANDLE_DEAD;
    }
    *out = m;
    return EMU_HANDLE_LIVE;
}

/* ---- topics ------------------------------------------------------ */

struct emu_topic *emu_topic_find(const char *name)
{
    return list_find(&topics, name);
}

struct emu_topic *emu_topic_create(const char *name, long long max_size,
                                   int logging, int64_t now_ms)
{
    struct emu_topic *t = calloc(1, sizeof(*t));

    if (t == NULL) {
        return NULL;
    }
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->maximum_message_size = max_size;
    t->logging_enabled = logging;
    t->create_s = t->modify_s = now_ms / 1000;
    if (list_insert(&topics, t) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

static void free_topic(struct emu_topic *t)
{
    size_t i;

    for (i = 0; i < t->nsubs; i++) {
        free(t->subs[i]);
    }
    for (i = 0; t->msgs && i < EMU_TOPIC_KEEP; i++) {
        free(t->msgs[i].body);
    }
    free(t->subs);
    free(t->msgs);
    free(t);
}

void emu_topic_delete(struct emu_topic *t)
{
    list_remove(&topics, t);
    free_topic(t);
}

size_t emu_topic_list(const char *prefix, const char *marker, size_t max,
                      struct emu_topic **out, const char **next)
{
    return list_page(&topics, prefix, marker, max, (void **)out, next);
}

static size_t sub_at(const struct emu_topic *t, const char *name)
{
    size_t lo = 0;
    size_t hi = t->nsubs;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (strcmp(t->subs[mid]->name, name) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

struct emu_sub *emu_sub_find(const struct emu_topic *t, const char *name)
{
    size_t at = sub_at(t, name);

    return at < t->nsubs && strcmp(t->subs[at]->name, name) == 0 ? t->subs[at]
                                                                 : NULL;
}

struct emu_sub *emu_sub_add(struct emu_topic *t, const struct emu_sub *s)
{
    size_t at = sub_at(t, s->name);
    struct emu_sub *copy = malloc(sizeof(*copy));
    struct emu_sub **p = realloc(t->subs, (t->nsubs + 1) * sizeof(*p));

    if (copy == NULL || p == NULL) {
        free(copy);
        t->subs = p ? p : t->subs;
        return NULL;
    }
    *copy = *s;
    t->subs = p;
    memmove(&p[at + 1], &p[at], (t->nsubs - at) * sizeof(*p));
    p[at] = copy;
    t->nsubs++;
    return copy;
}

void emu_sub_delete(struct emu_topic *t, const char *name)
{
    size_t at = sub_at(t, name);

    if (at < t->nsubs && strcmp(t->subs[at]->name, name) == 0) {
        free(t->subs[at]);
        memmove(&t->subs[at], &t->subs[at + 1],
                (t->nsubs - at - 1) * sizeof(*t->subs));
        t->nsubs--;
    }
}

/* The XML form of a notification (§5.3 of the MNS reference). */
static int notify_xml(struct mg_buf *b, const struct emu_topic *t,
                      const struct emu_sub *s, const struct emu_tmsg *m,
                      const char *md5)
{
    int rc = 0;

    rc |= mg_buf_addf(b,
                      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                      "<Notification xmlns=\"http://mns.aliyuncs.com/doc/v1/\">"
                      "<TopicOwner>%s</TopicOwner><TopicName>%s</TopicName>"
                      "<Subscriber>%s</Subscriber><SubscriptionName>",
                      emu_g.account_id, t->name, emu_g.account_id);
    rc |= mg_xml_escape(b, s->name, strlen(s->name));
    rc |= mg_buf_addf(b,
                      "</SubscriptionName><MessageId>%s</MessageId>"
                      "<Message>",
                      m->id);
    rc |= mg_xml_escape(b, m->body, m->len);
    rc |= mg_buf_addf(b, "</Message><MessageMD5>%s</MessageMD5>", md5);
    if (m->tag[0]) {
        rc |= mg_buf_adds(b, "<MessageTag>");
        rc |= mg_xml_escape(b, m->tag, strlen(m->tag));
        rc |= mg_buf_adds(b, "</MessageTag>");
    }
    rc |= mg_buf_addf(b, "<PublishTime>%lld</PublishTime></Notification>",
                      (long long)m->time_ms);
    return rc;
}

/* The JSON form: the same keys, every value a string. */
static int notify_json(struct mg_buf *b, const struct emu_topic *t,
                       const struct emu_sub *s, const struct emu_tmsg *m,
                       const char *md5)
{
    int rc = 0;

    rc |= mg_buf_addf(b,
                      "{\"TopicOwner\":\"%s\",\"TopicName\":\"%s\","
                      "\"Subscriber\":\"%s\",\"SubscriptionName\":",
                      emu_g.account_id, t->name, emu_g.account_id);
    rc |= mg_json_quote(b, s->name);
    rc |= mg_buf_addf(b, ",\"MessageId\":\"%s\",\"Message\":", m->id);
    rc |= mg_json_quote(b, m->body);
    rc |= mg_buf_addf(b, ",\"MessageMD5\":\"%s\"", md5);
    if (m->tag[0]) {
        rc |= mg_buf_adds(b, ",\"MessageTag\":");
        rc |= mg_json_quote(b, m->tag);
    }
    rc |= mg_buf_addf(b, ",\"PublishTime\":\"%lld\"}", (long long)m->time_ms);
    return rc;
}

static void deliver(const struct emu_topic *t, const struct emu_sub *s,
                    const struct emu_tmsg *m, const char *md5, int64_t now)
{
    struct emu_queue *q = emu_queue_find(s->queue);
    struct mg_buf b = MG_BUF_INIT(4 * 1024 * 1024);
    struct emu_msg *qm = NULL;
    int rc = 0;

    if (q == NULL || (s->filter_tag[0] && strcmp(s->filter_tag, m->tag))) {
        return;
    }
    if (strcmp(s->format, "XML") == 0) {
        rc = notify_xml(&b, t, s, m, md5);
    } else if (strcmp(s->format, "JSON") == 0) {
        rc = notify_json(&b, t, s, m, md5);
    } else {
        rc = mg_buf_add(&b, m->body, m->len);
    }
    if (rc == 0 && b.len <= (size_t)q->attrs.maximum_message_size) {
        qm = emu_queue_send(q, mg_buf_str(&b), b.len, -1, 8, now);
    }
    if (qm) {
        emu_event(&(struct emu_event_in){ .type = "deliver",
                                          .queue = q->name,
                                          .topic = t->name,
                                          .subscription = s->name,
                                          .message_id = qm->id,
                                          .topic_message_id = m->id });
    }
    mg_buf_release(&b);
}

int emu_topic_publish(struct emu_topic *t, const char *body, size_t len,
                      const char *tag, int64_t now, char *id, size_t idlen)
{
    struct emu_tmsg *m;
    char md5[33];
    size_t i;

    if (t->msgs == NULL) {
        t->msgs = calloc(EMU_TOPIC_KEEP, sizeof(*t->msgs));
        if (t->msgs == NULL) {
            return -1;
        }
    }
    m = &t->msgs[t->msgs_next];
    free(m->body);
    memset(m, 0, sizeof(*m));
    if ((m->body = malloc(len + 1)) == NULL) {
        return -1;
    }
    memcpy(m->body, body, len);
    m->body[len] = '\0';
    m->len = len;
    m->seq = ++t->seq;
    m->time_ms = now;
    snprintf(m->tag, sizeof(m->tag), "%s", tag ? tag : "");
    emu_message_id(m->id, sizeof(m->id), now);
    t->msgs_next = (t->msgs_next + 1) % EMU_TOPIC_KEEP;
    t->msgs_used += t->msgs_used < EMU_TOPIC_KEEP;
    snprintf(id, idlen, "%s", m->id);

    emu_event(&(struct emu_event_in){ .type = "publish",
                                      .topic = t->name,
                                      .message_id = m->id });
    mg_md5_hex(body, len, md5, 1);
    for (i = 0; i < t->nsubs; i++) {
        deliver(t, t->subs[i], m, md5, now);
    }
    return 0;
}

/* ---- whole store ------------------------------------------------- */

void emu_store_reset(void)
{
    while (queues.n > 0) {
        emu_queue_delete(queues.items[queues.n - 1]);
    }
    while (topics.n > 0) {
        emu_topic_delete(topics.items[topics.n - 1]);
    }
}

void emu_store_wake_all(void)
{
    size_t i;

    for (i = 0; i < queues.n; i++) {
        pthread_cond_broadcast(&((struct emu_queue *)queues.items[i])->cond);
    }
}
