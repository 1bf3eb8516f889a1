#include "ram/ram.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/rpc.h"
#include "ram/decode.h"

#include "common/banned.h"

#define RAM_VERSION  "2015-05-01"
#define DEFAULT_PAGE 100
#define MAX_PAGE     1000
#define MARKER_MAX   1024
#define MAX_PARAMS   8

/* A million users at the smallest page size; more means a service that
 * keeps saying "truncated", and the loop must end. */
#define MAX_PAGES 1000000

struct ram_client {
    struct mg_rpc_service svc;
    char *endpoint;
    int page_size;
    _Atomic uint64_t calls;
};

typedef int (*decode_fn)(const cJSON *root, void *out, struct mg_error *err);

static int page_size(int asked)
{
    if (asked <= 0) {
        return DEFAULT_PAGE;
    }
    return asked > MAX_PAGE ? MAX_PAGE : asked;
}

struct ram_client *ram_client_new(const struct ram_options *opt)
{
    struct ram_client *c;
    size_t n;

    if (opt == NULL || opt->endpoint == NULL || opt->endpoint[0] == '\0') {
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    n = strlen(opt->endpoint);
    while (n > 1 && opt->endpoint[n - 1] == '/') {
        n--; /* the signer adds the one '/' of the path itself */
    }
    if (c == NULL || (c->endpoint = malloc(n + 1)) == NULL) {
        free(c);
        return NULL;
    }
    memcpy(c->endpoint, opt->endpoint, n);
    c->endpoint[n] = '\0';

    c->svc.family = "ram";
    c->svc.endpoint = c->endpoint;
    c->svc.version = RAM_VERSION;
    c->svc.cred = opt->cred;
    c->svc.limiter = opt->limiter;
    c->svc.retry = opt->retry;
    c->svc.timeout_ms = opt->timeout_ms;
    c->svc.stop = opt->stop;
    c->page_size = page_size(opt->page_size);
    atomic_init(&c->calls, 0);
    return c;
}

void ram_client_free(struct ram_client *c)
{
    if (c == NULL) {
        return;
    }
    free(c->endpoint);
    free(c);
}

uint64_t ram_calls(const struct ram_client *c)
{
    return atomic_load(&c->calls);
}

static int call(struct ram_client *c, const char *action,
                const struct mg_param *params, size_t n, cJSON **root,
                struct mg_error *err)
{
    atomic_fetch_add_explicit(&c->calls, 1, memory_order_relaxed);
    return mg_rpc_call(&c->svc, action, 0, params, n, root, err);
}

/* One call, its answer read by fn. */
static int fetch(struct ram_client *c, const char *action,
                 const struct mg_param *params, size_t n, decode_fn fn,
                 void *out, struct mg_error *err)
{
    cJSON *root;
    int rc;

    if (call(c, action, params, n, &root, err) != 0) {
        return -1;
    }
    rc = fn(root, out, err);
    cJSON_Delete(root);
    if (rc != 0) {
        mg_error_set_api(err, "ram", action);
    }
    return rc;
}

/* One page, its items read by fn; next is the Marker when truncated. */
static int fetch_page(struct ram_client *c, const char *action,
                      const struct mg_param *params, size_t n, decode_fn fn,
                      void *out, char *next, struct mg_error *err)
{
    cJSON *root;
    int truncated = 0;
    int rc;

    if (call(c, action, params, n, &root, err) != 0) {
        return -1;
    }
    rc = fn(root, out, err);
    if (rc == 0) {
        rc = ram_decode_page(root, &truncated, next, MARKER_MAX, err);
    }
    cJSON_Delete(root);
    if (rc != 0) {
        mg_error_set_api(err, "ram", action);
        return -1;
    }
    if (!truncated) {
        next[0] = '\0';
    }
    return 0;
}

/*
 * Every page of a list: the base parameters, MaxItems when the API takes
 * it, and Marker from the second page on, for as long as the answer says
 * IsTruncated. A Marker that does not move would loop forever.
 */
static int fetch_all(struct ram_client *c, const char *action,
                     const struct mg_param *base, size_t nbase, int sized,
                     decode_fn fn, void *out, struct mg_error *err)
{
    struct mg_param params[MAX_PARAMS];
    char marker[MARKER_MAX] = "";
    char next[MARKER_MAX];
    char max_items[16];
    size_t pages;

    snprintf(max_items, sizeof(max_items), "%d", c->page_size);
    for (pages = 1;; pages++) {
        size_t n = nbase;

        if (nbase > 0) {
            memcpy(params, base, nbase * sizeof(*base));
        }
        if (sized) {
            params[n++] = (struct mg_param){ "MaxItems", max_items };
        }
        if (marker[0] != '\0') {
            params[n++] = (struct mg_param){ "Marker", marker };
        }
        if (fetch_page(c, action, params, n, fn, out, next, err) != 0) {
            return -1;
        }
        if (next[0] == '\0') {
            return 0;
        }
        if (strcmp(next, marker) == 0 || pages >= MAX_PAGES) {
            mg_error_set(err, MG_INVALID, "InvalidAnswer",
                         "paging does not advance after %zu pages", pages);
            mg_error_set_api(err, "ram", action);
            return -1;
        }
        memcpy(marker, next, strlen(next) + 1);
    }
}

static int need(const char *value, const char *what, const char *action,
                struct mg_error *err)
{
    if (value != NULL) {
        return 0;
    }
    mg_error_set(err, MG_INVALID, "MissingParameter", "no %s given", what);
    mg_error_set_api(err, "ram", action);
    return -1;
}

static int users(const cJSON *root, void *out, struct mg_error *err)
{
    return ram_decode_users(root, "Users", "User", out, err);
}

static int one_user(const cJSON *root, void *out, struct mg_error *err)
{
    return ram_decode_get_user(root, out, err);
}

static int policies(const cJSON *root, void *out, struct mg_error *err)
{
    return ram_decode_policies(root, out, err);
}

static int groups(const cJSON *root, void *out, struct mg_error *err)
{
    return ram_decode_groups(root, out, err);
}

static int vmfa(const cJSON *root, void *out, struct mg_error *err)
{
    return ram_decode_vmfa(root, out, err);
}

static int mfa(const cJSON *root, void *out, struct mg_error *err)
{
    return ram_decode_mfa(root, out, err);
}

static int login_profile(const cJSON *root, void *out, struct mg_error *err)
{
    return ram_decode_login_profile(root, out, err);
}

struct entities {
    struct ram_user_list *users;
    struct ram_name_list *groups;
};

static int entities(const cJSON *root, void *out, struct mg_error *err)
{
    struct entities *e = out;

    if (e->users && ram_decode_users(root, "Users", "User", e->users, err)) {
        return -1;
    }
    if (e->groups && ram_decode_groups(root, e->groups, err)) {
        return -1;
    }
    return 0;
}

struct document {
    char **text;
    char *version;
    size_t version_cap;
};

static int document(const cJSON *root, void *out, struct mg_error *err)
{
    struct document *d = out;

    return ram_decode_policy_document(root, d->text, d->version, d->version_cap,
                                      err);
}

/* Lists keep what they held before a failed call, nothing more. */
static int user_list(struct ram_client *c, const char *action,
                     const struct mg_param *p, size_t n, int sized,
                     struct ram_user_list *out, struct mg_error *err)
{
    size_t before = out->n;

    if (fetch_all(c, action, p, n, sized, users, out, err) != 0) {
        out->n = before;
        return -1;
    }
    return 0;
}

static int policy_list(struct ram_client *c, const char *action,
                       const struct mg_param *p, size_t n, int sized,
                       struct ram_policy_list *out, struct mg_error *err)
{
    size_t before = out->n;

    if (fetch_all(c, action, p, n, sized, policies, out, err) != 0) {
        out->n = before;
        return -1;
    }
    return 0;
}

struct paged_users {
    struct ram_user_list page;
    ram_user_page_fn fn;
    void *ctx;
};

static int users_paged(const cJSON *root, void *out, struct mg_error *err)
{
    struct paged_users *p = out;

    p->page.n = 0;
    if (ram_decode_users(root, "Users", "User", &p->page, err) != 0) {
        return -1;
    }
    if (p->fn(&p->page, p->ctx) != 0) {
        return mg_error_set(err, MG_RETRY, "PageRefused",
                            "the caller could not take a page of users");
    }
    return 0;
}

static int paged(struct ram_client *c, const char *action,
                 const struct mg_param *p, size_t n, ram_user_page_fn fn,
                 void *ctx, struct mg_error *err)
{
    struct paged_users pu = { { NULL, 0, 0 }, fn, ctx };
    int rc = fetch_all(c, action, p, n, 1, users_paged, &pu, err);

    ram_user_list_release(&pu.page);
    return rc;
}

int ram_list_users_paged(struct ram_client *c, ram_user_page_fn fn, void *ctx,
                         struct mg_error *err)
{
    return paged(c, "ListUsers", NULL, 0, fn, ctx, err);
}

int ram_list_users_for_group_paged(struct ram_client *c, const char *group,
                                   ram_user_page_fn fn, void *ctx,
                                   struct mg_error *err)
{
    struct mg_param p[] = { { "GroupName", group } };

    if (need(group, "group name", "ListUsersForGroup", err) != 0) {
        return -1;
    }
    return paged(c, "ListUsersForGroup", p, 1, fn, ctx, err);
}

int ram_list_users(struct ram_client *c, struct ram_user_list *out,
                   struct mg_error *err)
{
    return user_list(c, "ListUsers", NULL, 0, 1, out, err);
}

int ram_get_user(struct ram_client *c, const char *user, struct ram_user *out,
                 struct mg_error *err)
{
    struct mg_param p[] = { { "UserName", user } };

    memset(out, 0, sizeof(*out));
    if (need(user, "user name", "GetUser", err) != 0) {
        return -1;
    }
    return fetch(c, "GetUser", p, 1, one_user, out, err);
}

int ram_list_policies_for_user(struct ram_client *c, const char *user,
                               struct ram_policy_list *out,
                               struct mg_error *err)
{
    struct mg_param p[] = { { "UserName", user } };

    if (need(user, "user name", "ListPoliciesForUser", err) != 0) {
        return -1;
    }
    return policy_list(c, "ListPoliciesForUser", p, 1, 0, out, err);
}

int ram_list_groups_for_user(struct ram_client *c, const char *user,
                             struct ram_name_list *out, struct mg_error *err)
{
    struct mg_param p[] = { { "UserName", user } };
    size_t before = out->n;

    if (need(user, "user name", "ListGroupsForUser", err) != 0) {
        return -1;
    }
    if (fetch_all(c, "ListGroupsForUser", p, 1, 0, groups, out, err) != 0) {
        out->n = before;
        return -1;
    }
    return 0;
}

int ram_list_policies_for_group(struct ram_client *c, const char *group,
                                struct ram_policy_list *out,
                                struct mg_error *err)
{
    struct mg_param p[] = { { "GroupName", group } };

    if (need(group, "group name", "ListPoliciesForGroup", err) != 0) {
        return -1;
    }
    return policy_list(c, "ListPoliciesForGroup", p, 1, 0, out, err);
}

int ram_list_users_for_group(struct ram_client *c, const char *group,
                             struct ram_user_list *out, struct mg_error *err)
{
    struct mg_param p[] = { { "GroupName", group } };

    if (need(group, "group name", "ListUsersForGroup", err) != 0) {
        return -1;
    }
    return user_list(c, "ListUsersForGroup", p, 1, 1, out, err);
}

int ram_list_policies(struct ram_client *c, const char *type,
                      struct ram_policy_list *out, struct mg_error *err)
{
    struct mg_param p[] = { { "PolicyType", type } };

    return policy_list(c, "ListPolicies", p, type ? 1 : 0, 1, out, err);
}

int ram_list_entities_for_policy(struct ram_client *c, const char *name,
                                 const char *type, struct ram_user_list *users,
                                 struct ram_name_list *groups,
                                 struct mg_error *err)
{
    struct mg_param p[] = { { "PolicyName", name }, { "PolicyType", type } };
    struct entities e = { users, groups };
    size_t nusers = users ? users->n : 0;
    size_t ngroups = groups ? groups->n : 0;
    const char *action = "ListEntitiesForPolicy";

    if (need(name, "policy name", action, err) != 0 ||
        need(type, "policy type", action, err) != 0) {
        return -1;
    }
    if (fetch_all(c, action, p, 2, 0, entities, &e, err) != 0) {
        if (users) {
            users->n = nusers;
        }
        if (groups) {
            groups->n = ngroups;
        }
        return -1;
    }
    return 0;
}

int ram_get_policy(struct ram_client *c, const char *name, const char *type,
                   char **document_out, char *version, size_t version_cap,
                   struct mg_error *err)
{
    struct mg_param p[] = { { "PolicyName", name }, { "PolicyType", type } };
    struct document d = { document_out, version, version_cap };

    *document_out = NULL;
    if (version != NULL && version_cap > 0) {
        version[0] = '\0';
    }
    if (need(name, "policy name", "GetPolicy", err) != 0 ||
        need(type, "policy type", "GetPolicy", err) != 0) {
        return -1;
    }
    return fetch(c, "GetPolicy", p, 2, document, &d, err);
}

/* An error with exactly this code is an answer, not a failure. */
static int answered_by(struct mg_error *err, const char *code)
{
    if (strcmp(err->code, code) != 0) {
        return 0;
    }
    mg_error_clear(err);
    return 1;
}

int ram_get_user_mfa_info(struct ram_client *c, const char *user,
                          struct ram_mfa *out, struct mg_error *err)
{
    struct mg_param p[] = { { "UserName", user } };

    memset(out, 0, sizeof(*out));
    if (need(user, "user name", "GetUserMFAInfo", err) != 0) {
        return -1;
    }
    if (fetch(c, "GetUserMFAInfo", p, 1, mfa, out, err) == 0) {
        return 0;
    }
    if (answered_by(err, "EntityNotExist.User.MFADevice")) {
        memset(out, 0, sizeof(*out));
        return 0;
    }
    return -1;
}

int ram_get_login_profile(struct ram_client *c, const char *user,
                          struct ram_login_profile *out, struct mg_error *err)
{
    struct mg_param p[] = { { "UserName", user } };

    memset(out, 0, sizeof(*out));
    if (need(user, "user name", "GetLoginProfile", err) != 0) {
        return -1;
    }
    if (fetch(c, "GetLoginProfile", p, 1, login_profile, out, err) == 0) {
        return 0;
    }
    if (answered_by(err, "EntityNotExist.User.LoginProfile")) {
        memset(out, 0, sizeof(*out));
        return 0;
    }
    return -1;
}

/* RAM documents no parameters here; Marker is sent only if it pages. */
int ram_list_virtual_mfa_devices(struct ram_client *c,
                                 struct ram_vmfa_list *out,
                                 struct mg_error *err)
{
    size_t before = out->n;

    if (fetch_all(c, "ListVirtualMFADevices", NULL, 0, 0, vmfa, out, err) !=
        0) {
        out->n = before;
        return -1;
    }
    return 0;
}

int ram_user_list_add(struct ram_user_list *l, const struct ram_user *u)
{
    struct ram_user *v = mg_grow(l->v, l->n, &l->cap, sizeof(*v));

    if (v == NULL) {
        return -1;
    }
    l->v = v;
    l->v[l->n++] = *u;
    return 0;
}

int ram_policy_list_add(struct ram_policy_list *l,
                        const struct ram_policy_ref *p)
{
    struct ram_policy_ref *v = mg_grow(l->v, l->n, &l->cap, sizeof(*v));

    if (v == NULL) {
        return -1;
    }
    l->v = v;
    l->v[l->n++] = *p;
    return 0;
}

int ram_name_list_add(struct ram_name_list *l, const char *name)
{
    size_t n = strlen(name);
    char(*v)[128];

    /* A name that does not fit is refused, never cut. */
    if (n >= sizeof(*v)) {
        return -1;
    }
    v = mg_grow(l->v, l->n, &l->cap, sizeof(*v));
    if (v == NULL) {
        return -1;
    }
    l->v = v;
    memcpy(l->v[l->n++], name, n + 1);
    return 0;
}

int ram_vmfa_list_add(struct ram_vmfa_list *l, const struct ram_vmfa *m)
{
    struct ram_vmfa *v = mg_grow(l->v, l->n, &l->cap, sizeof(*v));

    if (v == NULL) {
        return -1;
    }
    l->v = v;
    l->v[l->n++] = *m;
    return 0;
}

void ram_user_list_release(struct ram_user_list *l)
{
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void ram_policy_list_release(struct ram_policy_list *l)
{
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void ram_name_list_release(struct ram_name_list *l)
{
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void ram_vmfa_list_release(struct ram_vmfa_list *l)
{
    free(l->v);
    memset(l, 0, sizeof(*l));
}
