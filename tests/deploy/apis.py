"""Which cloud APIs can the mfaguard binary call? Computed from the source.

The RAM policy in deploy/terraform/mfaguard-policy.json must allow exactly
what the code can call, so the set is derived from the C sources every
time the tests run, never written down by hand:

1. The product sources are the .c files the CMake targets of common/,
   mns/, ram/, config/ and worker/ compile (read from their
   CMakeLists.txt), so a new file is seen as soon as it is built.

2. Every function definition and every file-scope table is read with a
   small C tokenizer (the code is clang-formatted, which keeps this
   simple). A call graph links each function to every function or table
   it names: calls, and also function pointers handed over as values
   (HTTP handlers, thread entry points, callbacks in tables), so nothing
   reached through a pointer is missed. Over-approximation is the safe
   side: it can only add APIs.

3. The API names come from two sinks, the only two places where a
   request is given its API name:
     mg_rpc_call(service, ACTION, ...)   common/rpc.c (RAM, Config, STS)
     begin(rq, VERB, ACTION)             mns/request.c (MNS)
   Every call of a sink, or of a function that passes its own parameter
   on to a sink (found to a fixed point: ram.c's call/fetch/fetch_all,
   credentials.c's sts_call, ...), must give the name as a string
   literal, as the caller's own forwarded parameter, or as a local
   `const char *x = "Literal";`. Anything else stops the test with the
   file and function: the analysis never guesses.

4. A name counts when the function holding the literal is reachable from
   main(), minus the functions listed in EXCLUDED (with the reason).

5. Guards against other ways out: mg_http_perform may be called only from
   the functions in HTTP_CALLERS, and curl_easy_perform only from
   common/http.c. A new call site fails the test until this file learns
   what it calls.

6. For MNS, the queue or topic each reachable mns_* call names is read
   from its argument (a setting such as `set.queue`), so the policy's
   resources can be checked too.

The service-side names map to RAM policy actions through MNS_ACTIONS
(MNS's API names differ from its RAM actions in places) and the family
of the file the literal sits in (FAMILY_BY_FILE).
"""

import os
import re

PRODUCT_DIRS = ("common", "mns", "ram", "config", "worker")

# Functions whose literal-holding descendants are not counted, and why.
EXCLUDED = {
    "wrk_cli_setup": (
        "`mfaguard setup` creates the queue, dead-letter queue, topic and "
        "subscription; Terraform (or an administrator) does that, so the "
        "running identity is not given Create*/Subscribe rights"
    ),
}

# Where a literal that reaches mg_rpc_call comes from decides its family.
FAMILY_BY_FILE = {
    "ram/ram.c": "ram",
    "config/client.c": "config",
    "worker/credentials.c": "sts",
}

# Sinks: (file, function) -> index of the API-name argument.
SINKS = {
    ("common/rpc.c", "mg_rpc_call"): 1,
    ("mns/request.c", "begin"): 2,
}

# The functions allowed to call mg_http_perform, and what they reach.
HTTP_CALLERS = {
    ("common/rpc.c", "*"): "RPC calls (their API names come from mg_rpc_call)",
    ("mns/mns.c", "send_request"): "MNS calls (API names from begin())",
    ("worker/credentials.c", "metadata_get"): (
        "ECS instance metadata: not an API, needs no permission"),
}

# MNS API name -> (RAM action, resource kind). The kinds are the resource
# forms of MNS's RAM authorization table: the queue or topic itself, or
# its messages.
MNS_ACTIONS = {
    "BatchReceiveMessage": ("mns:ReceiveMessage", "queue-messages"),
    "ReceiveMessage": ("mns:ReceiveMessage", "queue-messages"),
    "DeleteMessage": ("mns:DeleteMessage", "queue-messages"),
    "BatchDeleteMessage": ("mns:BatchDeleteMessage", "queue-messages"),
    "ChangeMessageVisibility": ("mns:ChangeMessageVisibility",
                                "queue-messages"),
    "SendMessage": ("mns:SendMessage", "queue-messages"),
    "BatchSendMessage": ("mns:SendMessage", "queue-messages"),
    "GetQueueAttributes": ("mns:GetQueueAttributes", "queue"),
    "CreateQueue": ("mns:CreateQueue", "queue"),
    "PublishMessage": ("mns:PublishMessage", "topic-messages"),
    "GetTopicAttributes": ("mns:GetTopicAttributes", "topic"),
    "CreateTopic": ("mns:CreateTopic", "topic"),
    "Subscribe": ("mns:Subscribe", "subscription"),
    "GetSubscriptionAttributes": ("mns:GetSubscriptionAttributes",
                                  "subscription"),
}

# Calls whose queue or topic comes from data rather than a setting: the
# setting the data stands for, and why. Each entry must still match such a
# call, or the test fails (a stale entry would hide a real change).
DATA_RESOURCES = {
    ("worker/cli.c", "put_back"): (
        "queue",
        "replay-dlq sends each message back to the queue its dead-letter "
        "record names (sourceQueue, which the worker writes from its "
        "`queue` setting; `queue` when the record has none)"),
}

# STS calls are authorised by the role's trust policy (AssumeRoleWithOIDC)
# or by the caller's own keys (AssumeRole), never by the policy attached to
# the role they produce.
NOT_IN_ROLE_POLICY = {"sts"}


class AnalysisError(Exception):
    pass


# ---------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<string>"(?:\\.|[^"\\\n])*")
  | (?P<char>'(?:\\.|[^'\\\n])+')
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>\.?[0-9][A-Za-z0-9_.]*)
  | (?P<punct>->|\+\+|--|<<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^!~<>=?:;,.(){}\[\]#])
    """,
    re.S | re.X,
)


def _strip_preprocessor(text):
    """Blank out preprocessor lines (with their continuations), keeping
    line numbers. Macro bodies are not code the binary calls by name."""
    out = []
    cont = False
    for line in text.split("\n"):
        if cont or line.lstrip().startswith("#"):
            cont = line.rstrip().endswith("\\")
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def tokenize(text, path):
    text = _strip_preprocessor(text)
    tokens = []
    pos = 0
    line = 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise AnalysisError("%s:%d: cannot read %r" %
                                (path, line, text[pos:pos + 20]))
        kind = m.lastgroup
        value = m.group(kind)
        if kind not in ("ws", "comment"):
            tokens.append((kind, value, line))
        line += value.count("\n")
        pos = m.end()
    return tokens


# ------------------------------------------------------------- structure


class Function:
    def __init__(self, path, name, static, params, body):
        self.path = path
        self.name = name
        self.static = static
        self.params = params  # list of names (None when unknown)
        self.body = body  # tokens
        self.key = (path, name)

    def __repr__(self):
        return "%s:%s" % self.key


class Table:
    """A file-scope variable with an initializer: its references."""

    def __init__(self, path, name, static, body):
        self.path = path
        self.name = name
        self.static = static
        self.body = body
        self.key = (path, name)


def _matching(tokens, i, open_, close):
    depth = 0
    for j in range(i, len(tokens)):
        v = tokens[j][1]
        if tokens[j][0] == "punct" and v == open_:
            depth += 1
        elif tokens[j][0] == "punct" and v == close:
            depth -= 1
            if depth == 0:
                return j
    raise AnalysisError("unbalanced %s at line %d" % (open_, tokens[i][2]))


def _split_args(tokens):
    """Split the tokens inside a call's parentheses at top-level commas."""
    args, cur, depth = [], [], 0
    for t in tokens:
        if t[0] == "punct" and t[1] in "([{":
            depth += 1
        elif t[0] == "punct" and t[1] in ")]}":
            depth -= 1
        if depth == 0 and t[0] == "punct" and t[1] == ",":
            args.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur or args:
        args.append(cur)
    return args


def _param_name(param):
    idents = [t[1] for t in param if t[0] == "ident"]
    for k in range(len(param) - 2):
        # int (*fn)(...): the name follows "(*"
        if param[k][1] == "(" and param[k + 1][1] == "*" and \
                param[k + 2][0] == "ident":
            return param[k + 2][1]
    return idents[-1] if idents else None


def parse_file(path, text):
    tokens = tokenize(text, path)
    functions, tables = [], []
    header = []
    i = 0
    while i < len(tokens):
        kind, value, _ = tokens[i]
        if kind == "punct" and value == ";":
            header = []
            i += 1
            continue
        if not (kind == "punct" and value == "{"):
            header.append(tokens[i])
            i += 1
            continue
        end = _matching(tokens, i, "{", "}")
        body = tokens[i + 1:end]
        words = [t[1] for t in header]
        static = "static" in words
        if header and header[-1][1] == ")" and "=" not in words:
            # A function definition: NAME ( params ) {
            close = len(header) - 1
            depth, open_ = 0, None
            for k in range(close, -1, -1):
                if header[k][1] == ")":
                    depth += 1
                elif header[k][1] == "(":
                    depth -= 1
                    if depth == 0:
                        open_ = k
                        break
            if open_ is None or open_ == 0 or header[open_ - 1][0] != "ident":
                raise AnalysisError("%s:%d: unexpected definition" %
                                    (path, header[0][2]))
            name = header[open_ - 1][1]
            params = [_param_name(p)
                      for p in _split_args(header[open_ + 1:close])]
            functions.append(Function(path, name, static, params, body))
            header = []
            i = end + 1
            continue
        if "=" in words:
            eq = words.index("=")
            idents = [t[1] for t in header[:eq] if t[0] == "ident"]
            if idents:
                tables.append(Table(path, idents[-1], static, body))
        # struct/enum/union definitions or initializers: skip the body,
        # the declaration goes on to its ";".
        header.append(("ident", "__block__", tokens[i][2]))
        i = end + 1
    return functions, tables


def references(body):
    """Identifiers a body names as values or callees (not members, not
    struct/enum/union tags)."""
    out = set()
    for k, t in enumerate(body):
        if t[0] != "ident":
            continue
        prev = body[k - 1][1] if k > 0 else ""
        if prev in (".", "->", "struct", "union", "enum"):
            continue
        out.add(t[1])
    return out


def calls(body):
    """(callee, [arg tokens...], line) for each NAME( in a body."""
    out = []
    for k in range(len(body) - 1):
        t = body[k]
        if t[0] != "ident" or body[k + 1][1] != "(":
            continue
        prev = body[k - 1][1] if k > 0 else ""
        if prev in (".", "->"):
            continue
        end = _matching(body, k + 1, "(", ")")
        out.append((t[1], _split_args(body[k + 2:end]), t[2]))
    return out


def _local_literal(fn, name):
    """The literal of `const char *NAME = "Literal";` in fn's body."""
    body = fn.body
    for k in range(len(body) - 3):
        if body[k][1] == name and body[k + 1][1] == "=" and \
                body[k + 2][0] == "string" and body[k + 3][1] == ";":
            return body[k + 2][1][1:-1]
    return None


# ----------------------------------------------------------------- model


def product_headers(root):
    out = []
    for d in PRODUCT_DIRS:
        for name in sorted(os.listdir(os.path.join(root, d))):
            if name.endswith(".h"):
                out.append(os.path.join(d, name))
    return out


def macro_texts(text):
    """The text of every #define (continuations joined)."""
    out, cur = [], None
    for line in text.split("\n"):
        if cur is not None:
            cur.append(line)
        elif line.lstrip().startswith("#") and "define" in line:
            cur = [line]
        else:
            continue
        if not line.rstrip().endswith("\\"):
            out.append(" ".join(cur))
            cur = None
    return out


def product_sources(root):
    """The .c files each product folder's CMakeLists.txt compiles."""
    files = []
    for d in PRODUCT_DIRS:
        cml = os.path.join(root, d, "CMakeLists.txt")
        with open(cml, encoding="utf-8") as f:
            text = re.sub(r"#[^\n]*", "", f.read())
        for name in re.findall(r"([A-Za-z0-9_./-]+\.c)\b", text):
            files.append(os.path.join(d, name))
    main = os.path.join("worker", "main.c")
    if main not in files:
        raise AnalysisError("worker/CMakeLists.txt does not compile main.c")
    return sorted(set(files))


class Model:
    def __init__(self, root):
        self.root = root
        self.functions = {}  # key -> Function
        self.tables = {}  # key -> Table
        self.by_name = {}  # global name -> key
        self.statics = {}  # (path, name) -> key
        self.macros = []  # (path, text)
        for rel in product_sources(root) + product_headers(root):
            with open(os.path.join(root, rel), encoding="utf-8") as f:
                text = f.read()
            self.macros += [(rel, m) for m in macro_texts(text)]
            fns, tabs = parse_file(rel, text)
            if rel.endswith(".h"):
                # static inline helpers: visible from every file
                for fn in fns:
                    fn.static = False
                tabs = []
            for fn in fns:
                self.functions[fn.key] = fn
                self._index(fn)
            for tab in tabs:
                self.tables[tab.key] = tab
                self._index(tab)

    def _index(self, item):
        if item.static:
            self.statics[(item.path, item.name)] = item.key
        else:
            if item.name in self.by_name and item.name != "main":
                raise AnalysisError("%s is defined twice (%s and %s)" %
                                    (item.name, self.by_name[item.name][0],
                                     item.path))
            self.by_name[item.name] = item.key

    def resolve(self, path, name):
        return self.statics.get((path, name)) or self.by_name.get(name)

    def item(self, key):
        return self.functions.get(key) or self.tables.get(key)

    def edges(self, key):
        item = self.item(key)
        out = set()
        for name in references(item.body):
            target = self.resolve(item.path, name)
            if target is not None and target != key:
                out.add(target)
        return out

    def reachable(self, roots, cut=()):
        seen = set()
        todo = list(roots)
        while todo:
            key = todo.pop()
            if key in seen or key[1] in cut:
                continue
            seen.add(key)
            todo.extend(self.edges(key))
        return seen

    # -- API names ------------------------------------------------------

    def api_literals(self):
        """[(holder function key, family, API name, line)]."""
        forwarders = {}
        for (path, name), index in SINKS.items():
            key = (path, name)
            fn = self.functions.get(key)
            if fn is None:
                raise AnalysisError("sink %s:%s not found" % key)
            if index >= len(fn.params) or fn.params[index] != "action":
                raise AnalysisError(
                    "%s:%s: argument %d is no longer named action; update "
                    "tests/deploy/apis.py" % (path, name, index))
            forwarders[key] = index

        found = []
        changed = True
        while changed:
            changed = False
            found = []
            for fn in self.functions.values():
                for callee, args, line in calls(fn.body):
                    target = self.resolve(fn.path, callee)
                    if target not in forwarders:
                        continue
                    index = forwarders[target]
                    if index >= len(args):
                        raise AnalysisError("%s:%d: short call to %s" %
                                            (fn.path, line, callee))
                    arg = args[index]
                    if len(arg) == 1 and arg[0][0] == "string":
                        found.append((fn.key, arg[0][1][1:-1], line, target))
                        continue
                    if len(arg) == 1 and arg[0][0] == "ident":
                        name = arg[0][1]
                        if name in fn.params:
                            pos = fn.params.index(name)
                            if forwarders.get(fn.key) != pos:
                                forwarders[fn.key] = pos
                                changed = True
                            continue
                        literal = _local_literal(fn, name)
                        if literal is not None:
                            found.append((fn.key, literal, line, target))
                            continue
                    raise AnalysisError(
                        "%s:%d (%s): the API name given to %s is not a "
                        "literal, a forwarded parameter or a local "
                        "literal: %s. Make it one, or teach "
                        "tests/deploy/apis.py." %
                        (fn.path, line, fn.name, callee,
                         " ".join(t[1] for t in arg)))

        self.forwarders = dict(forwarders)
        out = []
        for holder, api, line, sink in found:
            sink_root = self._sink_of(sink, forwarders)
            if sink_root == ("mns/request.c", "begin"):
                family = "mns"
            else:
                family = FAMILY_BY_FILE.get(holder[0])
                if family is None:
                    raise AnalysisError(
                        "%s:%d: an RPC API name (%s) in a file without a "
                        "family in tests/deploy/apis.py FAMILY_BY_FILE" %
                        (holder[0], line, api))
            out.append((holder, family, api, line))
        return out

    def _sink_of(self, key, forwarders):
        """Which sink a forwarder ends in (by following its body)."""
        seen = set()
        todo = [key]
        while todo:
            k = todo.pop()
            if k in SINKS:
                return k
            if k in seen:
                continue
            seen.add(k)
            fn = self.functions[k]
            for callee, _, _ in calls(fn.body):
                t = self.resolve(fn.path, callee)
                if t in forwarders:
                    todo.append(t)
        raise AnalysisError("%s:%s reaches no sink" % key)

    # -- guards ---------------------------------------------------------

    def check_http_callers(self):
        """Guards: every way to reach a service must be one the analysis
        sees."""
        problems = []
        forwarders = self.forwarders
        sink_names = {k[1] for k in forwarders} | {"mg_http_perform",
                                                    "curl_easy_perform"}
        for path, text in self.macros:
            used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
            hidden = sorted(n for n in used & sink_names
                            if self.resolve(path, n) in forwarders or
                            n in ("mg_http_perform", "curl_easy_perform"))
            if hidden:
                problems.append(
                    "%s: a macro calls %s; the analysis does not expand "
                    "macros, so write it as a function" %
                    (path, ", ".join(hidden)))
        for item in list(self.functions.values()) + \
                list(self.tables.values()):
            called = {c for c, _, _ in calls(item.body)} \
                if isinstance(item, Function) else set()
            for name in references(item.body) - called:
                target = self.resolve(item.path, name)
                if target in forwarders or name in ("mg_http_perform",
                                                    "curl_easy_perform"):
                    problems.append(
                        "%s:%s uses %s as a value (a pointer); the "
                        "analysis only follows direct calls of it" %
                        (item.key + (name,)))
        for fn in self.functions.values():
            names = {c for c, _, _ in calls(fn.body)}
            if "mg_http_perform" in names:
                if (fn.path, "*") not in HTTP_CALLERS and \
                        (fn.path, fn.name) not in HTTP_CALLERS:
                    problems.append(
                        "%s:%s calls mg_http_perform: a new way to reach a "
                        "service; teach tests/deploy/apis.py what it calls"
                        % fn.key)
            if "curl_easy_perform" in names and fn.path != "common/http.c":
                problems.append("%s:%s calls curl_easy_perform" % fn.key)
        return problems


def mns_resources(model, reached, settings):
    """For each reachable call of a public mns_* function: the MNS APIs it
    can make and the setting naming its queue or topic.

    Returns {(api, setting)}; raises when the queue or topic argument is
    not a setting."""
    mns_public = {key for key, fn in model.functions.items()
                  if key[0].startswith("mns/") and not fn.static}
    mns_literals = {}
    for holder, family, api, _ in model.api_literals():
        if family == "mns":
            mns_literals.setdefault(holder, set()).add(api)
    out = set()
    used_data = set()
    for key in reached:
        fn = model.functions.get(key)
        if fn is None or key[0].startswith("mns/"):
            continue
        for callee, args, line in calls(fn.body):
            target = model.resolve(fn.path, callee)
            if target not in mns_public:
                continue
            inner = model.reachable([target])
            apis = set()
            for k in inner:
                apis |= mns_literals.get(k, set())
            if not apis:
                continue
            arg = args[1] if len(args) > 1 else []
            name = arg[-1][1] if arg else ""
            before = arg[-2][1] if len(arg) > 1 else ""
            if key in DATA_RESOURCES and (len(arg) != 1 or
                                          arg[0][1] in fn.params):
                used_data.add(key)
                name, before = DATA_RESOURCES[key][0], "."
            if name not in settings or before not in (".", "->"):
                raise AnalysisError(
                    "%s:%d (%s): the queue or topic given to %s is not a "
                    "setting (%s); the policy's resources cannot be "
                    "checked" % (fn.path, line, fn.name, callee,
                                 " ".join(t[1] for t in arg)))
            for api in apis:
                out.add((api, name))
    for key in set(DATA_RESOURCES) - used_data:
        raise AnalysisError(
            "DATA_RESOURCES names %s:%s, which no longer passes data as a "
            "queue or topic to a reachable mns_* call; remove or update "
            "the entry in tests/deploy/apis.py" % key)
    return out


def analyse(root, settings):
    """Everything the policy check needs, as a dict:
      apis        {(family, api)} reachable from main minus EXCLUDED
      excluded    {(family, api)} reachable only through EXCLUDED
      actions     {ram action} for the role policy
      mns         {(ram action, resource kind, setting)}
      problems    [str] guard failures
    """
    model = Model(root)
    main = model.resolve("worker/main.c", "main")
    if main is None:
        raise AnalysisError("no main() in worker/main.c")
    for name in EXCLUDED:
        key = model.by_name.get(name)
        if key is None:
            raise AnalysisError(
                "EXCLUDED names %s, which no longer exists; update "
                "tests/deploy/apis.py" % name)
        if key not in model.edges(main):
            raise AnalysisError("main() no longer calls %s" % name)

    literals = model.api_literals()
    full = model.reachable([main])
    reached = model.reachable([main], cut=set(EXCLUDED))
    apis, excluded = set(), set()
    for holder, family, api, _ in literals:
        if holder in reached:
            apis.add((family, api))
        elif holder in full:
            excluded.add((family, api))
    excluded -= apis

    actions = set()
    problems = model.check_http_callers()
    for family, api in sorted(apis):
        if family in NOT_IN_ROLE_POLICY:
            continue
        if family == "mns":
            if api not in MNS_ACTIONS:
                problems.append(
                    "MNS API %s has no RAM action in tests/deploy/apis.py "
                    "MNS_ACTIONS" % api)
                continue
            actions.add(MNS_ACTIONS[api][0])
        else:
            actions.add("%s:%s" % (family, api))

    mns = set()
    for api, setting in mns_resources(model, reached, settings):
        if api in MNS_ACTIONS:
            action, kind = MNS_ACTIONS[api]
            mns.add((action, kind, setting))
    return {
        "apis": apis,
        "excluded": excluded,
        "actions": actions,
        "mns": mns,
        "problems": problems,
    }


def mns_arn(kind, name):
    """The resource of one MNS action, for any region and account."""
    if kind == "queue":
        return "acs:mns:*:*:/queues/%s" % name
    if kind == "queue-messages":
        return "acs:mns:*:*:/queues/%s/messages" % name
    if kind == "topic":
        return "acs:mns:*:*:/topics/%s" % name
    if kind == "topic-messages":
        return "acs:mns:*:*:/topics/%s/messages" % name
    raise AnalysisError("no resource form for %s" % kind)


if __name__ == "__main__":
    import sys

    here = sys.argv[1] if len(sys.argv) > 1 else "."
    names = {"queue", "dlq_queue", "topic", "notify_topic", "subscription"}
    result = analyse(here, names)
    for k in ("apis", "excluded", "actions", "mns", "problems"):
        print(k)
        for v in sorted(result[k]):
            print("   ", v)
