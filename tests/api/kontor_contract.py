"""kontor_contract.py — docs/openapi.yaml as a checker of real answers.

Every answer the api and fuzz suites get from kontor goes through
Contract.check (kontor_harness.Kontor.request calls it): its status must be
listed for that route, its Content-Type described, its body valid against
the schema (for an error: its code among those the response lists).
Anything else raises ContractError, whose message says what was asked,
what came back and where in the file the answer should have been.

Also what the fuzzer needs to build requests from the file: operations(),
and example_body() for a request body.  Uses Debian's python3-yaml and
python3-jsonschema (JSON Schema 2020-12, which OpenAPI 3.1 schemas are).
"""
import json
import os
import re
import urllib.parse

import yaml
from jsonschema import Draft202012Validator

SPEC_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "openapi.yaml")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class ContractError(AssertionError):
    """An answer that docs/openapi.yaml does not describe."""


def is_api_path(path):
    """Whether the server's API handler (not the static files) answers path."""
    return any(path == p or path.startswith(p + "/") for p in ("/api", "/metrics", "/healthz", "/readyz"))


class Contract:
    def __init__(self, path=SPEC_PATH):
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)
        self._validators = {}

    # ---- reading the document ------------------------------------------
    def resolve(self, node):
        """node with local $refs followed (siblings of a $ref are kept by
        the schema validator, not here: only whole objects are resolved)."""
        while isinstance(node, dict) and "$ref" in node and len(node) == 1:
            node = self._pointer(node["$ref"])
        return node

    def _pointer(self, ref):
        if not ref.startswith("#/"):
            raise ContractError(f"docs/openapi.yaml: only local references are used, not {ref}")
        node = self.doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def operations(self):
        """(METHOD, path, operation) for every route the file describes."""
        for path, item in self.doc["paths"].items():
            for method, op in item.items():
                if method in HTTP_METHODS:
                    yield method.upper(), path, op

    def routes(self):
        return {(method, path) for method, path, _ in self.operations()}

    def request_schema(self, op):
        body = self.resolve(op.get("requestBody"))
        if not body:
            return None
        return self.resolve(body["content"]["application/json"])

    def example_body(self, op):
        """The request body's example (the contract test insists on one)."""
        media = self.request_schema(op)
        return None if media is None else media.get("example")

    def parameters(self, op):
        return [self.resolve(p) for p in op.get("parameters", [])]

    def validator(self, schema):
        key = id(schema)
        if key not in self._validators:
            # The schema sits inside a copy of the components so that its
            # '#/components/...' references resolve as they do in the file.
            root = {"allOf": [schema], "components": self.doc["components"]}
            self._validators[key] = Draft202012Validator(
                root, format_checker=Draft202012Validator.FORMAT_CHECKER)
        return self._validators[key]

    # ---- checking an answer --------------------------------------------
    def _response(self, method, path, status):
        """The response object for this answer and where it is in the file."""
        item = self.doc["paths"].get(path)
        if item is None:
            # A templated path ("/api/v1/feed/{token}.ics"): one or more
            # base64url characters where the name is, as the server routes.
            for key, candidate in self.doc["paths"].items():
                if "{" in key and re.fullmatch(re.sub(r"\\\{\w+\\\}", "[A-Za-z0-9_-]+", re.escape(key)), path):
                    path, item = key, candidate
                    break
        op = item.get(method.lower()) if item else None
        if op is not None:
            responses = op["responses"]
            if str(status) not in responses:
                raise ContractError(f"status {status} is not listed for {method} {path} "
                                    f"(listed: {', '.join(sorted(responses))})")
            return self.resolve(responses[str(status)]), f"paths.{path}.{method.lower()}.responses.{status}"
        # Not routed: what the description and x-unrouted promise.
        if method == "POST" and status in (413, 415):
            name = "TooLarge" if status == 413 else "NotJson"
            return self.doc["components"]["responses"][name], f"components.responses.{name}"
        if item is not None or method not in ("GET", "POST"):
            expected, key = 405, "unknown-method"
        else:
            expected, key = 404, "unknown-path"
        if status != expected:
            raise ContractError(f"{method} {path} is not described, so the answer must be {expected} "
                                f"(x-unrouted.{key}), not {status}")
        return self.doc["x-unrouted"][key], f"x-unrouted.{key}"

    def check(self, method, target, status, headers, text):
        """Raises ContractError unless docs/openapi.yaml describes this
        answer.  target is the request's path with its query string."""
        path = urllib.parse.urlsplit(target).path
        if not is_api_path(path):
            return
        asked = f"{method} {target[:200]} answered {status}"
        try:
            response, where = self._response(method, path, status)
        except ContractError as e:
            raise ContractError(f"{asked}: {e}; body {text[:300]!r}") from None
        if method == "HEAD":
            return      # no body, whatever the status
        for name, header in (response.get("headers") or {}).items():
            if self.resolve(header).get("required") and headers.get(name) is None:
                raise ContractError(f"{asked} without the header {name} that {where} requires")
        content = response.get("content") or {}
        media = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if media not in content:
            raise ContractError(f"{asked} with Content-Type {media!r}; {where} describes "
                                f"{', '.join(content) or 'no body'}; body {text[:300]!r}")
        schema = content[media].get("schema")
        if schema is None:
            return
        if media == "application/json":
            try:
                instance = json.loads(text)
            except json.JSONDecodeError as e:
                raise ContractError(f"{asked} with a body that is not JSON ({e}): {text[:300]!r}") from None
        else:
            instance = text
        errors = sorted(self.validator(schema).iter_errors(instance), key=lambda e: list(e.path))
        if errors:
            lines = [f"  at /{'/'.join(map(str, e.path))}: {e.message[:300]}" for e in errors[:5]]
            raise ContractError(f"{asked} with a body that does not match {where}:\n" + "\n".join(lines)
                                + f"\n  body: {text[:500]}")


_shared = None


def contract():
    """The document, read once per process."""
    global _shared
    if _shared is None:
        _shared = Contract()
    return _shared
