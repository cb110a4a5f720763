#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The size of what the series runs at EL2: code lines (not blank, not only
# a comment) of the C files it adds under arch/arm64/kvm/hyp/, plus the C
# lines its diffs add to the hypervisor's existing files (mem_protect.c,
# hyp-main.c, ...). Lines inside #ifdef CONFIG_ARM_SMMU_V3_PKVM_TEST, and
# the statements under if (IS_ENABLED(CONFIG_ARM_SMMU_V3_PKVM_TEST) ...),
# are the test build's fault injection, which a user's kernel does not
# hold (the compiler drops the second): they are counted apart. Prints the part of each file and the totals; with
# --max N, fails when the EL2 of a user's kernel is above N lines.
#
#   scripts/el2-size.sh [--max N]
set -euo pipefail
. "$(dirname "$0")/common.sh"

max=
[ "${1:-}" = --max ] && max=${2:?--max needs a number}

cd "$top"
python3 - "$max" <<'PY'
import glob, re, sys

TEST_ONLY = '#ifdef CONFIG_ARM_SMMU_V3_PKVM_TEST'
TEST_IF = 'if (IS_ENABLED(CONFIG_ARM_SMMU_V3_PKVM_TEST)'

def code_lines(text):
    """(lines of every build, lines of test builds only)"""
    text = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'), text, flags=re.S)
    n, test, depth = [0, 0], None, 0
    test_if, braces = False, 0
    for l in text.split('\n'):
        l = l.strip()
        if not l or l.startswith('//'):
            continue
        # An if whose condition starts with the test option: to its ';' or its '}'
        if not test_if and l.startswith(TEST_IF):
            test_if, braces, opened = True, 0, False
        if test_if:
            n[1] += 1
            braces += l.count('{') - l.count('}')
            opened = opened or '{' in l
            if (opened and braces == 0) or (not opened and l.endswith(';')):
                test_if = False
            continue
        if test is None and l == TEST_ONLY:
            test, depth = True, 0
        elif test is not None and l.startswith('#if'):
            depth += 1
        elif test is not None and depth == 0 and l == '#else':
            test = False
        elif test is not None and l.startswith('#endif'):
            if depth == 0:
                test = None
                n[1] += 1
                continue
            depth -= 1
        n[1 if test else 0] += 1
    return n

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
total = sum(n[0] for n, _ in parts)
test = sum(n[1] for n, _ in parts)
for n, f in parts:
    print('%5d %s%s' % (n[0], f, ' (and %d in test builds)' % n[1] if n[1] else ''))
print('%5d EL2 code lines in all, and %d more in test builds' % (total, test))
if sys.argv[1] and total > int(sys.argv[1]):
    print('el2-size: %d EL2 code lines, over the budget of %s' % (total, sys.argv[1]))
    sys.exit(1)
PY
