"""The deploy checks must be able to fail.

Copies deploy/ and the product sources to a temporary folder, checks that
the copy passes, then breaks it in one known way at a time (a policy with
an action too many or too few, a new API call in the code, an API name the
analysis cannot read, an unknown setting, a probe on the wrong path, a
unit without its hardening, a real endpoint, ...) and requires the named
section to fail on each. Run by check_deploy.py --selftest.
"""

import os
import re
import shutil
import tempfile

import apis


def edit(path, old, new, count=1):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if old not in text:
        raise AssertionError("selftest: %r not found in %s" % (old, path))
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(old, new, count))


def edit_re(path, pattern, new):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    out, n = re.subn(pattern, new, text, count=1, flags=re.M)
    if n != 1:
        raise AssertionError("selftest: /%s/ not found in %s" %
                             (pattern, path))
    with open(path, "w", encoding="utf-8") as f:
        f.write(out)


def append(path, text):
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


# (section, what the break is, words of the error it must raise,
#  how: fn(deploy, src))
BREAKS = [
    ("policy", "the policy allows an action the code never calls",
     'allows ram:ListGroups',
     lambda d, s: edit(os.path.join(d, "terraform/mfaguard-policy.json"),
                       '"ram:ListUsers",', '"ram:ListUsers", "ram:ListGroups",')),
    ("policy", "the policy lacks an action the code calls",
     'lacks mns:PublishMessage',
     lambda d, s: edit(os.path.join(d, "terraform/mfaguard-policy.json"),
                       '"mns:PublishMessage"', '"mns:GetTopicAttributes"')),
    ("policy", "an MNS action allowed on every queue",
     '/queues/*: the code does not use it',
     lambda d, s: edit(os.path.join(d, "terraform/mfaguard-policy.json"),
                       '"acs:mns:*:*:/queues/mfaguard-dlq/messages"',
                       '"acs:mns:*:*:/queues/*"')),
    ("policy", "the code calls a new RAM API",
     'lacks ram:ListGroups',
     lambda d, s: edit(os.path.join(s, "worker/main.c"),
                       "static int run_settings(const struct cmdline *cl, "
                       "const struct wrk_settings *s)\n{",
                       "static int run_settings(const struct cmdline *cl, "
                       "const struct wrk_settings *s)\n{\n"
                       "    ram_list_groups_extra(NULL);")
     or append(os.path.join(s, "ram/ram.c"),
               "\nint ram_list_groups_extra(struct ram_client *c)\n{\n"
               "    return fetch(c, \"ListGroups\", NULL, 0, NULL, NULL, "
               "NULL);\n}\n")),
    ("policy", "an API name the analysis cannot read",
     'is not a literal',
     lambda d, s: edit(os.path.join(s, "ram/ram.c"),
                       'fetch(c, "GetPolicy",', 'fetch(c, policy_api(type),')),
    ("policy", "a macro that hides an RPC call",
     'a macro calls mg_rpc_call',
     lambda d, s: append(os.path.join(s, "config/client.c"),
                         "\n#define PUT(svc, p) mg_rpc_call(svc, \"X\", 1, "
                         "p, 1, NULL, NULL)\n")),
    ("policy", "a new way to make HTTP requests",
     'calls mg_http_perform',
     lambda d, s: append(os.path.join(s, "worker/ops.c"),
                         "\nstatic int sneak(void)\n{\n"
                         "    return mg_http_perform(NULL, NULL, NULL);\n}\n")),
    ("policy", "a queue argument that is not a setting",
     'is not a setting',
     lambda d, s: edit(os.path.join(s, "worker/deadletter.c"),
                       "mns_send(app->mns, app->set.dlq_queue,",
                       "mns_send(app->mns, \"other\",")),
    ("settings", "a manifest names a setting that does not exist",
     'MFAGUARD_NO_SUCH_SETTING is not a setting',
     lambda d, s: edit(os.path.join(d, "kubernetes/configmap.yaml"),
                       '  MFAGUARD_QUEUE: "mfaguard"\n',
                       '  MFAGUARD_QUEUE: "mfaguard"\n'
                       '  MFAGUARD_NO_SUCH_SETTING: "1"\n')),
    ("settings", "a manifest value the settings reject",
     'not a whole number',
     lambda d, s: edit(os.path.join(d, "kubernetes/configmap.yaml"),
                       'MFAGUARD_CONCURRENCY: "8"',
                       'MFAGUARD_CONCURRENCY: "many"')),
    ("settings", "mfaguard.conf names an unknown setting",
     'queue_name is not a setting',
     lambda d, s: edit(os.path.join(d, "systemd/mfaguard.conf"),
                       "queue = mfaguard\n", "queue_name = mfaguard\n")),
    ("settings", "mfaguard.conf edited beyond its values",
     'more than a value',
     lambda d, s: edit(os.path.join(d, "systemd/mfaguard.conf"),
                       "# --- Where ---", "# --- Here ---")),
    ("settings", "the example file is stale",
     'regenerate it',
     lambda d, s: append(os.path.join(d, "mfaguard.conf.example"), "\n")),
    ("settings", "dangerous_actions differ across deploy/",
     'dangerous_actions differ',
     lambda d, s: edit(os.path.join(d, "kubernetes/configmap.yaml"),
                       '"ecs:*,oss:*,log:*"', '"ecs:*"')),
    ("credentials", "a variable the code never reads",
     'ALIBABA_CLOUD_OIDC_TOKEN_PATH is not read',
     lambda d, s: edit(os.path.join(d, "kubernetes/deployment.yaml"),
                       "ALIBABA_CLOUD_OIDC_TOKEN_FILE\n",
                       "ALIBABA_CLOUD_OIDC_TOKEN_PATH\n")),
    ("credentials", "a real-looking key in the example credentials",
     'is not a placeholder',
     lambda d, s: edit(os.path.join(d, "systemd/credentials.env.example"),
                       "=REPLACE_WITH_ACCESS_KEY_ID", "=LTAI0000000000000000")),
    ("kubernetes", "the readiness probe on the wrong path",
     'path /ready,',
     lambda d, s: edit(os.path.join(d, "kubernetes/deployment.yaml"),
                       "path: /readyz", "path: /ready")),
    ("kubernetes", "probes on a loopback listener",
     'is loopback',
     lambda d, s: edit(os.path.join(d, "kubernetes/configmap.yaml"),
                       '"0.0.0.0:9464"', '"127.0.0.1:9464"')),
    ("kubernetes", "running as root allowed",
     'runAsNonRoot',
     lambda d, s: edit(os.path.join(d, "kubernetes/deployment.yaml"),
                       "runAsNonRoot: true", "runAsNonRoot: false")),
    ("kubernetes", "a writable root filesystem",
     'readOnlyRootFilesystem',
     lambda d, s: edit(os.path.join(d, "kubernetes/deployment.yaml"),
                       "readOnlyRootFilesystem: true",
                       "readOnlyRootFilesystem: false")),
    ("kubernetes", "a grace period shorter than shutdown_deadline",
     'terminationGracePeriodSeconds',
     lambda d, s: edit(os.path.join(d, "kubernetes/deployment.yaml"),
                       "terminationGracePeriodSeconds: 45",
                       "terminationGracePeriodSeconds: 20")),
    ("kubernetes", "the HPA left out of the kustomization",
     'does not list hpa.yaml',
     lambda d, s: edit(os.path.join(d, "kubernetes/kustomization.yaml"),
                       "  - hpa.yaml\n", "")),
    ("kubernetes", "the token file outside the projected volume",
     'is not a projected service account token',
     lambda d, s: edit(os.path.join(d, "kubernetes/deployment.yaml"),
                       "value: /var/run/secrets/mfaguard/rrsa/token",
                       "value: /var/run/secrets/mfaguard/token")),
    ("kubernetes", "a manifest that does not parse",
     'while parsing',
     lambda d, s: append(os.path.join(d, "kubernetes/pdb.yaml"),
                         "  bad: [unclosed\n")),
    ("systemd", "NoNewPrivileges removed",
     'NoNewPrivileges is missing',
     lambda d, s: edit(os.path.join(d, "systemd/mfaguard.service"),
                       "NoNewPrivileges=yes\n", "")),
    ("systemd", "a key systemd does not know",
     "Unknown key 'ProtectEverything'",
     lambda d, s: edit(os.path.join(d, "systemd/mfaguard.service"),
                       "LockPersonality=yes\n",
                       "LockPersonality=yes\nProtectEverything=yes\n")),
    ("systemd", "a stop timeout shorter than shutdown_deadline",
     'TimeoutStopSec',
     lambda d, s: edit(os.path.join(d, "systemd/mfaguard.service"),
                       "TimeoutStopSec=45s", "TimeoutStopSec=15s")),
    ("container", "the image runs as root",
     'non-zero uid',
     lambda d, s: edit(os.path.join(d, "container/Dockerfile"),
                       "USER 10001:10001", "USER 0:0")),
    ("container", "a runtime package Debian does not have",
     'libmfaguard9 is not a Debian package',
     lambda d, s: edit(os.path.join(d, "container/Dockerfile"),
                       'libcjson1 libcurl4', 'libcjson1 libcurl4 libmfaguard9')),
    ("container", "a build stage that no longer runs compile.sh",
     'must end with',
     lambda d, s: edit(os.path.join(d, "container/Dockerfile"),
                       "RUN sh /src/deploy/container/compile.sh /src /build "
                       "/out", "RUN cmake -S /src -B /build && cmake --build "
                       "/build")),
    ("terraform", "an unbalanced brace",
     'outputs.tf',
     lambda d, s: append(os.path.join(d, "terraform/outputs.tf"),
                         '\noutput "x" {\n  value = 1\n')),
    ("terraform", "an undeclared variable",
     'var.subscription_fmt is used but not declared',
     lambda d, s: edit(os.path.join(d, "terraform/main.tf"),
                       "var.subscription_format", "var.subscription_fmt")),
    ("terraform", "a default endpoint",
     'has a default endpoint',
     lambda d, s: edit_re(os.path.join(d, "terraform/variables.tf"),
                          r'^variable "sts_endpoint" \{\n(.*\n){2}'
                          r'  default     = ""',
                          'variable "sts_endpoint" {\n  description = "x"\n'
                          '  type        = string\n'
                          '  default     = "https://sts.example"')),
    ("settings", "a queue name that differs from the setting's default",
     "dlq_queue defaults to 'mfaguard-dead'",
     lambda d, s: edit(os.path.join(d, "terraform/variables.tf"),
                       'default     = "mfaguard-dlq"',
                       'default     = "mfaguard-dead"')),
    ("hosts", "a real endpoint in a manifest",
     'names ram.aliyuncs.com',
     lambda d, s: edit(os.path.join(d, "kubernetes/configmap.yaml"),
                       'MFAGUARD_RAM_ENDPOINT: ""',
                       'MFAGUARD_RAM_ENDPOINT: "https://ram.aliyuncs.com"')),
    ("hosts", "the metadata address",
     'names 100.100.100.200',
     lambda d, s: edit(os.path.join(d, "systemd/mfaguard.conf"),
                       "# metadata_endpoint =",
                       "metadata_endpoint = http://100.100.100.200")),
    ("scripts", "a shell script with a syntax error",
     'Syntax error',
     lambda d, s: append(os.path.join(d, "container/compile.sh"),
                         "\nif then\n")),
]


class _Args:
    pass


def _copy(args, tmp):
    deploy = os.path.join(tmp, "deploy")
    src = os.path.join(tmp, "src")
    shutil.copytree(args.deploy or os.path.join(args.repo, "deploy"), deploy,
                    ignore=shutil.ignore_patterns(".terraform",
                                                  "node_modules"))
    for d in apis.PRODUCT_DIRS:
        shutil.copytree(os.path.join(args.repo, d), os.path.join(src, d))
    return deploy, src


def run(args, context_class, run_sections):
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "base")
        deploy, src = _copy(args, base)
        ctx_args = _Args()
        ctx_args.__dict__.update(vars(args))
        ctx_args.deploy, ctx_args.src = deploy, src
        sections = sorted({b[0] for b in BREAKS})
        bad = run_sections(context_class(ctx_args), sections, quiet=True)
        if bad:
            print("FAIL the unbroken copy does not pass: %s" % bad)
            return 1
        print("ok   the unbroken copy passes %s" % ", ".join(sections))
        for n, (section, what, expect, how) in enumerate(BREAKS):
            work = os.path.join(tmp, "case%d" % n)
            deploy, src = _copy(args, work)
            how(deploy, src)
            ctx_args.deploy, ctx_args.src = deploy, src
            caught = run_sections(context_class(ctx_args), [section],
                                  quiet=True)
            errors = caught[0][1] if caught else []
            hit = [e for e in errors if expect in e]
            if hit:
                print("ok   %-11s caught: %s\n       (%s)" %
                      (section, what, hit[0].split("\n")[0][:150]))
            else:
                failures += 1
                print("FAIL %-11s missed: %s (wanted an error with %r; "
                      "got %s)" % (section, what, expect, errors))
            shutil.rmtree(work)
    print("%d passed, %d failed" % (len(BREAKS) - failures, failures))
    return 1 if failures else 0
