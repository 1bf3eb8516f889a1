#!/usr/bin/env python3
"""The documented scenario, end to end, on the local emulator.

Starts the emulator with the demo account (scripts/demo/account.json),
creates the queue, topic and subscription with `mfaguard setup`, publishes
a periodic rule request and a change event for test123 to MNSTestConfig,
runs the worker until the queue is empty and prints what it wrote to
Cloud Config and to the topic. Then it binds an MFA device for test123 in
the emulator, asks again, and shows the verdict turn COMPLIANT.

usage: demo.py --mfaguard BIN --emulator BIN [--logs DIR]
"""

import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "cases"))
import harness  # noqa: E402

RULE = {"dangerousActions": "ecs:*,oss:*,log:*"}
TOKEN = "HLQr3BZx/C+DLjwudFcYdUsiYzW485CJlYIMAAUjibdHcJhG2uvgKZ9tXaFh2yvVUx" \
        "O2+tFf3whxOmGigYQErk1ymtmLWLzFV4JForVWYIKdbwwhbDBOgVwF7Ov9c3uVCNz" \
        "/KpxNElwhTzMkZB95U1vmLs4vUYXuB/Txw4jiCYAZuoGWYC/HJw=="


def periodic_request(when):
    return {"orderingTimestamp": when,
            "invokingEvent": {"messageType": "ScheduledNotification",
                              "configurationType": "NONE"},
            "ruleParameters": RULE, "resultToken": TOKEN}


def user_request(account, user, uid, when):
    item = {"accountId": account, "regionId": "global",
            "resourceId": uid, "resourceName": user,
            "resourceType": "ACS::RAM::User", "captureTime": when,
            "configuration": json.dumps({"UserName": user, "UserId": uid})}
    return {"orderingTimestamp": when,
            "invokingEvent": {
                "messageType": "ConfigurationItemChangeNotification",
                "configurationType": "COMMON",
                "configurationItem": item},
            "ruleParameters": RULE, "resultToken": TOKEN}


def change_event(account, user, uid, when):
    return {"requestId": "demo-change-%d" % when,
            "dataType": "ConfigurationItemChangeNotification",
            "eventName": "ResourceUpdate", "eventType": "ResourceChange",
            "notificationCreationTime": when,
            "configurationItem": {"accountId": account, "resourceId": uid,
                                  "resourceName": user,
                                  "resourceType": "ACS::RAM::User",
                                  "regionId": "global", "captureTime": when,
                                  "configuration": {"UserName": user,
                                                    "UserId": uid}}}


def publish(emu, body):
    emu.publish(harness.TOPIC, json.dumps(body).encode("utf-8"))


def run_worker(args, emu, env, log):
    rc, out = harness.run_mfaguard(args.mfaguard, ["worker", "--drain"], env,
                                   log, timeout=120)
    if rc != 0:
        print("mfaguard worker failed (%s); log: %s" % (rc, log))
        print(out[-3000:])
        sys.exit(1)


def show(emu, names, since_eval, since_note, title):
    evals = emu.evaluations()[since_eval:]
    notes = harness.notifications(emu)[since_note:]
    print("\n%s\n%s" % (title, "-" * len(title)))
    print("%-10s %-15s %s" % ("USER", "VERDICT", "WHY (annotation)"))
    for ev in sorted(evals, key=lambda e: names.get(
            str(e["complianceResourceId"]), "")):
        name = names.get(str(ev["complianceResourceId"]), "?")
        print("%-10s %-15s %s" % (name, ev["complianceType"],
                                  ev.get("annotation", "")))
    print("\nnotifications on %s (tag %s): %d" % (harness.TOPIC, harness.TAG,
                                                  len(notes)))
    for n in notes:
        extra = n.get("mfaguard", {})
        print("  %-10s %s  dedupe key %s" % (extra.get("user"),
                                             n.get("annotation"),
                                             extra.get("dedupeKey")))
    return len(emu.evaluations()), len(harness.notifications(emu))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mfaguard", required=True)
    p.add_argument("--emulator", required=True)
    p.add_argument("--logs", default=tempfile.mkdtemp(prefix="mfaguard-demo-"))
    args = p.parse_args()
    os.makedirs(args.logs, exist_ok=True)
    log = os.path.join(args.logs, "worker.log")

    with open(os.path.join(HERE, "demo", "account.json")) as f:
        account = json.load(f)
    acc = account["account_id"]
    names = {u["id"]: u["name"] for u in account["users"]}
    uid = next(u["id"] for u in account["users"] if u["name"] == "test123")

    with harness.Emulator(args.emulator, account,
                          log_path=os.path.join(args.logs, "emulator.log")) \
            as emu:
        print("emulator on %s (MNS, RAM, Cloud Config); logs in %s"
              % (emu.url, args.logs))
        env = harness.worker_env(emu, {
            "dangerous_actions": RULE["dangerousActions"],
            "account_id": acc})
        rc, out = harness.run_mfaguard(args.mfaguard, ["setup"], env, log)
        print(out.strip())
        if rc != 0:
            return 1

        print("\npublishing to %s: a periodic rule request (every user) "
              "and a change event for test123" % harness.TOPIC)
        publish(emu, periodic_request(1733300000000))
        publish(emu, change_event(acc, "test123", uid, 1733300005000))
        run_worker(args, emu, env, log)
        ne, nn = show(emu, names, 0, 0, "Round 1: verdicts written to "
                      "Cloud Config")

        print("\nbinding a virtual MFA device for test123 in the emulator, "
              "then asking again about test123")
        emu.admin("POST", "/users/test123/mfa",
                  {"type": "VMFA", "serial": "acs:ram::%d:mfa/test123" % acc})
        publish(emu, user_request(acc, "test123", uid, 1733303600000))
        run_worker(args, emu, env, log)
        show(emu, names, ne, nn, "Round 2: after binding MFA")

        final = [e for e in emu.evaluations()
                 if str(e["complianceResourceId"]) == uid]
        ok = final and final[-1]["complianceType"] == "COMPLIANT"
        print("\ntest123 is now %s.\nWorker log: %s"
              % (final[-1]["complianceType"] if final else "unknown", log))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
