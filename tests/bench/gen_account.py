#!/usr/bin/env python3
"""A large account for the benchmark, in the case fixture format.

By default: 10,000 users, 300 System and 60 Custom policies of which 40
are attached, 30 groups, about 15% of users dangerous directly or through
a group, half with a virtual MFA device and 5% with a U2F key. The same
arguments always give the same account.

usage: gen_account.py [--users N] [--seed S] > account.json
"""

import argparse
import json
import random
import sys

ACCOUNT_ID = 1698272328540001


def doc(*statements):
    return {"Version": "1", "Statement": list(statements)}


def allow(action, **kw):
    d = {"Effect": "Allow", "Action": action, "Resource": "*"}
    d.update(kw)
    return d


DANGEROUS = [
    ("AliyunECSFullAccess", "System", doc(allow("ecs:*"),
                                          allow(["vpc:DescribeVpcs"]))),
    ("AliyunOSSFullAccess", "System", doc(allow("oss:*"))),
    ("AliyunLogFullAccess", "System", doc(allow("log:*"))),
    ("AdministratorAccess", "System", doc(allow("*"))),
    ("AliyunOSSReadOnlyAccess", "System", doc(allow(["oss:Get*",
                                                     "oss:List*"]))),
    ("EcsOperators", "Custom", doc(allow(["ecs:Start*", "ecs:Stop*",
                                          "ecs:Delete*"]))),
]
# Attached but harmless once read: a Deny cancels, or MFA is required.
DEFUSED = [
    ("EcsButNotReally", "Custom", doc(allow("ecs:*"),
                                      {"Effect": "Deny", "Action": "ecs:*",
                                       "Resource": "*"})),
    ("LogWithMfa", "Custom", doc(allow("log:*", Condition={
        "Bool": {"acs:MFAPresent": "true"}}))),
]


def harmless(i):
    svc = ["rds", "vpc", "cms", "slb", "cdn", "dns", "kms", "ack"][i % 8]
    return doc(allow(["%s:Describe*" % svc, "%s:List*" % svc]))


def policies():
    out = [{"name": n, "type": t, "document": d}
           for n, t, d in DANGEROUS + DEFUSED]
    system = sum(1 for _, t, _ in DANGEROUS + DEFUSED if t == "System")
    custom = len(out) - system
    for i in range(300 - system):
        out.append({"name": "AliyunService%03dReadOnlyAccess" % i,
                    "type": "System", "document": harmless(i)})
    for i in range(60 - custom):
        out.append({"name": "TeamPolicy%02d" % i, "type": "Custom",
                    "document": harmless(i + 3)})
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--users", type=int, default=10000)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    rng = random.Random(args.seed)
    pols = policies()
    ref = {q["name"]: {"name": q["name"], "type": q["type"]} for q in pols}

    # 40 attached: the 8 above plus 32 harmless ones.
    harmless_names = [q["name"] for q in pols[8:]]
    attached = rng.sample(harmless_names, 32)
    groups = []
    for g in range(30):
        pol = [ref[attached[g]]]
        if g < 4:  # a quarter of the dangerous users come through groups
            pol.append(ref[DANGEROUS[g][0]])
        elif g < 6:
            pol.append(ref[DEFUSED[g - 4][0]])
        groups.append({"name": "group%02d" % g, "policies": pol})

    users = []
    for i in range(args.users):
        direct = [ref[attached[(i * 7) % 32]]]
        if i % 50 == 3:  # 2% dangerous directly
            direct.append(ref[DANGEROUS[4 + (i // 50) % 2][0]])
        u = {"name": "user%05d" % i, "id": str(200828888731500000 + i),
             "display_name": "User %d" % i, "policies": direct,
             "groups": ["group%02d" % (i % 30)],
             "login_profile": {"mfa_bind_required": False,
                               "status": "Active"}}
        if i % 2 == 0:
            u["mfa_device"] = {"type": "VMFA",
                               "serial": "acs:ram::%d:mfa/user%05d"
                                         % (ACCOUNT_ID, i)}
        elif i % 20 == 1:
            u["mfa_device"] = {"type": "U2F",
                               "serial": "acs:ram::%d:mfa/user%05d"
                                         % (ACCOUNT_ID, i)}
        users.append(u)
    json.dump({"account_id": ACCOUNT_ID, "users": users, "groups": groups,
               "policies": pols}, sys.stdout)


if __name__ == "__main__":
    main()
