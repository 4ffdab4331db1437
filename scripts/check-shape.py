#!/usr/bin/env python3
"""The shim core's shape limits (issue 19), a static check in `make lint`: no Swift file over 400 lines and no
function, initializer or subscript over 60 lines, under the directories given (default Sources/Shim).

Functions are found by their declaration line and measured to the matching closing brace (braces in string
literals are not special-cased; the shim's sources have none that would unbalance a body).
"""
import os
import re
import sys

MAX_FILE, MAX_FUNCTION = 400, 60
DECLARATION = re.compile(
    r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*"
    r"(?:(?:public|private|fileprivate|internal|package|static|final|override|mutating|nonisolated|convenience"
    r"|required|class)\s+)*(?:func|init|deinit|subscript)\b")


def problems(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    if len(lines) - 1 > MAX_FILE:
        yield f"{path}: {len(lines) - 1} lines (limit {MAX_FILE})"
    for start, line in enumerate(lines):
        if not DECLARATION.match(line):
            continue
        depth, opened, end = 0, False, start
        while end < len(lines):
            depth += lines[end].count("{") - lines[end].count("}")
            opened = opened or "{" in lines[end]
            if opened and depth <= 0:
                break
            end += 1
        if end - start + 1 > MAX_FUNCTION:
            yield f"{path}:{start + 1}: {end - start + 1} lines (limit {MAX_FUNCTION}): {line.strip()[:80]}"


def main(roots):
    found = [p for root in roots for directory, _, files in os.walk(root) for name in sorted(files)
             if name.endswith(".swift") for p in problems(os.path.join(directory, name))]
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["Sources/Shim"]))
