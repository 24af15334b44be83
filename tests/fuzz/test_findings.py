#!/usr/bin/env python3
"""test_findings.py — what the libFuzzer targets found, replayed against a
real kontor and PostgreSQL (each finding's input is also kept in
tests/fuzz/corpus/TARGET/finding-*, so the target replays it too).

1. An error message that quotes the client (jansson's texts do: "invalid
   escape near '…'", "object item(s) left unpacked: …" cut at 160 bytes)
   was no UTF-8; jansson then built no JSON, and an HTTP answer of NULL
   crashed the server (strlen in write_response): one unauthenticated POST
   took every meeting of the node down.  Now such text is made valid
   (ks_json_text) and the answer is a 400 like any other.
2. The same on the WebSocket, and "unknown type" cut its quote after 40
   bytes, inside a character: the socket was closed without its error.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "api"))
from kontor_harness import Kontor, Spec, need_env  # noqa: E402

# Each body makes jansson's error text quote bytes that are not UTF-8 on
# their own, or cut a character at its 160-byte limit.
BAD_ESCAPE = b'{"email":"\\u0\xd4\x99\xc7\xa3u800f8"}'
LONG_KEY = json.dumps({"email": "a@b.c", "password": "x", "\u00f8" * 120: 1}).encode()
JSON_HEADERS = {"Content-Type": "application/json"}


def main():
    need_env()
    spec = Spec()
    with Kontor() as k:
        for name, path, body in (("a bad escape", "/api/v1/login", BAD_ESCAPE),
                                 ("a long unknown key", "/api/v1/login", LONG_KEY),
                                 ("a bad escape", "/api/v1/bookings", BAD_ESCAPE),
                                 ("a long unknown key", "/api/v1/booking", LONG_KEY)):
            status, answer, _, text = k.request("POST", path, raw=body, headers=JSON_HEADERS)
            code = (answer or {}).get("error", {}).get("code")
            spec.check(f"POST {path} with {name}: 400 bad_request in JSON", status == 400
                       and code == "bad_request", f"{status} {text!r}")
            spec.check("  and the server is still up", k.proc.poll() is None, k.proc.returncode)

        for name, payload in (("a bad escape", BAD_ESCAPE),
                              ("an unknown type of 41 two-byte characters",
                               json.dumps({"type": "\u00f8" * 41}).encode())):
            ws = k.ws()
            ws.send_raw(payload)
            answer = ws.recv()
            spec.check(f"WebSocket message with {name}: bad_message before the close",
                       isinstance(answer, dict) and answer.get("code") == "bad_message", answer)
            ws.close()
        status, _, _, _ = k.request("GET", "/api/v1/config")
        spec.check("the server answers after all of them", status == 200, status)
    spec.done()


if __name__ == "__main__":
    main()
