#!/usr/bin/env python3
"""Check every file in deploy/ as far as this machine allows.

    check_deploy.py --mfaguard BIN [--only SECTION ...] [--selftest]

Sections (each also a ctest test, deploy.<section>):

  policy      deploy/terraform/mfaguard-policy.json allows exactly the
              actions the code can call (tests/deploy/apis.py derives
              them from the C sources), with MNS resources no wider than
              the queues and topics the code names
  settings    every MFAGUARD_* name in deploy/ is a real setting; the
              example file is `settings --example`; mfaguard.conf is that
              file with values edited, and parses; every value set in the
              manifests, the image and Terraform parses; shared values
              agree across deploy/
  credentials every ALIBABA_CLOUD_* name in deploy/ is one the code reads
  kubernetes  the manifests parse and have what a worker needs (probes,
              non-root, read-only root, PDB, HPA, RRSA, grace period)
  systemd     the unit's sections and keys, its hardening, and
              systemd-analyze verify and security when available
  container   the Dockerfile's stages, packages (they exist in Debian),
              user, entry point and port, and that build.sh follows it
  terraform   the .tf files parse (HashiCorp's HCL parser, from npm, when
              installed; otherwise a structural check) and hold the
              resources, variables and wiring described in README.md
  hosts       no file in deploy/ points at a real Alibaba Cloud host or
              the metadata address outside comments
  scripts     bash -n and shellcheck (when available) on every script

--selftest copies deploy/ and the sources to a temporary folder, breaks
them in known ways and requires each break to be caught.

Python 3 standard library and python3-yaml; nothing here contacts a
network or a cloud.
"""

import argparse
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apis  # noqa: E402

try:
    import yaml
except ImportError:  # reported by the sections that need it
    yaml = None

HERE = os.path.dirname(os.path.abspath(__file__))
SECTIONS = ("policy", "settings", "credentials", "kubernetes", "systemd",
            "container", "terraform", "hosts", "scripts")

# Values that must agree between the settings defaults and Terraform's
# variable defaults (same names).
SHARED_NAMES = ("queue", "dlq_queue", "topic", "notify_topic", "notify_tag",
                "subscription", "subscription_format", "rule_name",
                "visibility_timeout")

# Host names allowed in deploy/ outside comments, and why.
ALLOWED_HOSTS = {
    ("terraform/ram.tf", "fc.aliyuncs.com"):
        "Function Compute's service principal in a trust policy: a name "
        "RAM matches, not an address anything connects to",
}

UNIT_SECTIONS = {"Unit", "Service", "Install"}

# The unit's hardening: key -> required value (None: present, any value).
UNIT_REQUIRED = {
    "Type": "simple",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "CapabilityBoundingSet": "",
    "KillSignal": "SIGTERM",
    "Restart": "on-failure",
    "EnvironmentFile": None,
    "TimeoutStopSec": None,
}

# systemd-analyze security: the highest exposure accepted.
UNIT_EXPOSURE_MAX = "2.0"


class Context:
    def __init__(self, args):
        self.repo = os.path.abspath(args.repo)
        self.src = os.path.abspath(args.src or args.repo)
        self.deploy = os.path.abspath(args.deploy or
                                      os.path.join(self.repo, "deploy"))
        self.mfaguard = os.path.abspath(args.mfaguard)
        self.node = args.node
        self.require_hcl = args.require_hcl
        self.notes = []
        self._defaults = None
        self._hcl = None
        self._yaml = None

    # -- helpers --------------------------------------------------------

    def path(self, *parts):
        return os.path.join(self.deploy, *parts)

    def rel(self, path):
        return os.path.relpath(path, self.deploy)

    def read(self, *parts):
        with open(self.path(*parts), encoding="utf-8") as f:
            return f.read()

    def files(self):
        out = []
        for dirpath, dirnames, filenames in os.walk(self.deploy):
            dirnames[:] = [d for d in dirnames
                           if d not in (".terraform", "node_modules")]
            for name in filenames:
                out.append(os.path.join(dirpath, name))
        return sorted(out)

    def clean_env(self, extra=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("MFAGUARD_") and
               not k.startswith("ALIBABA_CLOUD_")}
        env.update(extra or {})
        return env

    def run_mfaguard(self, args, env=None):
        return subprocess.run([self.mfaguard] + args, capture_output=True,
                              text=True, env=self.clean_env(env),
                              timeout=60)

    def defaults(self):
        """{setting: default} from `mfaguard settings --dump`."""
        if self._defaults is None:
            r = self.run_mfaguard(["settings", "--dump"])
            if r.returncode != 0:
                raise RuntimeError("mfaguard settings --dump failed: " +
                                   r.stderr)
            self._defaults = parse_dump(r.stdout)
        return self._defaults

    def manifests(self):
        """[(file, document)] of every YAML file in deploy/kubernetes."""
        if self._yaml is None:
            if yaml is None:
                raise RuntimeError("python3-yaml is not installed "
                                   "(scripts/deps.sh installs it)")
            docs = []
            for path in sorted(glob.glob(self.path("kubernetes", "*.yaml"))):
                with open(path, encoding="utf-8") as f:
                    for doc in yaml.safe_load_all(f):
                        if doc is not None:
                            docs.append((os.path.basename(path), doc))
            self._yaml = docs
        return self._yaml

    def kind(self, kind, name=None):
        out = [d for f, d in self.manifests()
               if d.get("kind") == kind and
               (name is None or d["metadata"]["name"] == name)]
        return out

    def hcl(self):
        """{file: parsed} with HashiCorp's parser, or None."""
        if self._hcl is None:
            self._hcl = parse_hcl(self) or False
            if self._hcl is False:
                self.notes.append(
                    "HashiCorp's HCL parser is not installed (node and "
                    "tests/deploy/node_modules: `npm ci` in tests/deploy): "
                    "checks that read Terraform values were skipped")
        return self._hcl or None


def parse_dump(text):
    out = {}
    for line in text.splitlines():
        name, sep, value = line.partition(" =")
        if sep:
            out[name] = value[1:] if value.startswith(" ") else value
    return out


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def host_of(address):
    return address.rsplit(":", 1)[0]


# ================================================================ policy


def check_policy(ctx, errors):
    defaults = ctx.defaults()
    try:
        result = apis.analyse(ctx.src, set(defaults))
    except apis.AnalysisError as e:
        errors.append("source analysis: %s" % e)
        return
    errors.extend(result["problems"])
    print("  APIs the code can call (reachable from main):")
    for family, api in sorted(result["apis"]):
        note = ("  (STS: authorised by the trust policy or the caller's own "
                "keys, not this policy)"
                if family in apis.NOT_IN_ROLE_POLICY else "")
        print("    %s %s%s" % (family, api, note))
    for family, api in sorted(result["excluded"]):
        print("    excluded: %s %s (only through %s)" %
              (family, api, ", ".join(sorted(apis.EXCLUDED))))

    try:
        policy = json.loads(ctx.read("terraform", "mfaguard-policy.json"))
    except ValueError as e:
        errors.append("mfaguard-policy.json: %s" % e)
        return
    if policy.get("Version") != "1":
        errors.append("mfaguard-policy.json: Version must be \"1\"")
    allowed = {}
    sids = set()
    for n, st in enumerate(policy.get("Statement", [])):
        where = "statement %s" % st.get("Sid", n)
        sid = st.get("Sid")
        if not sid or sid in sids:
            errors.append("%s: every statement needs its own Sid" % where)
        sids.add(sid)
        if st.get("Effect") != "Allow":
            errors.append("%s: only Allow statements" % where)
        for key in ("NotAction", "NotResource", "Principal", "Condition"):
            if key in st:
                errors.append("%s: %s is not expected" % (where, key))
        actions = st.get("Action", [])
        resources = st.get("Resource", [])
        if not isinstance(actions, list) or not isinstance(resources, list):
            errors.append("%s: Action and Resource must be lists (ram.tf "
                          "replaces Resource by Sid)" % where)
            continue
        for a in actions:
            if "*" in a or "?" in a:
                errors.append("%s: wildcard action %s" % (where, a))
            for r in resources:
                allowed.setdefault(a, set()).add(r)

    expected = result["actions"]
    extra = sorted(set(allowed) - expected)
    missing = sorted(expected - set(allowed))
    for a in extra:
        errors.append("policy allows %s, which the code never calls" % a)
    for a in missing:
        errors.append("policy lacks %s, which the code calls" % a)

    # MNS resources: exactly the queues and topics the code names.
    wanted = {}
    for action, kind, setting in result["mns"]:
        arn = apis.mns_arn(kind, defaults[setting])
        wanted.setdefault(action, set()).add(arn)
    for action, resources in sorted(allowed.items()):
        if not action.startswith("mns:"):
            if resources != {"*"}:
                errors.append("%s: Resource %s (expected [\"*\"])" %
                              (action, sorted(resources)))
            continue
        for r in sorted(resources - wanted.get(action, set())):
            errors.append("%s on %s: the code does not use it there" %
                          (action, r))
        for r in sorted(wanted.get(action, set()) - resources):
            errors.append("%s on %s: needed by the code, not allowed" %
                          (action, r))
    print("  policy: %d actions, all called by the code" %
          len(set(allowed) & expected))


# ============================================================== settings


def mfaguard_names(text):
    return set(re.findall(r"(?:(?<![A-Za-z0-9_])|(?<=-D))"
                          r"(MFAGUARD_[A-Z0-9_]*[A-Z0-9])\b", text))


def cmake_options(repo):
    """MFAGUARD_* names that are CMake options (option(...) in the
    project's CMakeLists.txt files), not settings."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = [d for d in dirnames if not d.startswith("build") and
                       d not in (".git", "node_modules")]
        if "CMakeLists.txt" in filenames:
            with open(os.path.join(dirpath, "CMakeLists.txt"),
                      encoding="utf-8") as f:
                out |= set(re.findall(r"option\(\s*(MFAGUARD_[A-Z0-9_]+)",
                                      f.read()))
    return out


def check_settings(ctx, errors):
    defaults = ctx.defaults()
    options = cmake_options(ctx.repo)
    for name in options:
        if name[len("MFAGUARD_"):].lower() in defaults:
            errors.append("%s is both a CMake option and a setting's "
                          "variable" % name)

    # Every MFAGUARD_* name anywhere in deploy/ (CMake options aside).
    for path in ctx.files():
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except UnicodeDecodeError:
            continue
        for var in sorted(mfaguard_names(text) - options):
            name = var[len("MFAGUARD_"):].lower()
            if name not in defaults:
                errors.append("%s: %s is not a setting (nor a CMake "
                              "option)" % (ctx.rel(path), var))

    # The example file is the binary's own output.
    example = ctx.run_mfaguard(["settings", "--example"]).stdout
    try:
        if ctx.read("mfaguard.conf.example") != example:
            errors.append("mfaguard.conf.example differs from `mfaguard "
                          "settings --example`: regenerate it")
    except FileNotFoundError:
        errors.append("mfaguard.conf.example is missing")

    # mfaguard.conf: the example with values edited, nothing else.
    conf_path = ctx.path("systemd", "mfaguard.conf")
    conf = ctx.read("systemd", "mfaguard.conf").split("\n")
    ex = example.split("\n")
    setting_line = re.compile(r"^(# )?([a-z_][a-z0-9_]*) = ?(.*)$")
    set_values = {}
    if len(conf) != len(ex):
        errors.append("systemd/mfaguard.conf has %d lines, the example %d: "
                      "only values may change" % (len(conf), len(ex)))
    for n, (a, b) in enumerate(zip(conf, ex), 1):
        ma, mb = setting_line.match(a), setting_line.match(b)
        if ma and mb and ma.group(2) == mb.group(2):
            if not ma.group(1):
                set_values[ma.group(2)] = ma.group(3)
            continue
        if ma and ma.group(2) not in defaults and not ma.group(1):
            errors.append("systemd/mfaguard.conf:%d: %s is not a setting" %
                          (n, ma.group(2)))
        elif a != b:
            errors.append("systemd/mfaguard.conf:%d differs from the "
                          "example in more than a value: %r" % (n, a))
    r = ctx.run_mfaguard(["settings", "--config", conf_path, "--dump"])
    if r.returncode != 0:
        errors.append("mfaguard settings --config systemd/mfaguard.conf "
                      "--dump: %s" % r.stderr.strip())
    else:
        dumped = parse_dump(r.stdout)
        for name, value in set_values.items():
            if dumped.get(name) != value:
                errors.append("systemd/mfaguard.conf: %s = %s reads back "
                              "as %s" % (name, value, dumped.get(name)))

    # Values set as variables must parse too.
    for label, env in environment_sets(ctx, errors):
        r = ctx.run_mfaguard(["settings", "--dump"], env)
        if r.returncode != 0:
            errors.append("%s: %s" % (label, r.stderr.strip()))
            continue
        dumped = parse_dump(r.stdout)
        for var, value in env.items():
            name = var[len("MFAGUARD_"):].lower()
            if name in dumped and dumped[name] != value:
                errors.append("%s: %s=%s reads back as %s" %
                              (label, var, value, dumped[name]))

    # Shared values agree across deploy/.
    cm = configmap_settings(ctx)
    conf_dangerous = set_values.get("dangerous_actions")
    tf = terraform_variables(ctx, errors)
    tf_dangerous = None
    if tf and "dangerous_actions" in tf:
        tf_dangerous = ",".join(tf["dangerous_actions"].get("default", []))
    values = {"systemd/mfaguard.conf": conf_dangerous,
              "kubernetes ConfigMap": cm.get("MFAGUARD_DANGEROUS_ACTIONS")}
    if tf is not None:
        values["terraform dangerous_actions"] = tf_dangerous
    if len(set(values.values())) != 1:
        errors.append("dangerous_actions differ across deploy/: %s" % values)
    for name in SHARED_NAMES:
        if tf is not None:
            if name not in tf:
                errors.append("terraform has no variable %s" % name)
            elif str(tf[name].get("default")) != defaults[name]:
                errors.append("terraform variable %s defaults to %r, the "
                              "setting to %r" %
                              (name, tf[name].get("default"),
                               defaults[name]))
        var = "MFAGUARD_" + name.upper()
        if var in cm and cm[var] != defaults[name]:
            errors.append("ConfigMap %s=%s differs from the setting's "
                          "default %s (terraform creates the default)" %
                          (var, cm[var], defaults[name]))


def configmap_settings(ctx):
    try:
        maps = ctx.kind("ConfigMap")
    except RuntimeError:
        return {}
    out = {}
    for m in maps:
        for k, v in (m.get("data") or {}).items():
            if k.startswith("MFAGUARD_"):
                out[k] = str(v)
    return out


def environment_sets(ctx, errors):
    """[(label, {MFAGUARD_*: value})] of literal values in deploy/."""
    out = []
    try:
        for m in ctx.kind("ConfigMap"):
            data = {k: str(v) for k, v in (m.get("data") or {}).items()
                    if k.startswith("MFAGUARD_")}
            if data:
                out.append(("ConfigMap " + m["metadata"]["name"], data))
        for d in ctx.kind("Deployment"):
            for c in d["spec"]["template"]["spec"]["containers"]:
                data = {e["name"]: str(e["value"]) for e in c.get("env", [])
                        if e["name"].startswith("MFAGUARD_") and
                        "value" in e}
                if data:
                    out.append(("Deployment env", data))
    except RuntimeError as e:
        errors.append(str(e))
    data = {}
    for line in ctx.read("container", "Dockerfile").splitlines():
        m = re.match(r"^ENV\s+(MFAGUARD_[A-Z0-9_]+)=(\S+)$", line)
        if m:
            data[m.group(1)] = m.group(2)
    if data:
        out.append(("Dockerfile ENV", data))
    hcl = ctx.hcl()
    if hcl:
        data = {}
        for block in hcl_locals(hcl) + hcl_env_maps(hcl):
            for k, v in block.items():
                if k.startswith("MFAGUARD_") and isinstance(v, str) and \
                        "${" not in v:
                    data[k] = v
        if data:
            out.append(("terraform literal settings", data))
    return out


# =========================================================== credentials


def check_credentials(ctx, errors):
    read = set()
    for rel in apis.product_sources(ctx.src):
        with open(os.path.join(ctx.src, rel), encoding="utf-8") as f:
            read |= set(re.findall(r'"(ALIBABA_CLOUD_[A-Z0-9_]+)"', f.read()))
    if not read:
        errors.append("found no ALIBABA_CLOUD_* name in the sources")
    print("  the code reads: %s" % " ".join(sorted(read)))
    for path in ctx.files():
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except UnicodeDecodeError:
            continue
        for name in sorted(set(re.findall(r"\bALIBABA_CLOUD_[A-Z0-9_]*[A-Z0-9]",
                                          text))):
            if name not in read:
                errors.append("%s: %s is not read by mfaguard" %
                              (ctx.rel(path), name))

    # The example credentials file: assignments of names the code reads,
    # placeholders only.
    for n, line in enumerate(ctx.read("systemd",
                                      "credentials.env.example").split("\n"),
                             1):
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or name not in read:
            errors.append("systemd/credentials.env.example:%d: %r" %
                          (n, line))
        elif not value.startswith("REPLACE_WITH_"):
            errors.append("systemd/credentials.env.example:%d: %s is not a "
                          "placeholder" % (n, name))


# ============================================================ kubernetes


def check_kubernetes(ctx, errors):
    try:
        docs = ctx.manifests()
    except (RuntimeError, yaml.YAMLError if yaml else RuntimeError) as e:
        errors.append(str(e))
        return
    files = {f for f, _ in docs}
    kust = [d for f, d in docs if f == "kustomization.yaml"]
    if len(kust) != 1:
        errors.append("kustomization.yaml: expected one document")
        return
    kust = kust[0]
    listed = kust.get("resources", [])
    for r in listed:
        if r not in files:
            errors.append("kustomization.yaml lists %s, which is missing or "
                          "empty" % r)
    for f in sorted(files - set(listed) - {"kustomization.yaml",
                                           "secret.example.yaml"}):
        errors.append("kustomization.yaml does not list %s" % f)
    if "secret.example.yaml" in listed:
        errors.append("secret.example.yaml must not be applied by default: "
                      "its keys would win over RRSA")
    applied = [d for f, d in docs if f in listed]

    def one(kind, api=None):
        found = [d for d in applied if d.get("kind") == kind]
        if len(found) != 1:
            errors.append("expected one %s, found %d" % (kind, len(found)))
            return None
        if api and found[0].get("apiVersion") != api:
            errors.append("%s: apiVersion %s, expected %s" %
                          (kind, found[0].get("apiVersion"), api))
        return found[0]

    dep = one("Deployment", "apps/v1")
    sa = one("ServiceAccount", "v1")
    svc = one("Service", "v1")
    pdb = one("PodDisruptionBudget", "policy/v1")
    hpa = one("HorizontalPodAutoscaler", "autoscaling/v2")
    one("Namespace", "v1")
    maps = {d["metadata"]["name"]: d for d in applied
            if d.get("kind") == "ConfigMap"}
    if dep is None:
        return
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    if spec.get("selector", {}).get("matchLabels") != labels:
        errors.append("Deployment selector differs from the pod labels")
    if not isinstance(spec.get("replicas"), int) or spec["replicas"] < 1:
        errors.append("Deployment: replicas must be set (1 or more)")
    containers = pod.get("containers", [])
    if len(containers) != 1:
        errors.append("Deployment: expected one container")
        return
    c = containers[0]
    if c.get("args") != ["worker"]:
        errors.append("Deployment: the container must run `worker`")

    # Identity and privileges.
    psc = pod.get("securityContext", {})
    csc = c.get("securityContext", {})
    if psc.get("runAsNonRoot") is not True:
        errors.append("pod securityContext: runAsNonRoot must be true")
    for k in ("runAsUser", "runAsGroup"):
        if not isinstance(psc.get(k), int) or psc.get(k) == 0:
            errors.append("pod securityContext: %s must be a non-zero id" % k)
    if psc.get("runAsUser") != dockerfile_uid(ctx):
        errors.append("pod runAsUser %s differs from the image's USER %s" %
                      (psc.get("runAsUser"), dockerfile_uid(ctx)))
    if csc.get("readOnlyRootFilesystem") is not True:
        errors.append("container: readOnlyRootFilesystem must be true")
    if csc.get("allowPrivilegeEscalation") is not False:
        errors.append("container: allowPrivilegeEscalation must be false")
    if "ALL" not in csc.get("capabilities", {}).get("drop", []):
        errors.append("container: capabilities must drop ALL")
    if sa is not None and pod.get("serviceAccountName") != \
            sa["metadata"]["name"]:
        errors.append("Deployment does not use the ServiceAccount")
    res = c.get("resources", {})
    for k in ("requests", "limits"):
        if "memory" not in res.get(k, {}):
            errors.append("container: resources.%s.memory is missing" % k)
    if "cpu" not in res.get("requests", {}):
        errors.append("container: resources.requests.cpu is missing")

    # Settings from the ConfigMap, credentials from a Secret reference.
    settings = {}
    secret_ref = False
    for ref in c.get("envFrom", []):
        if "configMapRef" in ref:
            name = ref["configMapRef"]["name"]
            if name not in maps:
                errors.append("envFrom names ConfigMap %s, not applied" %
                              name)
            else:
                settings.update({k: str(v) for k, v in
                                 maps[name].get("data", {}).items()})
        if "secretRef" in ref:
            secret_ref = True
            example = ctx.kind("Secret")
            names = {s["metadata"]["name"] for s in example}
            if ref["secretRef"]["name"] not in names:
                errors.append("envFrom names Secret %s; secret.example.yaml "
                              "defines %s" % (ref["secretRef"]["name"],
                                              sorted(names)))
            if ref["secretRef"].get("optional") is not True:
                errors.append("the Secret reference must be optional "
                              "(RRSA needs no Secret)")
    if not secret_ref:
        errors.append("the container takes no credentials from a Secret")
    for s in ctx.kind("Secret"):
        for k, v in (s.get("stringData") or {}).items():
            if not str(v).startswith("REPLACE_WITH_"):
                errors.append("Secret %s: %s is not a placeholder" %
                              (s["metadata"]["name"], k))
    env = {}
    for e in c.get("env", []):
        if "value" in e:
            env[e["name"]] = str(e["value"])
            settings[e["name"]] = str(e["value"])
        elif "configMapKeyRef" in e.get("valueFrom", {}):
            ref = e["valueFrom"]["configMapKeyRef"]
            data = maps.get(ref["name"], {}).get("data", {})
            if ref["key"] not in data:
                errors.append("env %s: ConfigMap %s has no key %s" %
                              (e["name"], ref["name"], ref["key"]))
            env[e["name"]] = str(data.get(ref["key"], ""))

    # RRSA: the three variables, the token file in a projected token.
    for name in ("ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                 "ALIBABA_CLOUD_OIDC_TOKEN_FILE"):
        if name not in env:
            errors.append("container env lacks %s (RRSA)" % name)
    if "MFAGUARD_STS_ENDPOINT" not in settings:
        errors.append("RRSA needs sts_endpoint: the ConfigMap must carry "
                      "MFAGUARD_STS_ENDPOINT")
    token_file = env.get("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "")
    token_ok = False
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        vol = volumes.get(m["name"], {})
        for src in vol.get("projected", {}).get("sources", []):
            tok = src.get("serviceAccountToken")
            if tok and os.path.join(m["mountPath"], tok["path"]) == \
                    token_file:
                token_ok = True
                if not tok.get("audience"):
                    errors.append("the projected token needs an audience")
                if m.get("readOnly") is not True:
                    errors.append("mount the token read-only")
    if not token_ok:
        errors.append("ALIBABA_CLOUD_OIDC_TOKEN_FILE (%s) is not a "
                      "projected service account token" % token_file)

    # Probes on the right paths and port; the listener they reach.
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    listen = settings.get("MFAGUARD_HTTP_LISTEN",
                          ctx.defaults()["http_listen"])
    if host_of(listen) in ("127.0.0.1", "localhost", "[::1]"):
        errors.append("http_listen %s is loopback: probes from the kubelet "
                      "cannot reach it" % listen)
    for probe, path in (("livenessProbe", "/healthz"),
                        ("readinessProbe", "/readyz")):
        get = c.get(probe, {}).get("httpGet")
        if not get:
            errors.append("%s: an httpGet probe is needed" % probe)
            continue
        if get.get("path") != path:
            errors.append("%s: path %s, expected %s" %
                          (probe, get.get("path"), path))
        port = ports.get(get.get("port"), get.get("port"))
        if port != 9464 or port != port_of(listen):
            errors.append("%s: port %s, expected 9464 (http_listen %s)" %
                          (probe, get.get("port"), listen))

    # Stop: longer than shutdown_deadline, with room to release messages.
    deadline = int(settings.get("MFAGUARD_SHUTDOWN_DEADLINE",
                                ctx.defaults()["shutdown_deadline"]))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace < deadline + 10:
        errors.append("terminationGracePeriodSeconds %s: needs at least "
                      "shutdown_deadline (%d) + 10" % (grace, deadline))

    # Image: the name kustomization.yaml rewrites.
    images = {i["name"] for i in kust.get("images", [])}
    if c.get("image") not in images:
        errors.append("the container image %s is not in kustomization "
                      "images" % c.get("image"))

    if svc is not None:
        if svc["spec"].get("selector") != {k: labels[k] for k in
                                           svc["spec"].get("selector", {})
                                           if k in labels} or \
                not svc["spec"].get("selector"):
            errors.append("Service selector does not select the pods")
        sports = svc["spec"].get("ports", [])
        if not any(ports.get(p.get("targetPort"), p.get("targetPort")) ==
                   9464 for p in sports):
            errors.append("Service does not reach port 9464")
    if pdb is not None:
        sel = pdb["spec"].get("selector", {}).get("matchLabels", {})
        if not sel or any(labels.get(k) != v for k, v in sel.items()):
            errors.append("PodDisruptionBudget does not select the pods")
        if "minAvailable" not in pdb["spec"] and \
                "maxUnavailable" not in pdb["spec"]:
            errors.append("PodDisruptionBudget sets no budget")
    if hpa is not None:
        hs = hpa["spec"]
        ref = hs.get("scaleTargetRef", {})
        if ref.get("kind") != "Deployment" or \
                ref.get("name") != dep["metadata"]["name"]:
            errors.append("HPA does not scale the Deployment")
        if not 1 <= hs.get("minReplicas", 1) <= hs.get("maxReplicas", 0):
            errors.append("HPA: minReplicas must be 1..maxReplicas")
        kinds = [(m.get("type"), m.get("resource", {}).get("name"))
                 for m in hs.get("metrics", [])]
        if ("Resource", "cpu") not in kinds:
            errors.append("HPA: no CPU metric")
        for m in hs.get("metrics", []):
            if m.get("type") == "External" and \
                    not m.get("external", {}).get("metric", {}).get("name"):
                errors.append("HPA: an External metric needs a name")
        if spec.get("replicas") != hs.get("minReplicas"):
            errors.append("Deployment replicas and HPA minReplicas differ")

    # Names Terraform's RRSA trust policy uses.
    tf = terraform_variables(ctx, [])
    if tf:
        if kust.get("namespace") != tf.get("k8s_namespace",
                                           {}).get("default"):
            errors.append("kustomization namespace differs from terraform "
                          "k8s_namespace")
        if sa and sa["metadata"]["name"] != \
                tf.get("k8s_service_account", {}).get("default"):
            errors.append("ServiceAccount name differs from terraform "
                          "k8s_service_account")


def dockerfile_uid(ctx):
    for line in ctx.read("container", "Dockerfile").splitlines():
        m = re.match(r"^USER\s+(\d+)(?::\d+)?\s*$", line)
        if m:
            return int(m.group(1))
    return None


# =============================================================== systemd


def parse_unit(text, errors, name):
    """[(section, key, value)]; reports what is not key=value."""
    out = []
    section = None
    lines = text.split("\n")
    n = 0
    while n < len(lines):
        line = lines[n]
        n += 1
        while line.endswith("\\") and n < len(lines):
            line = line[:-1] + " " + lines[n]
            n += 1
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        m = re.match(r"^\[([A-Za-z]+)\]$", s)
        if m:
            section = m.group(1)
            if section not in UNIT_SECTIONS:
                errors.append("%s:%d: unexpected section [%s]" %
                              (name, n, section))
            continue
        m = re.match(r"^([A-Za-z][A-Za-z0-9]*)=(.*)$", s)
        if not m or section is None:
            errors.append("%s:%d: not KEY=value in a section: %r" %
                          (name, n, s))
            continue
        out.append((section, m.group(1), m.group(2).strip()))
    return out


def seconds(value):
    m = re.match(r"^(\d+)\s*(s|sec|min|m)?$", value)
    if not m:
        return None
    n = int(m.group(1))
    return n * 60 if m.group(2) in ("min", "m") else n


def check_systemd(ctx, errors):
    text = ctx.read("systemd", "mfaguard.service")
    entries = parse_unit(text, errors, "mfaguard.service")
    service = {}
    for section, key, value in entries:
        if section == "Service":
            service.setdefault(key, []).append(value)
    for key, want in UNIT_REQUIRED.items():
        if key not in service:
            errors.append("mfaguard.service: [Service] %s is missing" % key)
        elif want is not None and want not in service[key]:
            errors.append("mfaguard.service: %s=%s, expected %s" %
                          (key, service[key], want))
    if "@system-service" not in " ".join(service.get("SystemCallFilter",
                                                     [])):
        errors.append("mfaguard.service: SystemCallFilter=@system-service "
                      "is missing")
    if not ({"DynamicUser"} & set(service) and
            "yes" in service.get("DynamicUser", [])) and \
            not service.get("User"):
        errors.append("mfaguard.service: run as DynamicUser=yes or a "
                      "dedicated User=")
    if not any(s == "Install" and k == "WantedBy" for s, k, _ in entries):
        errors.append("mfaguard.service: [Install] WantedBy is missing")

    exec_start = service.get("ExecStart", [""])[0]
    argv = shlex.split(exec_start)
    conf = "/etc/mfaguard/mfaguard.conf"
    if len(argv) < 2 or os.path.basename(argv[0]) != "mfaguard" or \
            argv[1] != "worker" or conf not in argv:
        errors.append("mfaguard.service: ExecStart should be `mfaguard "
                      "worker --config %s`, is %r" % (conf, exec_start))
    r = ctx.run_mfaguard(["settings", "--config",
                          ctx.path("systemd", "mfaguard.conf"), "--dump"])
    deadline = int(parse_dump(r.stdout).get(
        "shutdown_deadline", ctx.defaults()["shutdown_deadline"]))
    stop = seconds(service.get("TimeoutStopSec", ["0"])[0])
    if stop is None or stop < deadline + 10:
        errors.append("mfaguard.service: TimeoutStopSec %s must be at "
                      "least shutdown_deadline (%d s) + 10 s" %
                      (service.get("TimeoutStopSec"), deadline))

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        ctx.notes.append("systemd-analyze not installed: verify and "
                         "security skipped, key syntax checked only")
        return
    with tempfile.TemporaryDirectory() as tmp:
        # The one change: ExecStart names the binary built here, which
        # verify requires to exist.
        copy = os.path.join(tmp, "mfaguard.service")
        with open(copy, "w", encoding="utf-8") as f:
            f.write(text.replace("ExecStart=" + argv[0],
                                 "ExecStart=" + ctx.mfaguard, 1))
        r = subprocess.run([analyze, "verify", copy], capture_output=True,
                           text=True, timeout=60)
        out = (r.stdout + r.stderr).strip()
        if r.returncode != 0 or out:
            errors.append("systemd-analyze verify: %s" % (out or r.returncode))
        else:
            print("  systemd-analyze verify: clean")
        r = subprocess.run([analyze, "security", "--offline=yes", copy],
                           capture_output=True, text=True, timeout=60)
        level = re.search(r"Overall exposure level for \S+: ([\d.]+)",
                          r.stdout + r.stderr)
        if level is None:
            errors.append("systemd-analyze security: no exposure level: %s"
                          % (r.stdout + r.stderr).strip()[-300:])
        elif float(level.group(1)) > float(UNIT_EXPOSURE_MAX):
            errors.append("systemd-analyze security: exposure %s above %s" %
                          (level.group(1), UNIT_EXPOSURE_MAX))
        else:
            print("  systemd-analyze security: exposure %s (at most %s)" %
                  (level.group(1), UNIT_EXPOSURE_MAX))


# ============================================================= container


def dockerfile_stages(text):
    """[(from line, [instruction lines])], continuations joined."""
    stages = []
    joined = []
    cur = ""
    for line in text.split("\n"):
        if line.strip().startswith("#") and not cur:
            continue
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cur += line
        if cur.strip():
            joined.append(re.sub(r"\s+", " ", cur.strip()))
        cur = ""
    for line in joined:
        if line.startswith("FROM "):
            stages.append((line, []))
        elif stages:
            stages[-1][1].append(line)
    return stages


def dockerfile_arg(lines, name):
    for line in lines:
        m = re.match(r'^ARG %s="(.*)"$' % name, line)
        if m:
            return m.group(1).split()
    return None


def apt_show(packages, errors, what):
    apt = shutil.which("apt-cache")
    if apt is None:
        return False
    r = subprocess.run([apt, "show", "--no-all-versions"] + list(packages),
                       capture_output=True, text=True, timeout=120)
    known = set(re.findall(r"^Package: (\S+)$", r.stdout, re.M))
    for p in packages:
        if p not in known:
            errors.append("%s: %s is not a Debian package here "
                          "(apt-cache show; after apt-get update if the "
                          "package lists are missing)" % (what, p))
    return True


def check_container(ctx, errors):
    text = ctx.read("container", "Dockerfile")
    stages = dockerfile_stages(text)
    if len(stages) != 2:
        errors.append("Dockerfile: expected two stages, found %d" %
                      len(stages))
        return
    (build_from, build), (run_from, run) = stages
    if build_from != "FROM debian:12 AS build":
        errors.append("Dockerfile: build stage is %r" % build_from)
    if not run_from.startswith("FROM debian:12-slim"):
        errors.append("Dockerfile: runtime stage is %r" % run_from)
    build_pkgs = dockerfile_arg(build, "BUILD_PACKAGES") or []
    run_pkgs = dockerfile_arg(run, "RUNTIME_PACKAGES") or []
    if not build_pkgs or not run_pkgs:
        errors.append("Dockerfile: ARG BUILD_PACKAGES and RUNTIME_PACKAGES "
                      "are needed (build.sh reads them)")
    for pkgs, lines, what in ((build_pkgs, build, "build"),
                              (run_pkgs, run, "runtime")):
        installs = [line for line in lines if "apt-get install" in line]
        if len(installs) != 1 or "--no-install-recommends" not in \
                installs[0] or "$%s_PACKAGES" % what.upper() not in \
                installs[0]:
            errors.append("Dockerfile %s stage: install $%s_PACKAGES once, "
                          "with --no-install-recommends" %
                          (what, what.upper()))
        if installs and "rm -rf /var/lib/apt/lists/*" not in installs[0]:
            errors.append("Dockerfile %s stage: remove the apt lists in "
                          "the same RUN" % what)
    if {"libcurl4", "libxml2", "libssl3", "libcjson1",
            "ca-certificates"} != set(run_pkgs):
        errors.append("Dockerfile: RUNTIME_PACKAGES %s; the binary needs "
                      "libcurl4 libxml2 libssl3 libcjson1 and "
                      "ca-certificates, nothing more" % run_pkgs)
    if apt_show(build_pkgs + run_pkgs, errors, "Dockerfile"):
        print("  apt-cache knows every package: %s" %
              " ".join(build_pkgs + run_pkgs))
    else:
        ctx.notes.append("apt-cache not available: packages not looked up")
    deps = read_deps_packages(ctx)
    for p in build_pkgs:
        if deps is not None and p not in deps:
            errors.append("BUILD_PACKAGES has %s, which scripts/deps.sh "
                          "does not install (build.sh needs it here)" % p)

    # The build stage: copies, then compile.sh.
    runs = [line for line in build if line.startswith("RUN ")]
    compile_line = "RUN sh /src/deploy/container/compile.sh /src /build /out"
    if not runs or runs[-1] != compile_line:
        errors.append("Dockerfile: the build stage must end with %r" %
                      compile_line)
    copies = [line.split()[1:] for line in build if line.startswith("COPY ")]
    for src, dest in ((c[0], c[-1]) for c in copies):
        if src.startswith("--") or not dest.startswith("/src/"):
            errors.append("Dockerfile: build-stage COPY %s %s: plain copies "
                          "into /src only (build.sh repeats them)" %
                          (src, dest))
        elif not os.path.exists(os.path.join(ctx.repo, src)):
            errors.append("Dockerfile: COPY %s: no such path" % src)
    copied = {c[0] for c in copies}
    for d in ("CMakeLists.txt",) + apis.PRODUCT_DIRS + \
            ("deploy/container/compile.sh",):
        if d not in copied:
            errors.append("Dockerfile: the build stage does not copy %s" % d)
    compile_sh = ctx.read("container", "compile.sh")
    for needle in ("-DMFAGUARD_WERROR=ON", "strip", "--target mfaguard"):
        if needle not in compile_sh:
            errors.append("compile.sh: %s is missing" % needle)
    build_sh = ctx.read("container", "build.sh")
    if compile_line not in build_sh:
        errors.append("build.sh does not expect the Dockerfile's compile "
                      "step %r" % compile_line)
    for needle in ("BUILD_PACKAGES", "RUNTIME_PACKAGES", "compile.sh",
                   "dpkg -S", "ldd"):
        if needle not in build_sh:
            errors.append("build.sh: does not use %s" % needle)

    # Runtime stage: user, entry point, port, no health check.
    joined = "\n".join(run)
    uid = dockerfile_uid(ctx)
    if uid is None or uid == 0:
        errors.append("Dockerfile: USER must be a fixed non-zero uid")
    elif "--uid %d" % uid not in joined:
        errors.append("Dockerfile: no user is created with uid %d" % uid)
    if run[-1:] != ['CMD ["worker"]'] or \
            'ENTRYPOINT ["mfaguard"]' not in run:
        errors.append('Dockerfile: ENTRYPOINT ["mfaguard"] and a final '
                      'CMD ["worker"] are needed')
    if uid is not None and "USER %d:%d" % (uid, uid) not in run:
        errors.append("Dockerfile: USER uid:gid is needed")
    if "COPY --from=build /out/mfaguard /usr/local/bin/mfaguard" not in run:
        errors.append("Dockerfile: the runtime stage must copy the built "
                      "binary to /usr/local/bin/mfaguard")
    expose = [line for line in run if line.startswith("EXPOSE ")]
    env = re.search(r"^ENV MFAGUARD_HTTP_LISTEN=(\S+)$", joined, re.M)
    if expose != ["EXPOSE 9464"]:
        errors.append("Dockerfile: EXPOSE 9464 is needed")
    if env is None or port_of(env.group(1)) != 9464 or \
            host_of(env.group(1)) in ("127.0.0.1", "localhost"):
        errors.append("Dockerfile: ENV MFAGUARD_HTTP_LISTEN must listen on "
                      "every address, port 9464")
    if any(line.startswith("HEALTHCHECK") for line in run):
        errors.append("Dockerfile: HEALTHCHECK cannot work without curl")
    if "No HEALTHCHECK" not in text:
        errors.append("Dockerfile: say why there is no HEALTHCHECK")


def read_deps_packages(ctx):
    path = os.path.join(ctx.repo, "scripts", "deps.sh")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        m = re.search(r"packages=\((.*?)\)", f.read(), re.S)
    return set(m.group(1).split()) if m else None


# ============================================================= terraform


def parse_hcl(ctx):
    node = ctx.node or shutil.which("node")
    script = os.path.join(HERE, "hcl2json.js")
    module = os.path.join(HERE, "node_modules", "@cdktf", "hcl2json")
    files = sorted(glob.glob(ctx.path("terraform", "*.tf")))
    if not node or not os.path.isdir(module):
        return None
    r = subprocess.run([node, script] + files, capture_output=True,
                       text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("hcl2json.js: %s" % r.stderr.strip())
    return json.loads(r.stdout)


def hcl_blocks(hcl, kind):
    """Merge one top-level block kind (variable, resource, ...) of every
    file."""
    out = {}
    for body in hcl.values():
        for name, value in body.get(kind, {}).items():
            out.setdefault(name, value)
    return out


def hcl_locals(hcl):
    out = []
    for body in hcl.values():
        out += body.get("locals", [])
    return out


def hcl_env_maps(hcl):
    out = []
    for fn in hcl_blocks(hcl, "resource").get("alicloud_fcv3_function",
                                              {}).values():
        for block in fn:
            ev = block.get("environment_variables")
            if isinstance(ev, dict):
                out.append(ev)
    return out


def terraform_variables(ctx, errors):
    try:
        hcl = ctx.hcl()
    except (RuntimeError, ValueError) as e:
        errors.append(str(e))
        return None
    if hcl is None:
        return None
    out = {}
    for name, blocks in hcl_blocks(hcl, "variable").items():
        out[name] = blocks[0] if isinstance(blocks, list) else blocks
    return out


_HCL_TOKEN = re.compile(
    r'(?P<comment>#[^\n]*|//[^\n]*|/\*.*?\*/)'
    r'|(?P<heredoc><<-?(?P<tag>[A-Za-z_]+)\n.*?\n\s*(?P=tag)\n)'
    r'|(?P<string>"(?:\\.|\$\{[^}]*\}|[^"\\\n])*")'
    r'|(?P<open>[{\[(])|(?P<close>[}\])])'
    r'|(?P<bad>")'
    r'|(?P<other>[^#/"{}\[\]()<]+|[/<])', re.S)


def hcl_structure(text, name, errors):
    """The fallback when no HCL parser is installed: comments, strings,
    heredocs and balanced brackets."""
    stack = []
    pos = 0
    line = 1
    pairs = {"}": "{", "]": "[", ")": "("}
    while pos < len(text):
        m = _HCL_TOKEN.match(text, pos)
        if m is None or m.lastgroup == "bad":
            errors.append("%s:%d: unterminated string" % (name, line))
            return
        if m.lastgroup == "open":
            stack.append((m.group(), line))
        elif m.lastgroup == "close":
            if not stack or stack[-1][0] != pairs[m.group()]:
                errors.append("%s:%d: unbalanced %s" %
                              (name, line, m.group()))
                return
            stack.pop()
        line += m.group().count("\n")
        pos = m.end()
    if stack:
        errors.append("%s:%d: %s is never closed" %
                      (name, stack[-1][1], stack[-1][0]))


def check_terraform(ctx, errors):
    files = sorted(glob.glob(ctx.path("terraform", "*.tf")))
    texts = {}
    for f in files:
        with open(f, encoding="utf-8") as fh:
            texts[os.path.basename(f)] = fh.read()
    for name, text in texts.items():
        hcl_structure(text, name, errors)
    try:
        hcl = ctx.hcl()
    except (RuntimeError, ValueError) as e:
        errors.append(str(e))
        return
    if hcl is None:
        if ctx.require_hcl:
            errors.append("HashiCorp's HCL parser is not installed (node "
                          "and `npm ci` in tests/deploy)")
        else:
            print("  structural parse only (braces, strings, heredocs)")
        return
    for name, body in hcl.items():
        if "__error__" in body:
            errors.append("%s: %s" % (name, body["__error__"]))
    if errors:
        return
    print("  parsed with HashiCorp's HCL parser: %s" % " ".join(sorted(hcl)))
    alltext = "\n".join(strip_hcl_comments(t) for t in texts.values())

    # Provider and version constraint.
    tf = [b for body in hcl.values() for b in body.get("terraform", [])]
    providers = {}
    for block in tf:
        for rp in block.get("required_providers", []):
            providers.update(rp)
    ali = providers.get("alicloud", {})
    if ali.get("source") != "aliyun/alicloud" or not ali.get("version"):
        errors.append("required_providers: alicloud needs source "
                      "aliyun/alicloud and a version constraint")
    if not any(b.get("required_version") for b in tf):
        errors.append("terraform: required_version is missing")

    # Variables: declared = used; endpoints without defaults.
    variables = terraform_variables(ctx, errors) or {}
    used = set(re.findall(r"\bvar\.([a-z0-9_]+)", alltext))
    for v in sorted(used - set(variables)):
        errors.append("var.%s is used but not declared" % v)
    for v in sorted(set(variables) - used):
        errors.append("variable %s is declared but never used" % v)
    for name, block in variables.items():
        default = block.get("default")
        if name.endswith("_endpoint") and default not in (None, ""):
            errors.append("variable %s has a default endpoint" % name)
    locals_declared = set()
    for block in hcl_locals(hcl):
        locals_declared |= set(block)
    for name in sorted(set(re.findall(r"\blocal\.([a-z0-9_]+)", alltext)) -
                       locals_declared):
        errors.append("local.%s is used but not declared" % name)

    res = hcl_blocks(hcl, "resource")

    def resource(kind, count=1):
        found = res.get(kind, {})
        if len(found) != count:
            errors.append("expected %d %s, found %d" %
                          (count, kind, len(found)))
        return {k: (v[0] if isinstance(v, list) else v)
                for k, v in found.items()}

    resource("alicloud_message_service_topic")
    queues = resource("alicloud_message_service_queue", 2)
    names = {str(q.get("queue_name")) for q in queues.values()}
    if names != {"${var.queue}", "${var.dlq_queue}"}:
        errors.append("the queues must be var.queue and var.dlq_queue: %s" %
                      sorted(names))
    for sub in resource("alicloud_message_service_subscription").values():
        if sub.get("notify_content_format") != "${var.subscription_format}":
            errors.append("subscription: notify_content_format must be "
                          "var.subscription_format")
        if sub.get("push_type") != "queue" or "work" not in \
                str(sub.get("endpoint")):
            errors.append("subscription: must push to the work queue")
    for rule in resource("alicloud_config_rule").values():
        if rule.get("source_owner") != "CUSTOM_FC":
            errors.append("config rule: source_owner must be CUSTOM_FC")
        if "alicloud_fcv3_function" not in str(rule.get("source_identifier")):
            errors.append("config rule: source_identifier must be the "
                          "function's ARN")
        triggers = str(rule.get("config_rule_trigger_types"))
        for t in ("ConfigurationItemChangeNotification",
                  "ScheduledNotification"):
            if t not in triggers:
                errors.append("config rule: trigger %s is missing" % t)
        params = rule.get("input_parameters", {})
        if "dangerousActions" not in params or \
                "var.dangerous_actions" not in str(params):
            errors.append("config rule: input_parameters.dangerousActions "
                          "must come from var.dangerous_actions")
        if rule.get("resource_types_scope") != ["ACS::RAM::User"]:
            errors.append("config rule: scope must be ACS::RAM::User")
    for d in resource("alicloud_config_delivery").values():
        if d.get("delivery_channel_type") != "MNS" or "var.topic" not in \
                str(d.get("delivery_channel_target_arn")):
            errors.append("config delivery: MNS, to var.topic")
    defaults = ctx.defaults()
    for fn in resource("alicloud_fcv3_function").values():
        ccc = fn.get("custom_container_config", [{}])[0]
        if fn.get("runtime") not in ("custom-container", "custom",
                                     "custom.debian10", "custom.debian11",
                                     "custom.debian12"):
            errors.append("function: runtime must be a custom one")
        if ccc.get("command") != ["serve"] or \
                ccc.get("entrypoint") != ["mfaguard"]:
            errors.append("function: must run `mfaguard serve`")
        if ccc.get("port") != "${var.fc_port}":
            errors.append("function: port must be var.fc_port")
        if "alicloud_ram_role.fc" not in str(fn.get("role")):
            errors.append("function: must run as the fc role")
    port = variables.get("fc_port", {}).get("default")
    if port != port_of(defaults["serve_listen"]):
        errors.append("fc_port defaults to %s, serve_listen's port is %s" %
                      (port, port_of(defaults["serve_listen"])))
    for pol in resource("alicloud_ram_policy").values():
        if pol.get("policy_document") != "${local.policy_document}":
            errors.append("the policy must be local.policy_document")
    if 'file("${path.module}/mfaguard-policy.json")' not in alltext:
        errors.append("the policy document must be loaded with "
                      "file(\"${path.module}/mfaguard-policy.json\")")
    roles = resource("alicloud_ram_role", 2)
    fc_trust = str(roles.get("fc", {}).get("assume_role_policy_document"))
    rrsa_trust = str(roles.get("rrsa", {}).get("assume_role_policy_document"))
    if "fc.aliyuncs.com" not in fc_trust:
        errors.append("the fc role must trust Function Compute")
    for needle in ("Federated", "var.rrsa_oidc_provider_arn", "oidc:sub",
                   "oidc:aud", "system:serviceaccount:"):
        if needle not in rrsa_trust:
            errors.append("the rrsa role's trust policy lacks %s" % needle)
    resource("alicloud_ram_role_policy_attachment", 2)
    outputs = hcl_blocks(hcl, "output")
    for o in ("function_arn", "queue_name", "dlq_queue_name", "fc_role_arn",
              "rrsa_role_arn", "policy_name", "worker_environment"):
        if o not in outputs:
            errors.append("output %s is missing" % o)

    # The policy's MNS resources are replaced by Sid with this
    # deployment's names: the same queues and topics the code uses.
    check_policy_resources(ctx, hcl, errors)


def strip_hcl_comments(text):
    out = []
    for m in _HCL_TOKEN.finditer(text):
        if m.lastgroup != "comment":
            out.append(m.group())
    return "".join(out)


def check_policy_resources(ctx, hcl, errors):
    table = None
    for block in hcl_locals(hcl):
        if "policy_resources" in block:
            table = block["policy_resources"]
    if not isinstance(table, dict):
        errors.append("locals.policy_resources (Sid -> resources) is "
                      "missing")
        return
    policy = json.loads(ctx.read("terraform", "mfaguard-policy.json"))
    defaults = ctx.defaults()
    try:
        result = apis.analyse(ctx.src, set(defaults))
    except apis.AnalysisError as e:
        errors.append("source analysis: %s" % e)
        return
    mns_sids = set()
    for st in policy["Statement"]:
        if not any(a.startswith("mns:") for a in st["Action"]):
            continue
        sid = st["Sid"]
        mns_sids.add(sid)
        text = json.dumps(table.get(sid, ""))
        for action, kind, setting in result["mns"]:
            if action in st["Action"] and \
                    apis.mns_arn(kind, defaults[setting]) in st["Resource"]:
                want = apis.mns_arn(kind, "${var.%s}" % setting).replace(
                    "acs:mns:*:*", "${local.mns_arn}")
                if want not in text:
                    errors.append("policy_resources.%s lacks %s (%s on "
                                  "setting %s)" % (sid, want, action,
                                                   setting))
    if set(table) != mns_sids:
        errors.append("policy_resources names %s; the MNS statements are %s"
                      % (sorted(table), sorted(mns_sids)))


# ================================================================= hosts


def strip_comments(path, text):
    base = os.path.basename(path)
    if base.endswith(".json") or base.endswith(".md"):
        return text
    if base.endswith(".tf"):
        return strip_hcl_comments(text)
    # YAML, shell, conf, env, unit, Dockerfile: whole-line and trailing #.
    out = []
    for line in text.split("\n"):
        s = line.lstrip()
        if s.startswith("#") or s.startswith(";"):
            continue
        out.append(re.sub(r"\s#\s.*$", "", line))
    return "\n".join(out)


HOST = re.compile(r"(?<![<>{}$*\w.-])((?:[a-z0-9-]+\.)+"
                  r"(?:aliyuncs\.com|aliyun\.com|alibabacloud\.com))"
                  r"|\b100\.100\.100\.200\b")


def check_hosts(ctx, errors):
    used = set()
    for path in ctx.files():
        try:
            with open(path, encoding="utf-8") as f:
                text = strip_comments(path, f.read())
        except UnicodeDecodeError:
            continue
        rel = ctx.rel(path)
        for m in HOST.finditer(text):
            host = m.group(0)
            if (rel, host) in ALLOWED_HOSTS:
                used.add((rel, host))
                continue
            errors.append("%s: names %s: endpoints come from variables the "
                          "user sets, never from a file here" % (rel, host))
    for key in set(ALLOWED_HOSTS) - used:
        errors.append("ALLOWED_HOSTS lists %s:%s, which no longer occurs" %
                      key)


# =============================================================== scripts


def check_scripts(ctx, errors):
    scripts = [p for p in ctx.files() if p.endswith(".sh")]
    for p in scripts:
        if not os.access(p, os.X_OK):
            errors.append("%s is not executable" % ctx.rel(p))
        with open(p, encoding="utf-8") as f:
            first = f.readline()
        shell = "bash" if "bash" in first else "sh"
        r = subprocess.run([shell, "-n", p], capture_output=True, text=True)
        if r.returncode != 0:
            errors.append("%s -n %s: %s" % (shell, ctx.rel(p), r.stderr))
    sc = shutil.which("shellcheck")
    if sc is None:
        ctx.notes.append("shellcheck not installed: syntax checked only")
        return
    r = subprocess.run([sc, "--severity=style"] + scripts,
                       capture_output=True, text=True)
    if r.returncode != 0:
        errors.append("shellcheck:\n" + r.stdout + r.stderr)
    else:
        print("  shellcheck: clean on %s" %
              " ".join(ctx.rel(p) for p in scripts))


# ================================================================== main

CHECKS = {
    "policy": check_policy,
    "settings": check_settings,
    "credentials": check_credentials,
    "kubernetes": check_kubernetes,
    "systemd": check_systemd,
    "container": check_container,
    "terraform": check_terraform,
    "hosts": check_hosts,
    "scripts": check_scripts,
}


def run_sections(ctx, sections, quiet=False):
    failed = []
    for name in sections:
        errors = []
        if not quiet:
            print("== %s" % name)
        try:
            out = sys.stdout
            if quiet:
                sys.stdout = open(os.devnull, "w")
            try:
                CHECKS[name](ctx, errors)
            finally:
                if quiet:
                    sys.stdout.close()
                    sys.stdout = out
        except Exception as e:  # a crash is a failure, with its reason
            errors.append("%s: %s" % (type(e).__name__, e))
        if not quiet:
            for e in errors:
                print("  FAIL %s" % e)
            print("  %s" % ("failed" if errors else "ok"))
        if errors:
            failed.append((name, errors))
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mfaguard", required=True, help="the built binary")
    ap.add_argument("--repo", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--deploy", help="deploy folder (default REPO/deploy)")
    ap.add_argument("--src", help="source tree to analyse (default REPO)")
    ap.add_argument("--node", help="node, for the HCL parser")
    ap.add_argument("--only", action="append", choices=SECTIONS)
    ap.add_argument("--require-hcl", action="store_true",
                    help="fail when the HCL parser is not installed")
    ap.add_argument("--selftest", action="store_true")
    args = ap.parse_args()
    if args.selftest:
        import selftest
        return selftest.run(args, Context, run_sections)
    ctx = Context(args)
    sections = args.only or list(SECTIONS)
    failed = run_sections(ctx, sections)
    for note in ctx.notes:
        print("NOTE: %s" % note)
    print("%d passed, %d failed" % (len(sections) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
