#!/usr/bin/env python3
"""List production functions and files of the workspace that are too long.

Production code is every `*.rs` under a workspace member's `src/` (the root
package's `src/`, `bpf-asm/src/`, `policy/src/`, `runner/src/`); tests,
benches and fuzz targets are not production code. Within a file, any item
under a `#[cfg(test)]` attribute (usually `mod tests { ... }`) is skipped:
its lines count neither towards a function nor towards the file. The same
holds for `#[cfg(any(test, ...))]` (a test-only feature), and a file whose
`mod` declaration is so gated is skipped whole.

How it measures:
- a function is a `fn` item whose body is a `{ ... }` block; its length is
  the number of lines from the line of `fn` (after its attributes and doc
  comments) to the line of the closing brace, both included. Nested
  functions (closures are not functions) are measured on their own as well
  as inside the outer one.
- a file's length is its number of lines minus the lines of `#[cfg(test)]`
  items (attribute to closing brace or `;`).

Braces are matched on a lexed form of the source: comments, string, raw
string, byte string and char literals are blanked first, so braces inside
them do not count. Lifetimes (`'a`) are told apart from char literals.

Usage: scripts/sizes.py [--fn-limit N] [--file-limit N] [ROOT]
Exit status 0 always (it is a report, not a gate); `--check` makes it 1
when anything is listed.
"""

import argparse
import os
import re
import sys

MEMBERS_SRC = ["src", "bpf-asm/src", "policy/src", "runner/src"]


def blank(src):
    """Return `src` with comments and literals replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(src)

    def keep_newlines(s):
        return "".join("\n" if c == "\n" else " " for c in s)

    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(keep_newlines(src[i:j]))
            i = j
        else:
            m = re.compile(r'b?r(#*)"').match(src, i)
            if m and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
                end = '"' + m.group(1)
                j = src.find(end, m.end())
                j = n if j < 0 else j + len(end)
                out.append(keep_newlines(src[i:j]))
                i = j
                continue
            if c == '"' or (c == "b" and src.startswith('b"', i)
                            and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_"))):
                j = i + (2 if c == "b" else 1)
                while j < n and src[j] != '"':
                    j += 2 if src[j] == "\\" else 1
                j += 1
                out.append(keep_newlines(src[i:j]))
                i = j
            elif c == "'":
                # char literal: 'x', '\n', '\u{..}', or a lifetime 'a
                m = re.compile(r"'(\\u\{[0-9a-fA-F]+\}|\\x[0-9a-fA-F]{2}|\\.|[^\\'])'").match(src, i)
                if m:
                    out.append(" " * (m.end() - i))
                    i = m.end()
                else:
                    out.append(c)
                    i += 1
            else:
                out.append(c)
                i += 1
    return "".join(out)


def match_brace(text, open_pos):
    depth = 0
    for j in range(open_pos, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return len(text) - 1


def item_end(text, pos):
    """End offset of the item starting at `pos`: its matching `}` or its `;`."""
    depth_paren = 0
    for j in range(pos, len(text)):
        ch = text[j]
        if ch in "([":
            depth_paren += 1
        elif ch in ")]":
            depth_paren -= 1
        elif ch == ";" and depth_paren == 0:
            return j
        elif ch == "{" and depth_paren == 0:
            return match_brace(text, j)
    return len(text) - 1


# `#[cfg(test)]`, or `#[cfg(any(test, feature = ...))]`: code only tests
# (or a test-only feature) build.
CFG_TEST = re.compile(r"#\[cfg\(\s*(?:test|any\([^\]]*?\btest\b[^\]]*)\s*\)\]")
MOD_DECL = re.compile(r"\bmod\s+([A-Za-z_][A-Za-z0-9_]*)\s*;")
FN = re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")


def test_spans(text):
    """Offsets [start, end] of items under `#[cfg(test)]`."""
    spans = []
    for m in CFG_TEST.finditer(text):
        if any(s <= m.start() <= e for s, e in spans):
            continue
        j = m.end()
        # skip further attributes and whitespace before the item
        while True:
            while j < len(text) and text[j].isspace():
                j += 1
            if text.startswith("#[", j):
                depth = 0
                while j < len(text):
                    if text[j] == "[":
                        depth += 1
                    elif text[j] == "]":
                        depth -= 1
                        if depth == 0:
                            j += 1
                            break
                    j += 1
            else:
                break
        spans.append((m.start(), item_end(text, j)))
    return spans


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def impl_context(text, pos):
    """Name of the innermost `impl ... {` enclosing `pos`, if any (for display)."""
    best = None
    for m in re.finditer(r"\bimpl\b(?:<[^{]*?>)?\s+([^{]*?)\{", text[:pos]):
        end = match_brace(text, m.end() - 1)
        if end > pos:
            name = re.sub(r"\s+", " ", m.group(1)).strip()
            name = re.sub(r"<.*", "", name.split(" for ")[-1]).strip()
            best = name
    return best


def declared_files(path, text, spans=None):
    """Files of the `mod NAME;` declarations in `path` (only those inside
    `spans` when given)."""
    d, stem = os.path.split(path)
    if stem not in ("mod.rs", "lib.rs", "main.rs"):
        d = os.path.join(d, stem[:-3])
    out = []
    for s, e in spans if spans is not None else [(0, len(text))]:
        for m in MOD_DECL.finditer(text, s, e + 1):
            out.append(os.path.join(d, m.group(1) + ".rs"))
            out.append(os.path.join(d, m.group(1), "mod.rs"))
    return out


def measure(path):
    src = open(path, encoding="utf-8").read()
    text = blank(src)
    spans = test_spans(text)
    total = src.count("\n") + (0 if src.endswith("\n") or not src else 1)
    test_lines = sum(line_of(text, e) - line_of(text, s) + 1 for s, e in spans)
    fns = []
    for m in FN.finditer(text):
        if any(s <= m.start() <= e for s, e in spans):
            continue
        # the body: first `{` at paren depth 0 before any `;`
        depth, j, body = 0, m.end(), None
        while j < len(text):
            ch = text[j]
            if ch in "(<[":
                depth += 1
            elif ch in ")>]":
                # `->` is not a closing angle bracket
                if not (ch == ">" and text[j - 1] == "-"):
                    depth -= 1
            elif ch == ";" and depth <= 0:
                break
            elif ch == "{" and depth <= 0:
                body = j
                break
            j += 1
        if body is None:
            continue
        end = match_brace(text, body)
        length = line_of(text, end) - line_of(text, m.start()) + 1
        ctx = impl_context(text, m.start())
        name = f"{ctx}::{m.group(1)}" if ctx else m.group(1)
        fns.append((length, name, line_of(text, m.start())))
    return total - test_lines, total, fns


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root", nargs="?", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--fn-limit", type=int, default=60)
    ap.add_argument("--file-limit", type=int, default=700)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    root = os.path.normpath(args.root)

    files = []
    for member in MEMBERS_SRC:
        base = os.path.join(root, member)
        for dirpath, _, names in os.walk(base):
            for name in names:
                if name.endswith(".rs"):
                    files.append(os.path.join(dirpath, name))
    files.sort()

    # Files that only tests build: declared by a test-gated `mod x;`, or
    # by such a file (to a fixed point).
    test_only, changed = set(), True
    while changed:
        changed = False
        for f in files:
            text = blank(open(f, encoding="utf-8").read())
            spans = None if f in test_only else test_spans(text)
            for child in declared_files(f, text, spans):
                if child in files and child not in test_only:
                    test_only.add(child)
                    changed = True

    long_fns, long_files = [], []
    for f in files:
        if f in test_only:
            continue
        prod, total, fns = measure(f)
        rel = os.path.relpath(f, root)
        if prod > args.file_limit:
            long_files.append((prod, total, rel))
        for length, name, line in fns:
            if length > args.fn_limit:
                long_fns.append((length, f"{rel}:{line}", name))

    print(f"functions over {args.fn_limit} lines (production code, #[cfg(test)] items skipped): {len(long_fns)}")
    for length, where, name in sorted(long_fns, reverse=True):
        print(f"  {length:5}  {name:40}  {where}")
    print(f"files over {args.file_limit} lines (without #[cfg(test)] items): {len(long_files)}")
    for prod, total, rel in sorted(long_files, reverse=True):
        print(f"  {prod:5}  {rel}  ({total} with tests)")
    if args.check and (long_fns or long_files):
        sys.exit(1)


if __name__ == "__main__":
    main()
