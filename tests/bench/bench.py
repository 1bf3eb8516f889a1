#!/usr/bin/env python3
"""Speed and memory of mfaguard on a generated account, next to targets.

Runs against the emulator on 127.0.0.1 with 10 ms added to every RAM call
and RAM limited to 500 requests per second (beyond it: Throttling.User).
Measures, for the per-user path and the policy-side sweep side by side:
RAM calls per user, the sweep from request received to last evaluation
written, the worker's peak resident memory and CPU time per user; then,
on the warm worker, how long a user change event takes to become a
published notification. Prints a table; --json FILE writes the figures.
Bounded: every wait has a timeout, and the script stops what it started.

usage: bench.py --mfaguard BIN --emulator BIN [--users N] [--json FILE]
                [--skip-per-user] [--events N]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cases"))
import harness  # noqa: E402

LATENCY_MS = 10
RAM_RPS = 500
ACTIONS = "ecs:*,oss:*,log:*"
TOKEN = "HLQr3BZx/C+DLjwudFcYdUsiYzW485CJlYIMAAUjibdHcJhG2uvgKZ9tXaFh2yvVU"


def proc_stats(pid):
    """(peak RSS in KiB, CPU seconds) of a running process."""
    with open("/proc/%d/status" % pid) as f:
        hwm = next(int(line.split()[1]) for line in f
                   if line.startswith("VmHWM:"))
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return hwm, (int(fields[11]) + int(fields[12])) / ticks


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


class Worker:
    def __init__(self, args, emu, mode, logdir):
        env = harness.worker_env(emu, {
            "account_id": 1698272328540001, "sweep_mode": mode,
            "ram_rps": int(RAM_RPS * 0.96), "wait_seconds": 20,
            "dangerous_actions": ACTIONS, "log_level": "warn",
            "retry_base_ms": 200, "retry_cap_ms": 2000})
        self.log_path = os.path.join(logdir, "worker-%s.log" % mode)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([args.mfaguard, "worker"], env=env,
                                     stdout=self.log,
                                     stderr=subprocess.STDOUT)
        time.sleep(0.5)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def sweep(args, emu, mode, users, logdir):
    """One periodic request over every user; figures of that run."""
    worker = Worker(args, emu, mode, logdir)
    try:
        rss0, cpu0 = proc_stats(worker.proc.pid)
        ram0 = emu.stats()["families"].get("ram", 0)
        calls0 = len(emu.admin("GET", "/evaluations")["calls"])
        seq0 = emu.log_events()[-1]["seq"] if emu.log_events() else 0
        body = {"orderingTimestamp": int(time.time() * 1000),
                "invokingEvent": {"messageType": "ScheduledNotification",
                                  "configurationType": "NONE"},
                "ruleParameters": {"dangerousActions": ACTIONS},
                "resultToken": TOKEN}
        emu.publish(harness.TOPIC, json.dumps(body).encode())

        def evaluated():
            calls = emu.admin("GET", "/evaluations")["calls"][calls0:]
            return sum(len(json.loads(c["evaluations_raw"]))
                       for c in calls) >= users
        wait_for(evaluated, 600, "%s sweep evaluations" % mode)
        rss, cpu = proc_stats(worker.proc.pid)
        events = emu.log_events(seq0)
        received = min(e["time_ms"] for e in events
                       if e.get("type") == "receive")
        written = max(e["time_ms"] for e in events
                      if e.get("type") == "put_evaluations")
        ram = emu.stats()["families"].get("ram", 0) - ram0
        figures = {"ram_calls": ram, "ram_calls_per_user": ram / users,
                   "sweep_seconds": (written - received) / 1000.0,
                   "peak_rss_mib": rss / 1024.0,
                   "cpu_ms_per_user": (cpu - cpu0) * 1000.0 / users,
                   "throttled": emu.stats()["injected"]["throttle"]}
        return figures, worker
    except Exception:
        worker.stop()
        raise


def change_events(emu, account, worker, n):
    """Latency from a change event entering the queue to its notification
    on the topic, on a worker whose document cache is warm."""
    dangerous = [u for u in account["users"]
                 if int(u["id"]) % 30 < 4 and "mfa_device" not in u]
    lat = []
    for u in dangerous[:n]:
        before = len(harness.notifications(emu))
        seq0 = emu.log_events()[-1]["seq"]
        body = {"requestId": "bench-%s" % u["name"],
                "dataType": "ConfigurationItemChangeNotification",
                "eventName": "ResourceUpdate", "eventType": "ResourceChange",
                "notificationCreationTime": int(time.time() * 1000),
                "configurationItem": {
                    "accountId": account["account_id"],
                    "resourceId": u["id"], "resourceName": u["name"],
                    "resourceType": "ACS::RAM::User", "regionId": "global",
                    "configuration": {"UserName": u["name"]}}}
        emu.publish(harness.TOPIC, json.dumps(body).encode())
        wait_for(lambda: len(harness.notifications(emu)) > before, 30,
                 "notification of %s" % u["name"])
        events = emu.log_events(seq0)
        delivered = min(e["time_ms"] for e in events
                        if e.get("type") == "deliver")
        published = max(e["time_ms"] for e in events
                        if e.get("type") == "publish"
                        and e.get("topic") == harness.TOPIC
                        and e["time_ms"] >= delivered)
        lat.append(published - delivered)
    return lat


def row(name, values, target):
    cells = ["%12s" % ("-" if v is None else
                       ("%.3f" % v if isinstance(v, float) else str(v)))
             for v in values]
    print("%-36s %s   %s" % (name, " ".join(cells), target))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mfaguard", required=True)
    p.add_argument("--emulator", required=True)
    p.add_argument("--users", type=int, default=10000)
    p.add_argument("--events", type=int, default=40)
    p.add_argument("--skip-per-user", action="store_true")
    p.add_argument("--json")
    args = p.parse_args()
    logdir = tempfile.mkdtemp(prefix="mfaguard-bench-")
    account = json.loads(subprocess.run(
        [sys.executable, os.path.join(HERE, "gen_account.py"), "--users",
         str(args.users)], check=True, capture_output=True).stdout)
    users = len(account["users"])
    results = {"account_users": users, "latency_ms": LATENCY_MS,
               "ram_rps": RAM_RPS}
    print("account: %d users, %d groups, %d policies; RAM +%d ms, %d/s; "
          "logs in %s" % (users, len(account["groups"]),
                          len(account["policies"]), LATENCY_MS, RAM_RPS,
                          logdir))

    for mode in (["users"] if not args.skip_per_user else []) + ["policies"]:
        with harness.Emulator(args.emulator, account, extra_args=[
                "--latency-ms", "ram=%d" % LATENCY_MS,
                "--rps", "ram=%d" % RAM_RPS],
                log_path=os.path.join(logdir, "emulator-%s.log" % mode)) \
                as emu:
            env = harness.worker_env(emu, {"account_id": account[
                "account_id"]})
            subprocess.run([args.mfaguard, "setup"], env=env, check=True,
                           capture_output=True)
            figures, worker = sweep(args, emu, mode, users, logdir)
            try:
                if mode == "policies":
                    lat = change_events(emu, account, worker, args.events)
                    figures["change_event_ms_median"] = statistics.median(lat)
                    figures["change_event_ms_p90"] = sorted(lat)[
                        int(len(lat) * 0.9) - 1]
            finally:
                worker.stop()
            results["per_user" if mode == "users" else "sweep"] = figures

    per_user = results.get("per_user", {})
    sweep_fig = results["sweep"]
    print("\n%-36s %12s %12s   %s" % ("", "per-user", "sweep", "target"))
    row("RAM calls per user", [per_user.get("ram_calls_per_user"),
                               sweep_fig["ram_calls_per_user"]],
        "sweep <= 0.1")
    row("whole sweep, seconds", [per_user.get("sweep_seconds"),
                                 sweep_fig["sweep_seconds"]], "< 5")
    row("peak resident memory, MiB", [per_user.get("peak_rss_mib"),
                                      sweep_fig["peak_rss_mib"]], "< 32")
    row("CPU per user, ms", [per_user.get("cpu_ms_per_user"),
                             sweep_fig["cpu_ms_per_user"]], "< 0.2")
    row("throttling answers", [per_user.get("throttled"),
                               sweep_fig["throttled"]], "")
    print("%-36s %12.1f ms (p90 %.1f ms)   median < %d ms (3 x latency)"
          % ("change event -> notification", sweep_fig[
              "change_event_ms_median"], sweep_fig["change_event_ms_p90"],
             3 * LATENCY_MS))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
        print("figures written to " + args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
