#!/usr/bin/env python3
"""Nothing lost under faults and crashes.

Several mfaguard workers share one queue while the emulator answers 10%
of calls with 500, drops 5% of connections, stalls 2% for 3 seconds and
throttles everything in bursts. Rule requests, user change events and junk
are published up front; meanwhile workers are killed with SIGKILL at
random moments (and sent SIGTERM now and then) and restarted. At the end:

- every rule request has its evaluation in Config, with the right verdict;
- every change event for a non-compliant user has its notification;
- every junk message sits in the dead-letter queue;
- the queue is empty;
- no source message was deleted before the results it asked for.

Prints the counts (--json FILE writes them); exits 1 on any loss or early
deletion. Bounded: it stops by itself after --deadline seconds.

usage: faults.py --mfaguard BIN --emulator BIN [--messages N] [--workers N]
                 [--kills N] [--seed N] [--deadline S] [--json FILE]
"""

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cases"))
import harness  # noqa: E402

ACTIONS = "ecs:*,oss:*,log:*"


def account(users):
    out = subprocess.run([sys.executable, os.path.join(HERE, "..", "bench",
                                                       "gen_account.py"),
                          "--users", str(users)], check=True,
                         capture_output=True).stdout
    return json.loads(out)


def expected_verdicts(args, emu, env):
    """Verdict of every user, from a scan before any fault is on."""
    out = subprocess.run([args.mfaguard, "scan", "--format", "json"],
                         env=dict(env, MFAGUARD_DANGEROUS_ACTIONS=ACTIONS),
                         capture_output=True, text=True, timeout=300)
    rows = [json.loads(line) for line in out.stdout.splitlines()
            if line.startswith("{")]
    return {r["user"]: r["verdict"] for r in rows}


def make_messages(acc, n, rng):
    """(kind, key, body) triples; key identifies what must come out."""
    msgs = []
    for i in range(n):
        u = rng.choice(acc["users"])
        r = rng.random()
        when = 1733300000000 + i
        if r < 0.5:
            token = "fault-token-%06d-%s" % (i, "x" * 40)
            item = {"accountId": acc["account_id"], "regionId": "global",
                    "resourceId": u["id"], "resourceName": u["name"],
                    "resourceType": "ACS::RAM::User", "captureTime": when,
                    "configuration": json.dumps({"UserName": u["name"]})}
            body = {"orderingTimestamp": when, "resultToken": token,
                    "invokingEvent": {
                        "messageType": "ConfigurationItemChangeNotification",
                        "configurationType": "COMMON",
                        "configurationItem": item},
                    "ruleParameters": {"dangerousActions": ACTIONS}}
            msgs.append(("rule", (token, u["name"], u["id"]), body))
        elif r < 0.9:
            body = {"requestId": "fault-change-%06d" % i,
                    "dataType": "ConfigurationItemChangeNotification",
                    "eventName": "ResourceUpdate",
                    "eventType": "ResourceChange",
                    "notificationCreationTime": when,
                    "configurationItem": {
                        "accountId": acc["account_id"],
                        "resourceId": u["id"], "resourceName": u["name"],
                        "resourceType": "ACS::RAM::User",
                        "regionId": "global", "captureTime": when,
                        "configuration": {"UserName": u["name"]}}}
            msgs.append(("change", (when, u["name"]), body))
        else:
            marker = "fault-junk-%06d" % i
            junk = rng.choice(['{"%s": ' % marker, "%s not json" % marker,
                               '{"marker": "%s"}' % marker])
            msgs.append(("junk", marker, junk))
    return msgs


class Fleet:
    def __init__(self, args, env, logdir):
        self.args, self.env, self.logdir = args, env, logdir
        self.procs = [None] * args.workers
        self.starts = 0
        for i in range(args.workers):
            self.start(i)

    def start(self, i):
        log = open(os.path.join(self.logdir, "worker-%d-%d.log"
                                % (i, self.starts)), "wb")
        self.starts += 1
        self.procs[i] = (subprocess.Popen([self.args.mfaguard, "worker"],
                                          env=self.env, stdout=log,
                                          stderr=subprocess.STDOUT), log)

    def hit(self, i, sig):
        proc, log = self.procs[i]
        proc.send_signal(sig)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        self.start(i)

    def stop(self):
        for proc, log in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc, log in self.procs:
            try:
                proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def queue_empty(emu):
    return not any(True for _ in emu.queue_messages(harness.QUEUE))


def check(emu, msgs, published, verdicts):
    events = emu.log_events()
    queue_of = {}
    for e in events:
        if e.get("type") == "deliver" and e.get("queue") == harness.QUEUE:
            queue_of[e.get("topic_message_id")] = e.get("message_id")
    deleted = {}
    for e in events:
        if e.get("type") == "delete" and e.get("queue") == harness.QUEUE:
            deleted.setdefault(e.get("message_id"), e["seq"])
    written = {}
    for e in events:
        if e.get("type") == "put_evaluations":
            written.setdefault(e.get("result_token"), e["seq"])
    notes = {}
    pub_seq = {e.get("message_id"): e["seq"] for e in events
             if e.get("type") == "publish"}
    for m in emu.topic_messages(harness.TOPIC):
        if m.get("tag") != harness.TAG:
            continue
        note = json.loads(m["body"])
        when = note["evaluationResultIdentifier"]["orderingTimestamp"]
        notes.setdefault(when, pub_seq.get(m["message_id"], m.get("seq")))
    dlq = " ".join(m["body"] for m in emu.queue_messages(harness.DLQ))
    results = {}
    for e in emu.evaluations():
        results.setdefault(e["_token"], e["complianceType"])

    c = {"messages": len(msgs), "rule": 0, "change": 0, "junk": 0,
         "evaluated": 0, "notified": 0, "dead_lettered": 0,
         "lost": 0, "early_deletions": 0, "wrong_verdicts": 0}
    for (kind, key, _), pid in zip(msgs, published):
        c[kind] += 1
        qid = queue_of.get(pid)
        gone = deleted.get(qid)
        if kind == "rule":
            token, user, _ = key
            if token not in written:
                c["lost"] += 1
                continue
            c["evaluated"] += 1
            if results.get(token) != verdicts.get(user):
                c["wrong_verdicts"] += 1
            if gone is not None and gone < written[token]:
                c["early_deletions"] += 1
        elif kind == "change":
            when, user = key
            if verdicts.get(user) != "NON_COMPLIANT":
                continue
            if when not in notes:
                c["lost"] += 1
                continue
            c["notified"] += 1
            if gone is not None and notes[when] and gone < notes[when]:
                c["early_deletions"] += 1
        elif key in dlq:
            c["dead_lettered"] += 1
        else:
            c["lost"] += 1
    c["left_in_queue"] = len(emu.queue_messages(harness.QUEUE))
    return c


def secrets_in_logs(logdir):
    """Log files holding the secret or a whole result token (the tokens
    of make_messages all have one shape)."""
    whole_token = re.compile(r"fault-token-\d{6}-x{40}")
    bad = 0
    for name in os.listdir(logdir):
        with open(os.path.join(logdir, name), encoding="utf-8",
                  errors="replace") as f:
            text = f.read()
        if harness.KEY_SECRET in text or whole_token.search(text):
            bad += 1
    return bad


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mfaguard", required=True)
    p.add_argument("--emulator", required=True)
    p.add_argument("--messages", type=int, default=10000)
    p.add_argument("--users", type=int, default=300)
    p.add_argument("--workers", type=int, default=3)
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--stall-ms", type=int, default=3000)
    p.add_argument("--deadline", type=int, default=2400)
    p.add_argument("--json")
    args = p.parse_args()
    rng = random.Random(args.seed)
    logdir = tempfile.mkdtemp(prefix="mfaguard-faults-")
    acc = account(args.users)
    started = time.time()

    with harness.Emulator(args.emulator, acc, log_path=os.path.join(
            logdir, "emulator.log")) as emu:
        env = harness.worker_env(emu, {
            "account_id": acc["account_id"], "concurrency": 16,
            "io_threads": 8, "visibility_timeout": 20, "lease_extension": 20,
            "max_attempts": 25, "retry_delay": 1, "call_attempts": 4,
            "retry_base_ms": 100, "retry_cap_ms": 1000,
            "call_timeout_ms": args.stall_ms + 2000, "wait_seconds": 2,
            "shutdown_deadline": 10, "dangerous_actions": ACTIONS})
        subprocess.run([args.mfaguard, "setup"], env=env, check=True,
                       capture_output=True)
        verdicts = expected_verdicts(args, emu, env)
        msgs = make_messages(acc, args.messages, rng)
        published = []
        for kind, key, body in msgs:
            text = body if isinstance(body, str) else json.dumps(body)
            published.append(emu.publish(harness.TOPIC,
                                         text.encode())["message_id"])
        emu.settings(error_rate=0.10, drop_rate=0.05, stall_rate=0.02,
                     stall_ms=args.stall_ms, seed=args.seed,
                     throttle_burst={"period_ms": 15000, "length_ms": 700})
        print("%d messages published; %d workers; faults on; logs in %s"
              % (len(msgs), args.workers, logdir))
        sys.stdout.flush()

        fleet = Fleet(args, env, logdir)
        kills = terms = 0
        try:
            while time.time() - started < args.deadline:
                time.sleep(rng.uniform(1.0, 4.0))
                if kills + terms < args.kills + args.kills // 4:
                    victim = rng.randrange(args.workers)
                    if rng.random() < 0.8 or terms >= args.kills // 4:
                        fleet.hit(victim, signal.SIGKILL)
                        kills += 1
                    else:
                        fleet.hit(victim, signal.SIGTERM)
                        terms += 1
                elif queue_empty(emu):
                    break
        finally:
            emu.settings(error_rate=0, drop_rate=0, stall_rate=0,
                         throttle_burst={"period_ms": 0, "length_ms": 0})
            fleet.stop()
        counts = check(emu, msgs, published, verdicts)
        counts["secrets_in_logs"] = secrets_in_logs(logdir)
        counts.update({"sigkill": kills, "sigterm": terms,
                       "seconds": round(time.time() - started, 1),
                       "injected": emu.stats()["injected"]})

    for k, v in counts.items():
        print("%-16s %s" % (k, v))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(counts, f, indent=2)
    bad = counts["lost"] or counts["early_deletions"] or \
        counts["wrong_verdicts"] or counts["left_in_queue"] or \
        counts["secrets_in_logs"]
    print("RESULT: %s" % ("FAILED" if bad else "nothing lost, nothing "
                          "deleted early"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
