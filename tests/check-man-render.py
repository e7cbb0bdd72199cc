#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Renders every man page as man(1) would and checks what a reader sees.

    check-man-render.py PAGE.scd PAGE.roff [PAGE.scd PAGE.roff]...

Fails on any groff warning (-ww), and on a line continuation lost in an
example: every line of a ``` block in the scdoc source that ends in a
backslash must end in one in the rendered page (scdoc 1.11 drops a lone
trailing backslash; the source needs two)."""

import re
import subprocess
import sys

# Wide enough that no example line wraps; plain text, no overstriking.
GROFF = ["groff", "-k", "-ww", "-man", "-Tutf8", "-rLL=250n", "-P-cbou"]


def squeeze(text):
    return " ".join(text.split())


def example_continuations(scd_path):
    """The text (before the backslashes) of each continued example line."""
    lines = []
    in_block = False
    with open(scd_path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.strip().startswith("```"):
                in_block = not in_block
                continue
            if in_block and line.rstrip().endswith("\\"):
                lines.append((number, squeeze(line.rstrip().rstrip("\\"))))
    return lines


def check(scd_path, roff_path):
    problems = []
    result = subprocess.run(GROFF + [roff_path], capture_output=True, text=True, encoding="utf-8")
    if result.returncode != 0:
        problems.append(f"{roff_path}: groff failed ({result.returncode}): {result.stderr.strip()}")
    for warning in result.stderr.splitlines():
        problems.append(f"{roff_path}: {warning}")

    rendered = [squeeze(line) for line in result.stdout.splitlines()]
    continued = example_continuations(scd_path)
    for number, text in continued:
        matches = [line for line in rendered if line.rstrip("\\").rstrip() == text]
        if not matches:
            problems.append(f"{scd_path}:{number}: example line not found in the rendered page: {text}")
        elif not any(re.search(r"\\$", line) for line in matches):
            problems.append(f"{scd_path}:{number}: the rendered line lost its trailing backslash: {text}")
    return problems, len(continued)


def main(argv):
    if len(argv) < 3 or len(argv) % 2 != 1:
        print(__doc__, file=sys.stderr)
        return 2
    problems = []
    for scd_path, roff_path in zip(argv[1::2], argv[2::2]):
        found, count = check(scd_path, roff_path)
        print(f"# {roff_path}: {count} continued example lines", file=sys.stderr)
        problems += found
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
