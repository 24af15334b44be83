#!/usr/bin/env python3
"""test_routes.py — docs/openapi.yaml describes exactly the routes the
server has, and describes each one fully enough to be checked and fuzzed.

The server's routes are read from the table routes[] in signaling/http.c
(the one place a route is added).  Parsing C text is a stopgap until the
server can print its table itself; the parse is checked against a count of
the table's lines so that a change of layout fails here rather than
silently matching nothing."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "api"))
from kontor_contract import Contract  # noqa: E402
from kontor_harness import Spec  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def server_routes():
    """{(METHOD, path)} of routes[] in signaling/http.c."""
    with open(os.path.join(ROOT, "signaling", "http.c"), encoding="utf-8") as f:
        source = f.read()
    table = re.search(r"\}\s*routes\[\]\s*=\s*\{(.*?)\n\};", source, re.S)
    if not table:
        raise SystemExit("FAIL signaling/http.c has no routes[] table any more: update this test")
    rows = re.findall(r'\{\s*"([^"]+)"\s*,\s*(TRUE|FALSE)\s*,\s*\w+\s*\}', table.group(1))
    lines = [line for line in table.group(1).splitlines() if line.strip().startswith("{")]
    if len(rows) != len(lines):
        raise SystemExit(f"FAIL read {len(rows)} routes from {len(lines)} lines of routes[]: update this test")
    return {("POST" if post == "TRUE" else "GET", path) for path, post in rows}


def error_codes(schema):
    """The enum of error.code in an error response's schema, or None."""
    code = schema.get("properties", {}).get("error", {}).get("properties", {}).get("code", {})
    return code.get("enum")


def main():
    spec = Spec()
    contract = Contract()
    server = server_routes()
    described = contract.routes()
    spec.check(f"the server has routes ({len(server)})", len(server) > 20, len(server))
    spec.check("every route of the server is in docs/openapi.yaml",
               not server - described, sorted(server - described))
    spec.check("docs/openapi.yaml describes no route the server lacks",
               not described - server, sorted(described - server))

    for method, path, op in contract.operations():
        name = f"{method} {path}"
        if method == "POST":
            example = contract.example_body(op)
            spec.check(f"{name}: its request body has an example (the fuzzer starts from it)",
                       example is not None)
            schema = (contract.request_schema(op) or {}).get("schema", {})
            problems = [e.message for e in contract.validator(schema).iter_errors(example)]
            spec.check(f"{name}: the example matches the body's schema", not problems, problems)
            spec.check(f"{name}: the body is described as a closed object (the server refuses unknown fields)",
                       schema.get("type") == "object"
                       and (schema.get("additionalProperties") is False or path == "/api/v1/logout"),
                       schema)
        for p in contract.parameters(op):
            problems = [e.message for e in contract.validator(p["schema"]).iter_errors(p.get("example"))]
            spec.check(f"{name}: query parameter {p['name']} has an example that matches its schema",
                       "example" in p and not problems, problems)
        for status, response in op["responses"].items():
            response = contract.resolve(response)
            if int(status) < 400:
                continue
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            spec.check(f"{name} {status}: lists the error codes it can carry",
                       bool(error_codes(schema)), response.get("description"))
    spec.done()


if __name__ == "__main__":
    main()
