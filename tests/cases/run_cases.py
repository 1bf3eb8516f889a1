#!/usr/bin/env python3
"""Run every case file of a folder through the emulator and mfaguard.

usage: run_cases.py [CASES_DIR] --mfaguard BIN --emulator BIN
                    [--only SUBSTRING] [--logs DIR]

Each NN-name.json in CASES_DIR (default ../shared/cases next to the
repository) describes an account, one message and what must come out; the
format is defined in that folder's README.md. For each case this script
starts a fresh emulator loaded with the account, creates the queue, the
dead-letter queue, the topic and the subscription with `mfaguard setup`,
delivers the message as the case says, runs `mfaguard worker --drain`
until the queue is empty, then compares what the emulator recorded with
the case's expect block. Cases are used unchanged; new files are picked
up by themselves. Exit status 0 when every case passed.
"""

import argparse
import glob
import json
import os
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CASES = os.path.normpath(os.path.join(HERE, "..", "..", "..",
                                              "shared", "cases"))


def as_object(value):
    """Config events may carry nested objects as JSON text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def resource_names(case):
    """complianceResourceId -> name, from the account and the event."""
    names = {}
    body = case.get("body")
    if isinstance(body, dict):
        ci = as_object(as_object(body.get("invokingEvent")).get(
            "configurationItem")) or as_object(body.get("configurationItem"))
        if ci.get("resourceId") is not None:
            names[str(ci["resourceId"])] = ci.get("resourceName")
    for user in case["account"].get("users", []):
        names[str(user["id"])] = user["name"]
    return names


def check_evaluations(case, emu, problems):
    expect = case["expect"]
    names = resource_names(case)
    got = {}
    for ev in emu.evaluations():
        rid = str(ev.get("complianceResourceId"))
        name = names.get(rid, "<unknown id %s>" % rid)
        if name in got and got[name]["complianceType"] != \
                ev["complianceType"]:
            problems.append("%s evaluated twice, differently: %s then %s"
                            % (name, got[name]["complianceType"],
                               ev["complianceType"]))
        got[name] = ev
        if "account_id" in expect:
            want = str(expect["account_id"])
            if str(ev.get("accountId")) != want or \
                    not isinstance(ev.get("accountId"), int):
                problems.append("%s: accountId %r, want %s"
                                % (name, ev.get("accountId"), want))
    want = expect.get("evaluations", {})
    for name, ctype in sorted(want.items()):
        if name not in got:
            problems.append("%s: no evaluation written (want %s)"
                            % (name, ctype))
        elif got[name]["complianceType"] != ctype:
            problems.append("%s: evaluated %s, want %s (annotation: %s)"
                            % (name, got[name]["complianceType"], ctype,
                               got[name].get("annotation")))
    for name in sorted(set(got) - set(want)):
        problems.append("%s: evaluated %s but the case expects no "
                        "evaluation of it"
                        % (name, got[name]["complianceType"]))
    for name, words in sorted(expect.get("annotation_mentions",
                                         {}).items()):
        note = (got.get(name) or {}).get("annotation") or ""
        for word in words:
            if word not in note:
                problems.append("%s: annotation %r does not mention %r"
                                % (name, note, word))
    return got


def check_notifications(case, emu, problems):
    counts = {}
    for note in harness.notifications(emu):
        user = harness.notified_user(note)
        counts[user] = counts.get(user, 0) + 1
    want = case["expect"].get("notified", [])
    for user in want:
        if counts.get(user, 0) != 1:
            problems.append("%s: %d notifications, want exactly 1"
                            % (user, counts.get(user, 0)))
    for user in sorted(set(counts) - set(want)):
        problems.append("%s: notified %d times, want none"
                        % (user, counts[user]))


def dead_letter_records(emu):
    records = []
    for m in emu.queue_messages(harness.DLQ):
        try:
            body = json.loads(m["body"])
        except ValueError:
            continue
        if isinstance(body, dict) and body.get("mfaguardDeadLetter"):
            records.append(body)
    return records


def check_source(case, emu, problems):
    left = emu.queue_messages(harness.QUEUE)
    if left:
        problems.append("%d message(s) still in the queue: %s"
                        % (len(left), [m.get("state") for m in left]))
    records = dead_letter_records(emu)
    want = case["expect"].get("source_message")
    if want == "deleted" and records:
        problems.append("message was dead-lettered (%s: %s), want deleted"
                        % (records[0].get("reason"),
                           records[0].get("error")))
    if want == "dead-lettered" and not records:
        problems.append("message was not dead-lettered")
    for r in records:
        if not r.get("reason"):
            problems.append("dead-letter record without a reason")


def check_order(emu, problems):
    """The source message may be deleted only after every evaluation and
    notification it caused was written."""
    events = emu.log_events()
    source = next((e.get("message_id") for e in events
                   if e.get("type") in ("deliver", "send")
                   and e.get("queue") == harness.QUEUE), None)
    if source is None:
        return
    deleted = next((e["seq"] for e in events if e.get("type") == "delete"
                    and e.get("message_id") == source), None)
    if deleted is None:
        return
    first = next(e["seq"] for e in events if e.get("message_id") == source)
    for e in events:
        writes = e.get("type") == "put_evaluations" or (
            e.get("type") == "publish" and e["seq"] > first)
        if writes and e["seq"] > deleted:
            problems.append("the source message was deleted (event %d) "
                            "before a %s (event %d)"
                            % (deleted, e["type"], e["seq"]))


def check_secrets(case, log_path, problems):
    """A secret or a whole result token must never reach a log line."""
    with open(log_path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    body = case.get("body")
    token = body.get("resultToken") if isinstance(body, dict) else None
    if harness.KEY_SECRET in text:
        problems.append("the access key secret appears in the worker log")
    if token and token in text:
        problems.append("the whole result token appears in the worker log")


def deliver(case, emu):
    body = harness.encode_body(case)
    delivery = case["delivery"]
    if delivery.get("via") == "queue":
        emu.send(harness.QUEUE, body)
    else:
        emu.publish(harness.TOPIC, body)


def run_case(path, args, logs):
    with open(path, encoding="utf-8") as f:
        case = json.load(f)
    name = os.path.basename(path)
    log_path = os.path.join(logs, name + ".log")
    fmt = case["delivery"].get("format") or "XML"
    settings = dict(case.get("settings") or {})
    settings.setdefault("subscription_format", fmt)
    # The worker's own account id, as a deployment sets it; events that
    # carry one still win.
    settings.setdefault("account_id", str(case["account"]["account_id"]))
    problems = []
    with harness.Emulator(args.emulator, case["account"],
                          log_path=os.path.join(logs, name + ".emu.log")) \
            as emu:
        env = harness.worker_env(emu, settings)
        rc, out = harness.run_mfaguard(args.mfaguard, ["setup"], env,
                                       log_path, timeout=30)
        if rc != 0:
            return ["mfaguard setup failed (%s):\n%s" % (rc, out[-2000:])]
        deliver(case, emu)
        rc, out = harness.run_mfaguard(args.mfaguard, ["worker", "--drain"],
                                       env, log_path, timeout=args.timeout)
        if rc != 0:
            problems.append("mfaguard worker exited with %s" % rc)
        check_evaluations(case, emu, problems)
        check_notifications(case, emu, problems)
        check_source(case, emu, problems)
        check_order(emu, problems)
        check_secrets(case, log_path, problems)
        if problems:
            problems.append("worker log: " + log_path)
    return problems


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("cases", nargs="?", default=DEFAULT_CASES)
    p.add_argument("--mfaguard", required=True)
    p.add_argument("--emulator", required=True)
    p.add_argument("--only", default="")
    p.add_argument("--logs", default=None)
    p.add_argument("--timeout", type=int, default=120)
    args = p.parse_args()

    files = sorted(glob.glob(os.path.join(args.cases, "*.json")))
    files = [f for f in files if args.only in os.path.basename(f)]
    if not files:
        print("no case files in %s" % args.cases)
        return 1
    logs = args.logs or tempfile.mkdtemp(prefix="mfaguard-cases-")
    os.makedirs(logs, exist_ok=True)
    failed = 0
    started = time.time()
    for path in files:
        t0 = time.time()
        try:
            problems = run_case(path, args, logs)
        except Exception:  # a broken case must not hide the others
            problems = ["runner error:\n" + traceback.format_exc()]
        status = "ok  " if not problems else "FAIL"
        print("%s %s (%.1fs)" % (status, os.path.basename(path),
                                 time.time() - t0))
        for prob in problems:
            print("     - " + prob)
        failed += bool(problems)
        sys.stdout.flush()
    print("%d cases, %d failed, %.1fs; logs in %s"
          % (len(files), failed, time.time() - started, logs))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
