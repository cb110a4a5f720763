// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace test of the hypervisor's SMMUv3 driver on fake SMMUs that are
 * as unkind as hardware: feature refusals at registration, 8-bit VMIDs,
 * no EL2 regime, several SMMUs behind one domain, a failed attach while
 * the device does DMA, a non-coherent SMMU, and CPUs sharing a command
 * queue that runs behind them. The driver keeps global state for life,
 * so each case runs in a process of its own. Prints TAP.
 */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nvhe/arm-smmu-v3.h>
#include "fake_smmu.h"

#define RW		(IOMMU_READ | IOMMU_WRITE)
#define FAKE_MMIO(n)	(0x09050000ULL + (n) * 0x100000ULL)
#define IOVA		0x10000000ULL

/* Registration refuses what the driver cannot take safely. */
static bool registration_refusals(void)
{
	static const struct { int idr; u32 bit; const char *what; } refused[] = {
		{ 1, IDR1_TABLES_PRESET, "preset stream table" },
		{ 1, IDR1_QUEUES_PRESET, "preset queues" },
		{ 1, IDR1_REL, "relative base addresses" },
		{ 0, IDR0_S1P | IDR0_S2P, "no translation stage" },
		{ 5, IDR5_GRAN4K, "no 4KiB granule" },
	};
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		struct fake_smmu *s = fake_new(FAKE_MMIO(i));

		snprintf(where, sizeof(where), "%s", refused[i].what);
		if (refused[i].bit & (IDR1_TABLES_PRESET | IDR1_QUEUES_PRESET | IDR1_REL) &&
		    refused[i].idr == 1)
			s->idr[1] |= refused[i].bit;
		else
			s->idr[refused[i].idr] &= ~refused[i].bit;
		ret = fake_register(s);
		CHECK(ret == -ENODEV, "registered: %d", ret);
		CHECK(!(s->cr0 & CR0_SMMUEN), "the SMMU was enabled");
	}
	return true;
}

/* Without IDR0.HYP, TLBI_EL2_ALL is illegal: registration must not send it. */
static bool no_el2_regime(void)
{
	struct fake_smmu *s = fake_new(FAKE_MMIO(0));
	int ret;

	snprintf(where, sizeof(where), "no EL2 regime");
	s->idr[0] &= ~IDR0_HYP;
	ret = fake_register(s);
	CHECK(ret == 0, "register: %d after %lu TLBI_EL2_ALL", ret, FAKE_GET(s, nr_tlbi_el2));
	CHECK(FAKE_GET(s, nr_tlbi_el2) == 0, "TLBI_EL2_ALL sent to an SMMU without EL2");
	CHECK(s->cr0 & CR0_SMMUEN, "not enabled");
	return true;
}

static bool map_page(u64 domain, u64 iova, u64 pa)
{
	size_t n;

	CHECK(!map(domain, iova, pa, SZ_4K, 1, RW, &n) && n == SZ_4K, "map %#llx",
	      (unsigned long long)iova);
	return true;
}

static bool unmap_page(u64 domain, u64 iova)
{
	size_t n;

	CHECK(!unmap(domain, iova, SZ_4K, 1, &n) && n == SZ_4K, "unmap %#llx",
	      (unsigned long long)iova);
	return true;
}

/* 8-bit VMIDs: a domain whose tag does not fit is refused, not aliased. */
static bool vmid8(void)
{
	struct fake_smmu *s = fake_new(FAKE_MMIO(0));
	u64 pa = MEM_BASE + SZ_1M;
	int ret;

	snprintf(where, sizeof(where), "8-bit VMIDs");
	s->idr[0] &= ~IDR0_VMID16;
	CHECK(fake_register(s) == 0, "register");
	/*
	 * Domain 1 has tag 2; domain 257 would have tag 258, 2 in 8 bits.
	 * Domain 254 has the last tag, 255; domain 255 the first past it.
	 */
	CHECK(!kvm_iommu_alloc_domain(1) && !kvm_iommu_alloc_domain(257) &&
	      !kvm_iommu_alloc_domain(254) && !kvm_iommu_alloc_domain(255), "alloc");
	CHECK(!kvm_iommu_attach_dev(0, 1, 1), "attach domain 1");
	CHECK(map_page(1, IOVA, pa), "map");
	CHECK(fake_dma(s, 1, IOVA) == pa, "DMA of domain 1");
	ret = kvm_iommu_attach_dev(0, 257, 2);
	CHECK(ret == -EINVAL, "domain 257 attached with an 8-bit VMID: %d", ret);
	CHECK(fake_dma(s, 2, IOVA) == FAKE_NO_DMA, "domain 257's stream reaches domain 1's page");
	ret = kvm_iommu_attach_dev(0, 255, 2);
	CHECK(ret == -EINVAL, "domain 255 (tag 256) attached with an 8-bit VMID: %d", ret);
	CHECK(!kvm_iommu_attach_dev(0, 254, 2), "domain 254 (tag 255) fits");
	CHECK(fake_dma(s, 2, IOVA) == FAKE_NO_DMA, "domain 254 reaches domain 1's page");
	CHECK(unmap_page(1, IOVA), "unmap");
	CHECK(fake_dma(s, 1, IOVA) == FAKE_NO_DMA, "DMA after unmap");
	return true;
}

/* @a and @b registered as IOMMUs 0 and 1, and @domain on stream @sa of @a, @sb of @b. */
static bool one_domain_on_two(struct fake_smmu *a, struct fake_smmu *b, u64 domain, u32 sa,
			      u32 sb)
{
	CHECK(fake_register(a) == 0 && fake_register(b) == 1, "register");
	CHECK(!kvm_iommu_alloc_domain(domain), "alloc");
	CHECK(!kvm_iommu_attach_dev(0, domain, sa) && !kvm_iommu_attach_dev(1, domain, sb),
	      "attach");
	return true;
}

/* One domain on streams of two SMMUs: every unmap reaches both TLBs. */
static bool two_smmus(void)
{
	struct fake_smmu *a = fake_new(FAKE_MMIO(0)), *b = fake_new(FAKE_MMIO(1));
	u64 pa = MEM_BASE + SZ_2M;
	int i;

	snprintf(where, sizeof(where), "two SMMUs");
	CHECK(one_domain_on_two(a, b, 3, 7, 9), "set-up");
	for (i = 0; i < 8; i++) {
		CHECK(map_page(3, IOVA + i * SZ_4K, pa + i * SZ_4K), "map");
		CHECK(fake_dma(a, 7, IOVA + i * SZ_4K) == pa + i * SZ_4K &&
		      fake_dma(b, 9, IOVA + i * SZ_4K) == pa + i * SZ_4K, "DMA through both");
	}
	/* The model refuses each count drop while either TLB holds the page. */
	for (i = 0; i < 8; i++) {
		CHECK(unmap_page(3, IOVA + i * SZ_4K), "unmap");
		CHECK(fake_dma(a, 7, IOVA + i * SZ_4K) == FAKE_NO_DMA &&
		      fake_dma(b, 9, IOVA + i * SZ_4K) == FAKE_NO_DMA, "DMA after unmap");
	}
	CHECK(!kvm_iommu_detach_dev(0, 3, 7) && !kvm_iommu_detach_dev(1, 3, 9), "detach");
	CHECK(!free_domain(3) && check_state(), "free");
	return !failures;
}

/*
 * An attach whose command fails after the STE went live, while the device
 * does DMA: the TLB entries it made must be gone before the attach fails,
 * so that freeing the domain and reusing its ID (and tag) lets nothing
 * through.
 */
static bool failed_attach_then_reuse(void)
{
	struct fake_smmu *s = fake_new(FAKE_MMIO(0));
	u64 pa = MEM_BASE + SZ_4M;
	int ret;

	snprintf(where, sizeof(where), "failed attach");
	CHECK(fake_register(s) == 0, "register");
	CHECK(!kvm_iommu_alloc_domain(5), "alloc");
	CHECK(map_page(5, IOVA, pa), "map");
	FAKE_SET(s, fail_after_cfgi, 4 + 1);
	FAKE_SET(s, touch_iova, IOVA);
	FAKE_SET(s, touch_sid, 4 + 1);
	ret = kvm_iommu_attach_dev(0, 5, 4);
	FAKE_SET(s, touch_sid, 0);
	CHECK(ret == -EIO, "attach returned %d", ret);
	CHECK(fake_dma(s, 4, IOVA) == FAKE_NO_DMA, "DMA after the failed attach");
	CHECK(!fake_tag_cached(s, 5 + 1), "TLB entries of the failed attach remain");
	/* Freeing drops the page's count: the model checks no TLB has it. */
	CHECK(!free_domain(5) && check_state() && !failures, "free");
	CHECK(!kvm_iommu_alloc_domain(5), "realloc");
	CHECK(!kvm_iommu_attach_dev(0, 5, 4), "attach the new domain");
	CHECK(fake_dma(s, 4, IOVA) == FAKE_NO_DMA, "the new domain reaches the old page");
	CHECK(!kvm_iommu_detach_dev(0, 5, 4) && !free_domain(5), "cleanup");
	return !failures;
}

/*
 * A detach whose invalidation fails: the SMMU may still use the old STE
 * and the domain's TLB entries, so the stream stays attached, for the
 * host to retry, and the domain cannot be freed meanwhile.
 */
static bool failed_detach_stays_attached(void)
{
	struct fake_smmu *s = fake_new(FAKE_MMIO(0));
	u64 pa = MEM_BASE + SZ_4M + SZ_8K;
	int ret;

	snprintf(where, sizeof(where), "failed detach");
	CHECK(fake_register(s) == 0, "register");
	CHECK(!kvm_iommu_alloc_domain(5) && !kvm_iommu_attach_dev(0, 5, 4), "attach");
	CHECK(map_page(5, IOVA, pa) && fake_dma(s, 4, IOVA) == pa, "DMA");
	FAKE_SET(s, fail_after_cfgi, 4 + 1);
	ret = kvm_iommu_detach_dev(0, 5, 4);
	CHECK(ret == -EIO, "detach returned %d", ret);
	CHECK(fake_dma(s, 4, IOVA) == pa, "the stream no longer translates");
	CHECK(kvm_iommu_free_domain(5) == -EBUSY, "the domain freed with a stream on it");
	CHECK(!kvm_iommu_detach_dev(0, 5, 4) && fake_dma(s, 4, IOVA) == FAKE_NO_DMA,
	      "the retried detach");
	CHECK(!free_domain(5) && check_state(), "free");
	return !failures;
}

/*
 * A domain's first attach drops whatever the TLB holds under its tag: a
 * freed domain's, or one the SMMU cached before it was registered.
 */
static bool first_attach_drops_the_tag(void)
{
	struct fake_smmu *s = fake_new(FAKE_MMIO(0));

	snprintf(where, sizeof(where), "first attach");
	CHECK(fake_register(s) == 0, "register");
	pthread_mutex_lock(&fake_lock);
	s->tlb[0] = (struct fake_tlb_entry) {
		.valid = true, .tag = 6 + 1, .iova = IOVA, .pa = MEM_BASE, .size = SZ_4K,
	};
	pthread_mutex_unlock(&fake_lock);
	CHECK(!kvm_iommu_alloc_domain(6) && !kvm_iommu_attach_dev(0, 6, 2), "attach");
	CHECK(!fake_tag_cached(s, 6 + 1) && fake_dma(s, 2, IOVA) == FAKE_NO_DMA,
	      "a stale entry of the tag survived the first attach");
	CHECK(!kvm_iommu_detach_dev(0, 6, 2) && !free_domain(6), "free");
	return !failures;
}

/*
 * What registration promises: the memory given for the queues and tables
 * is the hypervisor's; until SMMUEN, and whenever it is cleared, all DMA
 * aborts (GBPA); and nothing the SMMU cached before (a configuration, a
 * translation) survives it.
 */
static bool registration_end_state(void)
{
	struct fake_smmu *s = fake_new(FAKE_MMIO(0));
	u64 first = host_gift_next, pa;

	snprintf(where, sizeof(where), "registration");
	s->ste_cached[3] = true;
	s->ste_cache[3][0] = STRTAB_STE_0_V |
			     FIELD_PREP(STRTAB_STE_0_CFG, STRTAB_STE_0_CFG_BYPASS);
	s->tlb[0] = (struct fake_tlb_entry) {
		.valid = true, .tag = 1, .iova = IOVA, .pa = MEM_BASE, .size = SZ_4K,
	};
	CHECK(fake_register(s) == 0, "register");
	for (pa = first; pa < host_gift_next; pa += SZ_4K)
		CHECK(mem_owner[mem_page(pa)] == HYP, "%#llx, given at registration, is not the "
		      "hypervisor's", (unsigned long long)pa);
	CHECK(FAKE_GET(s, gbpa) & GBPA_ABORT, "DMA bypasses the SMMU while it is disabled");
	CHECK(fake_dma(s, 3, IOVA) == FAKE_NO_DMA, "a configuration cached before registration");
	CHECK(!fake_tag_cached(s, 1), "a translation cached before registration");
	return !failures;
}

/*
 * A domain on stream @sid of @s: DMA to a mapped page arrives, and after
 * the unmap, and after the detach, it faults.
 */
static bool dma_lifecycle(struct fake_smmu *s, u64 domain, u32 sid, u64 pa)
{
	CHECK(!kvm_iommu_alloc_domain(domain) && !kvm_iommu_attach_dev(0, domain, sid),
	      "attach");
	CHECK(map_page(domain, IOVA, pa) && fake_dma(s, sid, IOVA) == pa, "DMA");
	CHECK(unmap_page(domain, IOVA) && fake_dma(s, sid, IOVA) == FAKE_NO_DMA,
	      "DMA after unmap");
	CHECK(map_page(domain, IOVA, pa) && fake_dma(s, sid, IOVA) == pa, "DMA again");
	CHECK(!kvm_iommu_detach_dev(0, domain, sid) && fake_dma(s, sid, IOVA) == FAKE_NO_DMA,
	      "DMA after detach");
	/* The mapping left is removed with the domain, after the detach. */
	CHECK(!free_domain(domain) && nr_maps == 0 && check_state(), "free");
	return !failures;
}

/*
 * No coherent access: the fake reads stream table, queue and tables from
 * what was cleaned to memory. Mapping, DMA and unmapping still work.
 */
static bool noncoherent(void)
{
	struct fake_smmu *s = fake_new(FAKE_MMIO(0));

	snprintf(where, sizeof(where), "non-coherent SMMU");
	s->idr[0] &= ~IDR0_COHACC;
	CHECK(fake_register(s) == 0, "register");
	return dma_lifecycle(s, 2, 3, MEM_BASE + 3 * SZ_1M);
}

/*
 * IDR0.COHACC says the SMMU can snoop, but the system does not let it, as
 * firmware says (no dma-coherent, no IORT COHACC override): the hypervisor
 * must clean as for a non-coherent SMMU. Unknown flags are refused.
 */
static bool noncoherent_by_firmware(void)
{
	struct fake_smmu *s = fake_new(FAKE_MMIO(0));
	int ret;

	snprintf(where, sizeof(where), "SMMU non-coherent by firmware");
	ret = kvm_arm_smmu_register(s->mmio, SZ_128K, host_pages(4), 4, BIT(1));
	CHECK(ret == -EINVAL, "an unknown flag: %d", ret);
	s->fw_noncoherent = true;
	CHECK(fake_register(s) == 0, "register");
	return dma_lifecycle(s, 2, 3, MEM_BASE + 3 * SZ_1M);
}

/*
 * One unmap of many pages: the range invalidations that cover it, a few
 * commands of NUM blocks of 2^SCALE pages each, or one command per page
 * without range invalidation, must reach every page the device cached.
 */
static bool range_invalidation(void)
{
	static const int counts[] = { 33, 47, 63, 100, 17, 16, 15, 1 };
	struct fake_smmu *s = fake_new(FAKE_MMIO(0)), *t = fake_new(FAKE_MMIO(1));
	u64 pa = MEM_BASE + SZ_8M;
	unsigned long cmds;
	unsigned int i;
	size_t n;
	int p;

	snprintf(where, sizeof(where), "range invalidation");
	t->idr[3] &= ~IDR3_RIL;
	CHECK(one_domain_on_two(s, t, 4, 5, 6), "set-up");
	/* A page that keeps the table: no unmap empties it, so none widens to its range. */
	CHECK(map_page(4, IOVA + SZ_1M, pa + SZ_1M), "map the page that stays");
	for (i = 0; i < ARRAY_SIZE(counts); i++) {
		CHECK(!map(4, IOVA, pa, SZ_4K, counts[i], RW, &n) && n == (size_t)counts[i] * SZ_4K,
		      "map %d pages", counts[i]);
		for (p = 0; p < counts[i]; p++)
			CHECK(fake_dma(s, 5, IOVA + p * SZ_4K) == pa + p * SZ_4K &&
			      fake_dma(t, 6, IOVA + p * SZ_4K) == pa + p * SZ_4K, "DMA");
		/* The model refuses each count drop while a TLB holds the page. */
		cmds = FAKE_GET(t, nr_cmds);
		CHECK(!unmap(4, IOVA, SZ_4K, counts[i], &n) && n == (size_t)counts[i] * SZ_4K,
		      "unmap %d pages", counts[i]);
		/*
		 * Without range invalidation, a batch: a TLBI per page and the
		 * CMD_SYNC, as many as its array holds; past that, the whole tag.
		 */
		cmds = FAKE_GET(t, nr_cmds) - cmds;
		CHECK(cmds == (counts[i] <= 16 ? (unsigned long)counts[i] + 1 : 2),
		      "%lu commands for %d pages without range invalidation", cmds, counts[i]);
		for (p = 0; p < counts[i]; p++)
			CHECK(fake_dma(s, 5, IOVA + p * SZ_4K) == FAKE_NO_DMA &&
			      fake_dma(t, 6, IOVA + p * SZ_4K) == FAKE_NO_DMA, "DMA after unmap");
	}
	CHECK(unmap_page(4, IOVA + SZ_1M), "unmap the page that stayed");
	CHECK(!kvm_iommu_detach_dev(0, 4, 5) && !kvm_iommu_detach_dev(1, 4, 6), "detach");
	CHECK(!free_domain(4) && check_state(), "free");
	return !failures;
}

/*
 * What a call costs in register accesses, each a trap to the SMMU model
 * under emulation and an uncached access on hardware: a map touches no
 * register, an unmap writes PROD once per SMMU and reads CONS until the
 * CMD_SYNC completed (once, on a fake that runs commands as PROD is
 * written). The error registers are read only when the queue stalls.
 */
/*
 * A PROD write and one read of CONS, or with a fake on a thread of its own
 * as many reads of CONS as the CPU polls before the fake ran the commands.
 */
static bool fake_mmio_is_2(unsigned long n)
{
	return fake_threaded ? n >= 2 : n == 2;
}

static bool mmio_per_call(void)
{
	struct fake_smmu *a = fake_new(FAKE_MMIO(0)), *b = fake_new(FAKE_MMIO(1));
	unsigned long before_a, before_b;
	size_t n;
	int i;

	snprintf(where, sizeof(where), "MMIO per call");
	CHECK(one_domain_on_two(a, b, 6, 2, 3), "set-up");
	for (i = 0; i < 3; i++) {
		before_a = fake_nr_mmio(a);
		before_b = fake_nr_mmio(b);
		CHECK(!map(6, IOVA + i * SZ_2M, MEM_BASE + SZ_4M, SZ_4K, 16, RW, &n) &&
		      n == 16 * SZ_4K, "map");
		CHECK(fake_nr_mmio(a) == before_a && fake_nr_mmio(b) == before_b,
		      "a map made %lu and %lu register accesses", fake_nr_mmio(a) - before_a,
		      fake_nr_mmio(b) - before_b);
		CHECK(fake_dma(a, 2, IOVA + i * SZ_2M) == MEM_BASE + SZ_4M, "DMA");
		before_a = fake_nr_mmio(a);
		before_b = fake_nr_mmio(b);
		CHECK(!unmap(6, IOVA + i * SZ_2M, SZ_4K, 16, &n) && n == 16 * SZ_4K, "unmap");
		CHECK(fake_mmio_is_2(fake_nr_mmio(a) - before_a) && fake_mmio_is_2(fake_nr_mmio(b) - before_b),
		      "an unmap made %lu and %lu register accesses, want 2 per SMMU",
		      fake_nr_mmio(a) - before_a, fake_nr_mmio(b) - before_b);
	}
	/* Pages far apart, as block I/O brings them: still one flush per call. */
	for (i = 0; i < 64; i++)
		CHECK(map_page(6, IOVA + i * SZ_4K, MEM_BASE + SZ_4M + 2 * i * SZ_4K), "map");
	before_a = fake_nr_mmio(a);
	before_b = fake_nr_mmio(b);
	CHECK(!unmap(6, IOVA, SZ_4K, 64, &n) && n == 64 * SZ_4K, "unmap of scattered pages");
	CHECK(fake_mmio_is_2(fake_nr_mmio(a) - before_a) && fake_mmio_is_2(fake_nr_mmio(b) - before_b),
	      "an unmap of 64 scattered pages made %lu and %lu register accesses, want 2 per SMMU",
	      fake_nr_mmio(a) - before_a, fake_nr_mmio(b) - before_b);
	CHECK(!kvm_iommu_detach_dev(0, 6, 2) && !kvm_iommu_detach_dev(1, 6, 3), "detach");
	CHECK(!free_domain(6) && check_state(), "free");
	return !failures;
}

/*
 * CPUs sharing one SMMU's command queue: four threads, each a CPU with a
 * domain and a stream of its own, map a page, let the device cache it and
 * unmap it, on a lazy fake that runs commands only as CONS is read. An
 * unmap may return only once its TLBI ran, whichever CPU published it:
 * the harness checks that no TLB reaches a page when its count drops. The
 * last thread also unmaps, now and then, an IOVA whose TLBI the fake finds
 * illegal: that unmap, and no other, fails with -EIO, and the queue goes on.
 */
#define CMDQ_THREADS	4
#define CMDQ_ROUNDS	3000
#define CMDQ_BAD_IOVA	(IOVA + SZ_1G)

static struct fake_smmu *cmdq_fake;
/* Per thread: unmaps meant to fail, and unexpected results */
static unsigned long cmdq_bad[CMDQ_THREADS], cmdq_wrong[CMDQ_THREADS];

static void *cmdq_thread(void *arg)
{
	uintptr_t t = (uintptr_t)arg;
	u64 pa = MEM_BASE + SZ_16M + t * SZ_4K, bad_pa = pa + CMDQ_THREADS * SZ_4K;
	size_t n;
	int i, ret;

	harness_cpu = t;
	for (i = 0; i < CMDQ_ROUNDS; i++) {
		bool bad = t == CMDQ_THREADS - 1 && i % 16 == 0;
		u64 iova = bad ? CMDQ_BAD_IOVA : IOVA;
		u64 page = bad ? bad_pa : pa;

		if (kvm_iommu_map_pages(1 + t, iova, page, SZ_4K, 1, RW, &n) || n != SZ_4K ||
		    fake_dma(cmdq_fake, t, iova) != page) {
			cmdq_wrong[t]++;
			break;
		}
		ret = kvm_iommu_unmap_pages(1 + t, iova, SZ_4K, 1, 0, &n);
		cmdq_bad[t] += bad;
		if (ret != (bad ? -EIO : 0) || (!bad && fake_dma(cmdq_fake, t, iova) != FAKE_NO_DMA)) {
			fprintf(stderr, "# thread %lu: unmap %d of %#llx returned %d\n",
				(unsigned long)t, i, (unsigned long long)iova, ret);
			cmdq_wrong[t]++;
		}
	}
	return NULL;
}

static bool cmdq_races(void)
{
	pthread_t threads[CMDQ_THREADS];
	unsigned long mmio;
	uintptr_t t;

	snprintf(where, sizeof(where), "command queue races");
	cmdq_fake = fake_new(FAKE_MMIO(0));
	CHECK(fake_register(cmdq_fake) == 0, "register");
	FAKE_SET(cmdq_fake, lazy, true);
	FAKE_SET(cmdq_fake, fail_iova, CMDQ_BAD_IOVA);
	for (t = 0; t < CMDQ_THREADS; t++) {
		harness_cpu = t;
		host_donate(16);	/* the domain, its tables, a map call's six */
		CHECK(!kvm_iommu_alloc_domain(1 + t) && !kvm_iommu_attach_dev(0, 1 + t, t),
		      "domain %lu", (unsigned long)t);
	}
	harness_cpu = 0;
	mmio = fake_nr_mmio(cmdq_fake);
	in_call = IN_RACE;
	for (t = 0; t < CMDQ_THREADS; t++)
		pthread_create(&threads[t], NULL, cmdq_thread, (void *)t);
	for (t = 0; t < CMDQ_THREADS; t++)
		pthread_join(threads[t], NULL);
	in_call = IN_NONE;
	mmio = fake_nr_mmio(cmdq_fake) - mmio;
	printf("# %d unmaps on %d CPUs, %lu failing as meant, %.1f register accesses each\n",
	       CMDQ_ROUNDS * CMDQ_THREADS, CMDQ_THREADS, cmdq_bad[CMDQ_THREADS - 1],
	       (double)mmio / (CMDQ_ROUNDS * CMDQ_THREADS));
	for (t = 0; t < CMDQ_THREADS; t++)
		CHECK(!cmdq_wrong[t], "thread %lu had %lu unexpected results", (unsigned long)t,
		      cmdq_wrong[t]);
	CHECK(cmdq_bad[CMDQ_THREADS - 1] == CMDQ_ROUNDS / 16 + 1, "the failing unmaps did not run");
	/* The lazy fake runs nothing at PROD writes: the CPUs had to poll. */
	CHECK(mmio > 3 * CMDQ_ROUNDS * CMDQ_THREADS, "%lu register accesses", mmio);
	return !failures;
}

/*
 * A stage-1-only SMMU: a context descriptor per domain, cleared at the end:
 * once the last stream detached, the SMMU reads it invalid in memory.
 */
static bool stage1_only(void)
{
	struct fake_smmu *s = fake_new(FAKE_MMIO(0));
	u64 ste[STRTAB_STE_DWORDS], cd[CTXDESC_CD_DWORDS], cd_pa;

	snprintf(where, sizeof(where), "stage-1 SMMU");
	s->idr[0] &= ~IDR0_S2P;
	CHECK(fake_register(s) == 0, "register");
	CHECK(!kvm_iommu_alloc_domain(8) && !kvm_iommu_attach_dev(0, 8, 5), "attach");
	pthread_mutex_lock(&fake_lock);
	CHECK(fake_config(s, 5, ste, cd) && (cd[0] & CTXDESC_CD_0_V), "no valid CD while attached");
	cd_pa = ste[0] & STRTAB_STE_0_S1CTXPTR_MASK;
	pthread_mutex_unlock(&fake_lock);
	CHECK(!kvm_iommu_detach_dev(0, 8, 5), "detach");
	CHECK(!(fake_read64(s, cd_pa) & CTXDESC_CD_0_V), "the CD is valid after the last detach");
	CHECK(!free_domain(8), "free");
	return dma_lifecycle(s, 9, 6, MEM_BASE + 5 * SZ_1M);
}

/*
 * Stage 1 on a coherent SMMU and a non-coherent one: the context
 * descriptor, which both read, must reach memory for the second one too,
 * whichever attaches first.
 */
static bool stage1_mixed_coherence(void)
{
	struct fake_smmu *a = fake_new(FAKE_MMIO(0)), *b = fake_new(FAKE_MMIO(1));
	u64 pa = MEM_BASE + 6 * SZ_1M;

	snprintf(where, sizeof(where), "stage 1, mixed coherence");
	a->idr[0] &= ~IDR0_S2P;
	b->idr[0] &= ~(IDR0_S2P | IDR0_COHACC);
	CHECK(one_domain_on_two(a, b, 7, 3, 4), "set-up");
	CHECK(map_page(7, IOVA, pa), "map");
	CHECK(fake_dma(a, 3, IOVA) == pa, "DMA through the coherent SMMU");
	CHECK(fake_dma(b, 4, IOVA) == pa, "DMA through the non-coherent SMMU");
	CHECK(unmap_page(7, IOVA), "unmap");
	CHECK(fake_dma(a, 3, IOVA) == FAKE_NO_DMA && fake_dma(b, 4, IOVA) == FAKE_NO_DMA,
	      "DMA after unmap");
	return !failures;
}

/*
 * The first SMMU that does not snoop must register before any table
 * exists, for it would walk what was written without cleaning: after a
 * coherent SMMU's domain it is refused, and nothing of it is taken. The
 * other order, and the same order without a domain, take both; tables
 * written then reach memory for the SMMU that does not snoop.
 */
static bool coherence_order(bool coherent_first, bool domain_between)
{
	struct fake_smmu *first = fake_new(FAKE_MMIO(0)), *second = fake_new(FAKE_MMIO(1));
	u64 pa = MEM_BASE + 7 * SZ_1M;
	int ret;

	snprintf(where, sizeof(where), "%s SMMU first%s",
		 coherent_first ? "coherent" : "non-coherent",
		 domain_between ? ", a domain before the second" : "");
	(coherent_first ? second : first)->idr[0] &= ~IDR0_COHACC;
	CHECK(fake_register(first) == 0, "register the first SMMU");
	if (domain_between)
		CHECK(!kvm_iommu_alloc_domain(5) && !kvm_iommu_attach_dev(0, 5, 3) &&
		      map_page(5, IOVA, pa), "a domain on the first SMMU");
	ret = fake_register(second);
	if (coherent_first && domain_between) {
		CHECK(ret == -EBUSY, "the second SMMU registered: %d", ret);
		CHECK(!(second->cr0 & CR0_SMMUEN) && !second->strtab_base,
		      "the refused SMMU was touched");
		CHECK(fake_dma(first, 3, IOVA) == pa, "DMA through the first SMMU");
		return true;
	}
	CHECK(ret == 1, "register the second SMMU: %d", ret);
	if (!domain_between)
		CHECK(!kvm_iommu_alloc_domain(5) && !kvm_iommu_attach_dev(0, 5, 3) &&
		      map_page(5, IOVA, pa), "a domain on the first SMMU");
	CHECK(!kvm_iommu_attach_dev(1, 5, 4), "attach to the second SMMU");
	CHECK(fake_dma(first, 3, IOVA) == pa && fake_dma(second, 4, IOVA) == pa,
	      "DMA through both SMMUs");
	return true;
}

static bool coherent_then_noncoherent_with_a_domain(void)
{
	return coherence_order(true, true);
}

static bool coherent_then_noncoherent(void)
{
	return coherence_order(true, false);
}

static bool noncoherent_then_coherent_with_a_domain(void)
{
	return coherence_order(false, true);
}

static int tap_n, tap_failed;

static void run(bool (*fn)(void), const char *name)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		abort();
	if (!pid) {
		bool ok;

		harness_init(KVM_IO_PGTABLE_S2, false);
		fake_init();
		host_donate(256);
		fake_thread_start();
		ok = fn() && !failures;
		fake_thread_end();
		exit(ok ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		tap_failed++;
	printf("%s %d - smmu-v3.%s%s\n", WIFEXITED(status) && !WEXITSTATUS(status) ?
	       "ok" : "not ok", ++tap_n, fake_threaded ? "tsan." : "", name);
}

/*
 * Allocate the identity domain and attach stream @sid of IOMMU 0 to it,
 * donating what each call asks for, as the host driver does.
 */
static int identity_attach(u32 sid)
{
	int tries = 0, ret;

	while ((ret = kvm_iommu_alloc_domain(KVM_IOMMU_IDENTITY_DOMAIN)) == -ENOMEM && tries++ < 4)
		host_donate(kvm_iommu_pages_needed());
	if (ret)
		return ret;
	while ((ret = kvm_iommu_attach_dev(0, KVM_IOMMU_IDENTITY_DOMAIN, sid)) == -ENOMEM &&
	       tries++ < 8)
		host_donate(kvm_iommu_pages_needed());
	return ret;
}

/*
 * The identity domain through the real command queue: its stream reaches
 * host memory and host MMIO at their own address, but not the SMMU's
 * registers nor the hypervisor's pages, and a page donated while the TLB
 * holds it is out of reach once the donation returns.
 */
static bool identity_domain(void)
{
	struct fake_smmu *s = fake_new(FAKE_MMIO(0));
	u64 pa = MEM_BASE + SZ_4M + 5 * SZ_4K, hyp = 0, p;
	int ret;
	size_t n;

	snprintf(where, sizeof(where), "identity domain");
	CHECK(fake_register(s) == 0, "register");
	ret = identity_attach(3);
	CHECK(!ret, "alloc and attach: %d", ret);
	for (p = MEM_BASE; !hyp && p < MEM_END; p += SZ_4K)
		hyp = mem_owner[mem_page(p)] == HYP ? p : 0;
	CHECK(hyp && fake_dma(s, 3, hyp) == FAKE_NO_DMA, "DMA to the hypervisor's %#llx",
	      (unsigned long long)hyp);
	CHECK(fake_dma(s, 3, pa) == pa && fake_dma(s, 3, HOST_MMIO) == HOST_MMIO &&
	      fake_dma(s, 3, HOST_MMIO_1G + SZ_2M) == HOST_MMIO_1G + SZ_2M,
	      "DMA to host memory and MMIO");
	CHECK(fake_dma(s, 3, FAKE_MMIO(0)) == FAKE_NO_DMA, "DMA to the SMMU's registers");
	CHECK(!kvm_iommu_donate_pages(pa / SZ_4K, 1), "donate the page");
	CHECK(fake_dma(s, 3, pa) == FAKE_NO_DMA, "DMA to the page donated");
	CHECK(fake_dma(s, 3, pa + SZ_4K) == pa + SZ_4K, "DMA to the page after it");
	host_reclaim(harness_cpu);
	CHECK(mem_owner[mem_page(pa)] == HOST && fake_dma(s, 3, pa) == pa,
	      "DMA to the page once it is back");
	CHECK(map(KVM_IOMMU_IDENTITY_DOMAIN, IOVA, pa, SZ_4K, 1, RW, &n) == -EPERM,
	      "a map in the identity domain");
	CHECK(!kvm_iommu_detach_dev(0, KVM_IOMMU_IDENTITY_DOMAIN, 3) &&
	      !kvm_iommu_free_domain(KVM_IOMMU_IDENTITY_DOMAIN), "free");
	return !failures;
}

/*
 * An SMMU that registers once a device is in the identity domain, as on a
 * machine whose second SMMU probes after a device of the first attached:
 * its registers leave the table and the first SMMU's TLB, which held them,
 * while the host's MMIO around them stays reachable.
 */
static bool identity_then_second_smmu(void)
{
	struct fake_smmu *a = fake_new(FAKE_MMIO(0)), *b = fake_new(FAKE_MMIO(1));
	snprintf(where, sizeof(where), "identity domain, then a second SMMU");
	CHECK(fake_register(a) == 0, "register the first SMMU");
	CHECK(!identity_attach(3), "alloc and attach");
	CHECK(fake_dma(a, 3, FAKE_MMIO(1) + SZ_64K) == FAKE_MMIO(1) + SZ_64K,
	      "DMA to the second SMMU's registers while the host owns them");
	CHECK(fake_register(b) == 1, "register the second SMMU");
	CHECK(fake_dma(a, 3, FAKE_MMIO(1)) == FAKE_NO_DMA &&
	      fake_dma(a, 3, FAKE_MMIO(1) + SZ_64K) == FAKE_NO_DMA,
	      "DMA to the second SMMU's registers once it is registered");
	CHECK(fake_dma(a, 3, FAKE_MMIO(1) + SZ_128K) == FAKE_MMIO(1) + SZ_128K &&
	      fake_dma(a, 3, HOST_MMIO) == HOST_MMIO, "DMA to the host's MMIO around them");
	CHECK(!kvm_iommu_detach_dev(0, KVM_IOMMU_IDENTITY_DOMAIN, 3) &&
	      !kvm_iommu_free_domain(KVM_IOMMU_IDENTITY_DOMAIN), "free");
	return !failures;
}

/*
 * The event queue through kvm_arm_smmu_next_fault(): records come out in
 * order across the queue's wrap, with only the fields the host may know
 * (the walk's table address stays in the hypervisor); CONS follows what
 * was taken and acknowledges an overflow; an empty queue answers 0 and an
 * unknown SMMU -EINVAL. In the ThreadSanitizer build the fake records the
 * events from its own thread, while the CPU takes them.
 */
static bool event_queue(void)
{
	struct fake_smmu *s = fake_new(FAKE_MMIO(0));
	struct kvm_arm_smmu_fault f;
	u64 rec[EVTQ_ENT_DWORDS];
	u32 wrap, n, taken = 0;
	int ret;

	snprintf(where, sizeof(where), "event queue");
	CHECK(fake_register(s) == 0, "register");
	CHECK(kvm_arm_smmu_next_fault(0, &f) == 0, "a record in an empty queue");
	CHECK(kvm_arm_smmu_next_fault(1, &f) == -EINVAL, "a record of an unknown SMMU");
	wrap = BIT(FIELD_GET(Q_BASE_LOG2SIZE, FAKE_GET(s, evtq_base)));
	/* Three queues' worth, 100 at a time, taken in between */
	for (n = 0; n < 3 * wrap; n += 100) {
		fake_events(s, min(100U, 3 * wrap - n));
		for (; taken < min(n + 100, 3 * wrap); taken++) {
			ret = kvm_arm_smmu_next_fault(0, &f);
			fake_event_record(taken, rec);
			CHECK(ret == 1, "record %u: %d", taken, ret);
			CHECK(f.id_sid == (rec[0] & (EVTQ_0_ID | EVTQ_0_SID)) &&
			      f.flags == (EVTQ_1_RnW | EVTQ_1_S2) && f.addr == rec[2],
			      "record %u: %#llx %#llx %#llx", taken, (unsigned long long)f.id_sid,
			      (unsigned long long)f.flags, (unsigned long long)f.addr);
		}
		CHECK(kvm_arm_smmu_next_fault(0, &f) == 0, "a record after %u", taken);
		CHECK(FAKE_EVTQ(s, cons) == FAKE_EVTQ(s, prod), "CONS %#x, PROD %#x",
		      FAKE_EVTQ(s, cons), FAKE_EVTQ(s, prod));
	}
	/* One more than the queue holds: the last is lost, and PROD says so. */
	fake_events(s, wrap + 1);
	CHECK(Q_OVF(FAKE_EVTQ(s, prod)), "no overflow");
	for (n = 0; kvm_arm_smmu_next_fault(0, &f) == 1; n++)
		;
	CHECK(n == wrap, "%u records out of a full queue", n);
	CHECK(FAKE_EVTQ(s, cons) == FAKE_EVTQ(s, prod),
	      "the overflow not acknowledged: CONS %#x, PROD %#x", FAKE_EVTQ(s, cons),
	      FAKE_EVTQ(s, prod));
	return !failures;
}

/*
 * An SMMU that loses power. While the host says it is off, none of its
 * registers is touched (a fake without power aborts on any), attach and
 * detach wait, and a page a domain with streams on it unmaps stays
 * counted, in the domain's log, until the reset at power-on invalidated
 * everything the SMMU holds: only then can the page be donated. The second
 * round is a host that says "off" of an SMMU that runs on: its TLB keeps
 * the old translation, so the page must stay counted all the same.
 */
static bool power_cycles(void)
{
	struct fake_smmu *s = fake_new(FAKE_MMIO(0));
	const u64 pa = MEM_BASE + 5 * SZ_1M;
	u64 strtab, cmdq, evtq;
	struct kvm_arm_smmu_fault f;
	unsigned long mmio;
	int lie;

	snprintf(where, sizeof(where), "power");
	CHECK(fake_register(s) == 0, "register");
	CHECK(kvm_arm_smmu_set_power(0, 2) == -EINVAL && kvm_arm_smmu_set_power(1, 0) == -EINVAL &&
	      kvm_arm_smmu_set_power(0, 1) == -EALREADY, "bad calls");
	strtab = FAKE_GET(s, strtab_base);
	cmdq = FAKE_GET(s, cmdq_base);
	evtq = FAKE_GET(s, evtq_base);
	CHECK(!kvm_iommu_alloc_domain(2) && !kvm_iommu_attach_dev(0, 2, 3), "attach");
	for (lie = 0; lie < 2; lie++) {
		CHECK(map_page(2, IOVA, pa) && fake_dma(s, 3, IOVA) == pa, "DMA, round %d", lie);
		CHECK(fake_set_power(0, false) == 0, "off, round %d", lie);
		if (!lie)
			fake_power_off(s);
		mmio = fake_nr_mmio(s);
		CHECK(kvm_arm_smmu_set_power(0, 0) == -EALREADY &&
		      kvm_arm_smmu_next_fault(0, &f) == 0, "off twice");
		CHECK(kvm_iommu_attach_dev(0, 2, 4) == -EAGAIN &&
		      kvm_iommu_detach_dev(0, 2, 3) == -EAGAIN, "attach and detach while off");
		CHECK(unmap_page(2, IOVA) && mem_dma_count(mem_page(pa)) == 1 &&
		      kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) == 1, "unmap while off");
		CHECK(__pkvm_host_donate_hyp(pa / SZ_4K, 1) == -EBUSY,
		      "donated before the SMMU was invalidated");
		CHECK(lie ? fake_dma(s, 3, IOVA) == pa : true,
		      "the TLB of an SMMU said to be off lost the translation");
		CHECK(fake_nr_mmio(s) == mmio, "%lu register accesses while off",
		      fake_nr_mmio(s) - mmio);
		if (!lie)
			fake_power_on(s);
		CHECK(fake_set_power(0, true) == 0, "on, round %d", lie);
		CHECK(FAKE_GET(s, strtab_base) == strtab && FAKE_GET(s, cmdq_base) == cmdq &&
		      FAKE_GET(s, evtq_base) == evtq && (FAKE_GET(s, gbpa) & GBPA_ABORT) &&
		      (FAKE_GET(s, cr0) & CR0_SMMUEN) && FAKE_GET(s, cr1) && FAKE_GET(s, cr2),
		      "not reprogrammed at power-on");
		CHECK(!fake_tag_cached(s, 3) && fake_dma(s, 5, IOVA) == FAKE_NO_DMA,
		      "a translation survived, or a stream without a domain does not abort");
		CHECK(!mem_dma_count(mem_page(pa)) &&
		      !kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) && check_state(),
		      "the log was not drained at power-on");
		CHECK(!__pkvm_host_donate_hyp(pa / SZ_4K, 1), "donation after power-on");
		memset(mem + (pa - MEM_BASE), 0, SZ_4K);
		CHECK(!__pkvm_hyp_donate_host(pa / SZ_4K, 1), "the page back");
		CHECK(map_page(2, IOVA, pa) && fake_dma(s, 3, IOVA) == pa && unmap_page(2, IOVA),
		      "DMA after power-on");
	}
	CHECK(kvm_arm_smmu_set_power(0, 1) == -EALREADY, "on twice");
	CHECK(!kvm_iommu_detach_dev(0, 2, 3) && !free_domain(2) && check_state(),
	      "detach and free");
	return !failures;
}

/*
 * A deferred log that fills while its SMMU is off. Strict unmaps wait in
 * the log up to its bound; past it, a strict and a lazy unmap both get
 * -EAGAIN. Their entries are gone but the SMMU's TLB may still hold them,
 * so their pages stay counted for good, while the log's pages are released
 * by the power-on.
 */
static bool full_log_while_off(void)
{
	struct fake_smmu *s = fake_new(FAKE_MMIO(0));
	const u64 pa = MEM_BASE + 8 * SZ_1M, n = KVM_IOMMU_DEFERRED_RANGES;
	const u64 strict = pa + n * SZ_4K, lazy = strict + SZ_4K;
	size_t done;
	u64 i;

	snprintf(where, sizeof(where), "full log while off");
	CHECK(fake_register(s) == 0, "register");
	CHECK(!kvm_iommu_alloc_domain(2) && !kvm_iommu_attach_dev(0, 2, 3), "attach");
	for (i = 0; i < n + 2; i++)
		CHECK(map_page(2, IOVA + i * SZ_4K, pa + i * SZ_4K), "map %llu",
		      (unsigned long long)i);
	CHECK(fake_set_power(0, false) == 0, "off");
	fake_power_off(s);
	for (i = 0; i < n; i++)
		CHECK(unmap_page(2, IOVA + i * SZ_4K), "unmap %llu while off",
		      (unsigned long long)i);
	/*
	 * The model reads the tables only of domains the iommu-core harness
	 * allocated: while pages stay mapped or stuck here, the counts are
	 * checked one by one instead of by check_state().
	 */
	CHECK(kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) == n, "%llu pages logged, want %llu",
	      (unsigned long long)kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES),
	      (unsigned long long)n);
	CHECK(unmap(2, IOVA + n * SZ_4K, SZ_4K, 1, &done) == -EAGAIN && !done,
	      "a strict unmap past the full log");
	CHECK(unmap_deferred(2, IOVA + (n + 1) * SZ_4K, SZ_4K, 1, &done) == -EAGAIN && !done,
	      "a lazy unmap past the full log");
	CHECK(kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) == n &&
	      mem_dma_count(mem_page(strict)) == 1 && mem_dma_count(mem_page(lazy)) == 1,
	      "the log grew past its bound, or a refused page was released");
	fake_power_on(s);
	CHECK(fake_set_power(0, true) == 0, "on");
	CHECK(!kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) && !mem_dma_count(mem_page(pa)) &&
	      !mem_dma_count(mem_page(strict - SZ_4K)), "the log was not released at power-on");
	CHECK(mem_dma_count(mem_page(strict)) == 1 && mem_dma_count(mem_page(lazy)) == 1 &&
	      __pkvm_host_donate_hyp(strict / SZ_4K, 1) == -EBUSY &&
	      __pkvm_host_donate_hyp(lazy / SZ_4K, 1) == -EBUSY,
	      "a page whose unmap was refused left the host");
	CHECK(fake_dma(s, 3, IOVA + n * SZ_4K) == FAKE_NO_DMA &&
	      fake_dma(s, 3, IOVA + (n + 1) * SZ_4K) == FAKE_NO_DMA, "DMA through a refused unmap");
	CHECK(!kvm_iommu_detach_dev(0, 2, 3) && !kvm_iommu_free_domain(2) &&
	      mem_dma_count(mem_page(strict)) == 1 && mem_dma_count(mem_page(lazy)) == 1,
	      "detach and free, or they released the refused pages");
	return !failures;
}

/*
 * Two SMMUs, a domain on each. With SMMU 0 off, what the domain on SMMU 1
 * unmaps is released at once, and only the domain on SMMU 0 waits for its
 * power-on. Then SMMU 1, which does not snoop, loses power for real: its
 * reset must clean what it writes, or its DMA after power-on misses.
 */
static bool power_off_holds_back_its_domains(void)
{
	struct fake_smmu *a = fake_new(FAKE_MMIO(0)), *b = fake_new(FAKE_MMIO(1));
	const u64 pa = MEM_BASE + 6 * SZ_1M, pb = pa + SZ_4K;

	snprintf(where, sizeof(where), "power, two SMMUs");
	b->idr[0] &= ~IDR0_COHACC;
	CHECK(fake_register(a) == 0 && fake_register(b) == 1, "register");
	CHECK(!kvm_iommu_alloc_domain(2) && !kvm_iommu_attach_dev(0, 2, 3) &&
	      !kvm_iommu_alloc_domain(4) && !kvm_iommu_attach_dev(1, 4, 5), "attach");
	CHECK(map_page(2, IOVA, pa) && map_page(4, IOVA, pb) && fake_dma(a, 3, IOVA) == pa &&
	      fake_dma(b, 5, IOVA) == pb, "DMA");
	CHECK(fake_set_power(0, false) == 0, "SMMU 0 off");
	fake_power_off(a);
	CHECK(unmap_page(4, IOVA) && !mem_dma_count(mem_page(pb)) &&
	      !kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) && fake_dma(b, 5, IOVA) == FAKE_NO_DMA,
	      "the domain on SMMU 1 waited for SMMU 0");
	CHECK(unmap_page(2, IOVA) && mem_dma_count(mem_page(pa)) == 1 &&
	      kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) == 1 && check_state(),
	      "the domain on SMMU 0 did not wait for it");
	fake_power_on(a);
	CHECK(fake_set_power(0, true) == 0 && !mem_dma_count(mem_page(pa)) &&
	      !kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) && check_state(), "SMMU 0 on");

	CHECK(map_page(4, IOVA, pb) && fake_dma(b, 5, IOVA) == pb, "DMA through SMMU 1");
	CHECK(fake_set_power(1, false) == 0, "SMMU 1 off");
	fake_power_off(b);
	CHECK(unmap_page(4, IOVA) && mem_dma_count(mem_page(pb)) == 1, "unmap while SMMU 1 is off");
	fake_power_on(b);
	CHECK(fake_set_power(1, true) == 0 && !mem_dma_count(mem_page(pb)) && check_state(),
	      "SMMU 1 on");
	CHECK(map_page(4, IOVA, pb) && fake_dma(b, 5, IOVA) == pb && unmap_page(4, IOVA) &&
	      fake_dma(b, 5, IOVA) == FAKE_NO_DMA, "DMA through SMMU 1 after its power-on");
	CHECK(!kvm_iommu_detach_dev(0, 2, 3) && !kvm_iommu_detach_dev(1, 4, 5) &&
	      !free_domain(2) && !free_domain(4) && check_state(), "detach and free");
	return !failures;
}

int main(void)
{
	printf("TAP version 13\n");
	run(registration_refusals, "registration_refusals");
	run(no_el2_regime, "no_el2_regime");
	run(vmid8, "vmid8_refuses_wide_tags");
	run(two_smmus, "two_smmus_both_flushed");
	run(failed_attach_then_reuse, "failed_attach_then_reuse");
	run(failed_detach_stays_attached, "failed_detach_stays_attached");
	run(first_attach_drops_the_tag, "first_attach_drops_the_tag");
	run(registration_end_state, "registration_end_state");
	run(noncoherent, "noncoherent_smmu");
	run(noncoherent_by_firmware, "noncoherent_smmu_by_firmware");
	run(stage1_only, "stage1_only_smmu");
	run(stage1_mixed_coherence, "stage1_cd_reaches_a_noncoherent_smmu");
	run(coherent_then_noncoherent_with_a_domain, "noncoherent_smmu_after_a_table_refused");
	run(coherent_then_noncoherent, "noncoherent_smmu_second_before_any_table");
	run(noncoherent_then_coherent_with_a_domain, "coherent_smmu_after_a_noncoherent_one");
	run(range_invalidation, "range_invalidation_reaches_every_page");
	run(mmio_per_call, "register_accesses_per_map_and_unmap");
	run(cmdq_races, "command_queue_shared_by_cpus");
	run(identity_domain, "identity_domain_reaches_only_the_host");
	run(identity_then_second_smmu, "identity_domain_loses_a_later_smmu");
	run(event_queue, "event_queue_gives_the_host_its_part");
	run(power_cycles, "power_off_keeps_counts_until_power_on");
	run(power_off_holds_back_its_domains, "power_off_holds_back_only_its_domains");
	run(full_log_while_off, "full_log_while_off_refuses_and_keeps_counts");
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
