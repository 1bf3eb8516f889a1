"""The policy-side sweep must write exactly what the per-user check writes.

For every account of the shared cases and for generated accounts (groups,
Deny, NotAction, MFA conditions, security keys, missing and unattached
policies), both sweep modes run through `mfaguard scan` against the
emulator and are compared user by user, verdict and annotation. The
policy-side sweep must also make fewer RAM calls.
"""

import glob
import json
import os
import unittest

import itlib

RULES = ["ecs:*,oss:*,log:*", "*", "oss:Get*, kms:*", "ram:*"]


def scan(test, emu, mode, actions, only_custom=False):
    env = itlib.env_for(emu, sweep_mode=mode, dangerous_actions=actions,
                        only_custom=only_custom)
    before = emu.stats()["families"].get("ram", 0)
    rc, out = itlib.run(test, ["scan", "--format", "json"], env,
                        log="scan-%s.log" % mode)
    test.assertIn(rc, (0, 1), out)
    rows = {}
    for line in out.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            rows[row["user"]] = (row["verdict"], row["annotation"])
    return rows, emu.stats()["families"].get("ram", 0) - before


class SweepEqualsPerUser(itlib.Case):

    def compare(self, account, label):
        emu = itlib.emulator(self, account)
        for actions in RULES:
            for only_custom in (False, True):
                users, calls_users = scan(self, emu, "users", actions,
                                          only_custom)
                pols, calls_pols = scan(self, emu, "policies", actions,
                                        only_custom)
                what = "%s, rule %r, only_custom=%s" % (label, actions,
                                                        only_custom)
                self.assertEqual(len(users), len(account["users"]), what)
                for name in sorted(users):
                    self.assertEqual(pols.get(name), users[name],
                                     "%s: user %s" % (what, name))
                self.assertEqual(set(pols), set(users), what)
                if len(users) >= 20:
                    self.assertLess(calls_pols, calls_users, what)

    def test_every_shared_case_account(self):
        for path in sorted(glob.glob(os.path.join(itlib.SHARED_CASES,
                                                  "*.json"))):
            with open(path, encoding="utf-8") as f:
                account = json.load(f)["account"]
            if account.get("users"):
                account = dict(account, faults=[])
                self.compare(account, os.path.basename(path))

    def test_generated_accounts(self):
        for seed in range(6):
            self.compare(itlib.random_account(seed), "seed %d" % seed)

    def test_verdicts_are_not_all_alike(self):
        """Guard the comparison itself: generated accounts must hold every
        kind of verdict, or equality would prove little."""
        emu = itlib.emulator(self, itlib.random_account(1))
        rows, _ = scan(self, emu, "policies", "ecs:*,oss:*,log:*")
        kinds = {v for v, _ in rows.values()}
        self.assertEqual(kinds, {"COMPLIANT", "NON_COMPLIANT"})
        notes = {a.split(";")[-1].strip() for v, a in rows.values()
                 if v != "NOT_APPLICABLE"}
        self.assertIn("no MFA device", notes)
        self.assertTrue(any("bound" in n for n in notes))


if __name__ == "__main__":
    unittest.main()
