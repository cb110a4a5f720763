#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Charge the counts of insn-count.so to the functions of a vmlinux.

  symbolize.py VMLINUX SHORT LONG [--per SYMBOL] [--top N]

SHORT and LONG are the counts of two boots that differ only in how long
the benchmark runs: their difference is what the extra seconds of
benchmark executed, without the boot. Each function's share is divided by
the number of times the first instruction of --per SYMBOL ran in that
difference (default: the map hypercall's handler), so the table reads "
instructions per call". Hypervisor addresses are those of its own address
space: the offset to the vmlinux symbols is found from the vector the
host's hypercalls enter (__kvm_hyp_host_vector + 0x400, the busiest address
with its offset in a page), as the hypervisor's code is mapped linearly.
"""
import argparse
import bisect
import collections
import subprocess
import sys

HOST_VECTOR = "__kvm_nvhe___kvm_hyp_host_vector"


def load_counts(path):
    counts = {}
    with open(path) as f:
        for line in f:
            a, c = line.split()
            counts[int(a, 16)] = int(c)
    return counts


def load_symbols(vmlinux):
    out = subprocess.run(["nm", "-n", vmlinux], check=True, capture_output=True,
                         text=True).stdout
    addrs, names = [], []
    for line in out.splitlines():
        w = line.split()
        if len(w) == 3 and w[1] in "tTwW":
            addrs.append(int(w[0], 16))
            names.append(w[2])
    return addrs, names


def hyp_offset(counts, addrs, names):
    kernel_base = min(a for a in addrs if a)
    vector = addrs[names.index(HOST_VECTOR)]
    # The mapping keeps offsets within a page.
    entries = [(c, a) for a, c in counts.items()
               if a < kernel_base and (a & 0xfff) == ((vector + 0x400) & 0xfff)]
    if not entries:
        sys.exit("symbolize: no hypervisor vector entry was executed")
    hot = max(entries)[1]
    return vector - (hot - 0x400)


def per_function(counts, addrs, names, offset):
    kernel_base = min(a for a in addrs if a)
    funcs = collections.Counter()
    for a, c in counts.items():
        v = a if a >= kernel_base else a + offset
        i = bisect.bisect_right(addrs, v) - 1
        if i < 0 or (a < kernel_base and not names[i].startswith("__kvm_nvhe_")):
            funcs["[user or unknown]"] += c
            continue
        funcs[names[i]] += c
    return funcs


def main():
    p = argparse.ArgumentParser()
    p.add_argument("vmlinux")
    p.add_argument("short")
    p.add_argument("long")
    p.add_argument("--per", default="__kvm_nvhe_handle___pkvm_host_iommu_map_pages")
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--annotate", metavar="SYMBOL",
                   help="also print SYMBOL's instructions with their executions per call")
    args = p.parse_args()

    addrs, names = load_symbols(args.vmlinux)
    short, long_ = load_counts(args.short), load_counts(args.long)
    offset = hyp_offset(long_, addrs, names)
    fs = per_function(short, addrs, names, offset)
    fl = per_function(long_, addrs, names, offset)
    if args.per not in names:
        sys.exit(f"symbolize: no symbol {args.per} in {args.vmlinux}")
    entry = addrs[names.index(args.per)]
    kernel_base = min(a for a in addrs if a)
    if entry < kernel_base or args.per.startswith("__kvm_nvhe_"):
        entry -= offset
    calls = long_.get(entry, 0) - short.get(entry, 0)
    if calls <= 0:
        sys.exit(f"symbolize: {args.per} did not run more in the longer boot")
    diff = {k: fl[k] - fs.get(k, 0) for k in fl}
    total = sum(v for v in diff.values() if v > 0)
    print(f"{calls} calls of {args.per}; {total / calls:.1f} instructions per call in all")
    print(f"{'per call':>9} {'share':>6}  function (EL2 ones prefixed __kvm_nvhe_)")
    for k, v in sorted(diff.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f"{v / calls:9.1f} {100 * v / total:5.1f}%  {k}")
    if args.annotate:
        annotate(args, addrs, names, offset, short, long_, calls)


def annotate(args, addrs, names, offset, short, long_, calls):
    if args.annotate not in names:
        sys.exit(f"symbolize: no symbol {args.annotate} in {args.vmlinux}")
    i = names.index(args.annotate)
    start = addrs[i]
    stop = next(a for a in addrs[i + 1:] if a > start)
    shift = offset if args.annotate.startswith("__kvm_nvhe_") else 0
    dis = subprocess.run(["aarch64-linux-gnu-objdump", "-d", "--no-show-raw-insn",
                          f"--start-address={start:#x}", f"--stop-address={stop:#x}",
                          args.vmlinux], check=True, capture_output=True,
                         text=True).stdout
    for line in dis.splitlines():
        w = line.split(":", 1)
        try:
            a = int(w[0].strip(), 16)
        except ValueError:
            continue
        n = long_.get(a - shift, 0) - short.get(a - shift, 0)
        print(f"{n / calls:7.2f} {line.strip()}")


if __name__ == "__main__":
    main()
