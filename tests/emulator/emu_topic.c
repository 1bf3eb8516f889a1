#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/xml.h"
#include "emu_mns.h"
#include "emu_store.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

#define MAX_TOPIC_NAME 255
#define MAX_SUB_NAME   255
#define MAX_TAG        16

static struct emu_topic *find_topic(struct emu_ctx *c, const char *name)
{
    struct emu_topic *t = emu_topic_find(name);

    if (t == NULL) {
        emu_fail(c, 404, "TopicNotExist",
                 "The topic name you provided is not exist.");
    }
    return t;
}

static int check_topic_name(struct emu_ctx *c, const char *name)
{
    if (strlen(name) > MAX_TOPIC_NAME) {
        emu_fail(c, 400, "TopicNameLengthError",
                 "The length of topic name should be at most %d.",
                 MAX_TOPIC_NAME);
        return -1;
    }
    if (!emu_valid_name(name, MAX_TOPIC_NAME)) {
        emu_fail(c, 400, "TopicNameInvalid",
                 "The topic name you provided is not valid.");
        return -1;
    }
    return 0;
}

struct topic_attrs {
    long long max_size;
    int logging;
};

static int read_topic_attrs(struct emu_ctx *c, xmlNodePtr r,
                            struct topic_attrs *a)
{
    if (r == NULL) {
        return 0;
    }
    if (emu_mns_int(c, r, "MaximumMessageSize", 1024, 65536, &a->max_size) <
            0 ||
        emu_mns_bool(c, r, "LoggingEnabled", &a->logging) < 0) {
        return -1;
    }
    return 0;
}

void emu_h_create_topic(struct emu_ctx *c)
{
    struct topic_attrs a = { 65536, 0 };
    struct emu_topic *t;
    xmlDocPtr doc;
    char path[300];

    if (check_topic_name(c, c->arg[0]) != 0 ||
        emu_mns_doc(c, "Topic", 1, &doc) != 0) {
        return;
    }
    if (read_topic_attrs(c, mg_xml_root(doc), &a) == 0) {
        pthread_mutex_lock(&emu_g.lock);
        t = emu_topic_find(c->arg[0]);
        snprintf(path, sizeof(path), "/topics/%s", c->arg[0]);
        if (t && t->maximum_message_size == a.max_size &&
            t->logging_enabled == a.logging) {
            emu_mns_no_content(c);
        } else if (t) {
            emu_fail(c, 409, "TopicAlreadyExist",
                     "The topic you want to create already exists with "
                     "different attributes.");
        } else if (emu_topic_create(c->arg[0], a.max_size, a.logging,
                                    c->now_ms) == NULL) {
            emu_fail(c, 500, "InternalError", "Out of memory.");
        } else {
            emu_mns_created(c, path);
        }
        pthread_mutex_unlock(&emu_g.lock);
    }
    xmlFreeDoc(doc);
}

void emu_h_set_topic(struct emu_ctx *c)
{
    struct emu_topic *t;
    struct topic_attrs a;
    xmlDocPtr doc;

    if (emu_mns_doc(c, "Topic", 1, &doc) != 0) {
        return;
    }
    pthread_mutex_lock(&emu_g.lock);
    t = find_topic(c, c->arg[0]);
    if (t) {
        a.max_size = t->maximum_message_size;
        a.logging = t->logging_enabled;
        if (read_topic_attrs(c, mg_xml_root(doc), &a) == 0) {
            t->maximum_message_size = a.max_size;
            t->logging_enabled = a.logging;
            t->modify_s = c->now_ms / 1000;
            emu_mns_no_content(c);
        }
    }
    pthread_mutex_unlock(&emu_g.lock);
    xmlFreeDoc(doc);
}

static void topic_fields(struct emu_ctx *c, const struct emu_topic *t)
{
    emu_mns_el_str(c, "TopicName", t->name);
    emu_mns_el_ll(c, "CreateTime", t->create_s);
    emu_mns_el_ll(c, "LastModifyTime", t->modify_s);
    emu_mns_el_ll(c, "MaximumMessageSize", t->maximum_message_size);
    emu_mns_el_ll(c, "MessageRetentionPeriod", 86400);
    emu_mns_el_ll(c, "MessageCount", (long long)t->msgs_used);
    emu_mns_el_str(c, "LoggingEnabled", t->logging_enabled ? "True" : "False");
}

void emu_h_get_topic(struct emu_ctx *c)
{
    struct emu_topic *t;

    pthread_mutex_lock(&emu_g.lock);
    t = find_topic(c, c->arg[0]);
    if (t) {
        emu_mns_begin(c, "Topic");
        topic_fields(c, t);
        emu_mns_end(c, "Topic");
    }
    pthread_mutex_unlock(&emu_g.lock);
}

void emu_h_delete_topic(struct emu_ctx *c)
{
    struct emu_topic *t;

    pthread_mutex_lock(&emu_g.lock);
    t = find_topic(c, c->arg[0]);
    if (t) {
        emu_topic_delete(t);
        emu_mns_no_content(c);
    }
    pthread_mutex_unlock(&emu_g.lock);
}

void emu_h_list_topics(struct emu_ctx *c)
{
    const char *prefix;
    const char *marker;
    const char *next;
    size_t max;
    int meta;
    struct emu_topic **page;
    size_t n;
    size_t i;

    if (emu_mns_list_args(c, &prefix, &marker, &max, &meta) != 0) {
        return;
    }
    page = calloc(max, sizeof(*page));
    if (page == NULL) {
        emu_fail(c, 500, "InternalError", "Out of memory.");
        return;
    }
    pthread_mutex_lock(&emu_g.lock);
    n = emu_topic_list(prefix, marker, max, page, &next);
    emu_mns_begin(c, "Topics");
    for (i = 0; i < n; i++) {
        mg_buf_addf(&c->out, "<Topic><TopicURL>%s/topics/%s</TopicURL>",
                    emu_g.base_url, page[i]->name);
        if (meta) {
            topic_fields(c, page[i]);
        }
        mg_buf_adds(&c->out, "</Topic>");
    }
    if (next) {
        emu_mns_el_str(c, "NextMarker", next);
    }
    emu_mns_end(c, "Topics");
    pthread_mutex_unlock(&emu_g.lock);
    free(page);
}

/* Publish with the checks PublishMessage makes; id gets the new id. */
static int publish_checked(struct emu_ctx *c, const char *topic,
                           const char *body, size_t len, const char *tag,
                           char *id, size_t idlen)
{
    struct emu_topic *t = find_topic(c, topic);

    if (t == NULL) {
        return -1;
    }
    if (len == 0 || len > (size_t)t->maximum_message_size) {
        emu_fail(c, 400, "InvalidArgument",
                 "The value of MessageBody should between 1 and %lld bytes.",
                 t->maximum_message_size);
        return -1;
    }
    if (tag && strlen(tag) > MAX_TAG) {
        emu_fail(c, 400, "InvalidArgument",
                 "The length of MessageTag should be at most %d.", MAX_TAG);
        return -1;
    }
    if (emu_topic_publish(t, body, len, tag, c->now_ms, id, idlen) != 0) {
        emu_fail(c, 500, "InternalError", "Out of memory.");
        return -1;
    }
    return 0;
}

void emu_h_publish(struct emu_ctx *c)
{
    struct mg_buf body = MG_BUF_INIT(EMU_MAX_BODY_MNS);
    char tag[MAX_TAG + 2];
    char id[64];
    char md5[33];
    xmlDocPtr doc;
    xmlNodePtr r;
    int has_tag;

    if (emu_mns_doc(c, "Message", 0, &doc) != 0) {
        return;
    }
    r = mg_xml_root(doc);
    has_tag = emu_mns_text(c, r, "MessageTag", tag, MAX_TAG);
    if (has_tag >= 0 && mg_xml_text(mg_xml_child(r, "MessageBody"), &body)) {
        emu_fail(c, 400, "InvalidArgument", "MessageBody is too large.");
    } else if (has_tag >= 0) {
        pthread_mutex_lock(&emu_g.lock);
        if (publish_checked(c, c->arg[0], mg_buf_str(&body), body.len,
                            has_tag ? tag : NULL, id, sizeof(id)) == 0) {
            mg_md5_hex(body.data, body.len, md5, 1);
            c->status = 201;
            emu_mns_begin(c, "Message");
            emu_mns_el_str(c, "MessageId", id);
            emu_mns_el_str(c, "MessageBodyMD5", md5);
            emu_mns_end(c, "Message");
        }
        pthread_mutex_unlock(&emu_g.lock);
    }
    mg_buf_release(&body);
    xmlFreeDoc(doc);
}

void emu_mns_publish_raw(struct emu_ctx *c, const char *topic, const char *tag)
{
    char id[64];

    if (!emu_mns_xml_text_ok(c->body, c->body_len)) {
        emu_fail(c, 400, "InvalidArgument",
                 "The message body is not text XML can carry.");
        return;
    }
    pthread_mutex_lock(&emu_g.lock);
    if (publish_checked(c, topic, c->body, c->body_len, tag, id, sizeof(id)) ==
        0) {
        mg_buf_addf(&c->out, "{\"message_id\":\"%s\"}", id);
        emu_reply(c, 200, "application/json");
    }
    pthread_mutex_unlock(&emu_g.lock);
}

/* ---- subscriptions ----------------------------------------------- */

/* Only queue endpoints of this region and account are emulated: the
 * emulator never pushes to HTTP or mail endpoints. */
static int parse_endpoint(struct emu_ctx *c, struct emu_sub *s)
{
    char prefix[160];
    size_t plen;

    plen = (size_t)snprintf(prefix, sizeof(prefix), "acs:mns:%s:%s:queues/",
                            emu_g.region, emu_g.account_id);
    if (strncmp(s->endpoint, prefix, plen) != 0 ||
        !emu_valid_name(s->endpoint + plen, 120)) {
        emu_fail(c, 400, "EndpointInvalid",
                 "The endpoint should be a queue of this region and account: "
                 "%s{QueueName}.",
                 prefix);
        return -1;
    }
    snprintf(s->queue, sizeof(s->queue), "%s", s->endpoint + plen);
    return 0;
}

static int one_of(const char *v, const char *a, const char *b, const char *c)
{
    return strcmp(v, a) == 0 || strcmp(v, b) == 0 || (c && strcmp(v, c) == 0);
}

static int read_strategy_format(struct emu_ctx *c, xmlNodePtr r,
                                struct emu_sub *s)
{
    if (emu_mns_text(c, r, "NotifyStrategy", s->strategy,
                     sizeof(s->strategy) - 1) < 0 ||
        emu_mns_text(c, r, "NotifyContentFormat", s->format,
                     sizeof(s->format) - 1) < 0) {
        return -1;
    }
    if (s->strategy[0] &&
        !one_of(s->strategy, "BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY", 0)) {
        emu_fail(c, 400, "InvalidArgument",
                 "NotifyStrategy should be BACKOFF_RETRY or "
                 "EXPONENTIAL_DECAY_RETRY.");
        return -1;
    }
    if (s->format[0] && !one_of(s->format, "XML", "JSON", "SIMPLIFIED")) {
        emu_fail(c, 400, "InvalidArgument",
                 "NotifyContentFormat should be XML, JSON or SIMPLIFIED.");
        return -1;
    }
    return 0;
}

static int read_subscription(struct emu_ctx *c, xmlNodePtr r, struct emu_sub *s)
{
    if (emu_mns_text(c, r, "Endpoint", s->endpoint, sizeof(s->endpoint) - 1) <
            0 ||
        emu_mns_text(c, r, "FilterTag", s->filter_tag, MAX_TAG) < 0 ||
        read_strategy_format(c, r, s) != 0 || parse_endpoint(c, s) != 0) {
        return -1;
    }
    if (s->strategy[0] == '\0') {
        snprintf(s->strategy, sizeof(s->strategy), "BACKOFF_RETRY");
    }
    if (s->format[0] == '\0') {
        snprintf(s->format, sizeof(s->format), "XML");
    }
    return 0;
}

static int same_subscription(const struct emu_sub *a, const struct emu_sub *b)
{
    return strcmp(a->endpoint, b->endpoint) == 0 &&
           strcmp(a->filter_tag, b->filter_tag) == 0 &&
           strcmp(a->strategy, b->strategy) == 0 &&
           strcmp(a->format, b->format) == 0;
}

static int check_sub_name(struct emu_ctx *c, const char *name)
{
    if (strlen(name) > MAX_SUB_NAME) {
        emu_fail(c, 400, "SubscriptionNameLengthError",
                 "The length of subscription name should be at most %d.",
                 MAX_SUB_NAME);
        return -1;
    }
    if (!emu_valid_name(name, MAX_SUB_NAME)) {
        emu_fail(c, 400, "SubscriptionNameInvalid",
                 "The subscription name you provided is not valid.");
        return -1;
    }
    return 0;
}

static void add_subscription(struct emu_ctx *c, struct emu_topic *t,
                             struct emu_sub *s)
{
    const struct emu_sub *old = emu_sub_find(t, s->name);
    char path[600];

    snprintf(path, sizeof(path), "/topics/%s/subscriptions/%s", t->name,
             s->name);
    if (old && same_subscription(old, s)) {
        emu_mns_no_content(c);
    } else if (old) {
        emu_fail(c, 409, "SubscriptionAlreadyExist",
                 "The subscription already exists with different "
                 "attributes.");
    } else if (emu_sub_add(t, s) == NULL) {
        emu_fail(c, 500, "InternalError", "Out of memory.");
    } else {
        emu_mns_created(c, path);
    }
}

void emu_h_subscribe(struct emu_ctx *c)
{
    struct emu_sub s;
    struct emu_topic *t;
    xmlDocPtr doc;

    memset(&s, 0, sizeof(s));
    snprintf(s.name, sizeof(s.name), "%s", c->arg[1]);
    s.create_s = s.modify_s = c->now_ms / 1000;
    if (check_sub_name(c, c->arg[1]) != 0 ||
        emu_mns_doc(c, "Subscription", 0, &doc) != 0) {
        return;
    }
    if (read_subscription(c, mg_xml_root(doc), &s) == 0) {
        pthread_mutex_lock(&emu_g.lock);
        t = find_topic(c, c->arg[0]);
        if (t) {
            add_subscription(c, t, &s);
        }
        pthread_mutex_unlock(&emu_g.lock);
    }
    xmlFreeDoc(doc);
}

static struct emu_sub *find_sub(struct emu_ctx *c, struct emu_topic **t)
{
    struct emu_sub *s;

    *t = find_topic(c, c->arg[0]);
    if (*t == NULL) {
        return NULL;
    }
    s = emu_sub_find(*t, c->arg[1]);
    if (s == NULL) {
        emu_fail(c, 404, "SubscriptionNotExist",
                 "The subscription name you provided is not exist.");
    }
    return s;
}

void emu_h_set_subscription(struct emu_ctx *c)
{
    struct emu_topic *t;
    struct emu_sub *s;
    struct emu_sub next;
    xmlDocPtr doc;

    if (emu_mns_doc(c, "Subscription", 0, &doc) != 0) {
        return;
    }
    pthread_mutex_lock(&emu_g.lock);
    s = find_sub(c, &t);
    if (s) {
        next = *s;
        next.strategy[0] = next.format[0] = '\0';
        if (read_strategy_format(c, mg_xml_root(doc), &next) == 0) {
            if (next.strategy[0]) {
                snprintf(s->strategy, sizeof(s->strategy), "%s", next.strategy);
            }
            s->modify_s = c->now_ms / 1000;
            emu_mns_no_content(c);
        }
    }
    pthread_mutex_unlock(&emu_g.lock);
    xmlFreeDoc(doc);
}

void emu_h_get_subscription(struct emu_ctx *c)
{
    struct emu_topic *t;
    struct emu_sub *s;

    pthread_mutex_lock(&emu_g.lock);
    s = find_sub(c, &t);
    if (s) {
        emu_mns_begin(c, "Subscription");
        emu_mns_el_str(c, "SubscriptionName", s->name);
        emu_mns_el_str(c, "Subscriber", emu_g.account_id);
        emu_mns_el_str(c, "TopicOwner", emu_g.account_id);
        emu_mns_el_str(c, "TopicName", t->name);
        emu_mns_el_str(c, "Endpoint", s->endpoint);
        emu_mns_el_str(c, "NotifyStrategy", s->strategy);
        emu_mns_el_str(c, "NotifyContentFormat", s->format);
        emu_mns_el_str(c, "FilterTag", s->filter_tag);
        emu_mns_el_ll(c, "CreateTime", s->create_s);
        emu_mns_el_ll(c, "LastModifyTime", s->modify_s);
        emu_mns_end(c, "Subscription");
    }
    pthread_mutex_unlock(&emu_g.lock);
}

void emu_h_unsubscribe(struct emu_ctx *c)
{
    struct emu_topic *t;

    pthread_mutex_lock(&emu_g.lock);
    if (find_sub(c, &t)) {
        emu_sub_delete(t, c->arg[1]);
        emu_mns_no_content(c);
    }
    pthread_mutex_unlock(&emu_g.lock);
}

void emu_h_list_subscriptions(struct emu_ctx *c)
{
    const char *prefix;
    const char *marker;
    size_t max;
    int meta;
    struct emu_topic *t;
    size_t i;
    size_t shown = 0;

    if (emu_mns_list_args(c, &prefix, &marker, &max, &meta) != 0) {
        return;
    }
    pthread_mutex_lock(&emu_g.lock);
    t = find_topic(c, c->arg[0]);
    if (t) {
        emu_mns_begin(c, "Subscriptions");
        for (i = 0; i < t->nsubs; i++) {
            const char *name = t->subs[i]->name;

            if ((prefix && strncmp(name, prefix, strlen(prefix)) != 0) ||
                (marker && *marker && strcmp(name, marker) < 0)) {
                continue;
            }
            if (shown++ == max) {
                emu_mns_el_str(c, "NextMarker", name);
                break;
            }
            mg_buf_addf(&c->out,
                        "<Subscription><SubscriptionURL>%s/topics/%s/"
                        "subscriptions/%s</SubscriptionURL></Subscription>",
                        emu_g.base_url, t->name, name);
        }
        emu_mns_end(c, "Subscriptions");
    }
    pthread_mutex_unlock(&emu_g.lock);
}
