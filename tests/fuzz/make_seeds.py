#!/usr/bin/env python3
"""Seed corpora for mfaguard's fuzz targets, made at build time.

    make_seeds.py --shared ../shared --repo . --out build/.../seeds

From every case in shared/cases: the body as it is published (compact,
as the case runner sends it) and as its envelopes arrive in the queue
(XML, JSON and SIMPLIFIED, with and without Base64, and Base64 around the
whole envelope), the receive answers that carry those, every policy
document, the RAM answers the account fixture stands for, the glob pairs
of its policies and dangerous actions, and its settings. From the
reference files: every XML and JSON example (code blocks and inline
spans). Plus a few large hostile inputs (70 KiB bodies) that are too big
to commit. Seeds go to OUT/<target>/, which is emptied first.

Every host name and IPv4 address in the material is replaced by a name
under example.invalid before anything is written, so that no seed names
a real service endpoint. Standard library only.
"""

import argparse
import base64
import copy
import glob
import hashlib
import json
import os
import re
import shutil
import sys

TARGETS = ("json", "xml", "base64", "notify", "mns_answer", "config_event",
           "ram_answer", "policy", "glob", "settings")

NS = "urn:mfaguard:fuzz"
HANDLES = ("1-ODU4OTkzNDU5My0xNDM1MTk3NjAwLTItNg==",
           "1-ODU4OTkzNDU5NC0xNDM1MTk3NjAwLTItNg==")
DANGEROUS = "ecs:*,oss:*,log:*"
BIG = 70 * 1024

HOST = re.compile(r"\b(?:[A-Za-z0-9-]+\.)+(?:com|cn|net|org|io)\b")
IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")


def scrub(text):
    """The text with host names and IPv4 addresses made harmless."""
    text = HOST.sub("host.example.invalid", text)
    return IPV4.sub("127.0.0.1", text)


class Corpus:
    """Seeds per target, deduplicated by content."""

    def __init__(self, out):
        self.out = out
        self.seen = {t: set() for t in TARGETS}
        self.count = {t: 0 for t in TARGETS}

    def add(self, target, name, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        digest = hashlib.sha1(data).hexdigest()
        if digest in self.seen[target]:
            return
        self.seen[target].add(digest)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:60]
        path = os.path.join(self.out, target, "%s-%s" % (safe, digest[:10]))
        with open(path, "wb") as f:
            f.write(data)
        self.count[target] += 1


def compact(value):
    """JSON as the case runner serialises a body: compact, UTF-8."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def xml_escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&apos;").replace("\r", "&#13;"))


def md5(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def xml_envelope(message, tag="mfaguard"):
    """A <Notification> as a queue subscribed to a topic receives it."""
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<Notification xmlns="%s"><TopicOwner>1698272328540001'
            '</TopicOwner><TopicName>MNSTestConfig</TopicName>'
            '<Subscriber>1698272328540001</Subscriber><SubscriptionName>'
            'mfaguard</SubscriptionName><MessageId>6CC4D900CA59A2CD-1-'
            '15180534A8F-200000001</MessageId><Message>%s</Message>'
            '<MessageMD5>%s</MessageMD5><MessageTag>%s</MessageTag>'
            '<PublishTime>1449556920975</PublishTime></Notification>'
            % (NS, xml_escape(message), md5(message), tag))


def json_envelope(message, tag="mfaguard"):
    """The JSON form of the same: every value a string."""
    return compact({
        "TopicOwner": "1698272328540001", "TopicName": "MNSTestConfig",
        "Subscriber": "1698272328540001", "SubscriptionName": "mfaguard",
        "MessageId": "6CC4D900CA59A2CD-1-15180534A8F-200000001",
        "Message": message, "MessageMD5": md5(message), "MessageTag": tag,
        "PublishTime": "1449556920975"})


def receive_answer(bodies, single=False):
    """A ReceiveMessage (one body) or BatchReceiveMessage answer."""
    items = []
    for i, body in enumerate(bodies):
        items.append(
            "<Message><MessageId>5F290C926D472878-2-14D9529A8FA-20000000%d"
            "</MessageId><ReceiptHandle>%s</ReceiptHandle><MessageBodyMD5>"
            "%s</MessageBodyMD5><MessageBody>%s</MessageBody><EnqueueTime>"
            "1445950229993</EnqueueTime><FirstDequeueTime>1445952551937"
            "</FirstDequeueTime><NextVisibleTime>1445998279000"
            "</NextVisibleTime><DequeueCount>%d</DequeueCount><Priority>8"
            "</Priority></Message>"
            % (i, HANDLES[i % 2], md5(body), xml_escape(body), i + 1))
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    if single:
        return head + items[0].replace("<Message>",
                                       '<Message xmlns="%s">' % NS, 1)
    return head + '<Messages xmlns="%s">%s</Messages>' % (NS, "".join(items))


def code_blocks(text):
    """(language, text) of every fenced block and of inline spans that
    hold a whole XML or JSON document."""
    for m in re.finditer(r"```(\w*)\n(.*?)```", text, re.S):
        yield m.group(1), m.group(2)
    for m in re.finditer(r"`([<{][^`\n]{20,})`", text):
        yield ("xml" if m.group(1).startswith("<") else "json"), m.group(1)


def reference_seeds(corpus, shared):
    for path in sorted(glob.glob(os.path.join(shared, "reference", "*.md"))):
        stem = os.path.basename(path)[:-3]
        with open(path, encoding="utf-8") as f:
            text = scrub(f.read())
        for i, (lang, block) in enumerate(code_blocks(text)):
            name = "ref-%s-%d" % (stem, i)
            start = block.lstrip()[:1]
            if start == "<":
                for t in ("xml", "mns_answer", "notify"):
                    corpus.add(t, name, block)
            elif start in "{[":
                for t in ("json", "config_event", "ram_answer", "notify"):
                    corpus.add(t, name, block)
                if "Statement" in block:
                    corpus.add("policy", name, block)
            elif lang == "":
                corpus.add("notify", name, block)


def document_text(policy):
    doc = policy.get("document")
    return doc if isinstance(doc, str) else compact(doc)


def patterns(document):
    """Action and NotAction patterns of a policy document, if it parses."""
    try:
        doc = json.loads(document)
    except ValueError:
        return []
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    found = []
    for st in statements:
        if not isinstance(st, dict):
            continue
        for key in ("Action", "NotAction"):
            value = st.get(key, [])
            found.extend([value] if isinstance(value, str) else
                         [v for v in value if isinstance(v, str)])
    return found


def ram_answers(account):
    """The RAM answers (as RAM's JSON) that the account fixture implies."""
    rid = {"RequestId": "4B450CA1-36E8-4AA2-8461-86B42BF4CC4E"}
    users = [{"UserName": u["name"], "UserId": u["id"],
              "DisplayName": u.get("display_name", u["name"]),
              "CreateDate": "2015-01-23T12:33:18Z"}
             for u in account.get("users", [])]
    out = [dict(rid, Users={"User": users}, IsTruncated=False)]
    if users:
        out.append(dict(rid, Users={"User": users[:1]}, IsTruncated=True,
                        Marker="EXAMPLE"))
        out.append(dict(rid, User=users[0]))
    for u in account.get("users", [])[:3]:
        refs = [{"PolicyName": p["name"], "PolicyType": p["type"],
                 "DefaultVersion": "v1", "AttachDate": "2015-01-23T12:33:18Z"}
                for p in u.get("policies", [])]
        out.append(dict(rid, Policies={"Policy": refs}))
        out.append(dict(rid, Groups={"Group": [
            {"GroupName": g, "JoinDate": "2015-01-23T12:33:18Z"}
            for g in u.get("groups", [])]}))
        dev = u.get("mfa_device")
        if dev:
            out.append(dict(rid, MFADevice={"SerialNumber": dev["serial"],
                                            "Type": dev["type"]}))
            out.append(dict(rid, VirtualMFADevices={"VirtualMFADevice": [{
                "SerialNumber": dev["serial"],
                "User": {"UserId": u["id"], "UserName": u["name"]}}]}))
        lp = u.get("login_profile")
        if lp:
            out.append(dict(rid, LoginProfile={
                "UserName": u["name"],
                "MFABindRequired": lp.get("mfa_bind_required", False),
                "Status": lp.get("status", "Active")}))
    for p in account.get("policies", []):
        version = {"VersionId": "v1", "IsDefaultVersion": True,
                   "PolicyDocument": document_text(p)}
        out.append(dict(rid, Policy={"PolicyName": p["name"],
                                     "PolicyType": p["type"],
                                     "AttachmentCount": 1},
                        DefaultPolicyVersion=version))
        as_object = copy.deepcopy(version)
        if not isinstance(p.get("document"), str):
            as_object["PolicyDocument"] = p["document"]
            out.append(dict(rid, DefaultPolicyVersion=as_object))
        out.append(dict(rid, Users={"User": users[:2]}, Groups={"Group": [
            {"GroupName": g["name"]} for g in account.get("groups", [])]}))
    return out


def envelope_seeds(corpus, name, text):
    """A published body as each subscription format delivers it."""
    shapes = {"simplified": text, "xml": xml_envelope(text),
              "json": json_envelope(text)}
    encoded = b64(text)
    shapes["simplified-b64"] = encoded
    shapes["xml-b64"] = xml_envelope(encoded)
    shapes["json-b64"] = json_envelope(encoded)
    shapes["xml-whole-b64"] = b64(shapes["xml"])
    shapes["json-whole-b64"] = b64(shapes["json"])
    for shape, body in shapes.items():
        corpus.add("notify", "%s-%s" % (name, shape), body)
    corpus.add("xml", name + "-xml", shapes["xml"])
    corpus.add("json", name + "-json", shapes["json"])
    corpus.add("base64", name + "-b64", encoded)
    corpus.add("base64", name + "-b64-xml", shapes["xml-whole-b64"])
    corpus.add("mns_answer", name + "-receive",
               receive_answer([shapes["xml"]], single=True))
    corpus.add("mns_answer", name + "-batch",
               receive_answer([shapes["xml"], shapes["json-b64"]]))


def glob_seeds(corpus, name, account, dangerous):
    pats = []
    for p in account.get("policies", []):
        pats.extend(patterns(document_text(p)))
    for d in dangerous.split(","):
        for i, p in enumerate(sorted(set(pats))[:12]):
            name_part = d.replace("*", "Delete").replace("?", "I")
            corpus.add("glob", "%s-%d" % (name, i),
                       "%s\0%s\0%s" % (p, d.strip(), name_part))


def case_seeds(corpus, path):
    name = "case" + os.path.basename(path).split("-")[0]
    with open(path, encoding="utf-8") as f:
        case = json.loads(scrub(f.read()))
    if "body_text" in case:
        text = case["body_text"]
    else:
        text = compact(case["body"])
        corpus.add("json", name + "-pretty", json.dumps(case["body"],
                                                        indent=2))
    for t in ("json", "config_event"):
        corpus.add(t, name + "-body", text)
    envelope_seeds(corpus, name, text)

    account = case.get("account", {})
    corpus.add("json", name + "-account", compact(account))
    for p in account.get("policies", []):
        corpus.add("policy", name + "-" + p["name"], document_text(p))
    for i, answer in enumerate(ram_answers(account)):
        corpus.add("ram_answer", "%s-%d" % (name, i), compact(answer))

    settings = case.get("settings", {})
    dangerous = settings.get("dangerous_actions", DANGEROUS)
    body = case.get("body")
    if isinstance(body, dict):
        params = body.get("ruleParameters")
        if isinstance(params, dict):
            dangerous = params.get("dangerousActions", dangerous)
    glob_seeds(corpus, name, account, dangerous)
    if settings:
        corpus.add("settings", name, "".join(
            "%s = %s\n" % kv for kv in sorted(settings.items())))


def answer_seeds(corpus):
    """MNS answers the reference does not spell out whole."""
    docs = {
        "queue-attrs": "<Queue xmlns=\"%s\"><QueueName>mfaguard</QueueName>"
                       "<VisibilityTimeout>60</VisibilityTimeout>"
                       "<PollingWaitSeconds>30</PollingWaitSeconds>"
                       "<MaximumMessageSize>65536</MaximumMessageSize>"
                       "<ActiveMessages>0</ActiveMessages><InactiveMessages>"
                       "0</InactiveMessages><DelayMessages>0</DelayMessages>"
                       "</Queue>" % NS,
        "topic-attrs": "<Topic xmlns=\"%s\"><TopicName>MNSTestConfig"
                       "</TopicName><MaximumMessageSize>65536"
                       "</MaximumMessageSize></Topic>" % NS,
        "subscription": "<Subscription xmlns=\"%s\"><Endpoint>acs:mns:"
                        "cn-hangzhou:1698272328540001:queues/mfaguard"
                        "</Endpoint><NotifyContentFormat>XML"
                        "</NotifyContentFormat></Subscription>" % NS,
        "sent": "<Message xmlns=\"%s\"><MessageId>D273CD6A89564E54-1-"
                "15180395A19-200000001</MessageId><MessageBodyMD5>"
                "3AC6DD36D2D6B7283F2F490A09751234</MessageBodyMD5>"
                "</Message>" % NS,
        "visibility": "<ChangeVisibility xmlns=\"%s\"><ReceiptHandle>%s"
                      "</ReceiptHandle><NextVisibleTime>1250700979298"
                      "</NextVisibleTime></ChangeVisibility>"
                      % (NS, HANDLES[0]),
        "errors": "<Errors xmlns=\"%s\"><Error><ErrorCode>"
                  "ReceiptHandleError</ErrorCode><ErrorMessage>The receipt "
                  "handle you provide is not valid.</ErrorMessage>"
                  "<ReceiptHandle>%s</ReceiptHandle></Error><Error>"
                  "<ErrorCode>MessageNotExist</ErrorCode><ReceiptHandle>%s"
                  "</ReceiptHandle></Error></Errors>"
                  % (NS, HANDLES[0], HANDLES[1]),
        "error": "<Error xmlns=\"%s\"><Code>MessageNotExist</Code><Message>"
                 "Message not exist.</Message><RequestId>"
                 "56302D9BB8C115C72842FEEE</RequestId></Error>" % NS,
    }
    for name, doc in docs.items():
        corpus.add("mns_answer", name, doc)
        corpus.add("xml", name, doc)


def settings_seeds(corpus, repo):
    example = os.path.join(repo, "deploy", "mfaguard.conf.example")
    if not os.path.exists(example):
        return
    with open(example, encoding="utf-8") as f:
        text = scrub(f.read())
    corpus.add("settings", "example", text)
    values = [line.lstrip("# ") for line in text.splitlines()
              if re.match(r"^#? ?[a-z_]+ = ", line)]
    corpus.add("settings", "all-set", "\n".join(values) + "\n")


def big_seeds(corpus):
    """Bodies past MNS_MAX_BODY (65536): too large to commit."""
    filler = "x" * BIG
    event = compact({"resultToken": "t", "invokingEvent": {
        "messageType": "ConfigurationItemChangeNotification",
        "configurationItem": {"accountId": 1698272328540001,
                              "resourceId": "200828888731170001",
                              "resourceType": "ACS::RAM::User",
                              "configuration": compact({"UserName": filler})}}})
    corpus.add("notify", "big-70k", event)
    corpus.add("notify", "big-70k-xml", xml_envelope(event))
    corpus.add("config_event", "big-70k", event)
    corpus.add("json", "big-70k", event)
    corpus.add("mns_answer", "big-70k", receive_answer([event], single=True))
    corpus.add("xml", "big-70k", "<r>%s</r>" % filler)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    shutil.rmtree(args.out, ignore_errors=True)
    for t in TARGETS:
        os.makedirs(os.path.join(args.out, t))
    corpus = Corpus(args.out)

    cases = sorted(glob.glob(os.path.join(args.shared, "cases", "*.json")))
    for path in cases:
        case_seeds(corpus, path)
    reference_seeds(corpus, args.shared)
    answer_seeds(corpus)
    settings_seeds(corpus, args.repo)
    big_seeds(corpus)

    with open(os.path.join(args.out, ".stamp"), "w") as f:
        f.write("".join("%s %d\n" % (t, corpus.count[t]) for t in TARGETS))
    print("fuzz seeds: %d cases; %s" % (len(cases), ", ".join(
        "%s %d" % (t, corpus.count[t]) for t in TARGETS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
