#!/usr/bin/env python3
"""fuzz_server.py — hostile input against a real kontor: thousands of
mutated WebSocket messages and HTTP requests, derived from valid ones by a
seeded random mutator.  The server must answer every one (an error code or
a normal answer), never crash, never hang, and stop cleanly at the end (in
the sanitizer build: no memory error, no leak).

The HTTP requests come from docs/openapi.yaml: every route it describes,
starting from its request body's example and its query parameters'
examples, so a route is fuzzed as soon as it is described there.  Every
answer must also be one the file describes (kontor_contract.py).

Bounded: FUZZ_CASES cases (default 1500), each with a timeout.  The seed is
fixed unless FUZZ_SEED says otherwise (a number, or `random`), and printed
so a failure can be replayed."""
import json
import os
import random
import secrets
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "api"))
from kontor_contract import ContractError, contract  # noqa: E402
from kontor_harness import Kontor, Spec, need_env  # noqa: E402

VALID_WS = [
    {"type": "join", "token": "A" * 43},
    {"type": "join", "reference": "K7F-3QX", "kiosk_code": "123456"},
    {"type": "join", "invite": "B" * 43},
    {"type": "hello"},
    {"type": "admit", "booking_id": 1},
    {"type": "end", "booking_id": 1},
    {"type": "no_show", "booking_id": 1},
    {"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"},
    {"type": "ice", "candidate": "candidate:1 1 UDP 1 10.0.0.1 5000 typ host", "sdpMLineIndex": 0},
    {"type": "chat", "text": "hei"},
    {"type": "invite", "booking_id": 1},
    {"type": "leave"},
]


def http_routes():
    """(METHOD, path, example body or None, its required fields,
    {parameter: example}) for every route of docs/openapi.yaml."""
    c = contract()
    routes = []
    for method, path, op in c.operations():
        schema = (c.request_schema(op) or {}).get("schema", {})
        routes.append((method, path, c.example_body(op), schema.get("required", []),
                       {p["name"]: p["example"] for p in c.parameters(op)}))
    return routes


ODD_VALUES = [None, True, False, 0, -1, 2 ** 63, -2 ** 63, 1e308, "", "\u0000", "\ud7ff\ue000",
              "é" * 300, "x" * 70000, [], {}, [1, [2, [3]]], {"a": {"b": {"c": {}}}}, "'; DROP TABLE bookings; --",
              "../../etc/passwd", "%00%ff", "2026-02-30", "24:61", "Europe/Nowhere"]


def mutate(rng, obj):
    """One structural change to a JSON object (keys, types, values)."""
    o = json.loads(json.dumps(obj))
    keys = list(o.keys())
    choice = rng.randrange(6)
    if choice == 0 and keys:
        del o[rng.choice(keys)]
    elif choice == 1:
        o[rng.choice(["x", "type", "token", "__proto__", "booking_id", "sdp"])] = rng.choice(ODD_VALUES)
    elif choice == 2 and keys:
        o[rng.choice(keys)] = rng.choice(ODD_VALUES)
    elif choice == 3:
        o = rng.choice(ODD_VALUES)
    elif choice == 4 and keys:
        k = rng.choice(keys)
        o[k + rng.choice(["", " ", "\u00a0", "X"])] = o.pop(k)
    else:
        for _ in range(rng.randrange(1, 4)):
            o = mutate(rng, o) if isinstance(o, dict) else o
    return o


# No %00: libwebsockets drops a request whose URL holds one without an
# answer (on every path, before kontor sees it).
ODD_QUERY_VALUES = ["", "0", "-1", "1", "any", "x", "99999999999999999999", "1e3", " 1", "1 ", "\u0001", "%",
                    "2026-02-30", "2026-13-01", "0000-00-00", "9999-12-31", "2026-1-1", "csv", "é" * 300, "a" * 300,
                    "null", "[]", "'; DROP TABLE bookings; --", "../../etc/passwd"]


def mutate_query(rng, params):
    """The query string of params, usually with one change (a value made
    odd, a parameter dropped, doubled or added)."""
    items = [(k, str(v)) for k, v in params.items() if rng.random() < 0.9]
    choice = rng.randrange(5)
    if choice == 0 and items:
        i = rng.randrange(len(items))
        items[i] = (items[i][0], rng.choice(ODD_QUERY_VALUES))
    elif choice == 1 and items:
        items.append((rng.choice(items)[0], rng.choice(ODD_QUERY_VALUES)))
    elif choice == 2:
        items.append((rng.choice(["x", "office", "format", "date", "service"]), rng.choice(ODD_QUERY_VALUES)))
    elif choice == 3:
        rng.shuffle(items)
    query = urllib.parse.urlencode(items)
    return "?" + query if query or rng.random() < 0.5 else ""


def http_case(rng, routes):
    """(method, target, raw body or None, content type) for one request."""
    method, path, body, required, params = rng.choice(routes)
    if isinstance(body, dict) and rng.random() < 0.3:   # only what the schema requires
        body = {k: v for k, v in body.items() if k in required}
    r = rng.random()
    if r < 0.03:
        method = "GET" if method == "POST" else "POST"      # a method the route lacks: 405
    elif r < 0.06:
        path += rng.choice(["x", "/", "/1"])                # no such route: 404
    ctype = "application/json" if rng.random() < 0.95 else rng.choice(["text/plain", "application/jsonx", ""])
    if method == "GET":
        raw = raw_bytes(rng, mutate(rng, {})) if rng.random() < 0.1 else None
    elif rng.random() < 0.1:
        raw = json.dumps(body if body is not None else {}).encode()   # as described: the deeper paths
    else:
        raw = raw_bytes(rng, mutate(rng, body if body is not None else {}))
    return method, path + mutate_query(rng, params), raw, ctype


def raw_bytes(rng, obj):
    """Serialised, sometimes damaged at the byte level."""
    data = json.dumps(obj, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    r = rng.random()
    if r < 0.1 and data:
        i = rng.randrange(len(data))
        data = data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
    elif r < 0.15:
        data = data[: rng.randrange(len(data) + 1)]
    elif r < 0.2:
        data = data * rng.randrange(2, 50)
    return data


def main():
    need_env()
    # A fixed seed keeps CI repeatable; FUZZ_SEED=random explores.
    seed_text = os.environ.get("FUZZ_SEED", "20261125")
    seed = secrets.randbits(32) if seed_text == "random" else int(seed_text)
    cases = int(os.environ.get("FUZZ_CASES", "1500"))
    print(f"seed {seed}, {cases} cases")
    rng = random.Random(seed)
    spec = Spec()
    unanswered = 0
    off_contract = []
    failed_http = []
    routes = http_routes()
    with Kontor(extra_env={"KONTOR_LINK_PER_MINUTE": "1000000", "KONTOR_LOGIN_PER_MINUTE": "1000000",
                           "KONTOR_BOOK_PER_MINUTE": "1000000"}) as k:
        demo = k.demo(60)
        _, _, cookie = k.login(demo["caseworker_email"], demo["caseworker_password"])
        for i in range(cases):
            if rng.random() < 0.6:
                ws = k.ws(cookie=cookie if rng.random() < 0.5 else None)
                if rng.random() < 0.3:  # a valid opening first, to reach deeper handlers
                    ws.send({"type": "hello"} if rng.random() < 0.5 else {"type": "join", "token": demo["booking_token"]})
                    try:
                        ws.recv(timeout=10)
                    except Exception:
                        pass
                payload = raw_bytes(rng, mutate(rng, rng.choice(VALID_WS)))
                opcode = rng.choice([1, 1, 1, 2])
                try:
                    ws.send_raw(payload, opcode=opcode)   # the opening may have been refused and closed
                    answer = ws.recv(timeout=10)
                    ok = answer is not None
                except TimeoutError:
                    ok = True   # e.g. a valid leave has no answer; the next case proves liveness
                except (ConnectionError, OSError):
                    ok = True   # closed after bad_message: allowed
                ws.close()
            else:
                method, target, raw, ctype = http_case(rng, routes)
                headers = {"Cookie": cookie} if rng.random() < 0.5 else {}
                if ctype:
                    headers["Content-Type"] = ctype
                try:
                    status, _, _, text = k.request(method, target, raw=raw, headers=headers)
                    ok = 200 <= status < 500
                    if "Cookie" in headers and (status == 401 or target.startswith("/api/v1/logout")):
                        # A case ended the session (logout): a new one keeps the rest deep.
                        _, _, cookie = k.login(demo["caseworker_email"], demo["caseworker_password"])
                    if not ok:
                        failed_http.append(f"case {i}: {method} {target[:100]} answered {status} {text[:200]!r}")
                except ContractError as e:
                    ok = True   # answered; counted below
                    off_contract.append(f"case {i}: {e}")
                except (ConnectionError, OSError) as e:
                    ok = False
                    failed_http.append(f"case {i}: {method} {target[:100]}: {e!r}")
            if not ok:
                unanswered += 1
            if k.proc.poll() is not None:
                spec.check(f"the server is alive after case {i}", False, f"exit {k.proc.returncode}, seed {seed}")
                break
        status, _, _, _ = k.request("GET", "/api/v1/config")
        spec.check(f"after {cases} hostile cases the server still answers", status == 200, status)
        spec.check("no HTTP request went unanswered or got a 5xx", unanswered == 0,
                   f"{unanswered}, seed {seed}:\n" + "\n".join(failed_http[:5]))
        spec.check("every HTTP answer is one docs/openapi.yaml describes", not off_contract,
                   f"{len(off_contract)}, seed {seed}:\n" + "\n".join(off_contract[:5]))
        booked = k.sql("SELECT count(*) FROM bookings")
        spec.check("and nothing was written by them (only the demo booking exists)", booked == "1", booked)
    spec.done()


if __name__ == "__main__":
    main()
