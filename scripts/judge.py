#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a bench guest's serial console.

  judge.py check LOG --rc RC --timeout S --label L [--expect-mode hVHE|nVHE]
                   [--expect-stage 1|2] [--results F]
  judge.py run   LOG --rc RC --timeout S --label L [--expect-mode ...]
  judge.py bench LOG --rc RC --timeout S --label L --rows F [--expect-io]
  judge.py calls LOG --rc RC --timeout S --label L --trace T --rows F
  judge.py hyp-panic LOG --rc RC --timeout S --label L

A run fails on a hypervisor panic, a kernel panic, oops, BUG or WARN, a
lockdep report, a QEMU timeout or crash, a guest that never reached its
end, a missing or short TAP plan, and any failed or skipped test. The reason is printed with
the console lines that show it.
"""
import argparse
import re
import sys

# (what happened, pattern) in the order they are reported.
FATAL = [
    ("hypervisor panic", re.compile(
        r"nVHE hyp (panic|BUG) at|HYP panic:|Invalid host exception to nVHE hyp")),
    ("kernel panic", re.compile(r"Kernel panic - not syncing")),
    ("kernel oops", re.compile(r"Internal error: |Unable to handle kernel ")),
    ("kernel BUG", re.compile(r"kernel BUG at |\bBUG: ")),
    ("lockdep report", re.compile(
        r"WARNING: (possible (circular|recursive|irq lock)|inconsistent lock state|"
        r"bad unlock balance|suspicious RCU usage|lock held when|held lock freed|"
        r"Nested lock was not taken|\S+-safe -> \S+-unsafe lock order)")),
    ("kernel WARN", re.compile(r"WARNING: CPU: \d+ PID: ")),
]
DONE = "bench: done"
TAP_RESULT = re.compile(
    r"^((?:# )*)(ok|not ok) (\d+) ?(?:- )?(.*?)(?: +# *(SKIP|TODO)\b ?(.*))?\s*$")
TAP_PLAN = re.compile(r"^((?:# )*)1\.\.(\d+)\s*$")
SUITE = re.compile(r"^# selftests: (\S+): (\S+)\s*$")
CONSOLE_PREFIX = re.compile(r"^\[ *\d+\.\d+\] ")


class Verdict:
    def __init__(self, label):
        self.label = label
        self.problems = []  # (what, line index or None)
        self.passed = []
        self.failed = []

    def problem(self, what, where=None):
        self.problems.append((what, where))

    def ok(self):
        return not self.problems and not self.failed


def read_log(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return [l.rstrip("\r") for l in text.split("\n")]


def show(lines, where, before=8, after=24):
    lo, hi = max(0, where - before), min(len(lines), where + after)
    for i in range(lo, hi):
        print("    | " + lines[i])


def check_console(lines, v, rc, timeout):
    for what, pat in FATAL:
        for i, l in enumerate(lines):
            if pat.search(l):
                v.problem(what, i)
                break
    if rc == 124:
        v.problem("QEMU did not finish within %s s (timeout); the guest hung "
                  "or ran too slowly" % timeout, max(0, len(lines) - 1))
    elif rc != 0:
        v.problem("QEMU exited with status %d" % rc, max(0, len(lines) - 1))
    if not any(l.startswith(DONE) for l in lines):
        v.problem("the guest never reached its end ('%s' missing)" % DONE,
                  max(0, len(lines) - 1))


def check_mode(lines, v, expect):
    if not expect:
        return
    want = "Protected %s mode initialized successfully" % expect
    if not any(want in l for l in lines):
        v.problem("pKVM did not report '%s'" % want, None)


def check_stage(lines, v, stage):
    """Every SMMU the pKVM driver took translates with the expected stage."""
    if not stage:
        return
    owned = [i for i, l in enumerate(lines) if "owned by the hypervisor as IOMMU" in l]
    want = "stage-%s translation" % stage
    if not owned:
        v.problem("no SMMU was taken by the hypervisor", None)
    for i in owned:
        if want not in lines[i]:
            v.problem("an SMMU does not use %s" % want, i)


def check_pa_bits(lines, v, bits):
    """KVM's IPA limit, the CPU's physical address range that the host
    stage-2 covers, is the one the boot is meant to try."""
    if not bits:
        return
    got = [l for l in lines if "IPA Size Limit:" in l]
    if not got or ("IPA Size Limit: %s bits" % bits) not in got[0]:
        v.problem("the CPU's physical address range is not %s bits: %s" %
                  (bits, got[0].strip() if got else "KVM printed none"), None)


def parse_tap(lines, v, depth_of_tests):
    """Collect results. depth_of_tests is the nesting level whose plan
    must be present; deeper (subtest) results are named after their suite."""
    plans = {}
    top = []
    suite = None
    sub = {}
    for i, l in enumerate(lines):
        m = SUITE.match(l)
        if m:
            suite = "%s:%s" % (m.group(1), m.group(2))
            continue
        m = TAP_PLAN.match(l)
        if m:
            depth = len(m.group(1)) // 2
            plans.setdefault(depth, int(m.group(2)))
            continue
        m = TAP_RESULT.match(l)
        if not m:
            continue
        depth = len(m.group(1)) // 2
        status = m.group(2)
        name = m.group(4).strip()
        directive = m.group(5)
        res = ("skip" if directive == "SKIP" else
               "pass" if status == "ok" else "fail")
        if depth == depth_of_tests:
            top.append((name, res, i, m.group(6)))
            suite = None
        elif depth == depth_of_tests + 1:
            key = suite or "?"
            sub.setdefault(key, []).append((name, res, i, m.group(6)))
    if depth_of_tests not in plans:
        v.problem("no TAP plan (1..N) on the console", None)
    elif len(top) != plans[depth_of_tests]:
        v.problem("TAP plan announced %d tests, %d reported"
                  % (plans[depth_of_tests], len(top)), None)
    return top, sub


def record(v, top, sub, suite_names, allow_skip=()):
    """allow_skip: names of tests that may skip, for what the platform lacks."""
    for idx, (name, res, i, why) in enumerate(top):
        key = suite_names(name)
        results = sub.get(key) if key else None
        if not results:
            results = [(name, res, i, why)]
        elif res != "pass" and all(r[1] == "pass" for r in results):
            # The program failed beyond its subtests (crash, timeout).
            results = results + [(name, res, i, why)]
        for n, r, j, w in results:
            full = "%s %s" % (key or "", n) if key and n != name else n
            if r == "skip" and any(a in full for a in allow_skip):
                print("skip [%s] %s (allowed here: %s)" % (v.label, full, w or "no reason"))
            elif r == "pass":
                v.passed.append(full)
            else:
                v.failed.append(full)
                v.problem("%s: %s%s" % ("skipped" if r == "skip" else "failed",
                                        full, " (%s)" % w if w else ""), j)


def kselftest_name(name):
    m = re.match(r"selftests: (\S+): (\S+)", name)
    return "%s:%s" % (m.group(1), m.group(2)) if m else None


def report(v, lines):
    """The first problem is the cause: show its console lines. The others
    are usually its consequences: name them only."""
    shown = False
    for what, where in v.problems:
        print("FAIL [%s] %s" % (v.label, what))
        if where is not None and not shown:
            show(lines, where)
            shown = True


def cmd_check(a, lines, v):
    check_mode(lines, v, a.expect_mode)
    check_stage(lines, v, getattr(a, "expect_stage", None))
    check_pa_bits(lines, v, a.expect_pa_bits)
    top, sub = parse_tap(lines, v, 0)
    record(v, top, sub, kselftest_name, a.allow_skip or ())
    for n in v.passed:
        print("ok   [%s] %s" % (v.label, n))
    if a.results:
        with open(a.results, "w") as f:
            f.write("%d %d\n" % (len(v.passed), len(v.failed) + (
                1 if v.problems and not v.failed else 0)))


def cmd_run(a, lines, v):
    check_mode(lines, v, a.expect_mode)
    # The report is printed before and after the demo: show the last one.
    start = max([i for i, l in enumerate(lines) if l.startswith("bench: smmu ")] or [0])
    first = min([i for i, l in enumerate(lines) if l.startswith("bench: smmu ")] or [0])
    smmus = [l.split()[2:] for l in lines[start:] if l.startswith("bench: smmu ")]
    pcis = [l.split()[2:] for l in lines[start:] if l.startswith("bench: pci ")]
    stats = dict((l.split()[2], int(l.split()[3])) for l in lines[start:]
                 if l.startswith("bench: stat "))
    before = dict((l.split()[2], int(l.split()[3])) for l in lines[first:start]
                  if l.startswith("bench: stat "))
    if not smmus:
        v.problem("no SMMU in the guest", None)
    for s in smmus:
        print("  SMMU %-22s driver %s" % (s[0], s[1].split("=", 1)[1]))
        if s[1] == "driver=none":
            v.problem("SMMU %s has no driver" % s[0], None)
        elif a.smmu_driver and s[1] != "driver=" + a.smmu_driver:
            v.problem("SMMU %s is owned by %s, not %s"
                      % (s[0], s[1].split("=", 1)[1], a.smmu_driver), None)
    if stats:
        print("  pKVM %d domains, %d attached streams, %d pages mapped now; "
              "%d pages donated, %d reclaimed; %d map and %d unmap hypercalls "
              "during the demo" % (
                  stats["domains"], stats["attached_streams"],
                  stats["mapped_pages"], stats["pages_donated"],
                  stats["pages_reclaimed"],
                  stats["hypercalls_map_pages"] - before.get("hypercalls_map_pages", 0),
                  stats["hypercalls_unmap_pages"] - before.get("hypercalls_unmap_pages", 0)))
    for p in pcis:
        f = dict(kv.split("=", 1) for kv in p[1:])
        if f["group"] != "none":
            group = "iommu group %s" % f["group"]
        elif f["driver"] == "none":
            group = "no iommu group (no driver, no DMA)"
        else:
            group = "NO IOMMU GROUP"
            v.problem("PCI device %s (driver %s) has no IOMMU group"
                      % (p[0], f["driver"]), None)
        print("  PCI  %s  %s:%s  driver %-12s %s" % (
            p[0], f["vendor"][2:], f["device"][2:], f["driver"], group))
    top, sub = parse_tap(lines, v, 0)
    record(v, top, sub, lambda n: None)
    total = 0
    for l in lines:
        m = re.search(r"# (\S+): verified (\d+) bytes \((\d+) written\)", l)
        if m:
            total += int(m.group(2))
            print("  DMA  %-10s %7.1f MiB written, %7.1f MiB read and verified"
                  % (m.group(1), int(m.group(3)) / 2**20, int(m.group(2)) / 2**20))
    if len(top) < 2:
        v.problem("the DMA demo did not run on both disks", None)
    print("  DMA  total %.1f MiB verified" % (total / 2**20))


def cmd_bench(a, lines, v):
    rows = []
    cur = None
    null_us = null_all_us = null_busy_us = cas = None
    ios = []
    for i, l in enumerate(lines):
        m = re.match(r"bench: row granule=(\d+) threads=(\d+)", l)
        if m:
            cur = [int(m.group(1)), int(m.group(2)), None, None]
            rows.append(cur)
            continue
        m = re.match(r"average (map|unmap) latency\(us\):\s*([\d.]+)", l)
        if m and cur:
            cur[2 if m.group(1) == "map" else 3] = float(m.group(2))
        m = re.match(r"bench: casrate store_ns=([\d.]+) cas_ns=([\d.]+)", l)
        if m:
            cas = (float(m.group(1)), float(m.group(2)))
        m = re.match(r"bench: null_hypercall ns=(\d+)(?: all_cpus_ns=(\d+))?", l)
        if m:
            null_us = int(m.group(1)) / 1000.0
            null_all_us = int(m.group(2)) / 1000.0 if m.group(2) else null_us
        m = re.match(r"bench: null_hypercall_busy ns=(\d+)", l)
        if m:
            null_busy_us = int(m.group(1)) / 1000.0
        m = re.match(r"bench: io (rand|seq) block=(\d+) threads=(\d+) "
                     r"iorate ops=(\d+) bytes=(\d+) us=(\d+) irqs=(\d+)"
                     r"(?: map_hypercalls=(\d+))?", l)
        if m:
            us, ops = int(m.group(6)), int(m.group(4))
            if not us or not ops:
                v.problem("the %s reads made no progress" % m.group(1), i)
            else:
                ios.append((m.group(1), ops * 1e6 / us, int(m.group(5)) / us,
                            int(m.group(7)) / ops,
                            int(m.group(8)) / ops if m.group(8) else None))
        if l.startswith("bench: error"):
            v.problem(l[len("bench: "):], i)
    if not rows or any(r[2] is None or r[3] is None for r in rows):
        v.problem("dma_map_benchmark did not report every row", None)
    if a.expect_io and not ios:
        v.problem("the NVMe reads did not report", None)
    with open(a.rows, "w") as f:
        for r in rows:
            f.write("%d %d %s %s\n" % tuple(r))
        for kind, iops, mbps, irqs, maps in ios:
            f.write("io %s %.1f %.2f %.2f %s\n" % (kind, iops, mbps, irqs,
                                                  "-" if maps is None else "%.2f" % maps))
        if null_us is not None:
            f.write("null hypercall %.3f %.3f\n" % (null_us, null_all_us))
        if null_busy_us is not None:
            f.write("null_busy hypercall %.3f\n" % null_busy_us)
        if cas is not None:
            f.write("cas %.2f %.2f\n" % cas)


CALL_MARK = re.compile(r"pkvm-smmu-dma: calls of (\d+) pages: "
                       r"(maps start|maps end, unmaps start|unmaps end)")


def cmd_calls(a, lines, v):
    """What one map and one unmap cost: the hypercalls the guest counted,
    and the SMMU register accesses of QEMU's trace between the console
    lines that mark each run. The trace has the console too, one pl011
    data register write per character, in order with the accesses."""
    runs = {}
    for i, l in enumerate(lines):
        m = re.match(r"bench: calls pages=(\d+) calls=(\d+) map_hypercalls=(\d+) "
                     r"unmap_hypercalls=(\d+)", l)
        if m:
            runs[int(m.group(1))] = [int(g) for g in m.groups()[1:]] + [0, 0]
        if l.startswith("bench: error"):
            v.problem(l[len("bench: "):], i)
    if not runs:
        v.problem("the guest did not report the calls", None)
        return
    phase, text, ended = None, [], set()
    try:
        trace = open(a.trace, errors="replace")
    except OSError as e:
        v.problem("no trace of the SMMU registers: %s" % e, None)
        return
    for l in trace:
        m = re.match(r"pl011_write addr 0x0*0 value 0x([0-9a-f]+)", l)
        if m:
            c = chr(int(m.group(1), 16) & 0xff)
            if c != "\n":
                text.append(c)
                continue
            m = CALL_MARK.search("".join(text))
            text = []
            if m:
                n = int(m.group(1))
                phase = None if m.group(2) == "unmaps end" else \
                    (n, 3 if m.group(2) == "maps start" else 4)
                if not phase:
                    ended.add(n)
            continue
        if phase and phase[0] in runs and re.match(r"smmuv3_(read|write)_mmio ", l):
            runs[phase[0]][phase[1]] += 1
    with open(a.rows, "w") as f:
        for n in sorted(runs):
            calls, maps, unmaps, map_mmio, unmap_mmio = runs[n]
            # Without its marks in the trace, a run's accesses were not counted.
            if n not in ended:
                v.problem("the trace does not show the calls of %d pages end" % n, None)
            f.write("calls %d %.2f %.2f %.2f %.2f\n" % (
                n, maps / calls, unmaps / calls, map_mmio / calls, unmap_mmio / calls))


def cmd_hyp_panic(a, lines, v):
    """The host touched hypervisor-owned MMIO, from the kernel or from user
    space through /dev/mem: the only right outcome is a hypervisor panic at
    the host's stage-2 fault, before any data is read, on the console."""
    start = next((i for i, l in enumerate(lines)
                  if "pkvm-smmu-test: reading the SMMU" in l or
                  "user space reads the SMMU registers" in l), None)
    if start is None:
        v.problem("the guest never tried to read the SMMU registers", None)
        return
    who = "user space's" if "user space" in lines[start] else "the host's"
    leak = next((i for i, l in enumerate(lines) if "is NOT protected" in l or
                 "read the SMMU registers and lived" in l), None)
    if leak is not None:
        v.problem("the host read the SMMU registers", leak)
    hyp = next((i for i, l in enumerate(lines[start:], start)
                if FATAL[0][1].search(l)), None)
    if hyp is None:
        v.problem("no hypervisor panic after the host read the SMMU registers",
                  len(lines) - 1)
    # Test kernels name the file and line; kernels without the hypervisor's
    # debug options, the function.
    elif not any("mem_protect.c" in l or "handle_host_mem_abort" in l
                 for l in lines[hyp:hyp + 40]):
        v.problem("the hypervisor panicked, but not at the host's stage-2 fault",
                  hyp)
    else:
        print("ok   [%s] %s read of the SMMU registers ended in a "
              "hypervisor panic: %s" % (v.label, who, lines[hyp].strip()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["check", "run", "bench", "calls", "hyp-panic"])
    ap.add_argument("log")
    ap.add_argument("--rc", type=int, default=0)
    ap.add_argument("--timeout", default="?")
    ap.add_argument("--label", default="guest")
    ap.add_argument("--expect-mode", choices=["hVHE", "nVHE"])
    ap.add_argument("--expect-stage", choices=["1", "2"])
    ap.add_argument("--expect-pa-bits", help="check: the CPU's physical address bits")
    ap.add_argument("--results")
    ap.add_argument("--allow-skip", action="append", metavar="NAME",
                    help="check: a test whose name contains NAME may skip")
    ap.add_argument("--rows")
    ap.add_argument("--trace", help="calls: QEMU's trace of the SMMU and the console")
    ap.add_argument("--expect-io", action="store_true",
                    help="bench: the NVMe read rates must be reported")
    ap.add_argument("--smmu-driver", help="run: the driver that must own every SMMU")
    a = ap.parse_args()

    lines = read_log(a.log)
    v = Verdict(a.label)
    if a.mode == "hyp-panic":
        cmd_hyp_panic(a, lines, v)
    else:
        check_console(lines, v, a.rc, a.timeout)
        {"check": cmd_check, "run": cmd_run, "bench": cmd_bench,
         "calls": cmd_calls}[a.mode](a, lines, v)
    report(v, lines)
    if not v.ok():
        print("FAIL [%s] %s; the whole console log is in %s"
              % (a.label, v.problems[0][0], a.log))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
