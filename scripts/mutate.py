#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make mutate: are the userspace suites as strict as the code they guard?

Each mutation of unittests/mutations.txt is one realistic bug in the
hypervisor's IOMMU code or its ownership transitions. It is applied alone
to a scratch copy of the sources (for a base file the series edits, to
the file as the series leaves it), and the suites that build that file
run against it, fastest first: the IOMMU core suite, io-pgtable, SMMUv3,
the fuzzer's corpus, a short fuzz run, the host stage-2 suite, and for
races and memory orders the ThreadSanitizer builds (the IOMMU core's
races, the io-pgtable's, the SMMUv3 driver with its fakes on a thread of
their own). A race in the IOMMU core or the io-pgtable counts as caught
only when each of the seeded schedules of its races (RACE_SEEDS) fails,
not by a run whose threads the host schedules. The first that
fails catches the mutation. Prints one line per mutation and ends with
"N caught, M missed"; fails when any was missed.

  scripts/mutate.py            every mutation
  scripts/mutate.py --fast     those marked fast (make check)
  scripts/mutate.py NAME...    the named ones
"""
import os
import re
import shutil
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
LINUX = os.environ.get("LINUX", os.path.join(BUILD, "linux"))
SCRATCH = os.path.join(BUILD, "mutate")
TREE = os.path.join(SCRATCH, "tree")
FUZZ_SECONDS = int(os.environ.get("MUTATE_FUZZ_SECONDS", "15"))
TIMEOUT = 240

HYP = "arch/arm64/kvm/hyp/nvhe/iommu/"
# Which suites build which hypervisor file.
SUITES = [
    ("iommu-core", {"iommu.c", "io-pgtable.c", "memory.c", "idmap.c", "host_dma.c"}),
    ("io-pgtable", {"io-pgtable.c"}),
    ("smmu-v3", {"arm-smmu-v3.c", "iommu.c", "io-pgtable.c", "memory.c", "idmap.c", "host_dma.c"}),
    ("fuzz-replay", {"iommu.c", "io-pgtable.c", "memory.c", "idmap.c", "host_dma.c"}),
    ("fuzz", {"iommu.c", "io-pgtable.c", "memory.c", "idmap.c", "host_dma.c"}),
    ("seeded-races", {"iommu.c", "io-pgtable.c", "memory.c", "idmap.c", "host_dma.c"}),
    ("iopt-races", {"io-pgtable.c"}),
    ("tsan-races", {"iommu.c", "io-pgtable.c", "memory.c", "idmap.c", "host_dma.c"}),
    ("host-stage2", {"mem_protect.c", "ffa.c", "host_dma.c"}),
    ("tsan-smmu", {"arm-smmu-v3.c", "iommu.c", "io-pgtable.c", "memory.c", "idmap.c",
                   "host_dma.c"}),
]
# Suites that see only races and memory orders: run for those classes only.
ORDER_SUITES = {"seeded-races", "iopt-races", "tsan-races", "tsan-smmu"}
ORDER_CLASSES = {"race", "memory order"}
# A race is caught only when every one of these schedules fails.
RACE_SEEDS = (1, 2, 3)
# Base files the series edits: the suites build them as the series leaves
# them (scripts/series.sh show), so a mutation of one is written where the
# suite generates them.
SERIES_SHOW = os.path.join(TOP, "scripts", "series.sh") + " show"
mutant = None  # (path in the tree, text) of a mutated base file


class BuildError(Exception):
    """A mutation that does not compile tests nothing: the list is wrong."""


def die(msg):
    print("mutate: " + msg, file=sys.stderr)
    sys.exit(1)


def parse(path):
    """Blocks of '=== name [fast]', 'file:', 'class:', '@@ find', '@@ replace'."""
    muts, cur, part = [], None, None
    for line in open(path).read().split("\n"):
        if line.startswith("=== "):
            words = line[4:].split()
            cur = {"name": words[0], "fast": "fast" in words[1:], "find": [],
                   "replace": [], "file": None, "class": ""}
            muts.append(cur)
            part = None
        elif cur is None or (part is None and (not line or line.startswith("#"))):
            continue
        elif part is None and line.startswith("file: "):
            cur["file"] = line[6:].strip()
        elif part is None and line.startswith("class: "):
            cur["class"] = line[7:].strip()
        elif line == "@@ find":
            part = "find"
        elif line == "@@ replace":
            part = "replace"
        elif part:
            cur[part].append(line)
    for m in muts:
        for part in ("find", "replace"):
            while m[part] and not m[part][-1]:
                m[part].pop()
            m[part] = "\n".join(m[part])
        if not m["file"] or not m["find"]:
            die("mutation %s has no file or no text to find" % m["name"])
    return muts


def copy_tree():
    if os.path.isdir(TREE):
        shutil.rmtree(TREE)
    for d in ("arch", "include", "unittests"):
        shutil.copytree(os.path.join(TOP, d), os.path.join(TREE, d))


def source(path):
    """A file of the tree, or a base file as the series leaves it."""
    if os.path.exists(os.path.join(TREE, path)):
        return open(os.path.join(TREE, path)).read()
    p = subprocess.run(SERIES_SHOW.split() + [path], cwd=TOP, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    if p.returncode:
        die("%s is neither in the tree nor a base file: %s" % (path, p.stderr.strip()[-200:]))
    return p.stdout


def run(cmd, cwd, timeout=TIMEOUT):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout,
                           universal_newlines=True, errors="replace")
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        return -1, out + "\n# timed out after %ds\n" % timeout


# What the suites print of a run that went well: never the reason for a failure.
INFO = r"^# (\d+ racing calls|races[:( ]|\d+ unmaps on)"


def detail(out):
    """What the failing suite said first: a violation, a sanitizer, a test."""
    pats = [r"^# .*", r"^.*fatal at EL2.*", r"^SUMMARY: .*", r"^.*runtime error: .*",
            r"^WARNING: ThreadSanitizer: .*", r"^not ok .*", r"^.*error: .*"]
    for pat in pats:
        for line in out.split("\n"):
            if re.match(pat, line) and not re.match(INFO, line):
                return line.strip()[:150]
    return out.strip().split("\n")[-1][:150] if out.strip() else "no output"


def suite(name, tag):
    """Build and run one suite on the scratch tree: (failed, what it said)."""
    out_dir = os.path.join(SCRATCH, "out", tag)
    env = ["LINUX=" + LINUX]
    ut = os.path.join(TREE, "unittests")
    if name in ("seeded-races", "iopt-races"):
        # Each seed is one schedule, the same at every run: the ASan build
        # checks the invariants, the ThreadSanitizer build the orders.
        sub = "iommu-core" if name == "seeded-races" else "io-pgtable"
        test = "test_" + sub.replace("-", "_")
        d = os.path.join(out_dir, sub)
        make = ["make", "-s", "-C", os.path.join(ut, sub), "OUT=" + d] + env
        rc, out = run(make + [os.path.join(d, test), os.path.join(d, test + "_tsan")], ut)
        if rc:
            raise BuildError(out)
        failed, said = [], ""
        for seed in RACE_SEEDS:
            fails = False
            for binary in (test, test + "_tsan"):
                rc, out = run([os.path.join(d, binary), "--races-seed", str(seed)], ut)
                if rc:
                    fails, said = True, said or out
                    break
            failed.append(fails)
        if any(failed) and not all(failed):
            said = "only %d of %d seeds failed" % (sum(failed), len(failed))
            print("  %s: %s" % (name, said))
        return all(failed), said
    if name == "tsan-smmu":
        make = ["make", "-s", "-C", os.path.join(ut, "smmu-v3"),
                "OUT=" + os.path.join(out_dir, "smmu-v3")] + env
        rc, out = run(make + [os.path.join(out_dir, "smmu-v3", "test_smmu_v3_tsan")], ut)
        if rc:
            raise BuildError(out)
        rc, out = run(make + ["tsan"], ut)
        return rc != 0, out
    if name in ("iommu-core", "io-pgtable", "smmu-v3"):
        make = ["make", "-s", "-C", os.path.join(ut, name), "OUT=" + os.path.join(out_dir, name)]
        binary = os.path.join(out_dir, name, "test_" + name.replace("-", "_"))
        rc, out = run(make + env + [binary], ut)
        if rc:
            raise BuildError(out)
        # The ThreadSanitizer builds are suites of their own.
        rc, out = run(make + env + (["run"] if name != "iommu-core" else []), ut)
        return rc != 0, out
    if name == "host-stage2":
        make = ["make", "-s", "-C", os.path.join(ut, name), "OUT=" + os.path.join(out_dir, name),
                "SERIES_TOP=" + TOP]
        src = None
        if mutant:
            src = os.path.join(out_dir, name, "src", mutant[0])
            rc, out = run(make + env + [src], ut)
            if rc:
                raise BuildError(out)
            open(src, "w").write(mutant[1])
        try:
            rc, out = run(make + env + ["build"], ut)
            if rc:
                raise BuildError(out)
            rc, out = run(make + env, ut)
        finally:
            if src:
                os.remove(src)
        return rc != 0, out
    fuzz = os.path.join(out_dir, "iommu-core", "fuzz_hypercalls")
    if name.startswith("fuzz"):
        rc, out = run(["make", "-s", "-C", os.path.join(ut, "iommu-core"), "fuzz-build",
                       "OUT=" + os.path.join(out_dir, "iommu-core")] + env, ut)
        if rc:
            raise BuildError(out)
        corpus = os.path.join(ut, "iommu-core", "fuzz", "corpus")
        if name == "fuzz-replay":
            rc, out = run([fuzz, "-runs=0", corpus], out_dir)
        else:
            work = os.path.join(out_dir, "fuzz-work")
            shutil.rmtree(work, ignore_errors=True)
            os.makedirs(work)
            rc, out = run([fuzz, "-max_total_time=%d" % FUZZ_SECONDS, "-max_len=4096",
                           "-seed=1", work, corpus], work)
        return rc != 0, out
    rc, out = run(["make", "-s", "-C", os.path.join(ut, "iommu-core"), "tsan",
                   "OUT=" + os.path.join(out_dir, "iommu-core")] + env, ut)
    return rc != 0, out


def try_suites(hyp_file, tag, races):
    for name, files in SUITES:
        if hyp_file not in files or (name in ORDER_SUITES and not races):
            continue
        # A race counts only as the seeded schedules find it: not by
        # the suites whose threads the host schedules.
        if races == "race" and name not in ("seeded-races", "iopt-races", "smmu-v3",
                                            "tsan-smmu"):
            continue
        failed, out = suite(name, tag)
        if failed:
            return name, detail(out)
    return None, None


def main():
    args = sys.argv[1:]
    fast = "--fast" in args
    names = [a for a in args if not a.startswith("--")]
    muts = parse(os.path.join(TOP, "unittests", "mutations.txt"))
    every = muts
    if names:
        unknown = set(names) - {m["name"] for m in muts}
        if unknown:
            die("no such mutation: " + ", ".join(sorted(unknown)))
        muts = [m for m in muts if m["name"] in names]
    elif fast:
        muts = [m for m in muts if m["fast"]]
    if not os.path.isdir(os.path.join(LINUX, "tools", "include")):
        die("no base tree at %s: run 'make kernel' or scripts/base.sh first" % LINUX)
    copy_tree()

    # The whole list must match the code: each text to find occurs exactly once.
    for m in every:
        src = source(m["file"])
        n = src.count(m["find"])
        if n != 1:
            die("mutation %s: its text occurs %d times in %s; update unittests/mutations.txt"
                % (m["name"], n, m["file"]))

    t0 = time.time()
    for name in ("iommu-core", "io-pgtable", "smmu-v3", "fuzz-replay", "host-stage2"):
        failed, out = suite(name, "baseline")
        if failed:
            print(out[-3000:])
            die("the %s suite fails without any mutation: fix that first" % name)
    print("baseline: the suites pass on the sources as they are (%ds)" % (time.time() - t0))

    global mutant
    caught = missed = 0
    for m in muts:
        path = os.path.join(TREE, m["file"])
        orig = source(m["file"])
        text = orig.replace(m["find"], m["replace"], 1)
        if os.path.exists(path):
            open(path, "w").write(text)
        else:
            mutant = (m["file"], text)
        t = time.time()
        try:
            by, what = try_suites(os.path.basename(m["file"]), "mutant",
                                  m["class"] in ORDER_CLASSES and m["class"])
        except BuildError as e:
            die("mutation %s does not compile, so it tests nothing: %s"
                % (m["name"], detail(str(e))))
        finally:
            if mutant:
                mutant = None
            else:
                open(path, "w").write(orig)
        secs = time.time() - t
        if by:
            caught += 1
            print("caught  %-34s %-11s %3ds  %s: %s" % (m["name"], m["class"], secs, by, what))
        else:
            missed += 1
            print("MISSED  %-34s %-11s %3ds  no suite failed" % (m["name"], m["class"], secs))
        sys.stdout.flush()
    print("%d caught, %d missed" % (caught, missed))
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
