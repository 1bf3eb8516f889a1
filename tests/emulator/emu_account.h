#ifndef EMU_ACCOUNT_H
#define EMU_ACCOUNT_H

#include <stddef.h>

/*
 * The RAM side of one account, loaded from a fixture (see
 * ../shared/cases/README.md): users, groups, policies and their
 * attachments, with hash indexes by user name, user id, group name and
 * policy, and reverse attachment lists, so that every RAM call costs time
 * in proportion to its answer and never scans all users.
 *
 * The current account is replaced whole (PUT /_emulator/account); readers
 * hold emu_g.lock while they use it. Strings live in the account's arena
 * and die with it; only the MFA devices change in place.
 */
struct emu_user;
struct emu_group;

struct emu_policy {
    const char *name;
    const char *type;     /* "System" or "Custom" */
    const char *document; /* JSON text, exactly what GetPolicy returns */
    const char *description;
    const char *version;
    const char *create_date;
    const char *update_date;
    struct emu_user **users; /* attached directly, fixture order */
    size_t nusers;
    struct emu_group **groups;
    size_t ngroups;
};

/* One attachment; policy is NULL when the fixture does not define it. */
struct emu_ref {
    const char *name;
    const char *type;
    struct emu_policy *policy;
};

struct emu_group {
    const char *name;
    const char *id;
    const char *comments;
    const char *create_date;
    const char *update_date;
    struct emu_ref *policies;
    size_t npolicies;
    struct emu_user **members;
    size_t nmembers;
    size_t cap_members;
};

struct emu_mfa {
    int present;
    char type[8]; /* VMFA or U2F */
    char serial[256];
    char activate_date[24];
};

struct emu_user {
    const char *name;
    const char *id;
    const char *display_name;
    const char *comments;
    const char *email;
    const char *mobile_phone;
    const char *create_date;
    const char *update_date;
    const char *last_login_date;
    struct emu_ref *policies;
    size_t npolicies;
    struct emu_group **groups;
    size_t ngroups;
    int has_login;
    int mfa_bind_required;
    int password_reset_required;
    struct emu_mfa mfa;
    size_t pos; /* index in the account's users */
};

struct emu_fixture_fault {
    const char *api;
    int status;
    const char *code;
    long remaining;
};

struct emu_account {
    char account_id[32]; /* "" when the fixture gave none */
    struct emu_user *users;
    size_t nusers;
    struct emu_group *groups;
    size_t ngroups;
    struct emu_policy *policies;
    size_t npolicies;
    struct emu_policy **by_type[2]; /* System, Custom: for ListPolicies */
    size_t nby_type[2];
    size_t *vmfa; /* positions of users with a VMFA device, ascending */
    size_t nvmfa;
    struct emu_fixture_fault *faults;
    size_t nfaults;
    struct emu_map *user_by_name;
    struct emu_map *user_by_id;
    struct emu_map *group_by_name;
    struct emu_map *policy_by_key; /* "Type:Name" */
    struct emu_arena *arena;
};

/*
 * Build an account from fixture text: a bare account object or a case
 * file whose "account" member is used. NULL with a reason in why.
 */
struct emu_account *emu_account_load(const char *text, size_t len, char *why,
                                     size_t whylen);

/* An empty account (no users), used before any fixture is given. */
struct emu_account *emu_account_empty(void);

void emu_account_free(struct emu_account *a);

struct emu_user *emu_account_user(const struct emu_account *a,
                                  const char *name);
struct emu_user *emu_account_user_by_id(const struct emu_account *a,
                                        const char *id);
struct emu_group *emu_account_group(const struct emu_account *a,
                                    const char *name);
struct emu_policy *emu_account_policy(const struct emu_account *a,
                                      const char *type, const char *name);

/* Bind or remove a user's MFA device, keeping the VMFA index right.
 * 0, or -1 on no memory. */
int emu_account_set_mfa(struct emu_account *a, struct emu_user *u,
                        const char *type, const char *serial, const char *date);
void emu_account_clear_mfa(struct emu_account *a, struct emu_user *u);

/*
 * Consume one fixture fault for action, if any is left: fills status and
 * code and returns 1; 0 when the action should run normally. action is
 * matched as written in the fixture, with or without a "family." prefix.
 */
int emu_account_take_fault(struct emu_account *a, const char *family,
                           const char *action, int *status, const char **code);

/* Attachments of a policy: users plus groups that list it. */
size_t emu_policy_attachments(const struct emu_policy *p);

/* The current account and its replacement; caller holds emu_g.lock. */
extern struct emu_account *emu_account_current;

#endif
