#!/usr/bin/env python3
"""openapi_check.py - hold docs/openapi.json to the admin API (standard library only).

As a module (admin_client.py imports it):
    spec = Spec("docs/openapi.json")
    errors = spec.check_response(method, path, status, headers, body)
validates one answer of the server against the document: the route and
the status are documented, the media type is one the document lists for
them, a JSON body matches the response schema (a problem's "status" is the
HTTP status), the headers the document marks required are there.

The schema validator covers the subset of JSON Schema 2020-12 the document
uses (type, properties, required, additionalProperties, items, enum,
const, pattern, minimum/maximum, minLength/maxLength, minItems/maxItems,
minProperties, oneOf/anyOf/allOf, $ref into the document, nullable as
type arrays); any other keyword in a schema is an error, so the document
cannot use one that goes unchecked.

Command line:
    openapi_check.py routes ADMIN_C DOC   admin.c's routing table and the
        document's operations, both ways (method, path, scope, body kind)
    openapi_check.py operations DOC       "METHOD PATH BODYKIND" per operation
    openapi_check.py validate DOC METHOD PATH STATUS HEADERS BODY
        one answer (HEADERS: a file of "Name: value" lines as curl -D
        writes them; BODY: a file); prints the errors, exit 1 when any
    openapi_check.py selftest             the validator rejects what it must
"""
import json
import re
import sys

ANNOTATIONS = {"description", "default", "format", "contentEncoding", "contentMediaType",
               "title", "examples", "deprecated", "readOnly", "writeOnly", "$comment"}
CHECKED = {"type", "properties", "required", "additionalProperties", "items", "enum", "const",
           "pattern", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems",
           "minProperties", "oneOf", "anyOf", "allOf", "$ref"}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def _type_ok(t, v):
    if t == "null":
        return v is None
    if t == "boolean":
        return isinstance(v, bool)
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t == "string":
        return isinstance(v, str)
    if t == "array":
        return isinstance(v, list)
    if t == "object":
        return isinstance(v, dict)
    raise ValueError("unknown type %r in the document" % t)


def _ptr_escape(k):
    return str(k).replace("~", "~0").replace("/", "~1")


class Validator:
    """JSON Schema (the document's subset) with $ref resolved in root."""

    def __init__(self, root):
        self.root = root

    def resolve(self, ref):
        if not ref.startswith("#/"):
            raise ValueError("only local $ref are supported: %s" % ref)
        node = self.root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[part]
        return node

    def errors(self, schema, v, where=""):
        """A list of "where: what" strings; empty when v is valid."""
        out = []
        self._check(schema, v, where, out)
        return out

    def _check(self, s, v, where, out):
        if s is True or s == {}:
            return
        if s is False:
            out.append("%s: no value is allowed here" % (where or "/"))
            return
        unknown = set(s) - CHECKED - ANNOTATIONS
        if unknown:
            raise ValueError("schema at %s uses keywords the validator does not check: %s"
                             % (where or "/", ", ".join(sorted(unknown))))
        w = where or "/"
        if "$ref" in s:
            self._check(self.resolve(s["$ref"]), v, where, out)
        if "type" in s:
            ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
            if not any(_type_ok(t, v) for t in ts):
                out.append("%s: %s is not of type %s" % (w, _short(v), "|".join(ts)))
                return
        if "enum" in s and not any(_same(v, e) for e in s["enum"]):
            out.append("%s: %s is not one of %s" % (w, _short(v), _short(s["enum"])))
        if "const" in s and not _same(v, s["const"]):
            out.append("%s: %s is not %s" % (w, _short(v), _short(s["const"])))
        if isinstance(v, str):
            if "pattern" in s and not re.search(s["pattern"], v):
                out.append("%s: %s does not match %s" % (w, _short(v), s["pattern"]))
            if "minLength" in s and len(v) < s["minLength"]:
                out.append("%s: shorter than %d" % (w, s["minLength"]))
            if "maxLength" in s and len(v) > s["maxLength"]:
                out.append("%s: longer than %d" % (w, s["maxLength"]))
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if "minimum" in s and v < s["minimum"]:
                out.append("%s: %s is below %s" % (w, v, s["minimum"]))
            if "maximum" in s and v > s["maximum"]:
                out.append("%s: %s is above %s" % (w, v, s["maximum"]))
        if isinstance(v, list):
            if "minItems" in s and len(v) < s["minItems"]:
                out.append("%s: fewer than %d items" % (w, s["minItems"]))
            if "maxItems" in s and len(v) > s["maxItems"]:
                out.append("%s: more than %d items" % (w, s["maxItems"]))
            if "items" in s:
                for i, x in enumerate(v):
                    self._check(s["items"], x, "%s/%d" % (where, i), out)
        if isinstance(v, dict):
            props = s.get("properties", {})
            for r in s.get("required", []):
                if r not in v:
                    out.append("%s: member '%s' is missing" % (w, r))
            if "minProperties" in s and len(v) < s["minProperties"]:
                out.append("%s: fewer than %d members" % (w, s["minProperties"]))
            for k, x in v.items():
                sub = "%s/%s" % (where, _ptr_escape(k))
                if k in props:
                    self._check(props[k], x, sub, out)
                elif "additionalProperties" in s:
                    ap = s["additionalProperties"]
                    if ap is False:
                        out.append("%s: member '%s' is not in the document" % (w, k))
                    else:
                        self._check(ap, x, sub, out)
        if "allOf" in s:
            for sub in s["allOf"]:
                self._check(sub, v, where, out)
        if "anyOf" in s:
            if not any(not self.errors(sub, v, where) for sub in s["anyOf"]):
                out.append("%s: matches none of anyOf: %s" % (w, "; ".join(
                    self.errors(s["anyOf"][0], v, where)[:3])))
        if "oneOf" in s:
            results = [self.errors(sub, v, where) for sub in s["oneOf"]]
            n = sum(1 for r in results if not r)
            if n != 1:
                why = "; ".join(e for r in results for e in r[:2]) if n == 0 else ""
                out.append("%s: matches %d of oneOf (must be exactly 1)%s"
                           % (w, n, ": " + why if why else ""))


def _same(a, b):
    # JSON equality: true is not 1
    return type(a) is type(b) and a == b or (
        isinstance(a, (int, float)) and isinstance(b, (int, float))
        and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def _short(v):
    s = json.dumps(v)
    return s if len(s) <= 80 else s[:77] + "..."


def media(ct):
    return (ct or "").split(";")[0].strip().lower()


class Spec:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.raw = f.read()
        self.doc = json.loads(self.raw)
        self.v = Validator(self.doc)
        self.templates = []  # (regex, template)
        for p in self.doc["paths"]:
            rx = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(p)) + "$"
            self.templates.append((re.compile(rx), p))

    def operations(self):
        """[(METHOD, path template, operation)] in document order."""
        out = []
        for p, item in self.doc["paths"].items():
            for m in METHODS:
                if m in item:
                    out.append((m.upper(), p, item[m]))
        return out

    def deref(self, node):
        while isinstance(node, dict) and "$ref" in node:
            node = self.v.resolve(node["$ref"])
        return node

    def template_of(self, path):
        """The document's path template a concrete (encoded) request path falls under."""
        path = path.split("?", 1)[0]
        hits = [t for rx, t in self.templates if rx.match(path)]
        # a literal segment beats a parameter ("/bulk/devices" over "/{x}/devices")
        hits.sort(key=lambda t: t.count("{"))
        return hits[0] if hits else None

    def operation(self, method, path):
        t = self.template_of(path)
        if t is None:
            return None, None
        m = "get" if method.upper() == "HEAD" else method.lower()
        return t, self.doc["paths"][t].get(m)

    def schema_errors(self, schema, value, where=""):
        return self.v.errors(schema, value, where)

    def check_response(self, method, path, status, headers, body):
        """Errors (strings) of one answer: headers a {lower-case name: value} dict, body bytes."""
        t, op = self.operation(method, path)
        what = "%s %s -> %d" % (method, path, status)
        if op is None:
            # undocumented routes may only be refused by the router
            if status in (404, 405):
                return self._problem_only(what, status, headers, body)
            return ["%s: the route is not in the document" % what]
        resp = op["responses"].get(str(status))
        if resp is None:
            return ["%s: status %d is not documented for %s %s" % (what, status, method, t)]
        resp = self.deref(resp)
        errs = []
        for name, h in resp.get("headers", {}).items():
            h = self.deref(h)
            val = headers.get(name.lower())
            if val is None:
                if h.get("required"):
                    errs.append("%s: header %s is missing" % (what, name))
                continue
            errs += ["%s: header %s: %s" % (what, name, e)
                     for e in self.v.errors(h.get("schema", {}), val)]
        content = resp.get("content")
        if not content or method.upper() == "HEAD":
            if body and method.upper() != "HEAD":
                errs.append("%s: a body where the document has none" % what)
            return errs
        ct = media(headers.get("content-type"))
        if ct not in content:
            return errs + ["%s: media type %r not documented (%s)"
                           % (what, ct, ", ".join(content))]
        if ct == "application/json" or ct.endswith("+json"):
            try:
                val = json.loads(body)
            except ValueError as e:
                return errs + ["%s: the body is not JSON: %s" % (what, e)]
            errs += ["%s: %s" % (what, e)
                     for e in self.v.errors(content[ct].get("schema", {}), val)]
            if ct == "application/problem+json" and isinstance(val, dict) \
                    and val.get("status") != status:
                errs.append("%s: the problem's status %r is not the HTTP status"
                            % (what, val.get("status")))
        return errs

    def check_request(self, method, path, ctype, body):
        """Errors of a request body the server accepted: the document's request
        schema must accept it too (else the document is stricter than the API)."""
        t, op = self.operation(method, path)
        if op is None or not body:
            return []
        rb = self.deref(op.get("requestBody") or {})
        content = rb.get("content", {})
        ct = media(ctype)
        what = "%s %s request" % (method, path)
        if ct not in content:
            return ["%s: media type %r not documented (%s)" % (what, ct, ", ".join(content))]
        if ct != "application/json":
            return []
        try:
            val = json.loads(body)
        except ValueError as e:
            return ["%s: not JSON: %s" % (what, e)]
        return ["%s: %s" % (what, e) for e in self.v.errors(content[ct].get("schema", {}), val)]

    def _problem_only(self, what, status, headers, body):
        problem = self.doc["components"]["schemas"]["Problem"]
        if media(headers.get("content-type")) != "application/problem+json":
            return ["%s: not application/problem+json" % what]
        try:
            val = json.loads(body)
        except ValueError as e:
            return ["%s: the body is not JSON: %s" % (what, e)]
        return ["%s: %s" % (what, e) for e in self.v.errors(problem, val)]


# ---- admin.c's routing table ---------------------------------------------------

ROW = re.compile(r'\{\s*"([A-Z]+)"\s*,\s*"([^"]*)"\s*,\s*ADMIN_SCOPE_([A-Z]+)\s*,'
                 r'\s*ADMIN_BODY_([A-Z]+)\s*,\s*([A-Za-z0-9_]+)\s*\}')


def table_routes(admin_c):
    """[(METHOD, "/api/v1" + pattern, scope, body)] of admin.c's routes[]."""
    with open(admin_c) as f:
        src = f.read()
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    src = re.sub(r"//[^\n]*", "", src)
    m = re.search(r"admin_route\s+routes\[\]\s*=\s*\{(.*?)\n\};", src, re.S)
    if not m:
        raise SystemExit("%s: no 'routes[] = { ... };' table found" % admin_c)
    body = m.group(1)
    rows = ROW.findall(body)
    opened = len(re.findall(r'\{\s*"', body))
    if opened != len(rows) or not rows:
        raise SystemExit("%s: %d rows open in routes[] but %d parse as "
                         "{METHOD, PATTERN, SCOPE, BODY, HANDLER}" % (admin_c, opened, len(rows)))
    prefix = "/api/v1"
    pm = re.search(r'#define\s+ADMIN_PREFIX\s+"([^"]+)"', open(
        admin_c.replace("admin.c", "admin.h")).read())
    if pm:
        prefix = pm.group(1)
    return [(meth, prefix + pat, scope.lower(), bodyk.lower()) for meth, pat, scope, bodyk, _
            in rows]


def body_kind(op):
    rb = op.get("requestBody")
    if not rb:
        return "none"
    types = sorted(rb.get("content", {}))
    if types == ["application/json"]:
        return "json"
    return "any"


def schema_keywords(doc):
    """Schemas of the document that use keywords the validator does not check."""
    out = []

    def walk(s, where):
        if not isinstance(s, dict):
            return
        unknown = set(s) - CHECKED - ANNOTATIONS
        if unknown:
            out.append("%s: keywords the validator does not check: %s"
                       % (where, ", ".join(sorted(unknown))))
        for k, sub in s.get("properties", {}).items():
            walk(sub, where + "/properties/" + k)
        for k in ("items", "additionalProperties"):
            walk(s.get(k), where + "/" + k)
        for k in ("oneOf", "anyOf", "allOf"):
            for i, sub in enumerate(s.get(k, [])):
                walk(sub, "%s/%s/%d" % (where, k, i))

    def find(node, where):
        if isinstance(node, dict):
            for k, sub in node.items():
                if k == "schema":
                    walk(sub, where + "/schema")
                elif k == "schemas" and where == "#/components":
                    for n, sch in sub.items():
                        walk(sch, where + "/schemas/" + n)
                else:
                    find(sub, where + "/" + k)
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                find(sub, "%s/%d" % (where, i))

    find(doc, "#")
    return out


def compare_routes(admin_c, spec):
    """Differences between the table and the document, as strings."""
    table = {(m, p): (s, b) for m, p, s, b in table_routes(admin_c)}
    docops = {(m, p): op for m, p, op in spec.operations()}
    out = schema_keywords(spec.doc)
    for k in sorted(set(table) - set(docops)):
        out.append("in admin.c's table, not in the document: %s %s" % k)
    for k in sorted(set(docops) - set(table)):
        out.append("in the document, not in admin.c's table: %s %s" % k)
    for k in sorted(set(table) & set(docops)):
        scope, bk = table[k]
        op = docops[k]
        if op.get("x-sztp-scope") != scope:
            out.append("%s %s: x-sztp-scope %r, the table says %r"
                       % (k + (op.get("x-sztp-scope"), scope)))
        if body_kind(op) != bk:
            out.append("%s %s: request body %r, the table says %r" % (k + (body_kind(op), bk)))
        rs = op.get("responses", {})
        need = ["401", "500"] + (["403"] if scope == "write" else []) + (
            ["413", "415"] if bk != "none" else [])
        for st in need:
            if st not in rs:
                out.append("%s %s: no %s response" % (k + (st,)))
        if not any(s.startswith("2") for s in rs):
            out.append("%s %s: no success response" % k)
        for st, r in rs.items():
            r = spec.deref(r)
            if st.startswith(("4", "5")) and list(r.get("content", {})) != [
                    "application/problem+json"]:
                out.append("%s %s: %s is not application/problem+json" % (k + (st,)))
        names = set(re.findall(r"\{([^}]+)\}", k[1]))
        got = {spec.deref(p)["name"] for p in op.get("parameters", [])
               if spec.deref(p)["in"] == "path"}
        if names != got:
            out.append("%s %s: path parameters %s, the path has %s"
                       % (k + (sorted(got), sorted(names))))
    return out


# ---- self test -----------------------------------------------------------------

def selftest(spec):
    """The validator refuses what it must; returns (passed, failed).  Each
    case: (description, function, arguments, valid?)."""
    v = spec.v

    def schema(name):
        return {"$ref": "#/components/schemas/" + name}

    def valid(sch, val):
        return not v.errors(sch, val)

    dev = {"serial": "SN-1", "profile": None, "state": "enrolled", "password": False,
           "voucher": False, "created": "2026-11-30T12:00:00Z", "first-seen": None,
           "last-seen": None, "idevid-pin": None, "revision": "00a1b2c3d4e5f607"}
    cases = [("a valid device", valid, (schema("Device"), dev), True)]
    no = object()
    for desc, member, val in [
            ("a missing required member", "serial", no),
            ("an undocumented member", "colour", "blue"),
            ("a wrong type", "password", "no"),
            ("a boolean for a string", "revision", True),
            ("a revision too short", "revision", "00a1"),
            ("a time not in UTC", "created", "2026-11-30T12:00:00+01:00"),
            ("a state not in the enum", "state", "sleeping"),
            ("null where no null is allowed", "serial", None),
            ("an empty serial", "serial", ""),
            ("a pin that is not 64 hex", "idevid-pin", "abc"),
            ("a voucher-expiry not in the enum", "voucher-expiry", "soon")]:
        d = {k: x for k, x in dev.items() if k != member}
        if val is not no:
            d[member] = val
        cases.append((desc, valid, (schema("Device"), d), False))
    prog = {"time": "2026-11-30T12:00:00Z", "source": "progress", "id": 1, "serial": "A",
            "peer": "::1", "type": "informational", "message": None, "ssh-host-keys": None,
            "trust-anchor-certs": None}
    problem = {"type": "urn:sztp:problem:not-found", "title": "Not Found", "status": 404,
               "detail": "no device 'x'"}
    cases += [
        ("an empty page", valid, (schema("DevicePage"), {"items": [], "next-cursor": None}),
         True),
        ("a page with a bad item", valid, (schema("DevicePage"), {"items": [{"serial": "x"}],
                                                                   "next-cursor": None}), False),
        ("a page without next-cursor", valid, (schema("DevicePage"), {"items": []}), False),
        ("a problem is not a page", valid, (schema("DevicePage"), problem), False),
        ("a timeline progress row", valid, (schema("TimelineEntry"), prog), True),
        ("a progress row claiming to be a log row", valid,
         (schema("TimelineEntry"), dict(prog, source="log")), False),
        ("a float where an integer must be", valid,
         (schema("TimelineEntry"), dict(prog, id=1.5)), False)]
    # check_response: undocumented status, wrong media type, missing ETag,
    # a problem whose status lies
    prob = json.dumps(problem).encode()
    pj = {"content-type": "application/problem+json"}
    aj = {"content-type": "application/json"}
    good_dev = json.dumps(dict(dev, **{"voucher-summary": None, "progress-reports": 0,
                                       "last-progress": None})).encode()
    dx = "/api/v1/devices/x"
    resp = spec.check_response
    cases += [
        ("a documented 404", resp, ("GET", dx, 404, pj, prob), True),
        ("a 404 whose problem says 400", resp,
         ("GET", dx, 404, pj, prob.replace(b"404", b"400")), False),
        ("an undocumented status", resp, ("GET", dx, 409, pj, prob), False),
        ("a problem as application/json", resp, ("GET", dx, 404, aj, prob), False),
        ("a device with its ETag", resp,
         ("GET", dx, 200, dict(aj, etag='"0123456789abcdef"'), good_dev), True),
        ("a device without ETag", resp, ("GET", dx, 200, aj, good_dev), False),
        ("a body on 204", resp, ("DELETE", dx, 204, {}, b"{}"), False),
        ("an undocumented route answering 200", resp, ("GET", "/api/v1/nothing", 200, aj,
                                                       b"{}"), False)]
    req = spec.check_request
    cases += [
        ("a device-create", req, ("POST", "/api/v1/devices", "application/json",
                                  b'{"serial": "A", "profile": "p"}'), True),
        ("a device-create with a number", req, ("POST", "/api/v1/devices", "application/json",
                                                b'{"serial": 7}'), False),
        ("a device-create with a stray member", req,
         ("POST", "/api/v1/devices", "application/json", b'{"serial": "A", "x": 1}'), False),
        ("a voucher as CMS", req, ("PUT", dx + "/voucher", "application/pkcs7-mime", b"0\x82"),
         True),
        ("a body as text/plain", req, ("PUT", "/api/v1/profiles/p", "text/plain", b"{}"),
         False)]
    passed = failed = 0
    for desc, fn, args, want in cases:
        got = fn(*args)
        got = got if isinstance(got, bool) else not got
        if got == want:
            passed += 1
        else:
            failed += 1
            print("selftest FAIL: %s: valid=%s, want %s" % (desc, got, want))
    # keywords the validator does not know are refused, not ignored
    try:
        v.errors({"type": "string", "format": "x", "multipleOf": 2}, "a")
        failed += 1
        print("selftest FAIL: an unsupported keyword was ignored")
    except ValueError:
        passed += 1
    return passed, failed


def _headers_file(path):
    h = {}
    with open(path, "rb") as f:
        for line in f.read().decode("latin-1").splitlines():
            if ":" in line and not line.startswith("HTTP/"):
                k, val = line.split(":", 1)
                h[k.strip().lower()] = val.strip()
    return h


def main(argv):
    if len(argv) >= 2 and argv[1] == "routes" and len(argv) == 4:
        diffs = compare_routes(argv[2], Spec(argv[3]))
        for d in diffs:
            print(d)
        n = len(table_routes(argv[2]))
        print("%d routes in the table, %d differences" % (n, len(diffs)))
        return 1 if diffs else 0
    if len(argv) == 3 and argv[1] == "operations":
        for m, p, op in Spec(argv[2]).operations():
            print(m, p, body_kind(op))
        return 0
    if len(argv) == 8 and argv[1] == "validate":
        spec = Spec(argv[2])
        with open(argv[7], "rb") as f:
            body = f.read()
        errs = spec.check_response(argv[3], argv[4], int(argv[5]), _headers_file(argv[6]), body)
        for e in errs:
            print(e)
        return 1 if errs else 0
    if len(argv) == 3 and argv[1] == "selftest":
        p, f = selftest(Spec(argv[2]))
        print("openapi_check selftest: %d passed, %d failed" % (p, f))
        return 1 if f else 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
