"""The ways in: Function Compute (`serve`), every credential source, and
TLS verification."""

import json
import os
import re
import subprocess
import time
import unittest

import itlib
from itlib import harness

CASE01 = os.path.join(itlib.SHARED_CASES, "01-seed-ecs-full-access-no-mfa.json")


def no_keys(env):
    for k in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
              "ALIBABA_CLOUD_SECURITY_TOKEN"):
        env.pop(k, None)
    return env


class Serve(itlib.Case):

    def start_serve(self, emu, mode):
        port = itlib.free_port()
        env = no_keys(itlib.env_for(emu, serve_mode=mode,
                                    serve_listen="127.0.0.1:9000"))
        env["FC_SERVER_PORT"] = str(port)
        log = self.log_path("serve-%s.log" % mode)
        proc = itlib.start(["serve"], env, log)
        self.addCleanup(itlib.stop, proc)
        self.assertTrue(itlib.logged_port(log, "serve.started"),
                        itlib.read(log))
        return "http://127.0.0.1:%d" % port, log, proc

    def invoke(self, base, body, creds, rid):
        headers = {"x-fc-request-id": rid,
                   "x-fc-access-key-id": creds["AccessKeyId"],
                   "x-fc-access-key-secret": creds["AccessKeySecret"],
                   "x-fc-security-token": creds["SecurityToken"],
                   "Content-Type": "application/octet-stream"}
        return itlib.http("POST", base + "/invoke", body, headers)

    def test_evaluate_mode_writes_the_verdict(self):
        with open(CASE01, encoding="utf-8") as f:
            case = json.load(f)
        emu = itlib.emulator(self, case["account"])
        itlib.setup_queues(self, emu, itlib.env_for(emu))
        base, log, proc = self.start_serve(emu, "evaluate")
        creds = itlib.sts_credentials(emu)
        body = json.dumps(case["body"]).encode()

        status, headers, out = self.invoke(base, body, creds, "req-1")
        self.assertEqual(status, 200, out)
        self.assertEqual(headers.get("x-fc-status"), "200")
        self.assertEqual(json.loads(out)["outcome"], "done")
        evals = emu.evaluations()
        self.assertEqual([e["complianceType"] for e in evals],
                         ["NON_COMPLIANT"])
        self.assertEqual(len(harness.notifications(emu)), 1)
        self.assertEqual(evals[0]["accountId"], 1698272328540001)

        status, headers, out = self.invoke(base, b"{\"half\": ", creds,
                                           "req-2")
        self.assertEqual(status, 404)
        self.assertEqual(headers.get("x-fc-status"), "404")
        self.assertEqual(json.loads(out)["outcome"], "rejected")
        self.assertEqual(itlib.http("POST", base + "/initialize", b"",
                                    {"x-fc-request-id": "init"})[0], 200)
        self.assertEqual(itlib.stop(proc), 0)
        text = itlib.read(log)
        for rid in ("req-1", "req-2"):
            self.assertIn("FC Invoke Start RequestId: %s\n" % rid, text)
            self.assertIn("FC Invoke End RequestId: %s\n" % rid, text)
        self.assertNotIn(creds["AccessKeySecret"], text)
        self.assertNotIn(creds["SecurityToken"], text)

    def test_forward_mode_publishes_to_the_topic(self):
        emu = itlib.emulator(self, itlib.simple_account(1))
        itlib.setup_queues(self, emu, itlib.env_for(emu))
        base, log, proc = self.start_serve(emu, "forward")
        creds = itlib.sts_credentials(emu)
        status, headers, out = self.invoke(base, b"{\"any\":\"event\"}",
                                           creds, "req-9")
        self.assertEqual(status, 200, out)
        self.assertEqual(json.loads(out)["outcome"], "forwarded")
        bodies = [m["body"] for m in emu.topic_messages(harness.TOPIC)]
        self.assertEqual(bodies, ["{\"any\":\"event\"}"])


class Credentials(itlib.Case):

    def check(self, emu, env):
        rc, out = itlib.run(self, ["check", "user000", "--format", "json"],
                            env, timeout=60, log="check.log")
        self.assertEqual(rc, 1, out)  # user000 is NON_COMPLIANT
        return json.loads(out.strip().splitlines()[-1])

    def profile(self, **fields):
        path = os.path.join(self.dir, "config.json")
        with open(path, "w") as f:
            json.dump({"current": "other", "profiles": [
                dict({"name": "mine"}, **fields),
                {"name": "other", "mode": "AK", "access_key_id": "nope",
                 "access_key_secret": "nope"}]}, f)
        return path

    def env(self, emu, **settings):
        env = no_keys(itlib.env_for(emu, dangerous_actions="ecs:*",
                                    **settings))
        env["HOME"] = self.dir
        return env

    def test_environment_keys(self):
        emu = itlib.emulator(self, itlib.simple_account(1))
        env = itlib.env_for(emu, dangerous_actions="ecs:*")
        self.assertEqual(self.check(emu, env)["verdict"], "NON_COMPLIANT")

    def test_cli_profile_access_key(self):
        emu = itlib.emulator(self, itlib.simple_account(1))
        env = self.env(emu)
        env["ALIBABA_CLOUD_CONFIG_FILE"] = self.profile(
            mode="AK", access_key_id=harness.KEY_ID,
            access_key_secret=harness.KEY_SECRET)
        env["ALIBABA_CLOUD_PROFILE"] = "mine"
        self.assertEqual(self.check(emu, env)["verdict"], "NON_COMPLIANT")

    def test_cli_profile_sts_token(self):
        emu = itlib.emulator(self, itlib.simple_account(1))
        creds = itlib.sts_credentials(emu)
        env = self.env(emu)
        env["ALIBABA_CLOUD_CONFIG_FILE"] = self.profile(
            mode="StsToken", access_key_id=creds["AccessKeyId"],
            access_key_secret=creds["AccessKeySecret"],
            sts_token=creds["SecurityToken"])
        env["ALIBABA_CLOUD_PROFILE"] = "mine"
        self.assertEqual(self.check(emu, env)["verdict"], "NON_COMPLIANT")
        # The token is what makes the temporary keys valid.
        env["ALIBABA_CLOUD_CONFIG_FILE"] = self.profile(
            mode="StsToken", access_key_id=creds["AccessKeyId"],
            access_key_secret=creds["AccessKeySecret"], sts_token="wrong")
        rc, out = itlib.run(self, ["check", "user000"], env, log="bad.log")
        self.assertEqual(rc, 2, out)

    def test_cli_profile_ram_role_arn_through_sts(self):
        emu = itlib.emulator(self, itlib.simple_account(1))
        env = self.env(emu, sts_endpoint=emu.url)
        env["ALIBABA_CLOUD_CONFIG_FILE"] = self.profile(
            mode="RamRoleArn", access_key_id=harness.KEY_ID,
            access_key_secret=harness.KEY_SECRET,
            ram_role_arn="acs:ram::%d:role/auditor" % itlib.ACCOUNT_ID,
            ram_session_name="it")
        env["ALIBABA_CLOUD_PROFILE"] = "mine"
        self.check(emu, env)
        self.assertEqual(emu.stats()["calls"].get("sts.AssumeRole"), 1)

    def test_ecs_ram_role_through_instance_metadata(self):
        emu = itlib.emulator(self, itlib.simple_account(1),
                             ["--ecs-role", "auditor"])
        env = self.env(emu, metadata_endpoint=emu.url)
        env["ALIBABA_CLOUD_CONFIG_FILE"] = self.profile(
            mode="EcsRamRole", ram_role_name="")
        env["ALIBABA_CLOUD_PROFILE"] = "mine"
        self.assertEqual(self.check(emu, env)["verdict"], "NON_COMPLIANT")

    def test_rrsa_through_assume_role_with_oidc(self):
        emu = itlib.emulator(self, itlib.simple_account(1))
        token = os.path.join(self.dir, "token")
        with open(token, "w") as f:
            f.write("eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n")
        env = self.env(emu, sts_endpoint=emu.url)
        env.update({
            "ALIBABA_CLOUD_ROLE_ARN": "acs:ram::%d:role/k8s" % itlib.ACCOUNT_ID,
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN":
                "acs:ram::%d:oidc-provider/ack" % itlib.ACCOUNT_ID,
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE": token})
        self.check(emu, env)
        self.assertEqual(emu.stats()["calls"].get("sts.AssumeRoleWithOIDC"),
                         1)

    def test_short_lived_credentials_are_refreshed(self):
        account = itlib.simple_account(3)
        emu = itlib.emulator(self, account, ["--sts-ttl-ms", "4000",
                                             "--latency-ms", "ram=300"])
        env = self.env(emu, sts_endpoint=emu.url, sweep_mode="users",
                       io_threads=0, concurrency=1)
        env["ALIBABA_CLOUD_CONFIG_FILE"] = self.profile(
            mode="RamRoleArn", access_key_id=harness.KEY_ID,
            access_key_secret=harness.KEY_SECRET,
            ram_role_arn="acs:ram::%d:role/auditor" % itlib.ACCOUNT_ID)
        env["ALIBABA_CLOUD_PROFILE"] = "mine"
        rc, out = itlib.run(self, ["scan"], env, timeout=120, log="scan.log")
        self.assertEqual(rc, 1, out)
        self.assertIn("3 users", out)
        self.assertGreaterEqual(emu.stats()["calls"].get("sts.AssumeRole"),
                                2, out)
        self.assertIn("credentials.refreshed", out)

    def test_no_credentials_is_a_clear_error(self):
        emu = itlib.emulator(self, itlib.simple_account(1))
        rc, out = itlib.run(self, ["check", "user000"], self.env(emu))
        self.assertEqual(rc, 2)
        self.assertIn("no credentials", out)


class Tls(itlib.Case):

    def https_server(self):
        key = os.path.join(self.dir, "key.pem")
        cert = os.path.join(self.dir, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                        "-subj", "/CN=127.0.0.1"], check=True,
                       capture_output=True)
        port = itlib.free_port()
        code = ("import http.server,ssl\n"
                "s=http.server.HTTPServer(('127.0.0.1',%d),"
                "http.server.BaseHTTPRequestHandler)\n"
                "c=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
                "c.load_cert_chain(%r,%r)\n"
                "s.socket=c.wrap_socket(s.socket,server_side=True)\n"
                "s.serve_forever()\n" % (port, cert, key))
        proc = subprocess.Popen(["python3", "-c", code],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        time.sleep(0.5)
        return "https://127.0.0.1:%d" % port

    def test_certificates_are_checked_unless_turned_off(self):
        emu = itlib.emulator(self, itlib.simple_account(1))
        url = self.https_server()
        env = itlib.env_for(emu, dangerous_actions="ecs:*", ram_endpoint=url,
                            call_attempts=1)
        rc, out = itlib.run(self, ["check", "user000"], env, log="tls.log")
        self.assertEqual(rc, 2, out)
        self.assertIn("Transport.Tls", out)
        self.assertNotIn("tls.verification_off", out)

        env["MFAGUARD_TLS_VERIFY"] = "false"
        rc, out = itlib.run(self, ["check", "user000"], env, log="tls2.log")
        self.assertEqual(rc, 2, out)
        self.assertIn("event=tls.verification_off", out)
        self.assertNotIn("Transport.Tls", out)


if __name__ == "__main__":
    unittest.main()
