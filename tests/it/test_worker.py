"""The worker under conditions a queue consumer must survive: long work
(lease extension), failures that never end (dead-lettering), throttling,
shutdown in the middle of a batch, and policy changes that invalidate the
document cache."""

import json
import re
import signal
import time
import unittest

import itlib
from itlib import harness


def publish(emu, body):
    emu.publish(harness.TOPIC, json.dumps(body).encode("utf-8"))


def evaluated_ids(emu):
    return [str(e["complianceResourceId"]) for e in emu.evaluations()]


class Leases(itlib.Case):

    def test_long_work_extends_the_lease_and_deletes_once(self):
        account = itlib.simple_account(6)
        emu = itlib.emulator(self, account, ["--latency-ms", "ram=700"])
        env = itlib.env_for(emu, visibility_timeout=10, lease_extension=10,
                            io_threads=0, concurrency=1, sweep_mode="users")
        itlib.setup_queues(self, emu, env)
        publish(emu, itlib.sweep_request())
        rc, out = itlib.run(self, ["worker", "--drain"], env, timeout=120)
        self.assertEqual(rc, 0, out)
        self.assertGreaterEqual(out.count("event=lease.extended"), 1, out)
        self.assertNotIn("lease_lost", out)
        # One sweep, written once: the message never came back.
        calls = emu.admin("GET", "/evaluations")["calls"]
        self.assertEqual(len(calls), 1)
        self.assertEqual(sorted(evaluated_ids(emu)),
                         sorted(u["id"] for u in account["users"]))
        changes = [e for e in emu.log_events()
                   if e.get("type") == "change_visibility"]
        self.assertGreaterEqual(len(changes), 1)


class DeadLetters(itlib.Case):

    def test_endless_failure_is_dead_lettered_with_its_reason(self):
        account = itlib.simple_account(1)
        account["faults"] = [{"api": "GetUserMFAInfo", "status": 500,
                              "code": "InternalError", "times": 1000}]
        emu = itlib.emulator(self, account)
        env = itlib.env_for(emu, max_attempts=2, call_attempts=1)
        itlib.setup_queues(self, emu, env)
        u = account["users"][0]
        publish(emu, itlib.rule_request(u["name"], u["id"]))
        rc, out = itlib.run(self, ["worker", "--drain"], env, timeout=120)
        self.assertEqual(rc, 0, out)
        self.assertEqual(evaluated_ids(emu), [])
        self.assertEqual(emu.queue_messages(harness.QUEUE), [])
        records = [json.loads(m["body"])
                   for m in emu.queue_messages(harness.DLQ)]
        self.assertEqual(len(records), 1, records)
        self.assertEqual(records[0]["reason"], "InternalError")
        self.assertEqual(records[0]["api"], "ram.GetUserMFAInfo")
        self.assertEqual(records[0]["dequeueCount"], 2)
        self.assertIn(u["name"], records[0]["body"])

    def test_replay_sends_dead_letters_back(self):
        account = itlib.simple_account(1)
        emu = itlib.emulator(self, account)
        env = itlib.env_for(emu)
        itlib.setup_queues(self, emu, env)
        emu.publish(harness.TOPIC, b"{\"broken\": ")
        rc, out = itlib.run(self, ["worker", "--drain"], env)
        self.assertEqual(rc, 0, out)
        self.assertEqual(len(emu.queue_messages(harness.DLQ)), 1)
        rc, out = itlib.run(self, ["replay-dlq", "--dry-run"], env)
        self.assertIn("would replay", out)
        self.assertEqual(len(emu.queue_messages(harness.DLQ)), 1)
        # A dry run releases what it looked at: visible again in a second.
        self.assertTrue(itlib.wait_for(lambda: emu.queue_messages(
            harness.DLQ)[0]["state"] == "visible", 5))
        rc, out = itlib.run(self, ["replay-dlq"], env)
        self.assertEqual(rc, 0, out)
        self.assertIn("1 replayed", out)
        back = emu.queue_messages(harness.QUEUE)
        self.assertEqual(len(back), 1)
        self.assertIn("broken", back[0]["body"])


class Throttling(itlib.Case):

    def test_throttled_sweep_slows_down_and_completes(self):
        account = itlib.simple_account(40)
        emu = itlib.emulator(self, account, ["--rps", "ram=15"])
        env = itlib.env_for(emu, sweep_mode="users", call_attempts=8)
        itlib.setup_queues(self, emu, env)
        publish(emu, itlib.sweep_request())
        rc, out = itlib.run(self, ["worker", "--drain"], env, timeout=300)
        self.assertEqual(rc, 0, out)
        self.assertGreater(emu.stats()["injected"]["throttle"], 0)
        self.assertEqual(len(evaluated_ids(emu)), 40)
        self.assertEqual(emu.queue_messages(harness.DLQ), [])

    def test_rate_limit_setting_avoids_throttling(self):
        account = itlib.simple_account(20)
        emu = itlib.emulator(self, account, ["--rps", "ram=40"])
        env = itlib.env_for(emu, sweep_mode="users", ram_rps=30)
        itlib.setup_queues(self, emu, env)
        publish(emu, itlib.sweep_request())
        rc, out = itlib.run(self, ["worker", "--drain"], env, timeout=300)
        self.assertEqual(rc, 0, out)
        self.assertEqual(len(evaluated_ids(emu)), 20)
        self.assertEqual(emu.stats()["injected"]["throttle"], 0)


class Shutdown(itlib.Case):

    def start_batch(self, n, latency):
        account = itlib.simple_account(n)
        emu = itlib.emulator(self, account, ["--latency-ms",
                                             "ram=%d" % latency])
        env = itlib.env_for(emu, concurrency=4, io_threads=0,
                            shutdown_deadline=30)
        itlib.setup_queues(self, emu, env)
        for u in account["users"]:
            publish(emu, itlib.rule_request(u["name"], u["id"]))
        log = self.log_path("worker.log")
        proc = itlib.start(["worker"], env, log)
        self.assertTrue(itlib.wait_for(lambda: any(
            e.get("type") == "receive" for e in emu.log_events()), 15))
        time.sleep(1.0)
        return account, emu, env, proc, log

    def test_sigterm_finishes_or_releases_everything(self):
        account, emu, env, proc, log = self.start_batch(16, 800)
        t0 = time.time()
        rc = itlib.stop(proc, signal.SIGTERM, timeout=60)
        self.assertEqual(rc, 0, itlib.read(log))
        self.assertLess(time.time() - t0, 31)
        done = set(evaluated_ids(emu))

        def rule_messages():
            return [m for m in emu.queue_messages(harness.QUEUE)
                    if "resultToken" in m["body"]]

        # Whatever is not done is back in the queue within seconds, not
        # after its lease; nothing done is still there.
        left = itlib.wait_for(lambda: all(m["state"] == "visible"
                                          for m in rule_messages()), 5)
        self.assertTrue(left, rule_messages())
        self.assertEqual(len(rule_messages()) + len(done), 16)
        self.assertGreater(len(rule_messages()), 0)
        # No message was deleted before its verdict was written.
        deletes = [e for e in emu.log_events()
                   if e.get("type") == "delete"]
        self.assertLessEqual(len(deletes), 2 * len(done))
        # A second worker finishes the rest; nothing was lost.
        rc, out = itlib.run(self, ["worker", "--drain"], env, timeout=120)
        self.assertEqual(rc, 0, out)
        self.assertEqual(set(evaluated_ids(emu)),
                         {u["id"] for u in account["users"]})

    def test_second_signal_exits_at_once_without_deleting(self):
        account, emu, env, proc, log = self.start_batch(4, 4000)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        t0 = time.time()
        rc = itlib.stop(proc, signal.SIGTERM, timeout=10)
        self.assertLess(time.time() - t0, 3)
        self.assertNotEqual(rc, 0)
        self.assertEqual([e for e in emu.log_events()
                          if e.get("type") == "delete"], [])
        self.assertEqual(len(emu.queue_messages(harness.QUEUE)), 4)


class CacheInvalidation(itlib.Case):

    def test_policy_change_rechecks_every_user_it_reaches(self):
        account = {
            "account_id": itlib.ACCOUNT_ID,
            "users": [itlib.user("a", 1001, groups=["g"]),
                      itlib.user("b", 1002, groups=["g"]),
                      itlib.user("c", 1003, [("P", "Custom")]),
                      itlib.user("d", 1004, [("P", "Custom")], mfa="VMFA"),
                      itlib.user("e", 1005)],
            "groups": [{"name": "g",
                        "policies": [{"name": "P", "type": "Custom"}]}],
            "policies": [itlib.policy("P", "Custom",
                                      itlib.allow("rds:*"))]}
        emu = itlib.emulator(self, account)
        env = itlib.env_for(emu, dangerous_actions="ecs:*")
        itlib.setup_queues(self, emu, env)
        log = self.log_path("worker.log")
        proc = itlib.start(["worker"], env, log)
        self.addCleanup(itlib.stop, proc)

        def idle():
            return not emu.queue_messages(harness.QUEUE) and \
                "message.deleted" in itlib.read(log)

        publish(emu, itlib.change_event("ACS::RAM::User", "a", "1001"))
        self.assertTrue(itlib.wait_for(idle, 20))
        self.assertEqual(harness.notifications(emu), [])

        # The policy gains ecs:* without a new version number: only the
        # change event can tell the worker its cached document is stale.
        account["policies"] = [itlib.policy("P", "Custom",
                                            itlib.allow("ecs:*"))]
        emu.admin("PUT", "/account", account)
        publish(emu, itlib.change_event("ACS::RAM::Policy", "P", "P",
                                        1733300009000))
        self.assertTrue(itlib.wait_for(
            lambda: len(harness.notifications(emu)) >= 3, 20))
        time.sleep(0.5)
        notified = sorted(harness.notified_user(n)
                          for n in harness.notifications(emu))
        self.assertEqual(notified, ["a", "b", "c"])
        self.assertEqual(itlib.stop(proc), 0)
        self.assertIn("event=change.rechecked", itlib.read(log))


class Endpoints(itlib.Case):

    def test_metrics_health_and_readiness(self):
        account = itlib.simple_account(2)
        emu = itlib.emulator(self, account)
        env = itlib.env_for(emu, http_listen="127.0.0.1:0")
        itlib.setup_queues(self, emu, env)
        u = account["users"][0]
        publish(emu, itlib.rule_request(u["name"], u["id"]))
        log = self.log_path("worker.log")
        proc = itlib.start(["worker"], env, log)
        self.addCleanup(itlib.stop, proc)
        port = itlib.logged_port(log)
        self.assertTrue(port, itlib.read(log))
        base = "http://127.0.0.1:%d" % port
        self.assertEqual(itlib.http("GET", base + "/healthz")[0], 200)
        self.assertTrue(itlib.wait_for(
            lambda: itlib.http("GET", base + "/readyz")[0] == 200, 15))
        self.assertTrue(itlib.wait_for(lambda: evaluated_ids(emu), 15))
        status, headers, body = itlib.http("GET", base + "/metrics")
        text = body.decode()
        self.assertEqual(status, 200)
        for want in ['mfaguard_messages_total{result="received"}',
                     'mfaguard_verdicts_total{compliance="NON_COMPLIANT"} 1',
                     'mfaguard_api_calls_total{family="ram",'
                     'api="ListPoliciesForUser",outcome="ok"} 1',
                     'mfaguard_api_calls_total{family="ram",'
                     'api="GetUserMFAInfo",outcome="not_found"} 1',
                     "mfaguard_processing_seconds_bucket",
                     "mfaguard_in_flight", "# TYPE mfaguard_api_seconds "
                     "histogram"]:
            self.assertIn(want, text)
        self.assertEqual(itlib.http("POST", base + "/metrics", b"")[0], 405)
        self.assertEqual(itlib.http("GET", base + "/nope")[0], 404)
        self.assertEqual(itlib.stop(proc), 0)
        self.assertTrue(re.search(r"event=worker.stopped", itlib.read(log)))


if __name__ == "__main__":
    unittest.main()
