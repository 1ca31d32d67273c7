#!/usr/bin/env python3
"""Checks two rules of the architecture (issue 12); `make test` fails on a break of either.

1. One execute path: in the engine and the generator, only `executor/src/execute.rs` hands
   commands to the driver (`run_command`, `run_cursor_command`, typed collection calls).
2. No module cycles in the workspace's crates.

Module cycles:
For every module that has child modules, the children are nodes and an edge A -> B means code
in A (or below it) names an item of B (or below it) through `crate::`, `super::` or `self::`
paths. A cycle among siblings means neither can be understood, tested or moved without the
other (issue 12). A child naming its own ancestors is not counted: a parent sharing its types
with its children is the layering we want. Rust paths are read textually, which is enough for
our code: `use` trees with braces, and inline `crate::a::b` paths.
"""
import os
import re
import sys

CRATES = ["executor/src", "cli/src", "generator/src", "jvm-bridge/src", "bench/src"]


def module_files(src):
    """Maps module path tuples to files, following `foo.rs` beside `foo/`."""
    mods = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(root, f), src)
            parts = rel[:-3].split(os.sep)
            if parts == ["lib"] or parts == ["main"]:
                parts = []
            elif parts[0] == "bin":
                continue
            mods[tuple(parts)] = os.path.join(root, f)
    return mods


def strip(text):
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)


def expand_use(tree):
    """Expands `a::{b, c::{d}}` into paths."""
    tree = tree.strip()
    depth = 0
    for i, ch in enumerate(tree):
        if ch == "{" and depth == 0:
            prefix = tree[:i]
            inner = tree[i + 1 : tree.rindex("}")]
            parts, depth2, start = [], 0, 0
            for j, c in enumerate(inner):
                if c == "{":
                    depth2 += 1
                elif c == "}":
                    depth2 -= 1
                elif c == "," and depth2 == 0:
                    parts.append(inner[start:j])
                    start = j + 1
            parts.append(inner[start:])
            out = []
            for p in parts:
                if p.strip():
                    out += expand_use(prefix + p.strip())
            return out
    return [re.sub(r"\s+as\s+\w+$", "", tree).replace(" ", "")]


def references(module, text):
    """Absolute module paths (tuples) that `module`'s text names."""
    found = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        found += expand_use(m.group(1))
    found += re.findall(r"\b((?:crate|super|self)(?:::\w+)+)", text)
    out = []
    for path in found:
        parts = path.split("::")
        if parts[0] == "crate":
            out.append(tuple(parts[1:]))
        elif parts[0] in ("super", "self"):
            base = list(module)
            while parts and parts[0] in ("super", "self"):
                if parts[0] == "super":
                    base = base[:-1]
                parts = parts[1:]
            out.append(tuple(base + parts))
    return out


def cycles(src):
    mods = module_files(src)
    edges = {}
    for module, path in mods.items():
        with open(path, encoding="utf-8") as f:
            text = strip(f.read())
        # Unit tests may reach anywhere: they are not part of the layering.
        text = re.split(r"#\[cfg\(test\)\]\s*mod\s+tests", text)[0]
        for target in references(module, text):
            # Longest prefix that is a module.
            while target and target not in mods:
                target = target[:-1]
            if not target:
                continue
            common = 0
            while common < min(len(module), len(target)) and module[common] == target[common]:
                common += 1
            if common == len(target) or common == len(module):
                continue  # an ancestor, or a descendant of the module itself
            parent = module[:common]
            a, b = module[common], target[common]
            edges.setdefault(parent, {}).setdefault(a, set()).add(b)
    found = []
    for parent, graph in sorted(edges.items()):
        for comp in scc(graph):
            if len(comp) > 1:
                found.append((parent, sorted(comp), graph))
    return found


def scc(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
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
            out.append(comp)

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


DRIVER_CALLS = re.compile(
    r"\.(run_command|run_raw_command|run_cursor_command|run_raw_cursor_command|collection::<"
    r"|list_collections|list_collection_names|list_databases|list_database_names"
    r"|list_indexes|list_index_names|insert_one|insert_many|update_one|update_many|replace_one"
    r"|delete_one|delete_many|find_one|count_documents|find_one_and_\w+|aggregate|drop)\("
)
EXECUTE_PATH = os.path.join("executor", "src", "execute.rs")


def driver_calls(root):
    """Lines outside the execute path that call the driver directly."""
    found = []
    for crate in ("executor/src", "generator/src"):
        for folder, _, files in os.walk(os.path.join(root, crate)):
            for f in files:
                path = os.path.join(folder, f)
                if not f.endswith(".rs") or os.path.relpath(path, root) == EXECUTE_PATH:
                    continue
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
                code = re.split(r"#\[cfg\(test\)\]\s*mod\s+tests", text)[0]
                for n, line in enumerate(code.splitlines(), 1):
                    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line.split("//")[0])
                    if DRIVER_CALLS.search(bare):
                        found.append(f"{os.path.relpath(path, root)}:{n}: {line.strip()}")
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    bad = 0
    for line in driver_calls(root):
        bad += 1
        print(f"driver call outside {EXECUTE_PATH}: {line}")
    for crate in CRATES:
        src = os.path.join(root, crate)
        if not os.path.isdir(src):
            continue
        for parent, comp, graph in cycles(src):
            bad += 1
            where = "::".join((crate.split("/")[0],) + parent)
            print(f"module cycle in {where}: {' <-> '.join(comp)}")
            for a in comp:
                print(f"  {a} -> {', '.join(sorted(b for b in graph.get(a, ()) if b in comp))}")
    if bad:
        sys.exit(1)
    print("one execute path, no module cycles")


if __name__ == "__main__":
    main()
