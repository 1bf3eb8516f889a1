#ifndef RAM_RAM_H
#define RAM_RAM_H

#include <stddef.h>
#include <stdint.h>

#include "common/limiter.h"

struct mg_cred_provider;
struct mg_error;

/*
 * A client for the RAM API (RPC style, version 2015-05-01), reading users,
 * groups, policies and MFA devices. Safe to use from many threads.
 *
 * Every call returns 0 or -1 with err set. A missing user, group or
 * policy is class MG_NOT_FOUND with the service's EntityNotExist.* code;
 * "no MFA device" and "no login profile" are not errors but answers.
 * List calls follow Marker/IsTruncated to the last page.
 */
struct ram_client;

struct ram_options {
    const char *endpoint; /* base URL from settings, no trailing slash */
    struct mg_cred_provider *cred;
    struct mg_limiter *limiter; /* may be NULL */
    struct mg_retry_policy retry;
    long timeout_ms;
    int page_size; /* MaxItems for paged lists; 0 means 100 */
    volatile const int *stop;
};

/* NULL without an endpoint or memory. page_size is held to 1..1000. The
 * client keeps its own copy of the endpoint; cred, limiter and stop are
 * borrowed and must outlive it. */
struct ram_client *ram_client_new(const struct ram_options *opt);
void ram_client_free(struct ram_client *c);

struct ram_user {
    char name[128];
    char id[64];
    char display_name[512]; /* RAM allows 128 characters of any script */
};

struct ram_user_list {
    struct ram_user *v;
    size_t n;
    size_t cap;
};

struct ram_policy_ref {
    char name[256]; /* RAM allows 128 characters */
    char type[16];  /* "System" or "Custom" */
    char default_version[32];
    long attachment_count; /* from ListPolicies; -1 when not reported */
};

struct ram_policy_list {
    struct ram_policy_ref *v;
    size_t n;
    size_t cap;
};

struct ram_name_list {
    char (*v)[128];
    size_t n;
    size_t cap;
};

struct ram_mfa {
    int bound;     /* 0: the user has no MFA device */
    char type[16]; /* "VMFA" or "U2F" */
    char serial[256];
};

struct ram_login_profile {
    int exists; /* 0: no console password */
    int mfa_bind_required;
    char status[16]; /* "Active", "Inactive" or "" when not reported */
};

struct ram_vmfa {
    char serial[256];
    char user_name[128];
    char user_id[64];
};

struct ram_vmfa_list {
    struct ram_vmfa *v;
    size_t n;
    size_t cap;
};

void ram_user_list_release(struct ram_user_list *l);
void ram_policy_list_release(struct ram_policy_list *l);
void ram_name_list_release(struct ram_name_list *l);
void ram_vmfa_list_release(struct ram_vmfa_list *l);

/* Append to a list; 0 or -1 when memory ran out. */
int ram_user_list_add(struct ram_user_list *l, const struct ram_user *u);
int ram_policy_list_add(struct ram_policy_list *l,
                        const struct ram_policy_ref *p);
/* Also -1 for a name of 128 bytes or more: names are never cut. */
int ram_name_list_add(struct ram_name_list *l, const char *name);
int ram_vmfa_list_add(struct ram_vmfa_list *l, const struct ram_vmfa *m);

int ram_list_users(struct ram_client *c, struct ram_user_list *out,
                   struct mg_error *err);

/*
 * The same lists a page at a time, for accounts too large to hold as
 * ram_user lists: fn sees each page as it arrives (the page's memory is
 * reused for the next one) and stops the listing by returning -1, which
 * fails the call with class MG_RETRY and code "PageRefused".
 */
typedef int (*ram_user_page_fn)(const struct ram_user_list *page, void *ctx);

int ram_list_users_paged(struct ram_client *c, ram_user_page_fn fn, void *ctx,
                         struct mg_error *err);
int ram_list_users_for_group_paged(struct ram_client *c, const char *group,
                                   ram_user_page_fn fn, void *ctx,
                                   struct mg_error *err);
int ram_get_user(struct ram_client *c, const char *user, struct ram_user *out,
                 struct mg_error *err);
int ram_list_policies_for_user(struct ram_client *c, const char *user,
                               struct ram_policy_list *out,
                               struct mg_error *err);
int ram_list_groups_for_user(struct ram_client *c, const char *user,
                             struct ram_name_list *out, struct mg_error *err);
int ram_list_policies_for_group(struct ram_client *c, const char *group,
                                struct ram_policy_list *out,
                                struct mg_error *err);
int ram_list_users_for_group(struct ram_client *c, const char *group,
                             struct ram_user_list *out, struct mg_error *err);

/* type: "System", "Custom", or NULL for both. */
int ram_list_policies(struct ram_client *c, const char *type,
                      struct ram_policy_list *out, struct mg_error *err);

/* Users and groups a policy is attached to (roles are left out). */
int ram_list_entities_for_policy(struct ram_client *c, const char *name,
                                 const char *type, struct ram_user_list *users,
                                 struct ram_name_list *groups,
                                 struct mg_error *err);

/*
 * GetPolicy: the default version's document text (parse it with
 * ram_policy_parse) in *document, to be freed by the caller, and its
 * version id in version.
 */
int ram_get_policy(struct ram_client *c, const char *name, const char *type,
                   char **document, char *version, size_t version_cap,
                   struct mg_error *err);

/* GetUserMFAInfo; out->bound is 0 for EntityNotExist.User.MFADevice. */
int ram_get_user_mfa_info(struct ram_client *c, const char *user,
                          struct ram_mfa *out, struct mg_error *err);

/* GetLoginProfile; out->exists is 0 for EntityNotExist.User.LoginProfile.
 */
int ram_get_login_profile(struct ram_client *c, const char *user,
                          struct ram_login_profile *out, struct mg_error *err);

int ram_list_virtual_mfa_devices(struct ram_client *c,
                                 struct ram_vmfa_list *out,
                                 struct mg_error *err);

/* How many calls this client has made (all attempts), for benchmarks. */
uint64_t ram_calls(const struct ram_client *c);

#endif
