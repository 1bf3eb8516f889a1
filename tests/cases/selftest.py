#!/usr/bin/env python3
"""Prove the case runner can fail: every case in selftest/ carries a wrong
expectation, so the runner must report each of them as failed.

usage: selftest.py --mfaguard BIN --emulator BIN
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    folder = os.path.join(HERE, "selftest")
    cases = sorted(f for f in os.listdir(folder) if f.endswith(".json"))
    out = subprocess.run([sys.executable, os.path.join(HERE, "run_cases.py"),
                          folder] + sys.argv[1:], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=600)
    print(out.stdout)
    failed = {line.split()[1] for line in out.stdout.splitlines()
              if line.startswith("FAIL ")}
    missed = [c for c in cases if c not in failed]
    if out.returncode == 0 or missed:
        print("the runner let these wrong expectations pass: %s" % missed)
        return 1
    print("the runner failed all %d wrong cases, as it must" % len(cases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
