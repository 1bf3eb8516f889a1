"""Shared plumbing for tests that run mfaguard against the emulator.

Starts the emulator on a free loopback port, runs the mfaguard binary
with settings pointing at it, and reads back through the emulator's admin
interface what the worker did. Used by the case runner, the integration
tests and the benchmark scripts. Standard library only.
"""

import base64
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

KEY_ID = "mfaguard-test-key"
KEY_SECRET = "mfaguard-test-secret-value"
TOPIC = "MNSTestConfig"
QUEUE = "mfaguard"
DLQ = "mfaguard-dlq"
TAG = "mfaguard"


class Emulator:
    """A running mfaguard-emulator process on 127.0.0.1."""

    def __init__(self, binary, account=None, extra_args=(), log_path=None):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="mfaguard-emu-")
        port_file = os.path.join(self.dir, "port")
        args = [binary, "--listen", "127.0.0.1:0", "--port-file", port_file,
                "--key", "%s:%s" % (KEY_ID, KEY_SECRET), "--quiet"]
        if account is not None:
            path = os.path.join(self.dir, "account.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(account, f)
            args += ["--account", path]
        args += list(extra_args)
        self.log_path = log_path or os.path.join(self.dir, "emulator.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        self.port = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("emulator exited with %d; see %s"
                                   % (self.proc.returncode, self.log_path))
            try:
                with open(port_file) as f:
                    text = f.read().strip()
                if text:
                    self.port = int(text)
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        if self.port is None:
            self.stop()
            raise RuntimeError("emulator did not start; see " + self.log_path)
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # --- admin interface ---

    def admin(self, method, path, body=None, raw=False):
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else (
                body.encode("utf-8") if isinstance(body, str)
                else json.dumps(body).encode("utf-8"))
        req = urllib.request.Request(self.url + "/_emulator" + path,
                                     data=data, method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read()
        if raw:
            return text
        return json.loads(text) if text else None

    def publish(self, topic, body, tag=None):
        path = "/topics/%s/publish" % topic
        if tag:
            path += "?tag=" + tag
        return self.admin("POST", path, body)

    def send(self, queue, body):
        return self.admin("POST", "/queues/%s/send" % queue, body)

    def evaluations(self):
        """Every evaluation written, with its call's token, in order.

        accountId stays exact: the raw Evaluations text is parsed here, and
        Python integers have no size limit."""
        out = []
        for call in self.admin("GET", "/evaluations")["calls"]:
            for ev in json.loads(call["evaluations_raw"]):
                ev["_token"] = call["result_token"]
                ev["_seq"] = call["seq"]
                out.append(ev)
        return out

    def topic_messages(self, topic):
        return self.admin("GET", "/topics/%s/messages" % topic)["messages"]

    def queue_messages(self, queue):
        try:
            return self.admin("GET", "/queues/%s/messages" % queue)["messages"]
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return []
            raise

    def log_events(self, since=0):
        return self.admin("GET", "/log?since=%d" % since)["events"]

    def stats(self):
        return self.admin("GET", "/stats")

    def settings(self, **kw):
        self.admin("POST", "/settings", kw)


def worker_env(emulator, settings=None, base=None):
    """Environment for an mfaguard process aimed at the emulator."""
    env = dict(base if base is not None else os.environ)
    for k in list(env):
        if k.startswith("MFAGUARD_") or k.startswith("ALIBABA_CLOUD_"):
            del env[k]
    env.update({
        "ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": KEY_SECRET,
        "MFAGUARD_MNS_ENDPOINT": emulator.url,
        "MFAGUARD_RAM_ENDPOINT": emulator.url,
        "MFAGUARD_CONFIG_ENDPOINT": emulator.url,
        "MFAGUARD_QUEUE": QUEUE,
        "MFAGUARD_DLQ_QUEUE": DLQ,
        "MFAGUARD_TOPIC": TOPIC,
        "MFAGUARD_NOTIFY_TOPIC": TOPIC,
        "MFAGUARD_NOTIFY_TAG": TAG,
        "MFAGUARD_WAIT_SECONDS": "1",
        "MFAGUARD_RETRY_DELAY": "1",
        "MFAGUARD_RETRY_BASE_MS": "20",
        "MFAGUARD_RETRY_CAP_MS": "200",
        "MFAGUARD_HTTP_LISTEN": "",
    })
    for name, value in (settings or {}).items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        env["MFAGUARD_" + name.upper()] = str(value)
    return env


def run_mfaguard(binary, args, env, log_path, timeout=120):
    """Run mfaguard to completion; return (exit code, what it printed).

    The output is appended to log_path; only this run's part is returned.
    """
    start = os.path.getsize(log_path) if os.path.exists(log_path) else 0
    with open(log_path, "ab") as log:
        try:
            rc = subprocess.run([binary] + list(args), env=env, stdout=log,
                                stderr=subprocess.STDOUT,
                                timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    with open(log_path, "rb") as f:
        f.seek(start)
        return rc, f.read().decode("utf-8", errors="replace")


def encode_body(case):
    """The message text a case delivers: its exact body_text, or its body
    serialised compactly as UTF-8, Base64-encoded when asked."""
    if "body_text" in case:
        text = case["body_text"]
    else:
        text = json.dumps(case["body"], separators=(",", ":"),
                          ensure_ascii=False)
    if case["delivery"].get("base64"):
        text = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return text.encode("utf-8")


def notifications(emulator, topic=TOPIC, tag=TAG):
    """The worker's notifications on a topic, parsed."""
    out = []
    for m in emulator.topic_messages(topic):
        if m.get("tag") != tag:
            continue
        body = json.loads(m["body"])
        out.append(body)
    return out


def notified_user(note):
    extra = note.get("mfaguard") or {}
    if extra.get("user"):
        return extra["user"]
    q = note.get("evaluationResultIdentifier", {}).get(
        "evaluationResultQualifier", {})
    return q.get("resourceName")
