#include "config/config.h"

/* After the contract, so that it is seen to compile on its own. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"
#include "config/jsonw.h"

/* Last: its renames must not reach the headers above. */
#include "common/banned.h"

#define MAX_TOKEN 4096 /* resultToken; real ones are a few hundred bytes */
#define MAX_PARAM 8192 /* one rule parameter's value */
#define MAX_OWNED 8    /* members parsed again from JSON text, per event */
#define COUNT(a)  (sizeof(a) / sizeof((a)[0]))

/* Members that arrive as JSON text inside a string are parsed again; the
 * trees are kept here until the event has been read. */
struct parts {
    cJSON *owned[MAX_OWNED];
    size_t n;
};

/* One place to look for a value; lists of them are tried in order. */
struct pick {
    const cJSON *obj;
    const char *key;
};

static void parts_free(struct parts *p)
{
    while (p->n > 0) {
        cJSON_Delete(p->owned[--p->n]);
    }
}

/* Member key of obj as an object, whether given as one or as JSON text. */
static const cJSON *member_obj(struct parts *p, const cJSON *obj,
                               const char *key)
{
    cJSON *owned = NULL;
    const cJSON *v = mg_json_obj(obj, key, &owned);

    if (owned != NULL && p->n == MAX_OWNED) {
        cJSON_Delete(owned);
        return NULL;
    }
    if (owned != NULL) {
        p->owned[p->n++] = owned;
    }
    return v;
}

/* Null and "" say "not known" in Config's payloads (legacy events send
 * "ResourceCreateTime": ""). */
static int absent(const cJSON *v)
{
    return v == NULL || cJSON_IsNull(v) ||
           (cJSON_IsString(v) && v->valuestring[0] == '\0');
}

static int streq(const char *a, const char *b)
{
    return a != NULL && strcmp(a, b) == 0;
}

/* Refuse rather than cut: a shortened id would name another resource. */
static int set_text(char *dst, size_t size, const char *s, const char *what,
                    struct mg_error *err)
{
    if (!cfg_utf8_valid(s)) {
        return mg_error_set(err, MG_INVALID, "EventField",
                            "%s is not valid UTF-8", what);
    }
    if (strlen(s) >= size) {
        return mg_error_set(err, MG_INVALID, "EventFieldTooLong",
                            "%s is longer than %zu bytes", what, size - 1);
    }
    snprintf(dst, size, "%s", s);
    return 0;
}

/* A text member into a fixed field; ids may come as JSON numbers. An
 * absent member leaves the field empty. */
static int copy_text(const cJSON *obj, const char *key, char *dst, size_t size,
                     struct mg_error *err)
{
    const cJSON *v = mg_json_get(obj, key);
    char num[24];
    int64_t n;

    dst[0] = '\0';
    if (v == NULL || cJSON_IsNull(v)) {
        return 0;
    }
    if (cJSON_IsString(v)) {
        return set_text(dst, size, v->valuestring, key, err);
    }
    if (cJSON_IsNumber(v) && mg_json_value_i64(v, &n) == 0) {
        snprintf(num, sizeof(num), "%" PRId64, n);
        return set_text(dst, size, num, key, err);
    }
    return mg_error_set(err, MG_INVALID, "EventField", "%s is not text", key);
}

/* The first of the picks that is present and not empty. */
static int first_text(const struct pick *p, size_t n, char *dst, size_t size,
                      struct mg_error *err)
{
    size_t i;

    dst[0] = '\0';
    for (i = 0; i < n && dst[0] == '\0'; i++) {
        if (copy_text(p[i].obj, p[i].key, dst, size, err) != 0) {
            return -1;
        }
    }
    return 0;
}

/* An owned copy of a text member, NULL when absent. */
static int dup_text(const cJSON *obj, const char *key, size_t max, char **out,
                    struct mg_error *err)
{
    const cJSON *v = mg_json_get(obj, key);

    *out = NULL;
    if (v == NULL || cJSON_IsNull(v)) {
        return 0;
    }
    if (!cJSON_IsString(v) || !cfg_utf8_valid(v->valuestring)) {
        return mg_error_set(err, MG_INVALID, "EventField",
                            "%s is not UTF-8 text", key);
    }
    if (strlen(v->valuestring) > max) {
        return mg_error_set(err, MG_INVALID, "EventFieldTooLong",
                            "%s is longer than %zu bytes", key, max);
    }
    *out = strdup(v->valuestring);
    if (*out == NULL) {
        return mg_error_set(err, MG_RETRY, "NoMemory", "out of memory");
    }
    return 0;
}

/*
 * The first of the picks that is present, as an exact integer (a JSON
 * number or a string of digits). Returns 1 when found, 0 when none is
 * present, -1 when one is present but is not a non-negative integer.
 */
static int first_i64(const struct pick *p, size_t n, int64_t *out,
                     struct mg_error *err)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const cJSON *v = mg_json_get(p[i].obj, p[i].key);

        if (absent(v)) {
            continue;
        }
        if (mg_json_value_i64(v, out) != 0 || *out < 0) {
            return mg_error_set(err, MG_INVALID, "EventField",
                                "%s is not a non-negative integer", p[i].key);
        }
        return 1;
    }
    return 0;
}

/* An event without an account id is legal (the worker then uses its
 * setting); one with a bad or zero id is not. */
static int read_account(const struct pick *p, size_t n, struct cfg_event *ev,
                        struct mg_error *err)
{
    int found = first_i64(p, n, &ev->account_id, err);

    if (found < 0) {
        return -1;
    }
    if (found && ev->account_id == 0) {
        return mg_error_set(err, MG_INVALID, "EventField", "accountId is zero");
    }
    ev->res.account_id = ev->account_id;
    return 0;
}

static int read_ordering(const struct pick *p, size_t n, struct cfg_event *ev,
                         struct mg_error *err)
{
    int found = first_i64(p, n, &ev->ordering_ms, err);

    if (found < 0) {
        return -1;
    }
    if (!found) {
        ev->ordering_ms = mg_now_ms();
    }
    ev->ordering_given = found;
    return 0;
}

static int is_ram_user(const struct cfg_resource *res)
{
    return res->type[0] == '\0' || strcmp(res->type, "ACS::RAM::User") == 0;
}

/*
 * configuration.UserName, the configuration being an object or JSON text.
 * A configuration that cannot be read (OVERSIZE leaves it out, a broken
 * one happens) is no error: for a RAM user the resource name is the user
 * name. For other resource types the name is not a user's and is only
 * kept when it fits, so that an ECS instance with a long name still gets
 * its NOT_APPLICABLE instead of a dead letter.
 */
static int read_user_name(struct parts *p, const cJSON *item,
                          struct cfg_resource *res, struct mg_error *err)
{
    const cJSON *conf = member_obj(p, item, "configuration");
    const char *name = mg_json_str(conf, "UserName");
    const char *what = "configuration.UserName";

    if (name == NULL || name[0] == '\0') {
        name = res->name;
        what = "resourceName as user name";
    }
    /* A resource name that cannot be a user name (too long for one) only
     * leaves the user unknown: the worker refuses to check such an event,
     * but a notification that names it still reads back, and is skipped. */
    if ((!is_ram_user(res) || name == res->name) &&
        (strlen(name) >= sizeof(res->user_name) || !cfg_utf8_valid(name))) {
        return 0;
    }
    return set_text(res->user_name, sizeof(res->user_name), name, what, err);
}

/* resourceName. Only a RAM user's name matters (it names the user to
 * check); another resource's name that does not fit is left out, so the
 * resource still gets its NOT_APPLICABLE instead of a dead letter. */
static int read_name(const cJSON *item, struct cfg_resource *res,
                     struct mg_error *err)
{
    const char *name = mg_json_str(item, "resourceName");

    if (!is_ram_user(res) && name &&
        (strlen(name) >= sizeof(res->name) || !cfg_utf8_valid(name))) {
        res->name[0] = '\0';
        return 0;
    }
    return copy_text(item, "resourceName", res->name, sizeof(res->name), err);
}

/* The resource an item describes; item may be NULL. Legacy change events
 * call the region "Region". */
static int read_resource(struct parts *p, const cJSON *item,
                         struct cfg_resource *res, struct mg_error *err)
{
    const struct pick region[] = { { item, "regionId" }, { item, "Region" } };
    const struct pick capture[] = { { item, "captureTime" } };

    if (copy_text(item, "resourceId", res->id, sizeof(res->id), err) != 0 ||
        copy_text(item, "resourceType", res->type, sizeof(res->type), err) !=
            0 ||
        read_name(item, res, err) != 0 ||
        first_text(region, COUNT(region), res->region, sizeof(res->region),
                   err) != 0 ||
        first_i64(capture, COUNT(capture), &res->capture_ms, err) < 0) {
        return -1;
    }
    return read_user_name(p, item, res, err);
}

static int names_resource(const struct cfg_resource *res)
{
    return res->id[0] != '\0' || res->name[0] != '\0';
}

/* only_custom as the semantics spell it, or in the camelCase of the other
 * parameters; anything but true (or "true" in any case) means false. */
static void read_only_custom(const cJSON *params, struct cfg_event *ev)
{
    int b = 0;

    if (mg_json_bool(params, "only_custom", &b) == 0 ||
        mg_json_bool(params, "onlyCustom", &b) == 0) {
        ev->only_custom = b;
    }
}

/*
 * ruleParameters: an object or its JSON text ("" stands for an empty
 * one). The rule's name, when given at all, is among the parameters or
 * at the top of the request.
 */
static int read_rule_parameters(struct parts *p, const cJSON *root,
                                struct cfg_event *ev, struct mg_error *err)
{
    const cJSON *v = mg_json_get(root, "ruleParameters");
    const cJSON *params = member_obj(p, root, "ruleParameters");
    const struct pick rule[] = { { params, "configRuleName" },
                                 { params, "ruleName" },
                                 { root, "configRuleName" },
                                 { root, "ruleName" } };

    if (params == NULL && !absent(v)) {
        return mg_error_set(err, MG_INVALID, "EventField",
                            "ruleParameters is not a JSON object");
    }
    ev->has_rule_parameters = v != NULL && !cJSON_IsNull(v);
    read_only_custom(params, ev);
    if (dup_text(params, "dangerousActions", MAX_PARAM, &ev->dangerous_actions,
                 err) != 0) {
        return -1;
    }
    return first_text(rule, COUNT(rule), ev->rule_name, sizeof(ev->rule_name),
                      err);
}

/*
 * A rule request names one resource, except a periodic one (or one
 * without configuration) that has no item: that one asks about every user
 * of the account. A change-triggered request without a resource is broken
 * and is not widened into a sweep.
 */
static int read_rule_scope(const cJSON *inv, struct cfg_event *ev,
                           struct mg_error *err)
{
    const char *ctype = mg_json_str(inv, "configurationType");

    ev->has_resource = names_resource(&ev->res);
    if (ev->has_resource ||
        strcmp(ev->message_type, "ScheduledNotification") == 0 ||
        (ctype != NULL && strcasecmp(ctype, "NONE") == 0)) {
        return 0;
    }
    return mg_error_set(err, MG_INVALID, "EventNoResource",
                        "rule-evaluation request (%s) without a "
                        "configurationItem naming a resource",
                        ev->message_type[0] ? ev->message_type
                                            : "no messageType");
}

/* The token and the invokingEvent object, without which nothing can be
 * evaluated or reported. */
static const cJSON *read_rule_request(struct parts *p, const cJSON *root,
                                      struct cfg_event *ev,
                                      struct mg_error *err)
{
    const cJSON *inv;

    if (dup_text(root, "resultToken", MAX_TOKEN, &ev->result_token, err) != 0) {
        return NULL;
    }
    if (ev->result_token == NULL || ev->result_token[0] == '\0') {
        mg_error_set(err, MG_INVALID, "EventNoResultToken",
                     "rule-evaluation request without a resultToken");
        return NULL;
    }
    inv = member_obj(p, root, "invokingEvent");
    if (inv == NULL) {
        mg_error_set(err, MG_INVALID, "EventNoInvokingEvent",
                     "rule-evaluation request without an invokingEvent "
                     "object");
    }
    return inv;
}

/* What Config sends a custom rule: see config-ram-api.md §5.2. */
static int parse_rule(struct parts *p, const cJSON *root, struct cfg_event *ev,
                      struct mg_error *err)
{
    const cJSON *inv = read_rule_request(p, root, ev, err);
    const cJSON *item = member_obj(p, inv, "configurationItem");
    const struct pick acc[] = { { item, "accountId" },
                                { inv, "accountId" },
                                { root, "accountId" } };
    const struct pick ord[] = { { root, "orderingTimestamp" },
                                { item, "captureTime" },
                                { inv, "notificationCreationTimestamp" } };

    ev->kind = CFG_EVENT_RULE;
    if (inv == NULL ||
        copy_text(inv, "messageType", ev->message_type,
                  sizeof(ev->message_type), err) != 0 ||
        read_resource(p, item, &ev->res, err) != 0 ||
        read_rule_scope(inv, ev, err) != 0 ||
        read_rule_parameters(p, root, ev, err) != 0 ||
        read_account(acc, COUNT(acc), ev, err) != 0) {
        return -1;
    }
    return read_ordering(ord, COUNT(ord), ev, err);
}

/* Change names as eventName spells them, from any of the three sources. */
static const char *const change_names[][2] = {
    { "ResourceAdd", "ResourceAdd" },
    { "ResourceUpdate", "ResourceUpdate" },
    { "ResourceDelete", "ResourceDelete" },
    { "DISCOVERED", "ResourceAdd" },
    { "MODIFY", "ResourceUpdate" },
    { "REMOVE", "ResourceDelete" },
};

static const char *change_name(const char *s)
{
    size_t i;

    for (i = 0; s != NULL && i < COUNT(change_names); i++) {
        if (strcmp(s, change_names[i][0]) == 0) {
            return change_names[i][1];
        }
    }
    return NULL;
}

/* eventName, else the diff's changeType, else the legacy
 * ResourceEventType; a value none of them knows is kept as given. */
static int read_change_type(struct parts *p, const cJSON *root,
                            struct cfg_event *ev, struct mg_error *err)
{
    const cJSON *diff = member_obj(p, root, "configurationItemDiff");
    const char *from[3];
    size_t i;

    from[0] = mg_json_str(root, "eventName");
    from[1] = mg_json_str(diff, "changeType");
    from[2] = mg_json_str(root, "ResourceEventType");
    for (i = 0; i < COUNT(from); i++) {
        if (change_name(from[i]) != NULL) {
            snprintf(ev->change_type, sizeof(ev->change_type), "%s",
                     change_name(from[i]));
            return 0;
        }
    }
    for (i = 0; i < COUNT(from); i++) {
        if (from[i] != NULL && from[i][0] != '\0') {
            return set_text(ev->change_type, sizeof(ev->change_type), from[i],
                            "changeType", err);
        }
    }
    return 0;
}

/* A resource-change notification (mns-api.md §8.1), or its legacy
 * PascalCase form with the item's fields at the top (§8.3). */
static int parse_change(struct parts *p, const cJSON *root,
                        struct cfg_event *ev, struct mg_error *err)
{
    const cJSON *item = member_obj(p, root, "configurationItem");
    const cJSON *src = item != NULL ? item : root;
    const struct pick type[] = { { root, "dataType" }, { root, "eventName" } };
    const struct pick acc[] = { { src, "accountId" }, { root, "accountId" } };
    const struct pick ord[] = { { root, "notificationCreationTime" },
                                { src, "captureTime" } };

    ev->kind = CFG_EVENT_CHANGE;
    if (read_resource(p, src, &ev->res, err) != 0 ||
        first_text(type, COUNT(type), ev->message_type,
                   sizeof(ev->message_type), err) != 0 ||
        copy_text(root, "requestId", ev->request_id, sizeof(ev->request_id),
                  err) != 0 ||
        read_change_type(p, root, ev, err) != 0 ||
        read_account(acc, COUNT(acc), ev, err) != 0 ||
        read_ordering(ord, COUNT(ord), ev, err) != 0) {
        return -1;
    }
    if (ev->message_type[0] == '\0') {
        snprintf(ev->message_type, sizeof(ev->message_type), "%s",
                 "ConfigurationItemChangeNotification");
    }
    ev->has_resource = names_resource(&ev->res);
    if (!ev->has_resource) {
        return mg_error_set(err, MG_INVALID, "EventNoResource",
                            "resource-change notification without a "
                            "resourceId or resourceName");
    }
    return 0;
}

/* Config's own non-compliance notification (mns-api.md §8.2), or ours. */
static int parse_noncompliance(struct parts *p, const cJSON *root,
                               struct cfg_event *ev, struct mg_error *err)
{
    const cJSON *id = member_obj(p, root, "evaluationResultIdentifier");
    const cJSON *q = member_obj(p, id, "evaluationResultQualifier");
    const struct pick type[] = { { root, "dataType" }, { root, "eventName" } };
    const struct pick acc[] = { { root, "accountId" },
                                { q, "resourceOwnerId" } };
    const struct pick ord[] = { { id, "orderingTimestamp" },
                                { root, "notificationCreationTime" } };

    ev->kind = CFG_EVENT_NONCOMPLIANCE;
    if (read_resource(p, q, &ev->res, err) != 0 ||
        first_text(type, COUNT(type), ev->message_type,
                   sizeof(ev->message_type), err) != 0 ||
        copy_text(root, "requestId", ev->request_id, sizeof(ev->request_id),
                  err) != 0 ||
        copy_text(q, "configRuleName", ev->rule_name, sizeof(ev->rule_name),
                  err) != 0 ||
        read_account(acc, COUNT(acc), ev, err) != 0 ||
        read_ordering(ord, COUNT(ord), ev, err) != 0) {
        return -1;
    }
    ev->has_resource = names_resource(&ev->res);
    return 0;
}

/* Snapshot deliveries and Config payloads of a dataType not known here:
 * nothing to evaluate, but not garbage either. */
static int parse_other(const cJSON *root, struct cfg_event *ev,
                       struct mg_error *err)
{
    const struct pick type[] = { { root, "eventName" },
                                 { root, "dataType" },
                                 { root, "eventType" } };
    const struct pick acc[] = { { root, "accountId" } };
    const struct pick ord[] = { { root, "notificationCreationTime" } };

    ev->kind = CFG_EVENT_OTHER;
    if (first_text(type, COUNT(type), ev->message_type,
                   sizeof(ev->message_type), err) != 0 ||
        copy_text(root, "requestId", ev->request_id, sizeof(ev->request_id),
                  err) != 0 ||
        read_account(acc, COUNT(acc), ev, err) != 0) {
        return -1;
    }
    return read_ordering(ord, COUNT(ord), ev, err);
}

/* The legacy change form has no dataType or eventType; its PascalCase
 * keys are matched exactly, as they are its only mark. */
static int is_legacy_change(const cJSON *root)
{
    return cJSON_GetObjectItemCaseSensitive(root, "ResourceEventType") ||
           (cJSON_GetObjectItemCaseSensitive(root, "ResourceId") &&
            cJSON_GetObjectItemCaseSensitive(root, "ResourceType"));
}

/*
 * Route on the markers Config puts in each payload. Non-compliance comes
 * before change so that our own notices, whatever else they hold, are
 * never evaluated again. An unknown dataType is still Config's; an
 * unknown eventType alone is not enough to say so.
 */
static int classify(const cJSON *root, enum cfg_event_kind *kind)
{
    const char *data = mg_json_str(root, "dataType");
    const char *type = mg_json_str(root, "eventType");

    if (mg_json_get(root, "resultToken") ||
        mg_json_get(root, "invokingEvent")) {
        *kind = CFG_EVENT_RULE;
    } else if (streq(data, "NonCompliantNotification") ||
               streq(type, "ResourceCompliance")) {
        *kind = CFG_EVENT_NONCOMPLIANCE;
    } else if (streq(data, "ConfigurationItemChangeNotification") ||
               streq(type, "ResourceChange") || is_legacy_change(root)) {
        *kind = CFG_EVENT_CHANGE;
    } else if (data != NULL || streq(type, "SnapshotDelivery")) {
        *kind = CFG_EVENT_OTHER;
    } else {
        return -1;
    }
    return 0;
}

static int parse_kind(struct parts *p, const cJSON *root, struct cfg_event *ev,
                      struct mg_error *err)
{
    enum cfg_event_kind kind;

    if (classify(root, &kind) != 0) {
        return mg_error_set(err, MG_INVALID, "EventUnknown",
                            "not a Config event: no resultToken, "
                            "invokingEvent, dataType or Config eventType");
    }
    switch (kind) {
    case CFG_EVENT_RULE:
        return parse_rule(p, root, ev, err);
    case CFG_EVENT_CHANGE:
        return parse_change(p, root, ev, err);
    case CFG_EVENT_NONCOMPLIANCE:
        return parse_noncompliance(p, root, ev, err);
    case CFG_EVENT_OTHER:
        return parse_other(root, ev, err);
    }
    return -1;
}

static cJSON *parse_text(const char *text, size_t len, struct mg_error *err)
{
    struct mg_error why;
    cJSON *root;

    if (text == NULL || len == 0) {
        mg_error_set(err, MG_INVALID, "EventEmpty", "empty event");
        return NULL;
    }
    if (len > CFG_MAX_EVENT_BYTES) {
        mg_error_set(err, MG_INVALID, "EventTooLarge",
                     "event of %zu bytes is over the limit of %u", len,
                     CFG_MAX_EVENT_BYTES);
        return NULL;
    }
    if (memchr(text, '\0', len) != NULL) {
        mg_error_set(err, MG_INVALID, "EventNul", "NUL byte in event");
        return NULL;
    }

    mg_error_clear(&why);
    root = mg_json_parse(text, len, &why);
    if (root == NULL) {
        mg_error_set(err, MG_INVALID, "EventNotJson", "event is not JSON: %s",
                     why.message);
    } else if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        root = NULL;
        mg_error_set(err, MG_INVALID, "EventNotObject",
                     "event is a JSON array, not an object");
    }
    return root;
}

int cfg_event_parse(const char *text, size_t len, struct cfg_event *ev,
                    struct mg_error *err)
{
    struct parts p = { { NULL }, 0 };
    cJSON *root;
    int rc;

    memset(ev, 0, sizeof(*ev));
    if (err != NULL) {
        mg_error_clear(err);
    }
    root = parse_text(text, len, err);
    if (root == NULL) {
        return -1;
    }

    rc = parse_kind(&p, root, ev, err);
    parts_free(&p);
    cJSON_Delete(root);
    if (rc != 0) {
        cfg_event_release(ev);
        memset(ev, 0, sizeof(*ev));
    }
    return rc;
}

void cfg_event_release(struct cfg_event *ev)
{
    if (ev == NULL) {
        return;
    }
    free(ev->result_token);
    free(ev->dangerous_actions);
    ev->result_token = NULL;
    ev->dangerous_actions = NULL;
}
