#!/usr/bin/env python3
"""callgraph.py — which file of a module calls which, read from the object
files (nm), not from the includes: an edge A → B means A.o refers to a
symbol that B.o defines (a call, or a function's address taken, as in a
table of handlers).

  callgraph.py BUILD_DIR MODULE [--check LAYERS_FILE]

MODULE is signaling, booking or media.  Prints the edges and every circle
(a strongly connected set of more than one file).  With --check, the
layers file lists the module's files in layers, lowest first, one layer a
line; a file may call files of its own layer or lower only, and files of
one layer may not call each other in a circle.  Exits 1 on a breach.
"""
import glob
import os
import subprocess
import sys

LIBS = {"signaling": "signaling/libks.a.p", "booking": "booking/libkb.a.p",
        "media": "media/libkontor-media.a.p"}


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRGS":
            defined.add(parts[2])
    return defined, used


def graph(build, module):
    objs = sorted(glob.glob(os.path.join(build, LIBS[module], "*.c.o")))
    defs, uses = {}, {}
    for o in objs:
        name = os.path.basename(o)[:-2]
        if name.startswith("meson-generated"):
            continue
        d, u = symbols(o)
        uses[name] = u
        for s in d:
            defs[s] = name
    edges = {f: sorted({defs[s] for s in u if s in defs and defs[s] != f})
             for f, u in uses.items()}
    return edges


def circles(edges):
    """Tarjan's strongly connected components of more than one file."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    build, module = sys.argv[1], sys.argv[2]
    edges = graph(build, module)
    for f in sorted(edges):
        print(f"{f:18} → {', '.join(edges[f]) or '—'}")
    found = circles(edges)
    for c in found:
        print("circle:", " ↔ ".join(c))
    if "--check" not in sys.argv:
        return 0
    layers, one_job = {}, set()
    with open(sys.argv[sys.argv.index("--check") + 1]) as f:
        for n, line in enumerate(l for l in f if l.strip() and not l.startswith("#")):
            label, files = line.split(":", 1)
            if label.startswith("job "):
                one_job.add(n)
            for name in files.split():
                layers[name] = n
    bad = 0
    for f, targets in edges.items():
        if f not in layers:
            print(f"FAIL {f} is in no layer of the layers file")
            bad += 1
            continue
        for t in targets:
            if layers.get(t, -1) > layers[f]:
                print(f"FAIL {f} (layer {layers[f]}) calls up into {t} (layer {layers[t]})")
                bad += 1
    for c in found:
        if len({layers.get(f) for f in c}) == 1 and layers.get(c[0]) in one_job:
            continue  # one job's files calling each other
        print("FAIL circle:", " ↔ ".join(c))
        bad += 1
    print(f"{module}: {len(edges)} files, {sum(map(len, edges.values()))} edges, "
          f"{len(found)} circles, {bad} breaches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
