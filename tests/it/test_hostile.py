"""Bad input gets a clear error and loses nothing: no crash, no silent
drop, no network access, no memory blow-up."""

import json
import os
import re
import socket
import threading
import unittest

import itlib
from itlib import harness

LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join('<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1)
                                                   if i > 1 else "&lol;") * 10)
                    for i in range(1, 10))
          + ']><Notification><Message>&lol9;</Message></Notification>')


class Listener:
    """Counts connections to a loopback port nothing should contact."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.hits += 1
                conn.close()
            except socket.timeout:
                pass

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


class HostileMessages(itlib.Case):

    def deliver_and_drain(self, bodies, account=None, via="queue"):
        emu = itlib.emulator(self, account or itlib.simple_account(1))
        env = itlib.env_for(emu, dangerous_actions="ecs:*")
        itlib.setup_queues(self, emu, env)
        for body in bodies:
            data = body if isinstance(body, bytes) else body.encode("utf-8")
            if via == "queue":
                emu.send(harness.QUEUE, data)
            else:
                emu.publish(harness.TOPIC, data)
        rc, out = itlib.run(self, ["worker", "--drain"], env, timeout=120)
        self.assertEqual(rc, 0, out)
        self.assertEqual(emu.queue_messages(harness.QUEUE), [])
        return emu, out

    def dead_letters(self, emu):
        return [json.loads(m["body"])
                for m in emu.queue_messages(harness.DLQ)]

    def test_a_body_over_64_kib_is_refused_at_the_door(self):
        emu = itlib.emulator(self, itlib.simple_account(1))
        itlib.setup_queues(self, emu, itlib.env_for(emu))
        with self.assertRaises(itlib.urllib.error.HTTPError):
            emu.send(harness.QUEUE, b"x" * 65537)

    def test_xml_bombs_and_external_entities_are_refused(self):
        trap = Listener()
        self.addCleanup(trap.close)
        external = ('<?xml version="1.0"?><!DOCTYPE n SYSTEM '
                    '"http://127.0.0.1:%d/x.dtd"><Notification><Message>'
                    '&ext;</Message></Notification>' % trap.port)
        emu, out = self.deliver_and_drain([LAUGHS, external])
        records = self.dead_letters(emu)
        self.assertEqual(len(records), 2, out)
        self.assertEqual({r["reason"] for r in records}, {"XmlDoctype"})
        self.assertEqual(trap.hits, 0)
        rss = re.findall(r"VmHWM", out)
        self.assertEqual(rss, [])

    def test_broken_json_of_every_kind_is_dead_lettered(self):
        bodies = ["[" * 60000,
                  '{"resultToken": "x", "invokingEvent": {"configuration'
                  'Item": {"accountId": 99999999999999999999999}}}',
                  '{"dataType": "ConfigurationItemChangeNotification", '
                  '"configurationItem": {"resourceName": "a\\u0000b", '
                  '"resourceType": "ACS::RAM::User"}}',
                  '{"just": "json"}',
                  "not json at all",
                  '{"a": 1} trailing']
        emu, out = self.deliver_and_drain(bodies)
        records = self.dead_letters(emu)
        self.assertEqual(len(records), len(bodies), out)
        for r in records:
            self.assertTrue(r["reason"] and r["error"], r)
            self.assertEqual(r["class"], "invalid")
        self.assertEqual(emu.evaluations(), [])

    def test_largest_message_round_trips_into_the_dead_letter_queue(self):
        body = '{"pad":"%s"}' % ("x" * (65536 - 10))
        self.assertEqual(len(body.encode()), 65536)
        emu, out = self.deliver_and_drain([body])
        dlq = emu.queue_messages(harness.DLQ)
        # The record would pass 64 KiB: the body travels on its own.
        self.assertEqual(len(dlq), 2, out)
        bodies = {m["body"] for m in dlq}
        self.assertIn(body, bodies)
        record = next(json.loads(b) for b in bodies if b != body)
        self.assertIn("bodyMessageId", record)

    def test_names_with_newlines_and_quotes_stay_in_their_place(self):
        name = 'evil"name\nlevel=error event=forged'
        account = itlib.simple_account(0)
        account["users"] = [itlib.user(name, 200828888731399999,
                                       [("AliyunECSFullAccess", "System")])]
        body = json.dumps(itlib.rule_request(name, "200828888731399999"))
        emu, out = self.deliver_and_drain([body], account, via="topic")
        evals = emu.evaluations()
        self.assertEqual([e["complianceType"] for e in evals],
                         ["NON_COMPLIANT"])
        notes = harness.notifications(emu)
        self.assertEqual([harness.notified_user(n) for n in notes], [name])
        # Every log line is whole: the name never starts a line of its own.
        for line in out.splitlines():
            self.assertTrue(line.startswith("ts="), line)
        self.assertNotIn("\nlevel=error event=forged", out)

    def test_a_duplicate_delivery_gives_the_same_verdict_and_key(self):
        account = itlib.simple_account(1)
        u = account["users"][0]
        body = json.dumps(itlib.rule_request(u["name"], u["id"]))
        emu, out = self.deliver_and_drain([body, body], account, via="topic")
        evals = emu.evaluations()
        self.assertEqual(len(evals), 2)
        self.assertEqual(evals[0]["complianceType"], evals[1]["complianceType"])
        self.assertEqual(evals[0]["annotation"], evals[1]["annotation"])
        keys = [n["mfaguard"]["dedupeKey"] for n in
                harness.notifications(emu)]
        self.assertEqual(len(keys), 2)
        self.assertEqual(keys[0], keys[1])
        self.assertEqual(keys[0], harness.notifications(emu)[0]["requestId"])


if __name__ == "__main__":
    unittest.main()
