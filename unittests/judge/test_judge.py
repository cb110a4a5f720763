#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/judge.py against real console logs of the bench.

The fixtures are consoles captured from bench boots: passing kselftest runs
in both CPU variants and a kernel whose hypervisor panics at finalize. The
other failure modes are made by editing a passing console the way a broken
kernel or test would change it.
"""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
JUDGE = os.path.join(HERE, "..", "..", "scripts", "judge.py")
FIX = os.path.join(HERE, "fixtures")


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


class JudgeTest(unittest.TestCase):
    def judge(self, text, mode="check", rc=0, expect="hVHE", extra=()):
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "console.log")
            res = os.path.join(d, "results")
            with open(log, "w") as f:
                f.write(text)
            args = [sys.executable, JUDGE, mode, log, "--rc", str(rc),
                    "--timeout", "60", "--label", "t"]
            if expect:
                args += ["--expect-mode", expect]
            if mode == "check":
                args += ["--results", res]
            args += list(extra)
            p = subprocess.run(args, capture_output=True, text=True)
            counts = None
            if os.path.exists(res):
                with open(res) as f:
                    counts = tuple(int(x) for x in f.read().split())
            return p.returncode, p.stdout, counts

    def assertFails(self, text, why, **kw):
        rc, out, counts = self.judge(text, **kw)
        self.assertEqual(rc, 1, out)
        self.assertIn(why, out)
        if counts is not None:
            self.assertGreater(counts[1], 0, out)
        return out

    # Passing consoles.

    def test_pass_max(self):
        rc, out, counts = self.judge(fixture("check-max-pass.log"))
        self.assertEqual(rc, 0, out)
        self.assertEqual(counts, (7, 0))
        self.assertIn("disk.virtio_blk.random_roundtrip", out)

    def test_pass_cortex_a72(self):
        rc, out, counts = self.judge(fixture("check-cortex-a72-pass.log"),
                                     expect="nVHE")
        self.assertEqual(rc, 0, out)
        self.assertEqual(counts, (7, 0))

    # A broken kernel.

    def test_hyp_panic(self):
        out = self.assertFails(fixture("check-max-hyp-panic.log"),
                               "hypervisor panic", rc=0)
        self.assertIn("Invalid host exception to nVHE hyp", out)
        self.assertIn("__kvm_nvhe_hyp_panic", out)

    def test_kernel_warn(self):
        text = fixture("check-max-pass.log").replace(
            "bench: guest up",
            "[    1.000000] WARNING: CPU: 1 PID: 1 at drivers/iommu/iommu.c:1 x+0x0/0x8\n"
            "bench: guest up", 1)
        self.assertFails(text, "kernel WARN")

    def test_lockdep_report(self):
        text = fixture("check-max-pass.log").replace(
            "bench: guest up",
            "[    1.000000] ======================================================\n"
            "[    1.000000] WARNING: possible circular locking dependency detected\n"
            "[    1.000000] 6.12.57 #1 Not tainted\n"
            "bench: guest up", 1)
        self.assertFails(text, "lockdep report")

    def test_kernel_oops(self):
        text = fixture("check-max-pass.log").replace(
            "bench: done",
            "[    2.000000] Unable to handle kernel paging request at virtual address 0\n"
            "[    2.000000] Internal error: Oops: 0000000096000005 [#1] SMP\n"
            "bench: done", 1)
        self.assertFails(text, "kernel oops")

    def test_wrong_mode(self):
        self.assertFails(fixture("check-max-pass.log"), "did not report",
                         expect="nVHE")

    # A guest that does not finish.

    def test_timeout(self):
        text = fixture("check-max-pass.log")
        text = text[:text.index("# selftests: pkvm_smmu: dma_roundtrip")]
        out = self.assertFails(text, "timeout", rc=124)
        self.assertIn("never reached its end", out)
        self.assertIn("TAP plan announced 3 tests, 2 reported", out)

    def test_qemu_error(self):
        self.assertFails(fixture("check-max-pass.log"),
                         "QEMU exited with status 1", rc=1)

    # TAP the runner prints.

    def test_missing_plan(self):
        text = fixture("check-max-pass.log").replace("\n1..3\n", "\n", 1)
        self.assertFails(text, "no TAP plan")

    def test_failed_subtest(self):
        text = fixture("check-max-pass.log").replace(
            "# ok 1 disk.nvme.random_roundtrip",
            "# not ok 1 disk.nvme.random_roundtrip", 1)
        rc, out, counts = self.judge(text)
        self.assertEqual(rc, 1)
        self.assertIn("failed: pkvm_smmu:dma_roundtrip disk.nvme.random_roundtrip", out)
        self.assertEqual(counts, (6, 1))

    def test_skipped_subtest(self):
        text = fixture("check-max-pass.log").replace(
            "# ok 1 disk.nvme.random_roundtrip",
            "# ok 1 disk.nvme.random_roundtrip # SKIP no NVMe", 1)
        rc, out, counts = self.judge(text)
        self.assertEqual(rc, 1)
        self.assertIn("skipped: pkvm_smmu:dma_roundtrip disk.nvme.random_roundtrip", out)
        rc, out, counts = self.judge(text, extra=["--allow-skip", "nvme.random_roundtrip"])
        self.assertEqual(rc, 0, out)
        self.assertIn("allowed here: no NVMe", out)
        self.assertEqual(counts, (6, 0))

    def test_failed_program_beyond_subtests(self):
        text = fixture("check-max-pass.log").replace(
            "ok 3 selftests: pkvm_smmu: dma_roundtrip",
            "not ok 3 selftests: pkvm_smmu: dma_roundtrip # TIMEOUT 600 seconds", 1)
        rc, out, counts = self.judge(text)
        self.assertEqual(rc, 1)
        self.assertEqual(counts[1], 1, out)

    def test_skipped_subtest_fails(self):
        text = fixture("check-max-pass.log").replace(
            "# ok 2 disk.virtio_blk.random_roundtrip",
            "# ok 2 disk.virtio_blk.random_roundtrip # SKIP no vd disk", 1)
        out = self.assertFails(text, "skipped: pkvm_smmu:dma_roundtrip")
        self.assertIn("no vd disk", out)

    def test_pa_bits_checked(self):
        text = fixture("check-max-pass.log")
        self.assertIn("IPA Size Limit: 52 bits", text)
        rc, out, _ = self.judge(text, extra=("--expect-pa-bits", "52"))
        self.assertEqual(rc, 0, out)
        self.assertFails(text, "physical address range is not 40 bits",
                         extra=("--expect-pa-bits", "40"))

    # The boot that must die: the host reads the SMMU's registers.

    def test_smmu_read_ends_in_hyp_panic(self):
        rc, out, _ = self.judge(fixture("smmu-read-max-hyp-panic.log"),
                                mode="hyp-panic", expect=None)
        self.assertEqual(rc, 0, out)
        self.assertIn("mem_protect.c", out)

    def test_smmu_read_ends_in_hyp_panic_without_debug(self):
        # Without CONFIG_NVHE_EL2_DEBUG the BUG names the function only.
        rc, out, _ = self.judge(fixture("smmu-read-max-nodebug-hyp-panic.log"),
                                mode="hyp-panic", expect=None)
        self.assertEqual(rc, 0, out)
        self.assertIn("handle_host_mem_abort", out)

    def test_smmu_read_panic_elsewhere_fails(self):
        text = fixture("smmu-read-max-nodebug-hyp-panic.log")
        text = text.replace("__kvm_nvhe_handle_host_mem_abort", "__kvm_nvhe_handle_trap")
        self.assertFails(text, "not at the host's stage-2 fault",
                         mode="hyp-panic", expect=None)

    def test_smmu_read_without_panic_fails(self):
        text = fixture("smmu-read-max-hyp-panic.log")
        text = text[:text.index("nVHE hyp BUG")] + (
            "[    1.7] pkvm-smmu-test: the host read IDR0 = 0x1: the SMMU is NOT protected\n"
            "bench: error: the host read the SMMU registers and lived\n")
        self.assertFails(text, "the host read the SMMU registers",
                         mode="hyp-panic", expect=None)

    def test_smmu_read_from_user_space_ends_in_hyp_panic(self):
        rc, out, _ = self.judge(fixture("smmu-read-user-max-hyp-panic.log"),
                                mode="hyp-panic", expect=None)
        self.assertEqual(rc, 0, out)
        self.assertIn("user space's read", out)
        self.assertIn("mem_protect.c", out)

    def test_smmu_read_from_user_space_silent_fails(self):
        # Before the host's panic handler took current back: nothing printed.
        self.assertFails(fixture("smmu-read-user-max-silent.log"),
                         "no hypervisor panic", mode="hyp-panic", rc=124, expect=None)

    def test_smmu_read_never_attempted_fails(self):
        self.assertFails(fixture("check-max-pass.log"),
                         "never tried to read", mode="hyp-panic", expect=None)

    # make bench's count of register accesses per call.

    @staticmethod
    def trace(*parts):
        """A QEMU trace: console lines as pl011 writes, and N SMMU accesses."""
        out = []
        for p in parts:
            if isinstance(p, int):
                out += ["smmuv3_write_mmio addr: 0x98 val:0x1 size: 0x4(0)",
                        "smmuv3_read_mmio addr: 0x9c val:0x1 size: 0x4(0)"] * (p // 2)
            else:
                out += ["pl011_write addr 0x000 value 0x%08x reg DR" % ord(c)
                        for c in p + "\n"]
        return "\n".join(out) + "\n"

    def calls(self, trace_text, console=None):
        with tempfile.TemporaryDirectory() as d:
            trace = os.path.join(d, "trace")
            rows = os.path.join(d, "rows")
            with open(trace, "w") as f:
                f.write(trace_text)
            rc, out, _ = self.judge(console or fixture("calls-max-pass.log"), mode="calls",
                                    extra=("--trace", trace, "--rows", rows))
            got = open(rows).read() if os.path.exists(rows) else ""
            return rc, out, got

    def test_calls_counted_between_marks(self):
        mark = "[    1.7] pkvm-smmu-dma: calls of %d pages: "
        rc, out, rows = self.calls(self.trace(
            10, mark % 1 + "maps start", mark % 1 + "maps end, unmaps start", 512,
            mark % 1 + "unmaps end", 6,
            mark % 16 + "maps start", 2, mark % 16 + "maps end, unmaps start", 1024,
            mark % 16 + "unmaps end",
            mark % 256 + "maps start", mark % 256 + "maps end, unmaps start", 768,
            mark % 256 + "unmaps end"))
        self.assertEqual(rc, 0, out)
        self.assertEqual(rows, "calls 1 1.00 1.00 0.00 2.00\n"
                               "calls 16 1.03 1.00 0.01 4.00\n"
                               "calls 256 1.50 1.00 0.00 3.00\n")

    def test_calls_without_marks_fail(self):
        rc, out, _ = self.calls(self.trace(512))
        self.assertEqual(rc, 1, out)
        self.assertIn("the trace does not show the calls of 1 pages end", out)

    def test_calls_without_trace_fails(self):
        rc, out, _ = self.judge(fixture("calls-max-pass.log"), mode="calls",
                                extra=("--trace", "/nonexistent", "--rows", os.devnull))
        self.assertEqual(rc, 1, out)
        self.assertIn("no trace of the SMMU registers", out)

    def test_calls_not_reported_fails(self):
        console = "\n".join(l for l in fixture("calls-max-pass.log").split("\n")
                            if not l.startswith("bench: calls"))
        rc, out, _ = self.calls(self.trace(2), console)
        self.assertEqual(rc, 1, out)
        self.assertIn("the guest did not report the calls", out)

    # make bench's rows.

    def bench(self, lines, extra=()):
        console = fixture("calls-max-pass.log").split("\n")
        console = [l for l in console if not l.startswith("bench: calls")]
        done = console.index("bench: done")
        console[done:done] = lines
        with tempfile.TemporaryDirectory() as d:
            rows = os.path.join(d, "rows")
            rc, out, _ = self.judge("\n".join(console), mode="bench",
                                    extra=("--rows", rows) + tuple(extra))
            got = open(rows).read() if os.path.exists(rows) else ""
        return rc, out, got

    BENCH_LINES = [
        "bench: row granule=1 threads=4",
        "average map latency(us):1.5 standard deviation:0.3",
        "average unmap latency(us):6.25 standard deviation:1.0",
        "bench: null_hypercall ns=1300 all_cpus_ns=5000 cpus=4",
        "bench: casrate store_ns=1.80 cas_ns=11.20",
        "bench: io rand block=4096 threads=4 iorate ops=9000 bytes=36864000 us=2000000"
        " irqs=8100 map_hypercalls=9000",
        "bench: io seq block=1048576 threads=1 iorate ops=1000 bytes=1048576000 us=2000000"
        " irqs=5500",
        "bench: null_hypercall_busy ns=3100 all_cpus_ns=5200 cpus=4",
    ]

    def test_bench_rows(self):
        rc, out, rows = self.bench(self.BENCH_LINES, ("--expect-io",))
        self.assertEqual(rc, 0, out)
        self.assertEqual(rows, "1 4 1.5 6.25\n"
                               "io rand 4500.0 18.43 0.90 1.00\n"
                               "io seq 500.0 524.29 5.50 -\n"
                               "null hypercall 1.300 5.000\n"
                               "null_busy hypercall 3.100\n"
                               "cas 1.80 11.20\n")

    def test_bench_without_io_fails(self):
        rc, out, _ = self.bench(self.BENCH_LINES[:5], ("--expect-io",))
        self.assertEqual(rc, 1, out)
        self.assertIn("the NVMe reads did not report", out)

    def test_bench_reads_without_progress_fail(self):
        lines = self.BENCH_LINES[:5] + [
            "bench: io seq block=1048576 threads=1 iorate ops=0 bytes=0 us=2000000 irqs=0"]
        rc, out, _ = self.bench(lines)
        self.assertEqual(rc, 1, out)
        self.assertIn("the seq reads made no progress", out)

    def test_failure_shows_console(self):
        out = self.assertFails(fixture("check-max-hyp-panic.log"),
                               "hypervisor panic")
        self.assertIn("    | ", out)
        self.assertIn("the whole console log is in", out)


class TapResult(unittest.TextTestResult):
    """Prints one TAP line per test."""

    n = 0

    def _line(self, test, ok, why=""):
        TapResult.n += 1
        print("%s %d - judge.%s%s" % ("ok" if ok else "not ok", TapResult.n,
                                     test._testMethodName, why))

    def addSuccess(self, test):
        super().addSuccess(test)
        self._line(test, True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._line(test, False)

    def addError(self, test, err):
        super().addError(test, err)
        self._line(test, False, " # error")


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(JudgeTest)
    print("1..%d" % suite.countTestCases())
    r = unittest.TextTestRunner(resultclass=TapResult, verbosity=0,
                                stream=sys.stderr).run(suite)
    sys.exit(0 if r.wasSuccessful() else 1)
