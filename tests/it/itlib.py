"""Helpers for the integration tests of the real mfaguard binary.

The binaries come from the environment (MFAGUARD_BIN, EMULATOR_BIN), set
by tests/it/CMakeLists.txt. Everything runs on 127.0.0.1.
"""

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "cases"))
import harness  # noqa: E402,F401

MFAGUARD = os.environ.get("MFAGUARD_BIN", "mfaguard")
EMULATOR = os.environ.get("EMULATOR_BIN", "mfaguard-emulator")
SHARED_CASES = os.environ.get(
    "MFAGUARD_CASES_DIR",
    os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..",
                                  "..", "shared", "cases")))
ACCOUNT_ID = 1698272328540001
TOKEN = "HLQr3BZx/C+DLjwudFcYdUsiYzW485CJlYIMAAUjibdHcJhG2uvgKZ9tXaFh2y" \
        "vVUxO2+tFf3whxOmGigYQErk1ymtmLWLzFV4JForVWYIKdbwwhbDBOgVwF7Ov9c3u"


class Case(unittest.TestCase):
    """A test with a scratch folder and log checks at the end."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mfaguard-it-")
        self.logs = []

    def log_path(self, name):
        path = os.path.join(self.dir, name)
        self.logs.append(path)
        return path

    def tearDown(self):
        # No test may ever let a secret or a whole result token reach a log.
        for path in self.logs:
            if not os.path.exists(path):
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            self.assertNotIn(harness.KEY_SECRET, text, path)
            self.assertNotIn(TOKEN, text, path)


def emulator(test, account, extra=()):
    emu = harness.Emulator(EMULATOR, account, extra_args=extra,
                           log_path=test.log_path("emulator.log"))
    test.addCleanup(emu.stop)
    return emu


def env_for(emu, **settings):
    s = {"account_id": ACCOUNT_ID}
    s.update(settings)
    return harness.worker_env(emu, s)


def run(test, args, env, timeout=120, log="mfaguard.log"):
    return harness.run_mfaguard(MFAGUARD, args, env, test.log_path(log),
                                timeout=timeout)


def setup_queues(test, emu, env):
    rc, out = run(test, ["setup"], env, timeout=30, log="setup.log")
    test.assertEqual(rc, 0, out)


def start(args, env, log_path):
    log = open(log_path, "ab")
    proc = subprocess.Popen([MFAGUARD] + list(args), env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    proc._log = log
    return proc


def stop(proc, sig=signal.SIGTERM, timeout=60):
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    proc._log.close()
    return rc


def wait_for(predicate, timeout=30, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, body=None, headers=None, timeout=30):
    data = body if body is None or isinstance(body, bytes) else \
        json.dumps(body).encode("utf-8")
    req = urllib.request.Request(url, data=data, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def logged_port(path, event="http.listening", timeout=10):
    def find():
        m = re.search(event + r".* port=(\d+)", read(path)) \
            if os.path.exists(path) else None
        return int(m.group(1)) if m else None
    return wait_for(find, timeout)


def rule_request(user, uid, when=1733300000000, actions="ecs:*,oss:*,log:*",
                 account=ACCOUNT_ID, token=TOKEN):
    item = {"accountId": account, "regionId": "global", "resourceId": uid,
            "resourceName": user, "resourceType": "ACS::RAM::User",
            "captureTime": when,
            "configuration": json.dumps({"UserName": user, "UserId": uid})}
    return {"orderingTimestamp": when,
            "invokingEvent": {
                "messageType": "ConfigurationItemChangeNotification",
                "configurationType": "COMMON", "configurationItem": item},
            "ruleParameters": {"dangerousActions": actions},
            "resultToken": token}


def sweep_request(when=1733300000000, actions="ecs:*,oss:*,log:*"):
    return {"orderingTimestamp": when,
            "invokingEvent": {"messageType": "ScheduledNotification",
                              "configurationType": "NONE"},
            "ruleParameters": {"dangerousActions": actions},
            "resultToken": TOKEN}


def change_event(rtype, name, rid, when=1733300005000):
    return {"requestId": "it-%s-%d" % (name, when),
            "dataType": "ConfigurationItemChangeNotification",
            "eventName": "ResourceUpdate", "eventType": "ResourceChange",
            "notificationCreationTime": when,
            "configurationItem": {"accountId": ACCOUNT_ID, "resourceId": rid,
                                  "resourceName": name, "resourceType": rtype,
                                  "regionId": "global", "captureTime": when,
                                  "configuration": {}}}


# ---- accounts ----

def policy(name, ptype, *statements):
    return {"name": name, "type": ptype,
            "document": {"Version": "1", "Statement": list(statements)}}


def allow(action, **kw):
    d = {"Effect": "Allow", "Action": action, "Resource": "*"}
    d.update(kw)
    return d


def user(name, uid, policies=(), groups=(), mfa=None):
    u = {"name": name, "id": str(uid), "display_name": name,
         "policies": [{"name": n, "type": t} for n, t in policies],
         "groups": list(groups),
         "login_profile": {"mfa_bind_required": False, "status": "Active"}}
    if mfa:
        u["mfa_device"] = {"type": mfa,
                           "serial": "acs:ram::%d:mfa/%s" % (ACCOUNT_ID,
                                                             name)}
    return u


def simple_account(n=1, policies=(("AliyunECSFullAccess", "System"),),
                   mfa=None):
    return {"account_id": ACCOUNT_ID,
            "users": [user("user%03d" % i, 200828888731300000 + i, policies,
                           mfa=mfa) for i in range(n)],
            "groups": [],
            "policies": [policy("AliyunECSFullAccess", "System",
                                allow("ecs:*")),
                         policy("AliyunRDSFullAccess", "System",
                                allow("rds:*"))]}


PATTERNS = ["ecs:*", "ecs:Describe*", "ECS:DeleteInstance", "oss:Get*",
            "oss:*", "log:*", "rds:*", "vpc:DescribeVpcs", "*", "ram:*",
            "ecs:?top*", "o*:Put*", "log:Get?ogstore", "kms:*", "*:List*"]


def random_statement(rng):
    effect = "Deny" if rng.random() < 0.25 else "Allow"
    acts = rng.sample(PATTERNS, rng.randint(1, 3))
    st = {"Effect": effect, "Resource": "*"}
    if rng.random() < 0.15:
        st["NotAction"] = acts
    else:
        st["Action"] = acts if len(acts) > 1 else acts[0]
    r = rng.random()
    if r < 0.1:
        st["Condition"] = {"Bool": {"acs:MFAPresent": "true" if effect ==
                                    "Allow" else "false"}}
    elif r < 0.15:
        st["Condition"] = {"IpAddress": {"acs:SourceIp": "10.0.0.0/8"}}
    elif r < 0.2:
        st["Resource"] = "acs:ecs:*:*:instance/i-1"
    return st


def random_account(seed, nusers=80, ngroups=6, npolicies=14):
    """A reproducible account with everything the semantics cover."""
    rng = random.Random(seed)
    pols = [policy("Custom%02d" % i, rng.choice(["Custom", "System"]),
                   *[random_statement(rng)
                     for _ in range(rng.randint(1, 4))])
            for i in range(npolicies)]
    refs = [(p["name"], p["type"]) for p in pols] + [("Missing", "Custom")]
    groups = [{"name": "group%d" % g,
               "policies": [{"name": n, "type": t} for n, t in
                            rng.sample(refs, rng.randint(0, 3))]}
              for g in range(ngroups)]
    users = []
    for i in range(nusers):
        users.append(user("u%03d" % i, 200828888731400000 + i,
                          rng.sample(refs, rng.randint(0, 3)),
                          rng.sample([g["name"] for g in groups],
                                     rng.randint(0, 2)),
                          mfa=rng.choice([None, None, "VMFA", "U2F"])))
    # One unattached policy that would be dangerous.
    pols.append(policy("Unattached", "Custom", allow("*")))
    return {"account_id": ACCOUNT_ID, "users": users, "groups": groups,
            "policies": pols}


# ---- a small RPC client, to get STS credentials from the emulator ----

def rpc_call(base, action, version, params, key_id=harness.KEY_ID,
             secret=harness.KEY_SECRET, sign=True):
    """A signed (SignatureVersion 1.0) POST to the emulator; the answer."""
    import base64
    import hashlib
    import hmac
    import urllib.parse
    import uuid

    def enc(s):
        return urllib.parse.quote(s, safe="-_.~")

    p = dict(params, Action=action, Version=version, Format="JSON",
             Timestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             SignatureNonce=str(uuid.uuid4()))
    if sign:
        p.update(AccessKeyId=key_id, SignatureMethod="HMAC-SHA1",
                 SignatureVersion="1.0")
        canon = "&".join("%s=%s" % (enc(k), enc(v))
                         for k, v in sorted(p.items()))
        sts = "POST&%2F&" + enc(canon)
        p["Signature"] = base64.b64encode(hmac.new(
            (secret + "&").encode(), sts.encode(), hashlib.sha1).digest()
        ).decode()
    body = "&".join("%s=%s" % (enc(k), enc(v)) for k, v in p.items())
    status, _, data = http("POST", base + "/", body.encode(), {
        "Content-Type": "application/x-www-form-urlencoded"})
    return status, json.loads(data)


def sts_credentials(emu):
    status, answer = rpc_call(emu.url, "AssumeRole", "2015-04-01", {
        "RoleArn": "acs:ram::%d:role/fc-role" % ACCOUNT_ID,
        "RoleSessionName": "it", "DurationSeconds": "3600"})
    assert status == 200, answer
    return answer["Credentials"]
