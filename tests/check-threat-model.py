#!/usr/bin/env python3
# Every claim in docs/threat-model.md's "What biogate stops" tables names at
# least one test, and every name is a real meson test of this build, a fuzz
# target or fuzz/run: a renamed or deleted test breaks this check, not the
# document's word.
#   check-threat-model.py DOC SOURCE_ROOT BUILD_ROOT
import json
import re
import subprocess
import sys

doc, source_root, build_root = sys.argv[1:4]
tests = json.loads(subprocess.run(['meson', 'introspect', '--tests', build_root], check=True,
                                  capture_output=True, text=True).stdout)
known = {t['name'] for t in tests}
known.add('fuzz/run')

in_claims = False
rows = 0
errors = []
with open(doc, encoding='utf-8') as f:
    for n, line in enumerate(f, 1):
        if line.startswith('## '):
            in_claims = line.strip() == '## What biogate stops'
            continue
        if not in_claims or not line.startswith('|') or line.startswith('|---') or line.startswith(('| claim', '| finding')):
            continue
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        names = re.findall(r'`([^`]+)`', cells[-1])
        rows += 1
        if not names:
            errors.append(f'{doc}:{n}: a claim without a test')
        for name in names:
            if name in known:
                continue
            if re.fullmatch(r'fuzz-[a-z-]+', name):
                try:
                    open(f'{source_root}/fuzz/{name}.c').close()
                    continue
                except OSError:
                    pass
            errors.append(f'{doc}:{n}: "{name}" is not a test')

if rows < 10:
    errors.append(f'{doc}: only {rows} claims found; did the headings change?')
for e in errors:
    print(e)
print(f'{rows} claims checked, {len(errors)} problems')
sys.exit(1 if errors else 0)
