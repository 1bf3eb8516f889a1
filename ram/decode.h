#ifndef RAM_DECODE_H
#define RAM_DECODE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "ram/ram.h"

struct mg_error;

/*
 * Reading RAM's JSON answers into the structures of ram/ram.h, apart from
 * the calls that fetch them, so that the unit tests can feed them canned
 * answers. Every function takes the parsed answer (the object holding
 * RequestId) and returns 0, or -1 with err classed MG_INVALID when the
 * answer has an unexpected shape or a string does not fit its field
 * (strings are never cut).
 *
 * List wrappers look like {"Users":{"User":[...]}}; a missing, null, ""
 * or [] wrapper, a missing inner member or an empty list is an empty
 * list, and a lone object in place of the list is a list of one. Ids are
 * strings; an integer is accepted and written out exactly. Decoders that fill a
 * list append to it.
 */

/* Users under wrapper/item: ListUsers, ListUsersForGroup, and the Users
 * of ListEntitiesForPolicy ("Users", "User"). */
int ram_decode_users(const cJSON *root, const char *wrapper, const char *item,
                     struct ram_user_list *out, struct mg_error *err);

/* GetUser: the "User" object. */
int ram_decode_get_user(const cJSON *root, struct ram_user *out,
                        struct mg_error *err);

/* ListPoliciesForUser / ListPoliciesForGroup / ListPolicies. */
int ram_decode_policies(const cJSON *root, struct ram_policy_list *out,
                        struct mg_error *err);

/* Group names: ListGroupsForUser and the Groups of
 * ListEntitiesForPolicy. */
int ram_decode_groups(const cJSON *root, struct ram_name_list *out,
                      struct mg_error *err);

/* ListVirtualMFADevices. */
int ram_decode_vmfa(const cJSON *root, struct ram_vmfa_list *out,
                    struct mg_error *err);

/* GetUserMFAInfo: a device is required in a successful answer. */
int ram_decode_mfa(const cJSON *root, struct ram_mfa *out,
                   struct mg_error *err);

/* GetLoginProfile: the LoginProfile object is required. */
int ram_decode_login_profile(const cJSON *root, struct ram_login_profile *out,
                             struct mg_error *err);

/*
 * GetPolicy: DefaultPolicyVersion.PolicyDocument, a JSON document held in
 * a string (an object is accepted too and written out as text), copied to
 * *document (malloc'd, the caller frees it); VersionId into version.
 */
int ram_decode_policy_document(const cJSON *root, char **document,
                               char *version, size_t version_cap,
                               struct mg_error *err);

/*
 * Paging: *truncated from IsTruncated (absent: 0), and when set, the
 * Marker to ask for next, which must be present and fit.
 */
int ram_decode_page(const cJSON *root, int *truncated, char *marker,
                    size_t marker_cap, struct mg_error *err);

#endif
