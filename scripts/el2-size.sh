#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The size of what the series runs at EL2: code lines (not blank, not only
# a comment) of the C files it adds under arch/arm64/kvm/hyp/, plus the C
# lines its diffs add to the hypervisor's existing files (mem_protect.c,
# hyp-main.c, ...). Prints the total and the part of each file; with
# --max N, fails when the total is above N.
#
#   scripts/el2-size.sh [--max N]
set -euo pipefail
. "$(dirname "$0")/common.sh"

max=
[ "${1:-}" = --max ] && max=${2:?--max needs a number}

cd "$top"
python3 - "$max" <<'PY'
import glob, re, sys

def code_lines(text):
    text = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'), text, flags=re.S)
    return sum(1 for l in text.split('\n') if l.strip() and not l.strip().startswith('//'))

parts = []
for f in sorted(glob.glob('arch/arm64/kvm/hyp/**/*.[ch]', recursive=True)):
    parts.append((code_lines(open(f).read()), f))
for d in sorted(glob.glob('series/*/*.diff')):
    added, target = {}, None
    for l in open(d):
        if l.startswith('+++ '):
            target = l[6:].strip()
        elif l.startswith('+') and target and target.startswith('arch/arm64/kvm/hyp/') \
                and target.endswith(('.c', '.h')):
            added.setdefault(target, []).append(l[1:])
    for t, lines in added.items():
        parts.append((code_lines(''.join(lines)), '%s (+%s)' % (d, t)))
total = sum(n for n, _ in parts)
for n, f in parts:
    print('%5d %s' % (n, f))
print('%5d EL2 code lines in all' % total)
if sys.argv[1] and total > int(sys.argv[1]):
    print('el2-size: %d EL2 code lines, over the budget of %s' % (total, sys.argv[1]))
    sys.exit(1)
PY
