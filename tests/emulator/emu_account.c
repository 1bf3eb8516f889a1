#include "emu_account.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/json.h"
#include "emu_map.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

#define DEFAULT_DATE "2015-01-23T12:33:18Z"

struct emu_account *emu_account_current;

/* Bump allocation for everything an account holds; freed in one go. */
struct emu_arena {
    struct emu_arena *next;
    size_t used;
    size_t cap;
    max_align_t data[];
};

static void *arena_alloc(struct emu_account *a, size_t n)
{
    struct emu_arena *r = a->arena;
    void *p;

    n = (n + 15) & ~(size_t)15;
    if (r == NULL || r->cap - r->used < n) {
        size_t cap = n > 1024 * 1024 ? n : 1024 * 1024;

        r = malloc(sizeof(*r) + cap);
        if (r == NULL) {
            return NULL;
        }
        r->next = a->arena;
        r->used = 0;
        r->cap = cap;
        a->arena = r;
    }
    p = (char *)r->data + r->used;
    r->used += n;
    memset(p, 0, n);
    return p;
}

static const char *arena_str(struct emu_account *a, const char *s)
{
    size_t n = strlen(s);
    char *p = arena_alloc(a, n + 1);

    if (p) {
        memcpy(p, s, n + 1);
    }
    return p;
}

/* Loading state: the account being built and the first error met. */
struct loader {
    struct emu_account *a;
    char *why;
    size_t whylen;
    int failed;
};

static int fail(struct loader *ld, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct loader *ld, const char *fmt, ...)
{
    va_list ap;

    if (!ld->failed) {
        va_start(ap, fmt);
        vsnprintf(ld->why, ld->whylen, fmt, ap);
        va_end(ap);
    }
    ld->failed = 1;
    return -1;
}

/* An optional string member, copied into the arena; dflt when absent. */
static const char *opt_str(struct loader *ld, const cJSON *obj, const char *key,
                           const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    const char *s;

    if (v == NULL || cJSON_IsNull(v)) {
        return dflt;
    }
    if (!cJSON_IsString(v)) {
        fail(ld, "\"%s\" must be a string", key);
        return dflt;
    }
    s = arena_str(ld->a, v->valuestring);
    if (s == NULL) {
        fail(ld, "out of memory");
    }
    return s;
}

static const char *req_str(struct loader *ld, const cJSON *obj, const char *key,
                           const char *what)
{
    const char *s = opt_str(ld, obj, key, NULL);

    if (s == NULL || *s == '\0') {
        fail(ld, "%s needs a non-empty string \"%s\"", what, key);
        return NULL;
    }
    return s;
}

/* Digits of an id given as a JSON integer or as a string of digits. */
static int digits_of(const cJSON *v, char *out, size_t outlen)
{
    int64_t n;
    const char *p;

    if (cJSON_IsString(v)) {
        for (p = v->valuestring; *p; p++) {
            if (!isdigit((unsigned char)*p)) {
                return -1;
            }
        }
        if (v->valuestring[0] == '\0' || strlen(v->valuestring) >= outlen) {
            return -1;
        }
        snprintf(out, outlen, "%s", v->valuestring);
        return 0;
    }
    if (mg_json_value_i64(v, &n) != 0 || n < 0) {
        return -1;
    }
    snprintf(out, outlen, "%lld", (long long)n);
    return 0;
}

static int valid_type(const char *t)
{
    return t && (strcmp(t, "System") == 0 || strcmp(t, "Custom") == 0);
}

static const cJSON *opt_array(struct loader *ld, const cJSON *obj,
                              const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (v != NULL && !cJSON_IsArray(v) && !cJSON_IsNull(v)) {
        fail(ld, "\"%s\" must be an array", key);
        return NULL;
    }
    return cJSON_IsArray(v) ? v : NULL;
}

static const char *policy_document(struct loader *ld, const cJSON *p,
                                   const char *name)
{
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(p, "document");
    char *text;
    const char *copy;

    if (cJSON_IsString(doc)) {
        return opt_str(ld, p, "document", NULL);
    }
    if (!cJSON_IsObject(doc)) {
        fail(ld, "policy %s needs a \"document\" object or string", name);
        return NULL;
    }
    text = cJSON_PrintUnformatted(doc);
    copy = text ? arena_str(ld->a, text) : NULL;
    free(text);
    if (copy == NULL) {
        fail(ld, "out of memory");
    }
    return copy;
}

static int policy_key(char *out, size_t outlen, const char *type,
                      const char *name)
{
    return snprintf(out, outlen, "%s:%s", type, name) < (int)outlen ? 0 : -1;
}

static int load_policy(struct loader *ld, const cJSON *p,
                       struct emu_policy *pol)
{
    char key[512];

    pol->name = req_str(ld, p, "name", "a policy");
    pol->type = req_str(ld, p, "type", "a policy");
    if (ld->failed) {
        return -1;
    }
    if (!valid_type(pol->type)) {
        return fail(ld, "policy %s: type must be System or Custom", pol->name);
    }
    pol->document = policy_document(ld, p, pol->name);
    pol->description = opt_str(ld, p, "description", "");
    pol->version = opt_str(ld, p, "default_version", "v1");
    pol->create_date = opt_str(ld, p, "create_date", DEFAULT_DATE);
    pol->update_date = opt_str(ld, p, "update_date", pol->create_date);
    if (ld->failed || policy_key(key, sizeof(key), pol->type, pol->name)) {
        return fail(ld, "policy %s is not valid", pol->name);
    }
    if (emu_map_get(ld->a->policy_by_key, key) != NULL) {
        return fail(ld, "policy %s (%s) is defined twice", pol->name,
                    pol->type);
    }
    return emu_map_put(ld->a->policy_by_key, key, pol) ? fail(ld, "no memory")
                                                       : 0;
}

/* A policies[] list of references; attached policies are looked up. */
static int load_refs(struct loader *ld, const cJSON *owner, const char *who,
                     struct emu_ref **out, size_t *n)
{
    const cJSON *list = opt_array(ld, owner, "policies");
    const cJSON *r;
    size_t i = 0;

    *n = (size_t)cJSON_GetArraySize(list);
    *out = arena_alloc(ld->a, (*n + 1) * sizeof(**out));
    if (*out == NULL) {
        return fail(ld, "out of memory");
    }
    cJSON_ArrayForEach(r, list)
    {
        struct emu_ref *ref = &(*out)[i++];

        ref->name = req_str(ld, r, "name", who);
        ref->type = req_str(ld, r, "type", who);
        if (ld->failed || !valid_type(ref->type)) {
            return fail(ld,
                        "%s: a policy reference needs a name and a type "
                        "System or Custom",
                        who);
        }
        ref->policy = emu_account_policy(ld->a, ref->type, ref->name);
    }
    return 0;
}

static const char *group_id(struct loader *ld, const char *name)
{
    uint64_t h = 1469598103934665603ULL;
    char buf[24];

    for (; *name; name++) {
        h = (h ^ (unsigned char)*name) * 1099511628211ULL;
    }
    snprintf(
        buf, sizeof(buf), "%llu",
        (unsigned long long)(h % 9000000000000000ULL + 1000000000000000ULL));
    return arena_str(ld->a, buf);
}

static int load_group(struct loader *ld, const cJSON *g, struct emu_group *grp)
{
    char who[300];

    grp->name = req_str(ld, g, "name", "a group");
    if (ld->failed) {
        return -1;
    }
    snprintf(who, sizeof(who), "group %s", grp->name);
    grp->id = opt_str(ld, g, "id", NULL);
    grp->id = grp->id ? grp->id : group_id(ld, grp->name);
    grp->comments = opt_str(ld, g, "comments", "");
    grp->create_date = opt_str(ld, g, "create_date", DEFAULT_DATE);
    grp->update_date = opt_str(ld, g, "update_date", grp->create_date);
    if (load_refs(ld, g, who, &grp->policies, &grp->npolicies) != 0) {
        return -1;
    }
    if (emu_map_get(ld->a->group_by_name, grp->name) != NULL) {
        return fail(ld, "group %s is defined twice", grp->name);
    }
    return emu_map_put(ld->a->group_by_name, grp->name, grp)
               ? fail(ld, "out of memory")
               : 0;
}

static int load_login(struct loader *ld, const cJSON *u, struct emu_user *usr)
{
    const cJSON *lp = cJSON_GetObjectItemCaseSensitive(u, "login_profile");

    if (lp == NULL || cJSON_IsNull(lp)) {
        return 0;
    }
    if (!cJSON_IsObject(lp)) {
        return fail(ld, "user %s: login_profile must be an object", usr->name);
    }
    usr->has_login = 1;
    if (mg_json_bool(lp, "mfa_bind_required", &usr->mfa_bind_required) != 0) {
        usr->mfa_bind_required = 0;
    }
    if (mg_json_bool(lp, "password_reset_required",
                     &usr->password_reset_required) != 0) {
        usr->password_reset_required = 0;
    }
    return 0;
}

static int load_mfa(struct loader *ld, const cJSON *u, struct emu_user *usr)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(u, "mfa_device");
    const char *type;
    const char *serial;
    char dflt[sizeof(usr->mfa.serial)];

    if (m == NULL || cJSON_IsNull(m)) {
        return 0;
    }
    type = mg_json_str(m, "type");
    serial = mg_json_str(m, "serial");
    if (!cJSON_IsObject(m) || type == NULL ||
        (strcmp(type, "VMFA") != 0 && strcmp(type, "U2F") != 0)) {
        return fail(ld, "user %s: mfa_device needs type VMFA or U2F",
                    usr->name);
    }
    if (serial == NULL) {
        snprintf(dflt, sizeof(dflt), "acs:ram::%s:mfa/%s",
                 ld->a->account_id[0] ? ld->a->account_id : "0", usr->name);
        serial = dflt;
    }
    usr->mfa.present = 1;
    snprintf(usr->mfa.type, sizeof(usr->mfa.type), "%s", type);
    snprintf(usr->mfa.serial, sizeof(usr->mfa.serial), "%s", serial);
    snprintf(usr->mfa.activate_date, sizeof(usr->mfa.activate_date), "%s",
             mg_json_str(m, "activate_date") ? mg_json_str(m, "activate_date")
                                             : DEFAULT_DATE);
    return 0;
}

static int load_user_groups(struct loader *ld, const cJSON *u,
                            struct emu_user *usr)
{
    const cJSON *list = opt_array(ld, u, "groups");
    const cJSON *g;
    size_t i = 0;

    usr->ngroups = (size_t)cJSON_GetArraySize(list);
    usr->groups = arena_alloc(ld->a, (usr->ngroups + 1) * sizeof(*usr->groups));
    if (usr->groups == NULL) {
        return fail(ld, "out of memory");
    }
    cJSON_ArrayForEach(g, list)
    {
        struct emu_group *grp =
            cJSON_IsString(g) ? emu_account_group(ld->a, g->valuestring) : NULL;

        if (grp == NULL) {
            return fail(ld,
                        "user %s lists a group the fixture does not "
                        "define",
                        usr->name);
        }
        usr->groups[i++] = grp;
        grp->cap_members++;
    }
    return 0;
}

static int load_user(struct loader *ld, const cJSON *u, struct emu_user *usr)
{
    char who[300];
    char id[32];

    usr->name = req_str(ld, u, "name", "a user");
    if (ld->failed) {
        return -1;
    }
    snprintf(who, sizeof(who), "user %s", usr->name);
    if (digits_of(cJSON_GetObjectItemCaseSensitive(u, "id"), id, sizeof(id)) !=
        0) {
        return fail(ld, "user %s needs an \"id\" of digits", usr->name);
    }
    usr->id = arena_str(ld->a, id);
    usr->display_name = opt_str(ld, u, "display_name", usr->name);
    usr->comments = opt_str(ld, u, "comments", "");
    usr->email = opt_str(ld, u, "email", NULL);
    usr->mobile_phone = opt_str(ld, u, "mobile_phone", NULL);
    usr->create_date = opt_str(ld, u, "create_date", DEFAULT_DATE);
    usr->update_date = opt_str(ld, u, "update_date", usr->create_date);
    usr->last_login_date = opt_str(ld, u, "last_login_date", usr->create_date);
    if (load_refs(ld, u, who, &usr->policies, &usr->npolicies) != 0 ||
        load_user_groups(ld, u, usr) != 0 || load_login(ld, u, usr) != 0 ||
        load_mfa(ld, u, usr) != 0) {
        return -1;
    }
    if (emu_map_get(ld->a->user_by_name, usr->name) != NULL ||
        emu_map_get(ld->a->user_by_id, usr->id) != NULL) {
        return fail(ld, "user %s (id %s) is defined twice", usr->name, usr->id);
    }
    if (emu_map_put(ld->a->user_by_name, usr->name, usr) != 0 ||
        emu_map_put(ld->a->user_by_id, usr->id, usr) != 0) {
        return fail(ld, "out of memory");
    }
    return 0;
}

static int load_faults(struct loader *ld, const cJSON *acct)
{
    const cJSON *list = opt_array(ld, acct, "faults");
    const cJSON *f;
    size_t i = 0;

    ld->a->nfaults = (size_t)cJSON_GetArraySize(list);
    ld->a->faults =
        arena_alloc(ld->a, (ld->a->nfaults + 1) * sizeof(*ld->a->faults));
    if (ld->a->faults == NULL) {
        return fail(ld, "out of memory");
    }
    cJSON_ArrayForEach(f, list)
    {
        struct emu_fixture_fault *ff = &ld->a->faults[i++];
        int64_t status;
        int64_t times;

        ff->api = req_str(ld, f, "api", "a fault");
        ff->code = req_str(ld, f, "code", "a fault");
        if (ld->failed || mg_json_i64(f, "status", &status) != 0 ||
            status < 100 || status > 599 ||
            mg_json_i64(f, "times", &times) != 0 || times < 0) {
            return fail(ld, "a fault needs api, code, status (100-599) and "
                            "times (>= 0)");
        }
        ff->status = (int)status;
        ff->remaining = (long)times;
    }
    return 0;
}

static int load_account_id(struct loader *ld, const cJSON *acct)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(acct, "account_id");

    if (v == NULL) {
        return 0;
    }
    if (digits_of(v, ld->a->account_id, sizeof(ld->a->account_id)) != 0) {
        return fail(ld, "account_id must be an integer (digits)");
    }
    return 0;
}

/* Each array is sized once, then filled, so no pointer moves later. */
static int load_lists(struct loader *ld, const cJSON *acct)
{
    struct emu_account *a = ld->a;
    const cJSON *pols = opt_array(ld, acct, "policies");
    const cJSON *grps = opt_array(ld, acct, "groups");
    const cJSON *usrs = opt_array(ld, acct, "users");
    const cJSON *it;

    a->npolicies = (size_t)cJSON_GetArraySize(pols);
    a->ngroups = (size_t)cJSON_GetArraySize(grps);
    a->nusers = (size_t)cJSON_GetArraySize(usrs);
    a->policies = arena_alloc(a, (a->npolicies + 1) * sizeof(*a->policies));
    a->groups = arena_alloc(a, (a->ngroups + 1) * sizeof(*a->groups));
    a->users = arena_alloc(a, (a->nusers + 1) * sizeof(*a->users));
    if (ld->failed || !a->policies || !a->groups || !a->users) {
        return fail(ld, "out of memory");
    }

    a->npolicies = a->ngroups = a->nusers = 0;
    cJSON_ArrayForEach(it, pols)
    {
        if (load_policy(ld, it, &a->policies[a->npolicies++]) != 0) {
            return -1;
        }
    }
    cJSON_ArrayForEach(it, grps)
    {
        if (load_group(ld, it, &a->groups[a->ngroups++]) != 0) {
            return -1;
        }
    }
    cJSON_ArrayForEach(it, usrs)
    {
        a->users[a->nusers].pos = a->nusers;
        if (load_user(ld, it, &a->users[a->nusers++]) != 0) {
            return -1;
        }
    }
    return 0;
}

static int count_refs(struct emu_ref *refs, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (refs[i].policy) {
            refs[i].policy->nusers++; /* sized now, filled later */
        }
    }
    return 0;
}

/* Reverse indexes: who has each policy, who is in each group. */
static int link_attachments(struct loader *ld)
{
    struct emu_account *a = ld->a;
    size_t i;
    size_t j;

    for (i = 0; i < a->nusers; i++) {
        count_refs(a->users[i].policies, a->users[i].npolicies);
    }
    for (i = 0; i < a->npolicies; i++) {
        struct emu_policy *p = &a->policies[i];

        p->users = arena_alloc(a, (p->nusers + 1) * sizeof(*p->users));
        p->groups = arena_alloc(a, (a->ngroups + 1) * sizeof(*p->groups));
        if (!p->users || !p->groups) {
            return fail(ld, "out of memory");
        }
        p->nusers = 0;
    }
    for (i = 0; i < a->ngroups; i++) {
        struct emu_group *g = &a->groups[i];

        g->members = arena_alloc(a, (g->cap_members + 1) * sizeof(*g->members));
        if (!g->members) {
            return fail(ld, "out of memory");
        }
        for (j = 0; j < g->npolicies; j++) {
            struct emu_policy *p = g->policies[j].policy;

            if (p && (p->ngroups == 0 || p->groups[p->ngroups - 1] != g)) {
                p->groups[p->ngroups++] = g;
            }
        }
    }
    for (i = 0; i < a->nusers; i++) {
        struct emu_user *u = &a->users[i];

        for (j = 0; j < u->npolicies; j++) {
            struct emu_policy *p = u->policies[j].policy;

            if (p && (p->nusers == 0 || p->users[p->nusers - 1] != u)) {
                p->users[p->nusers++] = u;
            }
        }
        for (j = 0; j < u->ngroups; j++) {
            u->groups[j]->members[u->groups[j]->nmembers++] = u;
        }
    }
    return 0;
}

static int index_account(struct loader *ld)
{
    struct emu_account *a = ld->a;
    size_t i;
    int t;

    for (t = 0; t < 2; t++) {
        a->by_type[t] = arena_alloc(a, (a->npolicies + 1) * sizeof(void *));
    }
    a->vmfa = malloc((a->nusers + 1) * sizeof(*a->vmfa));
    if (!a->by_type[0] || !a->by_type[1] || !a->vmfa) {
        return fail(ld, "out of memory");
    }
    for (i = 0; i < a->npolicies; i++) {
        t = strcmp(a->policies[i].type, "System") == 0 ? 0 : 1;
        a->by_type[t][a->nby_type[t]++] = &a->policies[i];
    }
    for (i = 0; i < a->nusers; i++) {
        if (a->users[i].mfa.present &&
            strcmp(a->users[i].mfa.type, "VMFA") == 0) {
            a->vmfa[a->nvmfa++] = i;
        }
    }
    return 0;
}

static struct emu_account *new_account(size_t hint)
{
    struct emu_account *a = calloc(1, sizeof(*a));

    if (a == NULL) {
        return NULL;
    }
    a->user_by_name = emu_map_new(hint);
    a->user_by_id = emu_map_new(hint);
    a->group_by_name = emu_map_new(64);
    a->policy_by_key = emu_map_new(hint / 8 + 64);
    if (!a->user_by_name || !a->user_by_id || !a->group_by_name ||
        !a->policy_by_key) {
        emu_account_free(a);
        return NULL;
    }
    return a;
}

struct emu_account *emu_account_load(const char *text, size_t len, char *why,
                                     size_t whylen)
{
    struct mg_error err;
    cJSON *root;
    const cJSON *acct;
    struct loader ld = { NULL, why, whylen, 0 };

    mg_error_clear(&err);
    root = mg_json_parse(text, len, &err);
    if (root == NULL) {
        snprintf(why, whylen, "fixture is not JSON: %s", err.message);
        return NULL;
    }
    acct = cJSON_GetObjectItemCaseSensitive(root, "account");
    acct = cJSON_IsObject(acct) ? acct : root;
    ld.a = cJSON_IsObject(acct) ? new_account(len / 64 + 64) : NULL;
    if (ld.a == NULL) {
        snprintf(why, whylen, "fixture must be a JSON object");
    } else if (load_account_id(&ld, acct) != 0 || load_lists(&ld, acct) ||
               load_faults(&ld, acct) || link_attachments(&ld) ||
               index_account(&ld)) {
        emu_account_free(ld.a);
        ld.a = NULL;
    }
    cJSON_Delete(root);
    return ld.a;
}

struct emu_account *emu_account_empty(void)
{
    char why[64];

    return emu_account_load("{}", 2, why, sizeof(why));
}

void emu_account_free(struct emu_account *a)
{
    struct emu_arena *r;

    if (a == NULL) {
        return;
    }
    emu_map_free(a->user_by_name);
    emu_map_free(a->user_by_id);
    emu_map_free(a->group_by_name);
    emu_map_free(a->policy_by_key);
    free(a->vmfa);
    r = a->arena;
    while (r) {
        struct emu_arena *next = r->next;
        free(r);
        r = next;
    }
    free(a);
}

struct emu_user *emu_account_user(const struct emu_account *a, const char *name)
{
    return emu_map_get(a->user_by_name, name);
}

struct emu_user *emu_account_user_by_id(const struct emu_account *a,
                                        const char *id)
{
    return emu_map_get(a->user_by_id, id);
}

struct emu_group *emu_account_group(const struct emu_account *a,
                                    const char *name)
{
    return emu_map_get(a->group_by_name, name);
}

struct emu_policy *emu_account_policy(const struct emu_account *a,
                                      const char *type, const char *name)
{
    char key[512];

    if (policy_key(key, sizeof(key), type, name) != 0) {
        return NULL;
    }
    return emu_map_get(a->policy_by_key, key);
}

static size_t vmfa_find(const struct emu_account *a, size_t pos, int *found)
{
    size_t lo = 0;
    size_t hi = a->nvmfa;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (a->vmfa[mid] < pos) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *found = lo < a->nvmfa && a->vmfa[lo] == pos;
    return lo;
}

void emu_account_clear_mfa(struct emu_account *a, struct emu_user *u)
{
    int found;
    size_t at = vmfa_find(a, u->pos, &found);

    if (found) {
        memmove(&a->vmfa[at], &a->vmfa[at + 1],
                (a->nvmfa - at - 1) * sizeof(*a->vmfa));
        a->nvmfa--;
    }
    memset(&u->mfa, 0, sizeof(u->mfa));
}

int emu_account_set_mfa(struct emu_account *a, struct emu_user *u,
                        const char *type, const char *serial, const char *date)
{
    int found;
    size_t at;

    emu_account_clear_mfa(a, u);
    u->mfa.present = 1;
    snprintf(u->mfa.type, sizeof(u->mfa.type), "%s", type);
    snprintf(u->mfa.serial, sizeof(u->mfa.serial), "%s", serial);
    snprintf(u->mfa.activate_date, sizeof(u->mfa.activate_date), "%s", date);
    if (strcmp(type, "VMFA") != 0) {
        return 0;
    }
    at = vmfa_find(a, u->pos, &found);
    memmove(&a->vmfa[at + 1], &a->vmfa[at], (a->nvmfa - at) * sizeof(*a->vmfa));
    a->vmfa[at] = u->pos;
    a->nvmfa++;
    return 0;
}

int emu_account_take_fault(struct emu_account *a, const char *family,
                           const char *action, int *status, const char **code)
{
    size_t flen = strlen(family);
    size_t i;

    for (i = 0; i < a->nfaults; i++) {
        struct emu_fixture_fault *f = &a->faults[i];
        const char *api = f->api;

        if (strncmp(api, family, flen) == 0 && api[flen] == '.') {
            api += flen + 1;
        }
        if (f->remaining > 0 && strcmp(api, action) == 0) {
            f->remaining--;
            *status = f->status;
            *code = f->code;
            return 1;
        }
    }
    return 0;
}

size_t emu_policy_attachments(const struct emu_policy *p)
{
    return p->nusers + p->ngroups;
}
