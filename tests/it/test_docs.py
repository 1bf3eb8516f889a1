"""Files generated from the settings table must match it, and the example
file must load."""

import os
import subprocess
import unittest

import itlib

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))


class Generated(unittest.TestCase):

    def output(self, *args):
        return subprocess.run([itlib.MFAGUARD] + list(args), check=True,
                              capture_output=True, text=True).stdout

    def test_configuration_reference_is_current(self):
        with open(os.path.join(ROOT, "docs", "configuration.md")) as f:
            doc = f.read()
        self.assertIn(self.output("settings", "--markdown"), doc,
                      "run scripts/gen-docs.sh")

    def test_example_file_is_current_and_loads(self):
        path = os.path.join(ROOT, "deploy", "mfaguard.conf.example")
        with open(path) as f:
            self.assertEqual(f.read(), self.output("settings", "--example"),
                             "run scripts/gen-docs.sh")
        dump = self.output("settings", "--config", path, "--dump")
        self.assertIn("queue = mfaguard", dump)

    def test_bad_settings_are_named(self):
        r = subprocess.run([itlib.MFAGUARD, "settings", "--set",
                            "batch_size=17"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("batch_size: 17 is outside 1..16", r.stderr)
        env = dict(os.environ, MFAGUARD_WAIT_SECONDS="soon")
        r = subprocess.run([itlib.MFAGUARD, "settings"], env=env,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("MFAGUARD_WAIT_SECONDS", r.stderr)


if __name__ == "__main__":
    unittest.main()
