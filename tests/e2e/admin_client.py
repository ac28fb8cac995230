#!/usr/bin/env python3
"""admin_client.py - a client of sztpd's admin API on the Python standard
library alone (http.client + ssl with the test CA), and the scenario
tests/e2e/t_admin_api.sh runs with it against a real sztpd:

  CRUD round trips of every resource; a bulk create of 10,000 devices
  (the time it took is printed); pagination edges (empty, exactly one
  page, last page, a cursor after deletes, a walk over 10,000); no
  token, a malformed, revoked or expired one, read scope writing, each
  with its exact status; malformed, truncated, oversized and wrongly
  typed JSON, each with its exact status and the resource re-read
  unchanged; a stale If-Match -> 412 and nothing changed; every answer
  checked against docs/openapi.json (openapi_check.py).

    admin_client.py scenario --base https://localhost:PORT --cacert CA \\
        --token-file FILE --doc docs/openapi.json --pki DIR \\
        --device-base https://localhost:DPORT --max-body N

prints "FAIL: ..." lines for what failed, timings as "time: ..." lines,
and "admin_client: N passed, N failed" last.
"""
import argparse
import base64
import http.client
import json
import os
import ssl
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # the tests write nothing into the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import openapi_check  # noqa: E402

PREFIX = "/api/v1"


def seg(s):
    """One path segment, percent-encoded ('/' too)."""
    return urllib.parse.quote(s, safe="")


def b64(data):
    return base64.b64encode(data).decode()


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, cond, desc, why=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: %s%s" % (desc, (": " + why) if why else ""), flush=True)
        return cond

    def eq(self, desc, got, want):
        return self.ok(got == want, desc, "got %r, want %r" % (got, want))


class Resp:
    def __init__(self, method, path, status, headers, body):
        self.method = method
        self.path = path
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def etag(self):
        return self.headers.get("etag")

    def __repr__(self):
        return "%s %s -> %d %s" % (self.method, self.path, self.status, self.body[:300])


class Client:
    """One keep-alive HTTPS connection to the admin listener."""

    def __init__(self, base, cacert, token=None, spec=None, checks=None, cert=None, key=None):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port or 443
        self.ctx = ssl.create_default_context(cafile=cacert)
        if cert:
            self.ctx.load_cert_chain(cert, key)
        self.token = token
        self.spec = spec
        self.checks = checks
        self.conn = None

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    def call(self, method, path, body=None, ctype=None, headers=None, auth=True, raw_path=False):
        """path below /api/v1 (or, raw_path, the whole path and query)."""
        full = path if raw_path else PREFIX + path
        h = dict(headers or {})
        if auth and self.token is not None and "Authorization" not in h:
            h["Authorization"] = "Bearer " + self.token
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h.setdefault("Content-Type", ctype or "application/json")
        for attempt in (0, 1):
            fresh = self.conn is None
            if fresh:
                self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                                        timeout=300)
            try:
                self.conn.request(method, full, body=data, headers=h)
                r = self.conn.getresponse()
                rbody = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest):
                # the server closed an idle keep-alive connection: once more
                # on a new one (never after a fresh connection failed)
                self.close()
                if fresh or attempt:
                    raise
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if hdrs.get("connection", "").lower() == "close":
            self.close()
        resp = Resp(method, full, r.status, hdrs, rbody)
        if self.spec is not None and self.checks is not None:
            errs = self.spec.check_response(method, full.split("?")[0], r.status, hdrs, rbody)
            self.checks.ok(not errs, "%s %s -> %d matches docs/openapi.json"
                           % (method, full[:120], r.status), "; ".join(errs[:5]))
            if 200 <= r.status < 300 and data:
                errs = self.spec.check_request(method, full.split("?")[0],
                                               h.get("Content-Type"), data)
                self.checks.ok(not errs, "%s %s: the accepted body fits the document's "
                               "request schema" % (method, full[:120]), "; ".join(errs[:5]))
        return resp


# ---- the scenario ----------------------------------------------------------------


class Scenario:
    def __init__(self, a):
        self.a = a
        self.c = Checks()
        self.spec = openapi_check.Spec(a.doc)
        with open(a.token_file) as f:
            tok = f.read().strip()
        self.w = self.client(tok)
        self.anon = self.client(None)
        self.pki = a.pki

    def client(self, token, **kw):
        return Client(self.a.base, self.a.cacert, token, self.spec, self.c, **kw)

    def read(self, rel):
        with open(os.path.join(self.pki, rel), "rb") as f:
            return f.read()

    # helpers ---------------------------------------------------------------
    def problem(self, r, status, slug, desc, field=None, parameter=None):
        c = self.c
        c.eq(desc + ": status", r.status, status)
        j = r.json() or {}
        c.eq(desc + ": problem type", j.get("type"), "urn:sztp:problem:" + slug)
        c.eq(desc + ": problem+json", r.headers.get("content-type", "").split(";")[0],
             "application/problem+json")
        c.ok(bool(j.get("detail")), desc + ": a detail", repr(j))
        if field is not None:
            c.eq(desc + ": field", j.get("field"), field)
        if parameter is not None:
            c.eq(desc + ": parameter", j.get("parameter"), parameter)
        return j

    def status(self, r, want, desc):
        return self.c.ok(r.status == want, desc, "want %d: %r" % (want, r))

    def unchanged(self, path, before, desc):
        """The resource at path reads as before (a Resp of an earlier GET)."""
        r = self.w.call("GET", path)
        self.c.eq(desc + ": status of the re-read", r.status, before.status)
        self.c.ok(r.body == before.body, desc + ": the resource is unchanged",
                  "before %r, now %r" % (before.body[:200], r.body[:200]))
        self.c.eq(desc + ": its ETag is unchanged", r.etag(), before.etag())

    def absent(self, path, desc):
        r = self.w.call("GET", path)
        self.c.eq(desc + ": nothing was created (%s is 404)" % path, r.status, 404)

    def list_all(self, path, limit=1000):
        """Every item of a paginated list, following next-cursor."""
        items, cur, pages = [], None, 0
        sep = "&" if "?" in path else "?"
        while True:
            q = "%s%slimit=%d" % (path, sep, limit) + ("&cursor=" + cur if cur else "")
            r = self.w.call("GET", q)
            if not self.status(r, 200, "GET " + q):
                return items, pages
            j = r.json()
            items += j["items"]
            pages += 1
            cur = j["next-cursor"]
            if not cur or pages > 100000:
                return items, pages

    # sections --------------------------------------------------------------
    def auth(self):
        c, w = self.c, self.w
        r = self.anon.call("GET", "/devices")
        self.problem(r, 401, "unauthorized", "no token")
        c.eq("no token: WWW-Authenticate", r.headers.get("www-authenticate"),
             'Bearer realm="sztpd"')
        for desc, val in [("a malformed token", "Bearer not-a-token"),
                          ("an empty bearer", "Bearer "),
                          ("Basic instead of Bearer", "Basic " + b64(b"nms:secret")),
                          ("a well-formed unknown token", "Bearer sztp_" + "A" * 43),
                          ("the token with one character changed",
                           "Bearer " + w.token[:-1] + ("A" if w.token[-1] != "A" else "B"))]:
            r = self.anon.call("GET", "/devices", headers={"Authorization": val})
            self.problem(r, 401, "unauthorized", desc)
            c.ok("www-authenticate" in r.headers, desc + ": WWW-Authenticate")

        # a read token: reads, cannot write
        r = w.call("POST", "/tokens", {"name": "nms-read", "scope": "read"})
        self.status(r, 201, "create a read token")
        t = r.json() or {}
        c.eq("the read token's scope", t.get("scope"), "read")
        self.rd = self.client(t.get("token", "x"))
        r = self.rd.call("GET", "/devices")
        self.status(r, 200, "read scope reads")
        r = self.rd.call("POST", "/devices", {"serial": "RD-1"})
        self.problem(r, 403, "forbidden", "read scope writing")
        self.absent("/devices/RD-1", "read scope writing")
        for m, p, b in [("PUT", "/profiles/rd", {"kind": "onboarding"}),
                        ("DELETE", "/tokens/nms-read", None),
                        ("POST", "/prune", {"older-than-days": 1})]:
            r = self.rd.call(m, p, b)
            self.problem(r, 403, "forbidden", "read scope: %s %s" % (m, p))
        r = w.call("POST", "/tokens", {"name": "nms-read", "scope": "write"})
        self.problem(r, 409, "exists", "a token name taken")
        r = w.call("POST", "/tokens", {"name": "x", "scope": "admin"})
        self.problem(r, 400, "invalid-field", "a scope that is none", field="/scope")
        # revoked
        r = w.call("POST", "/tokens", {"name": "gone", "scope": "write"})
        self.status(r, 201, "create a token to revoke")
        gone = self.client((r.json() or {}).get("token", "x"))
        self.status(gone.call("GET", "/tokens"), 200, "it works before")
        self.status(w.call("DELETE", "/tokens/gone"), 204, "revoke it")
        r = gone.call("GET", "/tokens")
        self.problem(r, 401, "unauthorized", "a revoked token")
        r = w.call("DELETE", "/tokens/nosuch")
        self.problem(r, 404, "not-found", "revoke an unknown token")
        # expired (checked later, once its second has passed)
        r = w.call("POST", "/tokens", {"name": "brief", "scope": "read", "expires-in": 1})
        self.status(r, 201, "create a token valid for 1 s")
        self.brief = self.client((r.json() or {}).get("token", "x"))
        self.brief_at = time.time()
        r = w.call("POST", "/tokens", {"name": "never", "scope": "read", "expires-in": 0})
        self.problem(r, 400, "invalid-field", "expires-in 0", field="/expires-in")

    def auth_expired(self):
        time.sleep(max(0.0, self.brief_at + 2.2 - time.time()))
        r = self.brief.call("GET", "/tokens")
        self.problem(r, 401, "unauthorized", "an expired token")
        items, _ = self.list_all("/tokens")
        st = {t["name"]: t["state"] for t in items}
        self.c.eq("token states", (st.get("nms-read"), st.get("gone"), st.get("brief")),
                  ("active", "revoked", "expired"))
        self.c.ok(all("token" not in t for t in items), "a token list never shows a secret")

    def owners_profiles(self):
        c, w = self.c, self.w
        chain = self.read("owner/chain.pem").decode()
        key = os.path.join(os.path.abspath(self.pki), "owner/signer.key")
        r = w.call("PUT", "/owners/default", {"chain": chain, "key-path": key})
        c.ok(r.status in (200, 201), "set the owner identity", repr(r))
        r = w.call("GET", "/owners/default")
        self.status(r, 200, "show the owner identity")
        o = r.json() or {}
        c.eq("its key path", o.get("key-path"), key)
        c.ok(len(o.get("chain", [])) >= 1, "its chain", repr(o))
        c.eq("its ETag is its revision", r.etag(), '"%s"' % o.get("revision"))
        r = w.call("GET", "/owners")
        self.status(r, 200, "list owner identities")
        c.ok("default" in [x["name"] for x in (r.json() or {}).get("items", [])],
             "the list has it")
        r = w.call("PUT", "/owners/default", {"chain": "not PEM", "key-path": key})
        self.problem(r, 400, "invalid-field", "an owner chain that is not PEM", field="/chain")
        self.unchanged("/owners/default", w.call("GET", "/owners/default"),
                       "after a refused owner")
        self.owner_default = o

        onb = {"kind": "onboarding", "reporting": "verbose", "sign": "if-requested",
               "boot-image": {"os-name": "demo-os", "os-version": "2.0",
                              "download-uri": ["https://files.example.net/image.img"],
                              "image-verification": [
                                  {"hash-algorithm": "ietf-sztp-conveyed-info:sha-256",
                                   "hash-value": "ab" * 32}]},
               "configuration-handling": "merge",
               "configuration": b64(b"hostname demo\n")}
        r = w.call("PUT", "/profiles/onb", onb, headers={"If-None-Match": "*"})
        self.status(r, 201, "create profile onb")
        c.eq("its Location", r.headers.get("location"), PREFIX + "/profiles/onb")
        created = r.json() or {}
        c.eq("its ETag is its revision", r.etag(), '"%s"' % created.get("revision"))
        c.ok(isinstance(created.get("conveyed-information"), dict),
             "it shows the conveyed information it serves")
        r = w.call("PUT", "/profiles/onb", onb, headers={"If-None-Match": "*"})
        self.problem(r, 412, "precondition-failed", "If-None-Match: * on an existing profile")
        g = w.call("GET", "/profiles/onb")
        self.status(g, 200, "show profile onb")
        c.eq("GET's ETag is PUT's", g.etag(), '"%s"' % created.get("revision"))
        onb2 = dict(onb, reporting="minimal")
        r = w.call("PUT", "/profiles/onb", onb2, headers={"If-Match": g.etag()})
        self.status(r, 200, "replace profile onb with If-Match")
        c.ok(r.etag() != g.etag(), "its ETag changed")
        c.eq("the change is there", (r.json() or {}).get("reporting"), "minimal")
        now = w.call("GET", "/profiles/onb")
        r = w.call("PUT", "/profiles/onb", onb, headers={"If-Match": g.etag()})
        self.problem(r, 412, "precondition-failed", "a stale If-Match on a profile")
        self.unchanged("/profiles/onb", now, "after a stale If-Match")
        for desc, body, slug, field in [
                ("a kind that is none", {"kind": "sideways"}, "invalid-field", "/kind"),
                ("no kind", {"reporting": "verbose"}, "missing-field", "/kind"),
                ("an unknown member", dict(onb, colour="red"), "unknown-field", "/colour"),
                ("a wrongly typed member", dict(onb, reporting=3), "invalid-field",
                 "/reporting"),
                ("configuration not base64", dict(onb, configuration="%%%"), "invalid-field",
                 "/configuration")]:
            r = w.call("PUT", "/profiles/onb", body)
            self.problem(r, 400, slug, "profile: " + desc, field=field)
            self.unchanged("/profiles/onb", now, "profile: " + desc)
            r = w.call("PUT", "/profiles/bad", body)
            self.problem(r, 400, slug, "new profile: " + desc, field=field)
            self.absent("/profiles/bad", "new profile: " + desc)
        redir = {"kind": "redirect", "bootstrap-server": [
            {"address": "localhost", "port": 8443,
             "trust-anchor-pem": self.read("owner/ca.pem").decode()}]}
        r = w.call("PUT", "/profiles/redir", redir)
        self.status(r, 201, "create profile redir")
        j = r.json() or {}
        c.eq("redir's kind", j.get("kind"), "redirect")
        items, _ = self.list_all("/profiles")
        c.eq("the profile list", [p["name"] for p in items], ["onb", "redir"])
        c.ok(all("conveyed-information" not in p for p in items),
             "the list leaves the conveyed information out")
        r = w.call("PUT", "/profiles/tmp", {"kind": "onboarding", "configuration": b64(b"x\n"),
                                          "configuration-handling": "merge"})
        self.status(r, 201, "create profile tmp")
        self.status(w.call("DELETE", "/profiles/tmp", headers={"If-Match": '"0000000000000000"'}),
                    412, "delete a profile with a stale If-Match")
        self.status(w.call("GET", "/profiles/tmp"), 200, "... it is still there")
        self.status(w.call("DELETE", "/profiles/tmp"), 204, "delete profile tmp")
        self.absent("/profiles/tmp", "after the delete")
        self.problem(w.call("DELETE", "/profiles/tmp"), 404, "not-found", "delete it again")

    def devices(self):
        c, w = self.c, self.w
        odd = "API/1 x:y"
        r = w.call("POST", "/devices", {"serial": odd, "profile": "onb"})
        self.status(r, 201, "enrol a device whose serial has '/', ' ', ':'")
        loc = r.headers.get("location")
        c.eq("its Location", loc, PREFIX + "/devices/API%2F1%20x%3Ay")
        d = r.json() or {}
        c.eq("its serial", d.get("serial"), odd)
        c.eq("its profile", d.get("profile"), "onb")
        c.eq("its state", d.get("state"), "enrolled")
        c.eq("no voucher", d.get("voucher"), False)
        path = "/devices/" + seg(odd)
        g = w.call("GET", path)
        self.status(g, 200, "GET its Location")
        c.eq("the same device", (g.json() or {}).get("serial"), odd)
        c.eq("GET's ETag is POST's", g.etag(), r.etag())
        r = w.call("GET", path, headers={"If-None-Match": g.etag()})
        self.status(r, 304, "If-None-Match with its ETag")
        c.eq("304 has no body", r.body, b"")
        r = w.call("HEAD", path)
        self.status(r, 200, "HEAD")
        c.eq("HEAD has no body", r.body, b"")
        self.problem(w.call("POST", "/devices", {"serial": odd}), 409, "exists",
                     "enrol it again")
        self.unchanged(path, g, "after the refused duplicate")

        r = w.call("PATCH", path, {"profile": "redir"}, headers={"If-Match": g.etag()})
        self.status(r, 200, "change its profile with If-Match")
        c.eq("the new profile", (r.json() or {}).get("profile"), "redir")
        c.ok(r.etag() and r.etag() != g.etag(), "its ETag changed")
        now = w.call("GET", path)
        r = w.call("PATCH", path, {"profile": "onb"}, headers={"If-Match": g.etag()})
        self.problem(r, 412, "precondition-failed", "a stale If-Match on a device")
        self.unchanged(path, now, "after a stale If-Match")
        r = w.call("DELETE", path, headers={"If-Match": g.etag()})
        self.problem(r, 412, "precondition-failed", "DELETE with a stale If-Match")
        self.unchanged(path, now, "after a stale DELETE")
        # bad bodies: each refused with its status, nothing changed
        mb = self.a.max_body
        for desc, body, ctype, st, slug, field in [
                ("malformed JSON", b'{"profile": }', None, 400, "malformed-json", None),
                ("truncated JSON", b'{"profile": "onb"', None, 400, "malformed-json", None),
                ("not an object", b'["onb"]', None, 400, "malformed-json", None),
                ("a duplicate member", b'{"profile": "onb", "profile": "redir"}', None, 400,
                 "malformed-json", None),
                ("an empty body", b"", None, 400, "malformed-json", None),
                ("an empty object", b"{}", None, 400, "missing-field", None),
                ("a wrongly typed profile", b'{"profile": 7}', None, 400, "invalid-field",
                 "/profile"),
                ("a wrongly typed password", b'{"password": true}', None, 400,
                 "invalid-field", "/password"),
                ("an unknown member", b'{"colour": "red"}', None, 400, "unknown-field",
                 "/colour"),
                ("a profile that does not exist", b'{"profile": "nosuch"}', None, 400,
                 "invalid-field", "/profile"),
                ("a password for a serial with ':'", b'{"password-generate": true}', None, 400,
                 "invalid-field", "/password"),
                ("text/plain", b'{"profile": "onb"}', "text/plain", 415,
                 "unsupported-media-type", None),
                ("an oversized body", b'{"profile": "' + b"x" * mb + b'"}', None, 413,
                 "too-large", None)]:
            r = w.call("PATCH", path, body, ctype=ctype)
            self.problem(r, st, slug, "PATCH with " + desc, field=field)
            self.unchanged(path, now, "PATCH with " + desc)
        for desc, body, st, slug, field in [
                ("malformed JSON", b'{"serial": "T-1",}', 400, "malformed-json", None),
                ("truncated JSON", b'{"serial": "T-1"', 400, "malformed-json", None),
                ("a wrongly typed serial", b'{"serial": 17}', 400, "invalid-field", "/serial"),
                ("no serial", b'{"profile": "onb"}', 400, "missing-field", "/serial"),
                ("an empty serial", b'{"serial": ""}', 400, "invalid-field", "/serial"),
                ("a control character", b'{"serial": "T-1\\u0007"}', 400, "invalid-field",
                 "/serial"),
                ("an unknown member", b'{"serial": "T-1", "colour": "red"}', 400,
                 "unknown-field", "/colour"),
                ("password and password-generate",
                 b'{"serial": "T-1", "password": "a", "password-generate": true}', 400,
                 "invalid-field", None),
                ("a voucher that is not base64", b'{"serial": "T-1", "voucher": "%%%"}', 400,
                 "invalid-field", "/voucher"),
                ("a profile that does not exist", b'{"serial": "T-1", "profile": "nosuch"}', 400,
                 "invalid-field", "/profile"),
                ("an oversized body", b'{"serial": "T-1", "x": "' + b"y" * mb + b'"}', 413,
                 "too-large", None)]:
            r = w.call("POST", "/devices", body)
            self.problem(r, st, slug, "POST /devices with " + desc, field=field)
            self.absent("/devices/T-1", "POST /devices with " + desc)

        r = w.call("PATCH", path, {"profile": None})
        self.status(r, 200, "remove its profile")
        c.eq("no profile", (r.json() or {}).get("profile"), None)
        # passwords (HTTP Basic: a serial without ':')
        r = w.call("POST", "/devices", {"serial": "PW-1", "password-generate": True})
        self.status(r, 201, "enrol with a generated password")
        pw = (r.json() or {}).get("password")
        c.ok(isinstance(pw, str) and len(pw) >= 12, "the generated password is shown once",
             repr(pw))
        g = w.call("GET", "/devices/PW-1")
        c.eq("a GET shows only that it has one", (g.json() or {}).get("password"), True)
        r = w.call("PATCH", "/devices/PW-1", {"password-generate": True})
        self.status(r, 200, "generate another")
        pw2 = (r.json() or {}).get("password")
        c.ok(isinstance(pw2, str) and pw2 != pw, "a new one, shown once", repr(pw2))
        r = w.call("PATCH", "/devices/PW-1", {"password": None})
        self.status(r, 200, "remove the password")
        c.eq("no password", (r.json() or {}).get("password"), False)
        self.status(w.call("DELETE", "/devices/PW-1"), 204, "delete PW-1")
        cur = w.call("GET", path)
        self.status(w.call("DELETE", path, headers={"If-Match": cur.etag()}), 204,
                    "delete it with If-Match")
        self.absent(path, "after the delete")
        self.problem(w.call("DELETE", path), 404, "not-found", "delete it again")
        self.problem(w.call("PATCH", path, {"profile": "onb"}), 404, "not-found",
                     "change a device that is not there")
        self.problem(w.call("GET", "/devices/%zz"), 400, "malformed-request",
                     "a serial with a bad %-escape")
        # query parameters
        for q, slug, param in [("colour=red", "unknown-parameter", "colour"),
                               ("has-voucher=maybe", "invalid-parameter", "has-voucher"),
                               ("seen-since=yesterday", "invalid-parameter", "seen-since"),
                               ("limit=0", "invalid-parameter", "limit"),
                               ("limit=1001", "invalid-parameter", "limit"),
                               ("limit=ten", "invalid-parameter", "limit"),
                               ("cursor=!!", "invalid-parameter", "cursor"),
                               ("cursor=" + b64(b"i:5").rstrip("="), "invalid-parameter",
                                "cursor"),
                               ("limit=1&limit=2", "invalid-parameter", "limit")]:
            self.problem(w.call("GET", "/devices?" + q), 400, slug, "GET /devices?" + q,
                         parameter=param)
        # routes that are not there
        self.problem(w.call("GET", "/nothing"), 404, "not-found", "an unknown path")
        r = w.call("POST", "/profiles", {"kind": "onboarding"})
        self.problem(r, 405, "method-not-allowed", "POST on /profiles")
        c.eq("405's Allow", r.headers.get("allow"), "GET")

    def vouchers(self):
        c, w = self.c, self.w
        vcj = self.read("devices/SN-1/voucher.vcj")
        masa = self.read("manufacturer/root.pem").decode()
        r = w.call("POST", "/devices", {"serial": "SN-1", "profile": "onb", "voucher": b64(vcj),
                                        "masa-ca": masa})
        self.status(r, 201, "enrol SN-1 with its voucher")
        d = r.json() or {}
        c.eq("it has a voucher", d.get("voucher"), True)
        r = w.call("GET", "/devices/SN-1/voucher")
        self.status(r, 200, "show SN-1's voucher")
        v = r.json() or {}
        c.eq("the voucher's serial-number", v.get("serial-number"), "SN-1")
        c.ok(str(v.get("signature", "")).startswith("verified against"),
             "its signature was verified", repr(v.get("signature")))
        c.eq("its size", v.get("bytes"), len(vcj))
        r = w.call("GET", "/devices/SN-1/voucher", headers={"Accept": "application/pkcs7-mime"})
        self.status(r, 200, "the voucher as CMS")
        c.eq("the CMS as supplied", r.body, vcj)
        c.eq("... as application/pkcs7-mime",
             r.headers.get("content-type", "").split(";")[0], "application/pkcs7-mime")
        g = w.call("GET", "/devices/SN-1")
        c.eq("the device shows the summary", ((g.json() or {}).get("voucher-summary") or {})
             .get("serial-number"), "SN-1")
        self.status(w.call("DELETE", "/devices/SN-1/voucher", headers={"If-Match": g.etag()}),
                    204, "detach it")
        self.problem(w.call("GET", "/devices/SN-1/voucher"), 404, "not-found",
                     "no voucher any more")
        self.problem(w.call("DELETE", "/devices/SN-1/voucher"), 404, "not-found",
                     "detach again")
        g = w.call("GET", "/devices/SN-1")
        c.eq("the device has none", (g.json() or {}).get("voucher"), False)
        # attach: JSON with its anchor; raw CMS (anchor: the server's masa-ca)
        r = w.call("PUT", "/devices/SN-1/voucher", {"voucher": b64(vcj), "masa-ca": masa},
                   headers={"If-Match": g.etag()})
        self.status(r, 201, "attach as JSON (it had none: 201)")
        c.eq("the summary", (r.json() or {}).get("serial-number"), "SN-1")
        r = w.call("PUT", "/devices/SN-1/voucher", vcj, ctype="application/pkcs7-mime")
        self.status(r, 200, "attach as application/pkcs7-mime (replaced: 200)")
        now = w.call("GET", "/devices/SN-1")
        other = self.read("devices/SN-2/voucher.vcj")
        for desc, body, ctype, st, slug, field in [
                ("SN-2's voucher", other, "application/pkcs7-mime", 400, "invalid-field", None),
                ("SN-2's voucher as JSON", {"voucher": b64(other), "masa-ca": masa}, None, 400,
                 "invalid-field", "/voucher"),
                ("bytes that are not CMS", b"not a voucher", "application/pkcs7-mime", 400,
                 "invalid-field", None),
                ("not base64", {"voucher": "%%%"}, None, 400, "invalid-field", "/voucher"),
                ("text/plain", vcj, "text/plain", 415, "unsupported-media-type", None),
                ("a stale If-Match", vcj, "application/pkcs7-mime", 412,
                 "precondition-failed", None)]:
            hd = {"If-Match": g.etag()} if st == 412 else None
            r = w.call("PUT", "/devices/SN-1/voucher", body, ctype=ctype, headers=hd)
            self.problem(r, st, slug, "voucher PUT with " + desc, field=field)
            self.unchanged("/devices/SN-1", now, "voucher PUT with " + desc)
        self.problem(w.call("PUT", "/devices/NOPE/voucher", vcj, ctype="application/pkcs7-mime"),
                     404, "not-found", "a voucher for a device that is not there")

    def bulk(self):
        c, w = self.c, self.w
        n = self.a.bulk
        body = {"devices": [{"serial": "BULK-%05d" % i, "profile": "onb"} for i in range(n)]}
        t0 = time.monotonic()
        r = w.call("POST", "/bulk/devices", body)
        dt = time.monotonic() - t0
        print("time: bulk create of %d devices in one request: %.2f s (%.0f devices/s)"
              % (n, dt, n / dt if dt else 0), flush=True)
        self.status(r, 201, "bulk create of %d devices" % n)
        j = r.json() or {}
        c.eq("created", j.get("created"), n)
        c.eq("the serials", j.get("serials", [])[:2] + j.get("serials", [])[-1:],
             ["BULK-00000", "BULK-00001", "BULK-%05d" % (n - 1)])
        t0 = time.monotonic()
        items, pages = self.list_all("/devices?serial-prefix=BULK-", 1000)
        dt = time.monotonic() - t0
        print("time: listing %d devices in %d pages of 1000: %.2f s" % (len(items), pages, dt),
              flush=True)
        serials = [d["serial"] for d in items]
        c.eq("the walk sees each once", len(set(serials)), n)
        c.eq("... in serial order, nothing else", serials, ["BULK-%05d" % i for i in range(n)])
        # all or nothing
        bad = {"devices": [{"serial": "BAD-%d" % i} for i in range(5)]}
        bad["devices"][3]["serial"] = 7
        self.problem(w.call("POST", "/bulk/devices", bad), 400, "invalid-field",
                     "a bulk item wrongly typed", field="/devices/3/serial")
        bad["devices"][3] = {"serial": "BAD-3", "colour": "red"}
        self.problem(w.call("POST", "/bulk/devices", bad), 400, "unknown-field",
                     "a bulk item with an unknown member", field="/devices/3/colour")
        bad["devices"][3] = {"serial": "BULK-00042"}
        self.problem(w.call("POST", "/bulk/devices", bad), 409, "exists",
                     "a bulk item already enrolled")
        bad["devices"][3] = {"serial": "BAD-3", "profile": "nosuch"}
        r = w.call("POST", "/bulk/devices", bad)
        self.problem(r, 400, "invalid-field", "a bulk item naming no profile",
                     field="/devices/3/profile")
        self.problem(w.call("POST", "/bulk/devices", {"devices": []}), 400, "invalid-field",
                     "an empty bulk", field="/devices")
        self.problem(w.call("POST", "/bulk/devices", b'{"devices": [{"serial": "BAD-0"}'), 400,
                     "malformed-json", "a truncated bulk")
        items, _ = self.list_all("/devices?serial-prefix=BAD-")
        c.eq("no refused bulk created anything", items, [])
        r = w.call("GET", "/audit?resource=devices/BAD-")
        c.eq("... nor wrote an audit row", (r.json() or {}).get("items"), [])
        # with vouchers: each verified as sztpctl verifies it
        vdir = self.a.voucher_dir
        names = sorted(f[:-4] for f in os.listdir(vdir) if f.endswith(".vcj"))
        masa = self.read("manufacturer/root.pem").decode()
        devs = []
        for sn in names:
            with open(os.path.join(vdir, sn + ".vcj"), "rb") as f:
                devs.append({"serial": sn, "profile": "onb", "voucher": b64(f.read())})
        t0 = time.monotonic()
        r = w.call("POST", "/bulk/devices", {"devices": devs, "masa-ca": masa})
        dt = time.monotonic() - t0
        print("time: bulk create of %d devices with vouchers: %.2f s (%.1f ms a device)"
              % (len(devs), dt, 1000 * dt / max(1, len(devs))), flush=True)
        self.status(r, 201, "bulk create of %d devices with vouchers" % len(devs))
        items, _ = self.list_all("/devices?serial-prefix=BV-&has-voucher=true")
        c.eq("each has its voucher", [d["serial"] for d in items], names)
        c.ok(len(names) >= 100, "at least 100 vouchers were minted", str(len(names)))
        vcj = self.read("devices/SN-2/voucher.vcj")
        r = w.call("POST", "/bulk/devices", {"devices": [
            {"serial": "SN-2", "profile": "redir", "voucher": b64(vcj),
             "masa-ca": self.read("manufacturer/root.pem").decode()},
            {"serial": "SN-3"}]})
        self.status(r, 201, "bulk with a voucher")
        c.eq("SN-2's voucher is there",
             (w.call("GET", "/devices/SN-2").json() or {}).get("voucher"), True)

    def pagination(self):
        c, w = self.c, self.w
        r = w.call("GET", "/devices?serial-prefix=NONE-")
        self.status(r, 200, "an empty list")
        c.eq("empty: no items, no cursor", r.json(), {"items": [], "next-cursor": None})
        for i in range(5):
            self.status(w.call("POST", "/devices", {"serial": "PG-%d" % i}), 201,
                        "enrol PG-%d" % i)
        # exactly one page: all items; a cursor, if any, leads to an empty last page
        r = w.call("GET", "/devices?serial-prefix=PG-&limit=5")
        j = r.json() or {}
        c.eq("exactly one page", [d["serial"] for d in j.get("items", [])],
             ["PG-%d" % i for i in range(5)])
        if j.get("next-cursor"):
            r2 = w.call("GET", "/devices?serial-prefix=PG-&limit=5&cursor=" + j["next-cursor"])
            c.eq("... and after it nothing", r2.json(), {"items": [], "next-cursor": None})
        r = w.call("GET", "/devices?serial-prefix=PG-&limit=6")
        c.eq("a page larger than the list has no cursor", (r.json() or {}).get("next-cursor"),
             None)
        # the last page: 2 + 2 + 1
        seen, cur, sizes = [], None, []
        for _ in range(4):
            r = w.call("GET", "/devices?serial-prefix=PG-&limit=2" + (
                "&cursor=" + cur if cur else ""))
            j = r.json() or {}
            seen += [d["serial"] for d in j.get("items", [])]
            sizes.append(len(j.get("items", [])))
            cur = j.get("next-cursor")
            if not cur:
                break
        c.eq("pages of 2 over 5", sizes, [2, 2, 1])
        c.eq("... each once, in order", seen, ["PG-%d" % i for i in range(5)])
        # a cursor stays valid after deletes (of the row it names, too)
        r = w.call("GET", "/devices?serial-prefix=PG-&limit=2")
        cur = (r.json() or {}).get("next-cursor")
        self.status(w.call("DELETE", "/devices/PG-1"), 204, "delete PG-1 (the cursor's row)")
        self.status(w.call("DELETE", "/devices/PG-2"), 204, "delete PG-2 (next on the page)")
        r = w.call("GET", "/devices?serial-prefix=PG-&limit=2&cursor=" + str(cur))
        self.status(r, 200, "the cursor after deletes")
        c.eq("... goes on after the deleted row", [d["serial"] for d in
                                                   (r.json() or {}).get("items", [])],
             ["PG-3", "PG-4"])
        # list ETags: the same list, the same ETag; 304 for If-None-Match
        a = w.call("GET", "/devices?serial-prefix=PG-")
        b = w.call("GET", "/devices?serial-prefix=PG-", headers={"If-None-Match": a.etag()})
        self.status(b, 304, "a list unchanged: 304")
        self.status(w.call("POST", "/devices", {"serial": "PG-9"}), 201, "enrol PG-9")
        b = w.call("GET", "/devices?serial-prefix=PG-", headers={"If-None-Match": a.etag()})
        self.status(b, 200, "a list changed: 200")
        c.ok(b.etag() != a.etag(), "... with another ETag")
        # filters
        items, _ = self.list_all("/devices?serial-prefix=SN-&has-voucher=true")
        c.eq("has-voucher=true", sorted(d["serial"] for d in items), ["SN-1", "SN-2"])
        items, _ = self.list_all("/devices?profile=redir")
        c.eq("profile=redir", [d["serial"] for d in items], ["SN-2"])
        items, _ = self.list_all("/devices?serial-prefix=PG-&profile=")
        c.eq("profile= (none)", [d["serial"] for d in items], ["PG-0", "PG-3", "PG-4", "PG-9"])

    def device_contact(self):
        """SN-1 asks the device port and reports progress: rows for the reports."""
        base = self.a.device_base
        dev = Client(base, self.a.cacert, cert=os.path.join(self.pki, "devices/SN-1/chain.pem"),
                     key=os.path.join(self.pki, "devices/SN-1/idevid.key"))
        ops = "/restconf/operations/ietf-sztp-bootstrap-server:"
        yj = "application/yang-data+json"
        r = dev.call("POST", ops + "get-bootstrapping-data",
                     b'{"ietf-sztp-bootstrap-server:input":{"signed-data-preferred":[null]}}',
                     ctype=yj, raw_path=True)
        self.c.eq("SN-1 gets its bootstrapping data", r.status, 200)

        def report(t, msg):
            body = json.dumps({"ietf-sztp-bootstrap-server:input": {
                "progress-type": t, "message": msg}}).encode()
            rr = dev.call("POST", ops + "report-progress", body, ctype=yj, raw_path=True)
            self.c.eq("SN-1 reports %s" % t, rr.status, 204)
        report("bootstrap-initiated", "starting")
        report("informational", "half way")
        dev.close()
        return report

    def reports(self):
        c, w = self.c, self.w
        report = self.device_contact()
        items = []
        for _ in range(50):  # the journal writes behind the request
            r = w.call("GET", "/progress?serial=SN-1")
            items = (r.json() or {}).get("items", [])
            if len(items) >= 2:
                break
            time.sleep(0.1)
        c.eq("SN-1's progress", [(p["type"], p["message"]) for p in items],
             [("bootstrap-initiated", "starting"), ("informational", "half way")])
        last = items[-1]["id"] if items else 0
        r = w.call("GET", "/progress?after-id=%d" % last)
        c.eq("nothing after the last id", (r.json() or {}).get("items"), [])
        report("bootstrap-complete", "done")
        new = []
        for _ in range(50):
            new = (w.call("GET", "/progress?after-id=%d" % last).json() or {}).get("items", [])
            if new:
                break
            time.sleep(0.1)
        c.eq("polling with after-id sees the new report", [p["type"] for p in new],
             ["bootstrap-complete"])
        r = w.call("GET", "/progress?type=informational&serial=SN-1")
        c.eq("type filter", [p["message"] for p in (r.json() or {}).get("items", [])],
             ["half way"])
        r = w.call("GET", "/progress?type=sideways")
        c.eq("a type no report has", (r.json() or {}).get("items"), [])
        d = w.call("GET", "/devices/SN-1").json() or {}
        c.eq("SN-1's state", d.get("state"), "bootstrap-complete")
        c.eq("SN-1's report count", d.get("progress-reports"), 3)
        c.ok(d.get("first-seen") is not None and d.get("last-seen") is not None,
             "SN-1 was seen", repr(d))
        logs = []
        for _ in range(50):
            logs = (w.call("GET", "/log?serial=SN-1").json() or {}).get("items", [])
            if logs:
                break
            time.sleep(0.1)
        c.eq("SN-1's log: its get-bootstrapping-data", [(x["endpoint"], x["status"])
                                                       for x in logs],
             [("get-bootstrapping-data", 200)])
        c.ok(all(x["serial"] == "SN-1" for x in logs), "all of SN-1")
        r = w.call("GET", "/log?since=2000-01-01T00:00:00Z&before=2000-01-02T00:00:00Z")
        c.eq("a time range with no rows", (r.json() or {}).get("items"), [])
        tl, _ = self.list_all("/devices/SN-1/timeline", 2)
        c.eq("the timeline joins both", sorted(e["source"] for e in tl),
             ["log"] + ["progress"] * 3)
        c.ok([e["time"] for e in tl] == sorted(e["time"] for e in tl), "... ordered by time")
        self.problem(w.call("GET", "/devices/NOPE/timeline"), 404, "not-found",
                     "the timeline of no device")
        r = w.call("GET", "/expiring?expiring-within=36500")
        self.status(r, 200, "what expires within 100 years")
        j = r.json() or {}
        c.eq("... the window", j.get("expiring-within"), 36500)
        self.problem(w.call("GET", "/expiring?expiring-within=36501"), 400, "invalid-parameter",
                     "a window too long", parameter="expiring-within")
        r = w.call("POST", "/prune", {"older-than-days": 36500})
        self.status(r, 200, "prune what is older than 100 years")
        j = r.json() or {}
        c.eq("... nothing", (j.get("log-deleted"), j.get("progress-deleted")), (0, 0))
        self.problem(w.call("POST", "/prune", {"older-than-days": "old"}), 400, "invalid-field",
                     "prune with a string", field="/older-than-days")
        self.problem(w.call("POST", "/prune", {}), 400, "missing-field", "prune without age",
                     field="/older-than-days")

    def audit(self):
        c, w = self.c, self.w
        rows, _ = self.list_all("/audit?actor=token:nms", 100)
        acts = [a["action"] for a in rows]
        for want in ["token.create", "token.revoke", "owner.put", "profile.put",
                     "profile.delete", "device.create", "device.update", "device.delete",
                     "voucher.attach", "voucher.detach", "bulk.devices", "prune"]:
            c.ok(want in acts, "an audit row for " + want, repr(sorted(set(acts))))
        c.ok([a["id"] for a in rows] == sorted(a["id"] for a in rows), "audit: oldest first")
        c.ok(all(a["actor"] == "token:nms" for a in rows), "audit: the actor filter")
        prof = w.call("GET", "/profiles/onb").json() or {}
        puts = [a for a in rows if a["action"] == "profile.put" and a["resource"] ==
                "profiles/onb"]
        c.ok(bool(puts) and puts[-1]["revision-after"] == prof.get("revision"),
             "the last profile.put of onb names its current revision",
             repr(puts[-1:]) + " " + repr(prof.get("revision")))
        c.ok(bool(puts) and puts[0]["revision-before"] is None, "its first had none before")
        r = w.call("GET", "/audit?resource=devices/PG-")
        res = {a["resource"] for a in (r.json() or {}).get("items", [])}
        c.ok(res and all(x.startswith("devices/PG-") for x in res), "audit: resource prefix",
             repr(res))
        last = rows[-1]["id"] if rows else 0
        self.status(w.call("PATCH", "/devices/PG-0", {"profile": "onb"}), 200, "change PG-0")
        r = w.call("GET", "/audit?after-id=%d" % last)
        new = (r.json() or {}).get("items", [])
        c.eq("audit: after-id sees the new change", [(a["action"], a["resource"]) for a in new],
             [("device.update", "devices/PG-0")])

    def run(self):
        steps = [self.auth, self.owners_profiles, self.devices, self.vouchers, self.bulk,
                 self.pagination, self.reports, self.auth_expired, self.audit]
        for s in steps:
            try:
                s()
            except Exception as e:  # one broken step does not hide the others
                import traceback
                traceback.print_exc()
                self.c.ok(False, "step %s raised %s: %s" % (s.__name__, type(e).__name__, e))
        for cl in (self.w, self.anon):
            cl.close()
        print("admin_client: %d passed, %d failed" % (self.c.passed, self.c.failed))
        return 0 if self.c.failed == 0 else 1

class EventsScenario(Scenario):
    """t_admin_events: the events of admin changes (exactly theirs, with the
    client's address; none for a refused change), GET /events's filters,
    webhook subscriptions (CRUD, every validation error, the secret never
    shown, audited but not events) and their dead letters; every answer
    checked against docs/openapi.json."""

    def __init__(self, a):
        Scenario.__init__(self, a)
        self.ca_pem = open(a.ca_pem).read()

    def last_id(self):
        r = self.w.call("GET", "/events?limit=1000")
        items, cur = (r.json() or {}).get("items", []), (r.json() or {}).get("next-cursor")
        while cur:
            r = self.w.call("GET", "/events?limit=1000&cursor=" + cur)
            items += (r.json() or {}).get("items", [])
            cur = (r.json() or {}).get("next-cursor")
        return items[-1]["id"] if items else 0

    def since(self, after):
        items, _ = self.list_all("/events?after-id=%d" % after)
        return items

    def admin_events(self):
        c, w = self.c, self.w
        before = self.last_id()
        r = w.call("POST", "/devices", {"serial": "EV-1"})
        self.status(r, 201, "enrol EV-1")
        rev = (r.json() or {}).get("revision")
        self.status(w.call("PUT", "/profiles/ev", {"kind": "redirect", "bootstrap-server": [
            {"address": "b.example"}], "sign": "never"}), 201, "profile ev")
        self.status(w.call("PATCH", "/devices/EV-1", {"profile": "ev"}), 200, "EV-1 to ev")
        self.status(w.call("POST", "/bulk/devices", {"devices": [{"serial": "EV-2"},
                                                                 {"serial": "EV-3"}]}),
                    201, "bulk EV-2, EV-3")
        self.status(w.call("DELETE", "/devices/EV-3"), 204, "delete EV-3")
        evs = self.since(before)
        c.eq("the admin changes' events, in order", [(e["type"], e["serial"]) for e in evs],
             [("device.enrolled", "EV-1"), ("profile.changed", ""),
              ("device.changed", "EV-1"), ("device.enrolled", "EV-2"),
              ("device.enrolled", "EV-3"), ("device.deleted", "EV-3")])
        c.ok(all(e["peer"] == "127.0.0.1" for e in evs), "each names the client's address",
             repr([e["peer"] for e in evs]))
        c.ok(all(e["data"].get("actor") == "token:nms" for e in evs), "... and the actor")
        c.eq("the enrolment's revision", evs[0]["data"].get("revision") if evs else None, rev)
        c.eq("the profile event names it", evs[1]["data"].get("profile") if evs else None, "ev")
        c.eq("a bulk enrolment's action", evs[3]["data"].get("action") if len(evs) > 3
             else None, "bulk.devices")
        c.ok(bool(evs) and [e["id"] for e in evs] == sorted(e["id"] for e in evs), "by id")
        # refused changes write no event
        before = self.last_id()
        self.problem(w.call("POST", "/devices", {"serial": "EV-1"}), 409, "exists",
                     "enrol EV-1 again")
        self.problem(w.call("POST", "/bulk/devices", {"devices": [{"serial": "EV-4"},
                                                                  {"serial": "EV-1"}]}),
                     409, "exists", "a bulk with a taken serial")
        self.problem(w.call("PATCH", "/devices/EV-1", {"profile": "nope"}), 400,
                     "invalid-field", "a profile that does not exist")
        self.problem(w.call("PATCH", "/devices/EV-1", {"profile": "ev"},
                            headers={"If-Match": '"0000000000000000"'}), 412,
                     "precondition-failed", "a stale If-Match")
        self.problem(w.call("DELETE", "/profiles/ev"), 409, "in-use", "a profile in use")
        c.eq("no event for a refused change", self.since(before), [])
        # filters
        r = w.call("GET", "/events?serial=EV-1")
        c.eq("serial filter", [e["type"] for e in (r.json() or {}).get("items", [])],
             ["device.enrolled", "device.changed"])
        r = w.call("GET", "/events?type=device.deleted&serial=EV-3")
        c.eq("type filter", len((r.json() or {}).get("items", [])), 1)
        self.problem(w.call("GET", "/events?type=nope"), 400, "invalid-parameter",
                     "an unknown type", parameter="type")
        self.problem(w.call("GET", "/events?after-id=x"), 400, "invalid-parameter",
                     "a bad after-id", parameter="after-id")

    def webhooks(self):
        c, w = self.c, self.w
        before = self.last_id()
        secret = "s3cret-s3cret-s3cret"
        good = {"name": "nms", "url": "https://127.0.0.1:9/events", "secret": secret,
                "types": ["device.enrolled", "device.completed"], "enabled": False}
        for desc, change, field in [
                ("an http url", {"url": "http://127.0.0.1/"}, "/url"),
                ("a url with user information", {"url": "https://a:b@127.0.0.1/"}, "/url"),
                ("a url without host", {"url": "https:///x"}, "/url"),
                ("an unknown type", {"types": ["device.exploded"]}, "/types"),
                ("a repeated type", {"types": ["device.enrolled", "device.enrolled"]},
                 "/types"),
                ("a short secret", {"secret": "0123456789abcde"}, "/secret"),
                ("a CA that is no PEM", {"ca-certificates": "hello"}, "/ca-certificates"),
                ("a bad name", {"name": "a/b"}, "/name")]:
            self.problem(w.call("POST", "/webhooks", dict(good, **change)), 400,
                         "invalid-field", desc, field=field)
        for m in ("secret", "url", "name"):
            body = {k: v for k, v in good.items() if k != m}
            self.problem(w.call("POST", "/webhooks", body), 400, "missing-field",
                         "no " + m, field="/" + m)
        self.problem(self.rd.call("POST", "/webhooks", good), 403, "forbidden",
                     "read scope cannot subscribe")
        self.absent("/webhooks/nms", "refused subscriptions")
        r = w.call("POST", "/webhooks", dict(good, **{"ca-certificates": self.ca_pem}))
        self.status(r, 201, "subscribe nms")
        c.eq("its Location", r.headers.get("location"), "/api/v1/webhooks/nms")
        c.ok(secret.encode() not in r.body and b'"secret"' not in r.body,
             "the answer has no secret")
        j = r.json() or {}
        c.eq("its types", j.get("types"), ["device.enrolled", "device.completed"])
        c.eq("its CA", j.get("ca-certificates"), self.ca_pem)
        c.eq("its cursor: the newest event", j.get("state", {}).get("cursor"), before)
        self.problem(w.call("POST", "/webhooks", good), 409, "exists", "nms again",
                     field="/name")
        etag = r.etag()
        r = w.call("PATCH", "/webhooks/nms", {"types": []}, headers={"If-Match": etag})
        self.status(r, 200, "PATCH with its ETag")
        c.eq("every type now", (r.json() or {}).get("types"), [])
        self.problem(w.call("PATCH", "/webhooks/nms", {"enabled": False},
                            headers={"If-Match": etag}), 412, "precondition-failed",
                     "PATCH with the old ETag")
        self.status(w.call("PUT", "/webhooks/second", {"url": "https://127.0.0.1:9/b",
                                                       "secret": secret, "enabled": False}),
                    201, "PUT creates second")
        self.problem(w.call("PUT", "/webhooks/third", {"url": "https://127.0.0.1:9/c"}),
                     400, "missing-field", "PUT creating without secret", field="/secret")
        items, _ = self.list_all("/webhooks")
        c.eq("listed", [x["name"] for x in items], ["nms", "second"])
        r = self.rd.call("GET", "/webhooks")
        c.ok(r.status == 200 and secret.encode() not in r.body, "read scope lists, no secret")
        c.eq("webhook changes are no events", self.since(before), [])
        rows, _ = self.list_all("/audit?resource=webhooks/")
        c.eq("... but audited", [a["action"] for a in rows],
             ["webhook.create", "webhook.update", "webhook.create"])
        # dead letters (none yet): list, replay, drop
        r = w.call("GET", "/webhooks/nms/dead-letters")
        c.eq("no dead letters", (r.json() or {}).get("items"), [])
        r = w.call("POST", "/webhooks/nms/dead-letters/replay", {})
        self.status(r, 202, "replay all of none")
        c.eq("queued none", (r.json() or {}).get("queued"), 0)
        self.problem(w.call("POST", "/webhooks/nms/dead-letters/replay", {"event-id": 1}),
                     404, "not-found", "replay a dead letter that is none")
        self.problem(w.call("DELETE", "/webhooks/nms/dead-letters/1"), 404, "not-found",
                     "drop a dead letter that is none")
        self.status(w.call("DELETE", "/webhooks/nms/dead-letters"), 204, "drop none")
        self.problem(w.call("GET", "/webhooks/nope/dead-letters"), 404, "not-found",
                     "dead letters of no webhook")
        self.status(w.call("DELETE", "/webhooks/second"), 204, "remove second")
        self.absent("/webhooks/second", "removed")

    def run(self):
        r = self.w.call("POST", "/tokens", {"name": "ev-read", "scope": "read"})
        self.rd = self.client((r.json() or {}).get("token", "x"))
        for s in (self.admin_events, self.webhooks):
            try:
                s()
            except Exception as e:
                import traceback
                traceback.print_exc()
                self.c.ok(False, "step %s raised %s: %s" % (s.__name__, type(e).__name__, e))
        for cl in (self.w, self.anon, self.rd):
            cl.close()
        print("admin_events: %d passed, %d failed" % (self.c.passed, self.c.failed))
        return 0 if self.c.failed == 0 else 1


def live_routes(a):
    """t_admin_openapi (b), (c): the running server and the document, both ways."""
    c = Checks()
    spec = openapi_check.Spec(a.doc)
    with open(a.token_file) as f:
        w = Client(a.base, a.cacert, f.read().strip(), spec, c)
    anon = Client(a.base, a.cacert, None, spec, c)
    ops = spec.operations()
    by_path = {}
    for m, p, op in ops:
        by_path.setdefault(p, []).append(m)
    for m, p, op in ops:
        path = p.replace("{serial}", "no-such-serial").replace("{name}", "no-such-name") \
            .replace("{id}", "999999")
        kind = openapi_check.body_kind(op)
        body = b"{}" if kind != "none" else None
        r = w.call(m, path, body, raw_path=True)
        j = r.json() if r.headers.get("content-type", "").startswith(
            "application/problem+json") else None
        routed = not (r.status == 405 or (r.status == 404 and j and str(
            j.get("detail", "")).startswith("no such route")))
        c.ok(routed, "%s %s is answered by its route" % (m, p), repr(r))
        r = anon.call(m, path, body, raw_path=True)
        c.eq("%s %s without credentials: 401" % (m, p), r.status, 401)
    for path in ["/api/v1/no-such-route", "/api/v1/devices/x/y/z", "/api/v2/devices",
                 "/api/v1/bulk", "/api/v1/devices/x/voucher/x", "/restconf/operations"]:
        r = w.call("GET", path, raw_path=True)
        j = r.json() or {}
        c.eq("GET %s (undocumented): 404" % path, r.status, 404)
        c.ok(str(j.get("detail", "")).startswith("no such route"),
             "... from the router", repr(r))
    for p, _ in by_path.items():
        path = p.replace("{serial}", "x").replace("{name}", "x").replace("{id}", "x")
        # every template the path falls under routes it (".../dead-letters/replay" is
        # also ".../dead-letters/{id}")
        methods = sorted({m for rx, t in spec.templates if rx.match(path)
                          for m in by_path.get(t, [])})
        for m in ("GET", "PUT", "POST", "PATCH", "DELETE"):
            if m in methods:
                continue
            r = w.call(m, path, raw_path=True)
            c.eq("%s %s (undocumented method): 405" % (m, p), r.status, 405)
            allow = sorted(x.strip() for x in r.headers.get("allow", "").split(","))
            c.eq("... Allow lists the document's methods", allow, sorted(methods))
    r = w.call("GET", "/api/v1", raw_path=True)
    c.eq("GET /api/v1: 200", r.status, 200)
    c.eq("GET /api/v1 is application/json", r.headers.get("content-type", "").split(";")[0],
         "application/json")
    c.ok(r.body == spec.raw, "GET /api/v1 serves docs/openapi.json byte for byte",
         "%d bytes, the file has %d" % (len(r.body), len(spec.raw)))
    r2 = w.call("GET", "/api/v1", headers={"If-None-Match": r.etag() or "x"}, raw_path=True)
    c.eq("GET /api/v1 with its ETag: 304", r2.status, 304)
    w.close()
    anon.close()
    print("admin_routes: %d passed, %d failed" % (c.passed, c.failed))
    return 0 if c.failed == 0 else 1


def concurrent(a):
    """sztpctl (on the registry file) and the API change one device at once:
    every API answer is 200 or 412 (never a 5xx), every sztpctl run succeeds,
    and the device's audit trail is one unbroken chain of revisions that
    ends at its current one (no change lost, none unaudited)."""
    import subprocess
    import threading
    c = Checks()
    spec = openapi_check.Spec(a.doc)
    with open(a.token_file) as f:
        w = Client(a.base, a.cacert, f.read().strip(), spec, c)
    sn, n = "CC-1", a.rounds
    c.eq("enrol " + sn, w.call("POST", "/devices", {"serial": sn, "profile": "p0"}).status, 201)
    ctl_rc = []

    def ctl():
        for i in range(n):
            r = subprocess.run([a.sztpctl, "-d", a.db, "device", "set", sn, "--profile",
                                "p%d" % (i % 2)], capture_output=True, text=True)
            ctl_rc.append((r.returncode, r.stderr.strip()))

    t = threading.Thread(target=ctl)
    t.start()
    statuses = []
    for i in range(n):
        g = w.call("GET", "/devices/" + sn)
        r = w.call("PATCH", "/devices/" + sn, {"profile": "p%d" % ((i + 1) % 2)},
                   headers={"If-Match": g.etag() or "*"})
        statuses.append(r.status)
    t.join()
    c.ok(all(s in (200, 412) for s in statuses), "the API answered 200 or 412 only",
         repr(statuses))
    c.ok(statuses.count(200) > 0, "some API changes went through", repr(statuses))
    c.ok(all(rc == 0 for rc, _ in ctl_rc) and len(ctl_rc) == n,
         "every sztpctl device set succeeded", repr([x for x in ctl_rc if x[0]][:3]))
    rows, cur = [], None
    while True:
        r = w.call("GET", "/audit?resource=devices/%s&limit=1000" % sn + (
            "&cursor=" + cur if cur else ""))
        j = r.json() or {}
        rows += [x for x in j.get("items", []) if x["resource"] == "devices/" + sn]
        cur = j.get("next-cursor")
        if not cur:
            break
    d = w.call("GET", "/devices/" + sn).json() or {}
    c.eq("one audit row per change (API 200s + sztpctl runs + the create)", len(rows),
         1 + statuses.count(200) + n)
    chain = all(rows[k]["revision-before"] == rows[k - 1]["revision-after"]
                for k in range(1, len(rows)))
    c.ok(chain, "the audit rows form one chain of revisions",
         repr([(x["actor"], x["revision-before"], x["revision-after"]) for x in rows][:8]))
    c.eq("... ending at the device's revision", rows[-1]["revision-after"] if rows else None,
         d.get("revision"))
    actors = {x["actor"].split(":")[0] for x in rows}
    c.eq("... written by both", sorted(actors), ["local", "token"])
    w.close()
    print("admin_concurrent: %d passed, %d failed" % (c.passed, c.failed))
    return 0 if c.failed == 0 else 1


def doc_blocks(md, outdir):
    """The fenced blocks of md marked "sh test" (each to NN.sh, in order) and
    "python test" (together, in order, to program.py: one program); the
    "ini" blocks' keys to conf-keys.  Prints how many of each."""
    import re
    blocks = re.findall(r"^```([a-z]+)([^\n]*)\n(.*?)^```\s*$", open(md).read(), re.S | re.M)
    n_sh, py, keys = 0, [], []
    for lang, tags, text in blocks:
        tags = tags.split()
        if lang == "sh" and "test" in tags:
            n_sh += 1
            with open(os.path.join(outdir, "%02d.sh" % n_sh), "w") as f:
                f.write(text)
        elif lang == "python" and "test" in tags:
            py.append(text)
        elif lang == "ini":
            keys += [ln.split("=")[0].strip() for ln in text.splitlines() if "=" in ln]
    with open(os.path.join(outdir, "program.py"), "w") as f:
        f.write("\n\n".join(py))
    with open(os.path.join(outdir, "conf-keys"), "w") as f:
        f.write("".join(k + "\n" for k in keys))
    print("sh %d python %d ini-keys %d" % (n_sh, len(py), len(keys)))
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "doc-blocks":
        return doc_blocks(argv[2], argv[3])
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    parsers = {}
    for cmd in ("routes", "scenario", "concurrent", "events"):
        s = parsers[cmd] = sub.add_parser(cmd)
        for opt in ("--base", "--cacert", "--token-file", "--doc"):
            s.add_argument(opt, required=True)
    s = parsers["scenario"]
    s.add_argument("--device-base", required=True)
    s.add_argument("--pki", required=True)
    s.add_argument("--max-body", type=int, required=True)
    s.add_argument("--bulk", type=int, default=10000)
    s.add_argument("--voucher-dir", required=True,
                   help="BV-*.vcj vouchers of this PKI for a bulk with vouchers")
    s = parsers["concurrent"]
    s.add_argument("--sztpctl", required=True)
    s.add_argument("--db", required=True)
    s.add_argument("--rounds", type=int, default=25)
    s = parsers["events"]
    s.add_argument("--pki", required=True)
    s.add_argument("--ca-pem", required=True, help="a PEM certificate for ca-certificates")
    a = ap.parse_args(argv[1:])
    if a.cmd == "events":
        return EventsScenario(a).run()
    if a.cmd == "routes":
        return live_routes(a)
    if a.cmd == "concurrent":
        return concurrent(a)
    return Scenario(a).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
