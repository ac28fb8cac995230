#!/usr/bin/env python3
"""A receiver of sztpd's webhooks: HTTPS, Python standard library only.

Each delivery is checked before anything is stored: X-SZTP-Signature must
be "sha256=" + HMAC-SHA256(secret, X-SZTP-Timestamp + "." + body), compared
in constant time, and the timestamp within MAX_SKEW of this clock (a
replayed old delivery is refused).  Events are at-least-once: a repeat
(same id) is dropped.  New events are appended to --out, one JSON line
each, and written to disk before the 204, so an answered delivery is kept;
on restart the ids in --out are read back, so repeats stay dropped.
--refuse N answers 503 to the first N signed deliveries (to watch sztpd
retry with backoff).

  webhook_receiver.py --port 9443 --cert chain.pem --key key.pem \\
      --secret-file secret.txt --out events.jsonl
"""
import argparse
import hashlib
import hmac
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 64 * 1024 * 1024  # sztpd's batches are far smaller
MAX_SKEW = 300  # seconds between sztpd's clock and this one


class Receiver(BaseHTTPRequestHandler):
    # HTTP/1.1: sztpd keeps its connection (and TLS session) for the next
    # delivery instead of a new handshake per batch
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        srv = self.server
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            return self.answer(413, "no body or too large")
        body = self.rfile.read(length)
        ts = self.headers.get("X-SZTP-Timestamp", "")
        mac = hmac.new(srv.secret, ts.encode() + b"." + body, hashlib.sha256)
        want = "sha256=" + mac.hexdigest()
        got = self.headers.get("X-SZTP-Signature", "").encode("latin-1")
        if not hmac.compare_digest(got, want.encode()):
            return self.answer(401, "bad signature")
        if not ts.isdigit() or abs(time.time() - int(ts)) > MAX_SKEW:
            return self.answer(401, "stale timestamp")
        events = json.loads(body)["events"]
        with srv.lock:  # one delivery at a time stores (connections are threads)
            if srv.refuse > 0:
                srv.refuse -= 1
                return self.answer(503, "refused on purpose")
            new = [ev for ev in events if ev["id"] not in srv.seen]
            for ev in new:
                srv.out.write(json.dumps(ev, sort_keys=True) + "\n")
                srv.seen.add(ev["id"])
            srv.out.flush()
            os.fsync(srv.out.fileno())  # stored before it is acknowledged
            srv.repeats += len(events) - len(new)
        self.log_message("webhook %s (%s): %d events, %d new, %d repeats dropped so far",
                         self.headers.get("X-SZTP-Webhook"), self.headers.get("User-Agent"),
                         len(events), len(new), srv.repeats)
        self.answer(204)

    def answer(self, status, text=""):
        if status != 204:
            self.log_message("answered %d: %s", status, text)
        self.send_response(status)
        if status >= 300:
            self.close_connection = True  # a body may be left unread
            self.send_header("Connection", "close")
        if status != 204:
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        if status != 204:
            self.wfile.write(text.encode())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--address", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True, help="this server's certificate chain (PEM)")
    ap.add_argument("--key", required=True)
    ap.add_argument("--secret-file", required=True, help="the webhook's secret")
    ap.add_argument("--out", required=True, help="events, one JSON line each")
    ap.add_argument("--refuse", type=int, default=0, help="503 to the first N deliveries")
    a = ap.parse_args()

    srv = ThreadingHTTPServer((a.address, a.port), Receiver)
    srv.lock = threading.Lock()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(a.secret_file, "rb") as f:
        srv.secret = f.read().strip()
    srv.seen = set()
    if os.path.exists(a.out):
        with open(a.out) as f:
            srv.seen = {json.loads(line)["id"] for line in f if line.strip()}
    srv.out = open(a.out, "a")
    srv.refuse, srv.repeats = a.refuse, 0
    print("listening on %s:%d, %d events kept" % (a.address, a.port, len(srv.seen)),
          file=sys.stderr, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
