#!/usr/bin/env python3
"""resend-double — a loopback stand-in for the Resend API's read-only domain
endpoints (GET /domains, GET /domains/{id}), for tests of the resend.domain
check.

The response shapes come from Resend's OpenAPI description: at start-up every
fixture response is validated against the spec's schemas (property names,
types, enums), and the query parameters /domains accepts are the ones the
spec lists.  Error bodies ({"statusCode", "name", "message"}) follow Resend's
documentation; the spec does not describe them.

The API key picks the behaviour, so one server serves every test case:
  re_ok…             the fixture account
  re_401…            401 restricted_api_key
  re_403…            403 invalid key (the message echoes the key, as a
                     careless API might: clients must not repeat it)
  re_429once…        429 with Retry-After: 1 on the first request, then ok
  re_429always…      429 with Retry-After: 1, every time
  re_429long…        429 with Retry-After: 60
  re_500…            500 internal_server_error
  re_slow…           answers after 30 s
  re_echo…           the fixture account, with the key echoed in every
                     record value and in each domain's region (a careless
                     or hostile API: clients must not repeat it)
Requests without a bearer key get 401 missing_api_key.

Usage: resend-double.py --spec resend-openapi.yaml [--log FILE]
Binds 127.0.0.1 on a free port, prints the port on one line, and serves
until stdin closes (or SIGTERM).  Each request is logged to FILE as
"<sha256(key)[:12]> <path>", so tests can count requests without the key
being written anywhere.  Exits 77 (skip) when PyYAML is missing.
"""

import argparse
import hashlib
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import yaml
except ImportError:
    print("resend-double: PyYAML (python3-yaml) is needed to read the spec", file=sys.stderr)
    sys.exit(77)

# ---- the spec -------------------------------------------------------------


class Spec:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            node = self.lookup(node["$ref"])
        return node

    def lookup(self, ref):
        node = self.doc
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node

    def schema(self, name):
        return self.doc["components"]["schemas"][name]

    def query_parameters(self, path, method):
        op = self.doc["paths"][path][method]
        params = (self.resolve(p) for p in op.get("parameters", []))
        return {p["name"]: p["schema"] for p in params if p.get("in") == "query"}

    def response_schema(self, path, method, status="200"):
        resp = self.doc["paths"][path][method]["responses"][status]
        return resp["content"]["application/json"]["schema"]

    def validate(self, value, schema, where="$"):
        """Raises ValueError where `value` strays from `schema`: unknown or
        mistyped properties, values outside an enum."""
        schema = self.resolve(schema)
        kind = schema.get("type")
        checks = {
            "object": dict, "array": list, "string": str,
            "boolean": bool, "integer": int, "number": (int, float),
        }
        if kind in checks and (not isinstance(value, checks[kind])
                               or (kind in ("integer", "number") and isinstance(value, bool))):
            raise ValueError(f"{where}: {value!r} is not {kind}")
        if "enum" in schema and value not in schema["enum"]:
            raise ValueError(f"{where}: {value!r} is not one of {schema['enum']}")
        if kind == "object":
            props = schema.get("properties", {})
            for key, item in value.items():
                if key not in props:
                    raise ValueError(f"{where}: property {key!r} is not in the schema")
                self.validate(item, props[key], f"{where}.{key}")
        if kind == "array":
            for i, item in enumerate(value):
                self.validate(item, schema.get("items", {}), f"{where}[{i}]")


# ---- the fixture account --------------------------------------------------


def fake_dkim_key(name):
    """A stable, plausible-looking DKIM public key per domain."""
    digest = hashlib.sha512(name.encode()).hexdigest()
    return "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ" + digest[:120] + "IDAQAB"


def sending_records(name, region, statuses, tracking=None):
    spf_mx, spf_txt, dkim = statuses
    records = [
        {"record": "SPF", "name": "send", "type": "MX", "ttl": "Auto", "status": spf_mx,
         "value": f"feedback-smtp.{region}.amazonses.com", "priority": 10},
        {"record": "SPF", "name": "send", "type": "TXT", "ttl": "Auto", "status": spf_txt,
         "value": '"v=spf1 include:amazonses.com ~all"'},
        {"record": "DKIM", "name": "resend._domainkey", "type": "TXT", "ttl": "Auto",
         "status": dkim, "value": fake_dkim_key(name)},
    ]
    if tracking:
        # Tracking names come fully qualified from the API.
        records.append({"record": "Tracking", "name": f"links.{name}", "type": "CNAME",
                        "ttl": "Auto", "status": tracking, "value": "links1.resend-dns.com"})
    return records


def domain(n, name, status, region, records):
    return {
        "object": "domain",
        "id": f"d91cd9bd-1176-453e-8fc1-{n:012d}",
        "name": name,
        "status": status,
        "created_at": f"2024-0{1 + n % 9}-1{n % 10} 20:21:26.347412+00",
        "region": region,
        "open_tracking": False,
        "click_tracking": False,
        "capabilities": {"sending": "enabled", "receiving": "disabled"},
        "records": records,
    }


def fixture_domains():
    """Newest first, as the API lists them: enough domains for three pages
    of 100, with the interesting ones spread over all pages."""
    named = {
        0: ("verified.example.com", "verified", "us-east-1",
            ("verified", "verified", "verified"), None),
        120: ("partial.example.org", "partially_failed", "eu-west-1",
              ("verified", "verified", "failed"), None),
        150: ("pending.example.com", "pending", "us-east-1",
              ("pending", "pending", "not_started"), None),
        170: ("tracking.example.com", "verified", "sa-east-1",
              ("verified", "verified", "verified"), "pending"),
        190: ("vanished.example.com", "verified", "us-east-1",
              ("verified", "verified", "verified"), None),
        233: ("failed.example.net", "failed", "us-east-1",
              ("failed", "failed", "failed"), None),
    }
    domains = []
    for n in range(234):
        if n in named:
            name, status, region, statuses, tracking = named[n]
        else:
            name, status, region, statuses, tracking = (
                f"filler-{n:03d}.example.test", "verified", "us-east-1",
                ("verified",) * 3, None)
        domains.append(domain(n, name, status, region,
                              sending_records(name, region, statuses, tracking)))
    return domains


LIST_FIELDS = ("id", "name", "status", "created_at", "region",
               "open_tracking", "click_tracking", "capabilities")
GONE = {"vanished.example.com"}   # listed, but GET /domains/{id} finds nothing (a race)


# ---- the server -----------------------------------------------------------


class Double:
    def __init__(self, spec, log_path):
        self.spec = spec
        self.domains = fixture_domains()
        self.by_id = {d["id"]: d for d in self.domains}
        self.list_params = spec.query_parameters("/domains", "get")
        self.list_schema = spec.response_schema("/domains", "get")
        self.domain_schema = spec.response_schema("/domains/{domain_id}", "get")
        self.log_path = log_path
        self.lock = threading.Lock()
        self.seen = {}   # key digest -> requests so far
        for d in self.domains:
            spec.validate(d, self.domain_schema, d["name"])
        spec.validate(self.page({}), self.list_schema, "GET /domains")

    def log(self, digest, path):
        with self.lock:
            self.seen[digest] = self.seen.get(digest, 0) + 1
            if self.log_path:
                with open(self.log_path, "a", encoding="utf-8") as f:
                    f.write(f"{digest} {path}\n")
            return self.seen[digest]

    def page(self, query):
        """GET /domains with the spec's cursor parameters: `limit` (1–100),
        `after` / `before` an id of the list."""
        for name, values in query.items():
            if name not in self.list_params:
                raise ValueError(f"unknown query parameter {name!r}")
            if len(values) != 1:
                raise ValueError(f"{name} given more than once")
        limit = int(query.get("limit", ["20"])[0])
        if not 1 <= limit <= self.list_params["limit"].get("maximum", 100):
            raise ValueError("limit must be between 1 and 100")
        ids = [d["id"] for d in self.domains]
        start, end = 0, len(ids)
        if "after" in query:
            start = ids.index(query["after"][0]) + 1
            end = min(len(ids), start + limit)
        elif "before" in query:
            end = ids.index(query["before"][0])
            start = max(0, end - limit)
        else:
            end = min(len(ids), limit)
        data = [{k: d[k] for k in LIST_FIELDS} for d in self.domains[start:end]]
        more = end < len(ids) if "before" not in query else start > 0
        return {"object": "list", "has_more": more, "data": data}


def make_handler(double):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass   # the request log is written by Double.log, key-free

        def send_json(self, status, body, headers=()):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def send_error_body(self, status, name, message, headers=()):
            self.send_json(status, {"statusCode": status, "name": name, "message": message},
                           headers)

        def do_GET(self):
            auth = self.headers.get("Authorization", "")
            key = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
            digest = hashlib.sha256(key.encode()).hexdigest()[:12]
            count = double.log(digest, self.path)
            if not key:
                return self.send_error_body(401, "missing_api_key",
                                            "Missing API key in the authorization header")
            if key.startswith("re_401"):
                return self.send_error_body(401, "restricted_api_key",
                                            "This API key is restricted to only send emails")
            if key.startswith("re_403"):
                return self.send_error_body(403, "invalid_api_key", f"API key {key} is invalid")
            if key.startswith("re_429long"):
                return self.send_error_body(429, "rate_limit_exceeded", "Too many requests",
                                            [("Retry-After", "60")])
            if key.startswith("re_429always") or (key.startswith("re_429once") and count == 1):
                return self.send_error_body(429, "rate_limit_exceeded", "Too many requests",
                                            [("Retry-After", "1")])
            if key.startswith("re_500"):
                return self.send_error_body(500, "internal_server_error",
                                            "An unexpected error occurred")
            if key.startswith("re_slow"):
                time.sleep(30)
            elif not key.startswith(("re_ok", "re_429once", "re_echo")):
                return self.send_error_body(403, "invalid_api_key", "API key is invalid")
            self.serve_domains(key if key.startswith("re_echo") else None)

        def serve_domains(self, echo=None):
            url = urllib.parse.urlsplit(self.path)
            parts = url.path.strip("/").split("/")
            if parts == ["domains"]:
                try:
                    body = double.page(urllib.parse.parse_qs(url.query, keep_blank_values=True))
                except ValueError as e:
                    return self.send_error_body(422, "validation_error", str(e))
                double.spec.validate(body, double.list_schema)
                return self.send_json(200, body)
            if len(parts) == 2 and parts[0] == "domains":
                d = double.by_id.get(urllib.parse.unquote(parts[1]))
                if d and d["name"] not in GONE:
                    if echo:
                        d = json.loads(json.dumps(d))
                        d["region"] = echo
                        for r in d.get("records", []):
                            r["value"] = f"{r['value']} {echo}"
                    return self.send_json(200, d)
            self.send_error_body(404, "not_found", "Domain not found")

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", required=True, help="Resend's OpenAPI description (YAML)")
    ap.add_argument("--log", help="append one line per request here")
    args = ap.parse_args()
    try:
        double = Double(Spec(args.spec), args.log)
    except (OSError, KeyError, ValueError) as e:
        print(f"resend-double: fixtures do not match the spec: {e}", file=sys.stderr)
        return 1
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(double))
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()   # the test closes our stdin (or dies) when it is done
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
