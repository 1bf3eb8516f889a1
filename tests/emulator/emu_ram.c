#include <stdio.h>
#include <string.h>

#include "emu_account.h"
#include "emu_rpc.h"

/* Last, so the names it bans cannot be used below. */
#include "common/banned.h"

/*
 * RAM 2015-05-01. Every handler holds emu_g.lock while it reads the
 * account, and builds its answer from the indexes, so its cost follows
 * the size of the answer, not the size of the account.
 */

static struct emu_account *account(void)
{
    return emu_account_current;
}

/* Look the user up, or answer EntityNotExist.User. Caller holds the lock. */
static struct emu_user *need_user(struct emu_ctx *c)
{
    const char *name = emu_rpc_need(c, "UserName");
    struct emu_user *u = name ? emu_account_user(account(), name) : NULL;

    if (name && u == NULL) {
        emu_fail(c, 404, "EntityNotExist.User", "The user does not exist.");
    }
    return u;
}

static struct emu_group *need_group(struct emu_ctx *c)
{
    const char *name = emu_rpc_need(c, "GroupName");
    struct emu_group *g = name ? emu_account_group(account(), name) : NULL;

    if (name && g == NULL) {
        emu_fail(c, 404, "EntityNotExist.Group", "The group does not exist.");
    }
    return g;
}

static int need_policy_type(struct emu_ctx *c, const char **type)
{
    *type = emu_rpc_need(c, "PolicyType");
    if (*type == NULL) {
        return -1;
    }
    if (strcmp(*type, "System") != 0 && strcmp(*type, "Custom") != 0) {
        emu_fail(c, 400, "InvalidParameter.PolicyType",
                 "The parameter PolicyType should be System or Custom.");
        return -1;
    }
    return 0;
}

static struct emu_policy *need_policy(struct emu_ctx *c)
{
    const char *type;
    const char *name;
    struct emu_policy *p;

    if (need_policy_type(c, &type) != 0 ||
        (name = emu_rpc_need(c, "PolicyName")) == NULL) {
        return NULL;
    }
    p = emu_account_policy(account(), type, name);
    if (p == NULL) {
        emu_fail(c, 404, "EntityNotExist.Policy", "The policy does not exist.");
    }
    return p;
}

static void opt_string(cJSON *o, const char *key, const char *v)
{
    if (v) {
        cJSON_AddStringToObject(o, key, v);
    }
}

static cJSON *user_json(const struct emu_user *u, int detail)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "UserId", u->id);
    cJSON_AddStringToObject(o, "UserName", u->name);
    cJSON_AddStringToObject(o, "DisplayName", u->display_name);
    cJSON_AddStringToObject(o, "Comments", u->comments);
    opt_string(o, "Email", u->email);
    opt_string(o, "MobilePhone", u->mobile_phone);
    cJSON_AddStringToObject(o, "CreateDate", u->create_date);
    cJSON_AddStringToObject(o, "UpdateDate", u->update_date);
    if (detail) {
        cJSON_AddStringToObject(o, "LastLoginDate", u->last_login_date);
    }
    return o;
}

static cJSON *group_json(const struct emu_group *g)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "GroupName", g->name);
    cJSON_AddStringToObject(o, "GroupId", g->id);
    cJSON_AddStringToObject(o, "Comments", g->comments);
    cJSON_AddStringToObject(o, "CreateDate", g->create_date);
    cJSON_AddStringToObject(o, "UpdateDate", g->update_date);
    return o;
}

static cJSON *policy_json(const struct emu_policy *p)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "PolicyName", p->name);
    cJSON_AddStringToObject(o, "PolicyType", p->type);
    cJSON_AddStringToObject(o, "Description", p->description);
    cJSON_AddStringToObject(o, "DefaultVersion", p->version);
    cJSON_AddNumberToObject(o, "AttachmentCount",
                            (double)emu_policy_attachments(p));
    cJSON_AddStringToObject(o, "CreateDate", p->create_date);
    cJSON_AddStringToObject(o, "UpdateDate", p->update_date);
    return o;
}

/* An attached policy as the List*For* calls show it. A reference to a
 * policy the fixture lacks still lists, as an attachment would. */
static cJSON *attached_json(const struct emu_ref *r, const char *date)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "PolicyName", r->name);
    cJSON_AddStringToObject(o, "PolicyType", r->type);
    cJSON_AddStringToObject(o, "Description",
                            r->policy ? r->policy->description : "");
    cJSON_AddStringToObject(o, "DefaultVersion",
                            r->policy ? r->policy->version : "v1");
    cJSON_AddStringToObject(o, "AttachDate", date);
    return o;
}

/*
 * The handlers below are fill functions (emu_rpc.h): they run with the
 * state lock held, add to a fresh answer, and return 0 to send it or -1
 * after answering an error.
 */

static int list_users(struct emu_ctx *c, cJSON *root)
{
    cJSON *list = emu_rpc_list(root, "Users", "User");
    struct emu_account *a = account();
    size_t first;
    size_t n;
    size_t i;

    if (list == NULL || emu_rpc_page(c, "users", a->nusers, &first, &n)) {
        return -1;
    }
    for (i = first; i < first + n; i++) {
        cJSON_AddItemToArray(list, user_json(&a->users[i], 0));
    }
    emu_rpc_page_end(root, "users", first + n, a->nusers);
    return 0;
}

static int get_user(struct emu_ctx *c, cJSON *root)
{
    struct emu_user *u = need_user(c);

    if (u == NULL) {
        return -1;
    }
    cJSON_AddItemToObject(root, "User", user_json(u, 1));
    return 0;
}

static int list_groups(struct emu_ctx *c, cJSON *root)
{
    cJSON *list = emu_rpc_list(root, "Groups", "Group");
    struct emu_account *a = account();
    size_t first;
    size_t n;
    size_t i;

    if (list == NULL || emu_rpc_page(c, "groups", a->ngroups, &first, &n)) {
        return -1;
    }
    for (i = first; i < first + n; i++) {
        cJSON_AddItemToArray(list, group_json(&a->groups[i]));
    }
    emu_rpc_page_end(root, "groups", first + n, a->ngroups);
    return 0;
}

/* The policies ListPolicies pages over: all, or those of one type. */
static int policy_view(struct emu_ctx *c, struct emu_policy ***view, size_t *n,
                       const char **kind)
{
    const char *type = emu_param(c, "PolicyType");
    struct emu_account *a = account();
    int t;

    *view = NULL;
    *n = a->npolicies;
    *kind = "policies";
    if (type == NULL || *type == '\0') {
        return 0;
    }
    if (strcmp(type, "System") != 0 && strcmp(type, "Custom") != 0) {
        emu_fail(c, 400, "InvalidParameter.PolicyType",
                 "The parameter PolicyType should be System or Custom.");
        return -1;
    }
    t = strcmp(type, "System") == 0 ? 0 : 1;
    *view = a->by_type[t];
    *n = a->nby_type[t];
    *kind = t == 0 ? "system" : "custom";
    return 0;
}

static int list_policies(struct emu_ctx *c, cJSON *root)
{
    cJSON *list = emu_rpc_list(root, "Policies", "Policy");
    struct emu_policy **view;
    const char *kind;
    size_t total;
    size_t first;
    size_t n;
    size_t i;

    if (list == NULL || policy_view(c, &view, &total, &kind) != 0 ||
        emu_rpc_page(c, kind, total, &first, &n) != 0) {
        return -1;
    }
    for (i = first; i < first + n; i++) {
        cJSON_AddItemToArray(
            list, policy_json(view ? view[i] : &account()->policies[i]));
    }
    emu_rpc_page_end(root, kind, first + n, total);
    return 0;
}

static int list_policies_for_user(struct emu_ctx *c, cJSON *root)
{
    cJSON *list = emu_rpc_list(root, "Policies", "Policy");
    struct emu_user *u = list ? need_user(c) : NULL;
    size_t i;

    if (u == NULL) {
        return -1;
    }
    for (i = 0; i < u->npolicies; i++) {
        cJSON_AddItemToArray(list,
                             attached_json(&u->policies[i], u->create_date));
    }
    return 0;
}

static int list_groups_for_user(struct emu_ctx *c, cJSON *root)
{
    cJSON *list = emu_rpc_list(root, "Groups", "Group");
    struct emu_user *u = list ? need_user(c) : NULL;
    size_t i;

    if (u == NULL) {
        return -1;
    }
    for (i = 0; i < u->ngroups; i++) {
        cJSON *g = cJSON_CreateObject();

        cJSON_AddStringToObject(g, "GroupName", u->groups[i]->name);
        cJSON_AddStringToObject(g, "GroupId", u->groups[i]->id);
        cJSON_AddStringToObject(g, "Comments", u->groups[i]->comments);
        cJSON_AddStringToObject(g, "JoinDate", u->create_date);
        cJSON_AddItemToArray(list, g);
    }
    return 0;
}

static int list_policies_for_group(struct emu_ctx *c, cJSON *root)
{
    cJSON *list = emu_rpc_list(root, "Policies", "Policy");
    struct emu_group *g = list ? need_group(c) : NULL;
    size_t i;

    if (g == NULL) {
        return -1;
    }
    for (i = 0; i < g->npolicies; i++) {
        cJSON_AddItemToArray(list,
                             attached_json(&g->policies[i], g->create_date));
    }
    return 0;
}

static int list_users_for_group(struct emu_ctx *c, cJSON *root)
{
    cJSON *list = emu_rpc_list(root, "Users", "User");
    struct emu_group *g = list ? need_group(c) : NULL;
    size_t first;
    size_t n;
    size_t i;

    if (g == NULL || emu_rpc_page(c, "members", g->nmembers, &first, &n) != 0) {
        return -1;
    }
    for (i = first; i < first + n; i++) {
        const struct emu_user *m = g->members[i];
        cJSON *u = cJSON_CreateObject();

        cJSON_AddStringToObject(u, "UserName", m->name);
        cJSON_AddStringToObject(u, "DisplayName", m->display_name);
        cJSON_AddStringToObject(u, "JoinDate", m->create_date);
        cJSON_AddItemToArray(list, u);
    }
    emu_rpc_page_end(root, "members", first + n, g->nmembers);
    return 0;
}

static int list_entities_for_policy(struct emu_ctx *c, cJSON *root)
{
    struct emu_policy *p = need_policy(c);
    cJSON *users = emu_rpc_list(root, "Users", "User");
    cJSON *groups = emu_rpc_list(root, "Groups", "Group");
    size_t i;

    if (p == NULL) {
        return -1;
    }
    emu_rpc_list(root, "Roles", "Role");
    for (i = 0; users && i < p->nusers; i++) {
        cJSON *u = cJSON_CreateObject();

        cJSON_AddStringToObject(u, "UserId", p->users[i]->id);
        cJSON_AddStringToObject(u, "UserName", p->users[i]->name);
        cJSON_AddStringToObject(u, "DisplayName", p->users[i]->display_name);
        cJSON_AddStringToObject(u, "AttachDate", p->users[i]->create_date);
        cJSON_AddItemToArray(users, u);
    }
    for (i = 0; groups && i < p->ngroups; i++) {
        cJSON *g = cJSON_CreateObject();

        cJSON_AddStringToObject(g, "GroupName", p->groups[i]->name);
        cJSON_AddStringToObject(g, "Comments", p->groups[i]->comments);
        cJSON_AddStringToObject(g, "AttachDate", p->groups[i]->create_date);
        cJSON_AddItemToArray(groups, g);
    }
    return 0;
}

static int get_policy(struct emu_ctx *c, cJSON *root)
{
    struct emu_policy *p = need_policy(c);
    cJSON *v;

    if (p == NULL) {
        return -1;
    }
    cJSON_AddItemToObject(root, "Policy", policy_json(p));
    v = cJSON_AddObjectToObject(root, "DefaultPolicyVersion");
    cJSON_AddStringToObject(v, "VersionId", p->version);
    cJSON_AddBoolToObject(v, "IsDefaultVersion", 1);
    cJSON_AddStringToObject(v, "CreateDate", p->create_date);
    cJSON_AddStringToObject(v, "PolicyDocument", p->document);
    return 0;
}

static int get_user_mfa_info(struct emu_ctx *c, cJSON *root)
{
    struct emu_user *u = need_user(c);
    cJSON *d;

    if (u == NULL) {
        return -1;
    }
    if (!u->mfa.present) {
        emu_fail(c, 404, "EntityNotExist.User.MFADevice",
                 "The user has not bound any MFA device.");
        return -1;
    }
    d = cJSON_AddObjectToObject(root, "MFADevice");
    cJSON_AddStringToObject(d, "SerialNumber", u->mfa.serial);
    cJSON_AddStringToObject(d, "Type", u->mfa.type);
    return 0;
}

static int get_login_profile(struct emu_ctx *c, cJSON *root)
{
    struct emu_user *u = need_user(c);
    cJSON *lp;

    if (u == NULL) {
        return -1;
    }
    if (!u->has_login) {
        emu_fail(c, 404, "EntityNotExist.User.LoginProfile",
                 "The user login profile does not exist.");
        return -1;
    }
    lp = cJSON_AddObjectToObject(root, "LoginProfile");
    cJSON_AddStringToObject(lp, "UserName", u->name);
    cJSON_AddBoolToObject(lp, "PasswordResetRequired",
                          u->password_reset_required);
    cJSON_AddBoolToObject(lp, "MFABindRequired", u->mfa_bind_required);
    cJSON_AddStringToObject(lp, "CreateDate", u->create_date);
    return 0;
}

static cJSON *vmfa_json(const struct emu_user *u)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *who = cJSON_AddObjectToObject(o, "User");

    cJSON_AddStringToObject(o, "SerialNumber", u->mfa.serial);
    cJSON_AddStringToObject(o, "ActivateDate", u->mfa.activate_date);
    cJSON_AddStringToObject(who, "UserId", u->id);
    cJSON_AddStringToObject(who, "UserName", u->name);
    cJSON_AddStringToObject(who, "DisplayName", u->display_name);
    return o;
}

/* One answer unless MaxItems is given; then Marker paging applies. */
static int list_virtual_mfa_devices(struct emu_ctx *c, cJSON *root)
{
    cJSON *list = emu_rpc_list(root, "VirtualMFADevices", "VirtualMFADevice");
    int paged = emu_param(c, "MaxItems") != NULL;
    struct emu_account *a = account();
    size_t first = 0;
    size_t n = a->nvmfa;
    size_t i;

    if (list == NULL ||
        (paged && emu_rpc_page(c, "vmfa", a->nvmfa, &first, &n) != 0)) {
        return -1;
    }
    for (i = first; i < first + n; i++) {
        cJSON_AddItemToArray(list, vmfa_json(&a->users[a->vmfa[i]]));
    }
    if (paged) {
        emu_rpc_page_end(root, "vmfa", first + n, a->nvmfa);
    }
    return 0;
}

const struct emu_rpc_action emu_ram_actions[] = {
    { "ListUsers", NULL, list_users, 0 },
    { "GetUser", NULL, get_user, 0 },
    { "ListGroups", NULL, list_groups, 0 },
    { "ListPolicies", NULL, list_policies, 0 },
    { "ListPoliciesForUser", NULL, list_policies_for_user, 0 },
    { "ListGroupsForUser", NULL, list_groups_for_user, 0 },
    { "ListPoliciesForGroup", NULL, list_policies_for_group, 0 },
    { "ListUsersForGroup", NULL, list_users_for_group, 0 },
    { "ListEntitiesForPolicy", NULL, list_entities_for_policy, 0 },
    { "GetPolicy", NULL, get_policy, 0 },
    { "GetUserMFAInfo", NULL, get_user_mfa_info, 0 },
    { "GetLoginProfile", NULL, get_login_profile, 0 },
    { "ListVirtualMFADevices", NULL, list_virtual_mfa_devices, 0 },
    { NULL, NULL, NULL, 0 },
};
