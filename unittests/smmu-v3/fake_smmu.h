/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fake SMMUv3s for the hypervisor's SMMUv3 driver, as hardware is and QEMU
 * is not: several of them, each with its own ID registers (8-bit VMIDs,
 * no EL2 regime, preset tables, no coherent access), registers behind MMIO
 * accessors, a command queue executed when PROD is written, a
 * configuration cache and a TLB filled by the device's DMA and emptied only
 * by invalidation commands. A lazy fake runs its commands a few at a time
 * when CONS is read, as hardware consumes them while the CPU goes on;
 * registers and DMA are atomic, so CPUs in threads may share a fake.
 *
 * Built with FAKE_SMMU_THREAD (the ThreadSanitizer build), the fakes run
 * their commands on a thread of their own, as hardware does, and talk to
 * the CPUs only through the registers of the command path, atomics: it
 * reads the queue as what wmb() made visible to devices
 * (harness_device_observe()), and writes CONS and GERROR once the commands
 * it read are done (release). So queue entries no wmb() ordered before
 * the doorbell are a race ThreadSanitizer reports. The event queue works
 * the same way the other way round: that thread writes the records, then
 * PROD, and reads CONS before it writes a slot again, so a record read
 * before PROD, or a CONS moved before the reads of the records are done,
 * is a race too. The fakes' own state takes
 * fake_lock; so do the tests that read it. A non-coherent fake reads the stream table,
 * context descriptors, command queue and I/O page tables from what cache
 * cleans wrote to memory, never from the CPU's view.
 *
 * A fake can lose power, as SMMUs of phones do with the devices behind
 * them: its registers then read as at reset, its caches are empty, and a
 * register access while it has no power is fatal, as the external abort
 * it is on hardware. Its GBPA comes out of reset aborting, which a
 * platform must provide (see the documentation's integration section).
 *
 * The fake decodes everything it reads itself; it uses only the register
 * and field layout of the kernel's arm-smmu-v3.h.
 */
#ifndef FAKE_SMMU_H
#define FAKE_SMMU_H

#include <sched.h>
#include <asm/kvm_mmu.h>
#include <nvhe/mm.h>
#include "arm-smmu-v3.h"

#include "../iommu-core/harness.h"

#define NR_FAKE_SMMUS		8
#define FAKE_MMIO_SIZE		SZ_128K
#define FAKE_TLB_ENTRIES	512
#define FAKE_MAX_SIDS		64
/* Host memory the tests give the driver for queues and level-1 tables */

struct fake_tlb_entry {
	bool valid;
	bool stage1;
	u16 tag;
	u64 iova, pa, size;
};

struct fake_smmu {
	u64 mmio;			/* physical address registered */
	unsigned char *regs;		/* its private mapping at EL2 */
	u32 idr[6];
	u32 cr0, cr1, cr2, gbpa, irq_ctrl, gerror, gerrorn;
	u64 strtab_base, cmdq_base, evtq_base;
	u32 strtab_cfg, cmdq_prod, cmdq_cons, evtq_prod, evtq_cons;
	/* Events the test asked for, and those recorded in the queue (atomics) */
	u32 evtq_asked, evtq_recorded;
	unsigned long nr_cmds, nr_mmio, nr_tlbi_el2;
	/* Reads of CONS since a command error stopped the queue */
	unsigned int stalled_reads;
	/* Fail the command after the next CFGI_STE of this stream + 1 */
	u32 fail_after_cfgi;
	bool fail_next;
	/* TLBIs by address from here up are illegal */
	u64 fail_iova;
	/* Commands run when CONS is read, 0 to 2 at a time, not at PROD writes */
	bool lazy;
	u32 lazy_seed;
	/* The device on this stream + 1 DMAs to touch_iova at each CFGI_STE */
	u32 touch_sid;
	u64 touch_iova;
	bool ste_cached[FAKE_MAX_SIDS];
	u64 ste_cache[FAKE_MAX_SIDS][STRTAB_STE_DWORDS];
	u64 cd_cache[FAKE_MAX_SIDS][CTXDESC_CD_DWORDS];
	struct fake_tlb_entry tlb[FAKE_TLB_ENTRIES];
	/* Without power: its registers are not to be touched. */
	bool powered_off;
	/* The system does not snoop for it, whatever IDR0.COHACC says: firmware knows. */
	bool fw_noncoherent;
};

static struct fake_smmu fakes[NR_FAKE_SMMUS];
#ifdef FAKE_SMMU_THREAD
static const bool fake_threaded = true;
#else
static const bool fake_threaded;
#endif
/* Makes each register access and each DMA of any fake atomic */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
unsigned long hyp_nr_cpus = HARNESS_NR_CPUS;
static int nr_fakes;

/* The next host page to give at registration */
static uint64_t host_gift_next = HOST_GIFT_BASE;

#define FAKE_NO_DMA	(~0ULL)
#define FAKE_EVENT_IOVA	0x10000000ULL

static bool fake_coherent(struct fake_smmu *s)
{
	return (s->idr[0] & IDR0_COHACC) && !s->fw_noncoherent;
}

/* ---- Memory as the fakes read it ---- */

/* A doubleword at @pa, as @s reads it: from memory unless it snoops caches. */
static u64 fake_read64(struct fake_smmu *s, u64 pa)
{
	if (fake_coherent(s) && model_page(pa) >= 0)
		return __atomic_load_n((u64 *)pa_to_va(pa), __ATOMIC_RELAXED);
	if (model_page(pa) >= 0)
		return device_read(pa);
	fprintf(stderr, "fake SMMU reads %#llx, which is no memory it was given\n",
		(unsigned long long)pa);
	abort();
}

static void fake_read(struct fake_smmu *s, u64 pa, u64 *buf, int dwords)
{
	int i;

	for (i = 0; i < dwords; i++)
		buf[i] = fake_read64(s, pa + 8 * i);
}

/* Host memory for kvm_arm_smmu_register(): a pfn of pages the host owns. */
static u64 host_pages(int n)
{
	u64 pa = host_gift_next;

	host_gift_next += n * SZ_4K;
	if (host_gift_next > SMMU2_MMIO)
		abort();
	return pa >> PAGE_SHIFT;
}

/* ---- Translation ---- */

/* The STE of @sid and, for stage 1, its CD; false when the stream aborts. */
static bool fake_config(struct fake_smmu *s, u32 sid, u64 *ste, u64 *cd)
{
	u32 split = FIELD_GET(STRTAB_BASE_CFG_SPLIT, s->strtab_cfg);
	u64 l1, base = s->strtab_base & STRTAB_BASE_ADDR_MASK;

	if (!(s->cr0 & CR0_SMMUEN) || sid >= FAKE_MAX_SIDS)
		return false;
	if (!s->ste_cached[sid]) {
		l1 = fake_read64(s, base + 8 * (sid >> split));
		if (!FIELD_GET(STRTAB_L1_DESC_SPAN, l1))
			return false;
		fake_read(s, (l1 & STRTAB_L1_DESC_L2PTR_MASK) +
			  (sid & (BIT(split) - 1)) * STRTAB_STE_DWORDS * 8,
			  s->ste_cache[sid], STRTAB_STE_DWORDS);
		memset(s->cd_cache[sid], 0, sizeof(s->cd_cache[sid]));
		if (FIELD_GET(STRTAB_STE_0_CFG, s->ste_cache[sid][0]) == STRTAB_STE_0_CFG_S1_TRANS)
			fake_read(s, s->ste_cache[sid][0] & STRTAB_STE_0_S1CTXPTR_MASK,
				  s->cd_cache[sid], CTXDESC_CD_DWORDS);
		s->ste_cached[sid] = true;
	}
	memcpy(ste, s->ste_cache[sid], sizeof(s->ste_cache[sid]));
	memcpy(cd, s->cd_cache[sid], sizeof(s->cd_cache[sid]));
	return ste[0] & STRTAB_STE_0_V;
}

/* Walk VMSAv8-64 tables with a 4KiB granule from @ttb; fills @size. */
static u64 fake_walk(struct fake_smmu *s, u64 ttb, u32 ias, u64 iova, u64 *size)
{
	u32 levels = (ias - 12 + 8) / 9, level = 4 - levels;
	u64 table = ttb;

	if (iova >= BIT_ULL(ias))
		return FAKE_NO_DMA;
	for (;; level++) {
		u32 shift = 12 + 9 * (3 - level);
		u64 idx = (iova >> shift) & (level == 4 - levels ? BIT_ULL(ias - shift) - 1 : 511);
		u64 d = fake_read64(s, table + 8 * idx);

		if (!(d & 1))
			return FAKE_NO_DMA;
		if (level == 3 || !(d & 2)) {
			if (level == 0 || (level == 3 && !(d & 2))) {
				FAIL("fake SMMU: reserved descriptor %#llx at level %u",
				     (unsigned long long)d, level);
				return FAKE_NO_DMA;
			}
			*size = BIT_ULL(shift);
			return (d & GENMASK_ULL(47, shift)) | (iova & (BIT_ULL(shift) - 1));
		}
		table = d & GENMASK_ULL(47, 12);
	}
}

/*
 * A DMA of the device on stream @sid to @iova: the output address, or
 * FAKE_NO_DMA when it faults. Translations are cached in the TLB.
 */
static u64 fake_dma_locked(struct fake_smmu *s, u32 sid, u64 iova)
{
	u64 ste[STRTAB_STE_DWORDS], cd[CTXDESC_CD_DWORDS], ttb, pa, size = 0;
	bool stage1;
	u32 ias;
	u16 tag;
	int i, free_slot = -1;

	if (!fake_config(s, sid, ste, cd))
		return FAKE_NO_DMA;
	stage1 = FIELD_GET(STRTAB_STE_0_CFG, ste[0]) == STRTAB_STE_0_CFG_S1_TRANS;
	if (stage1) {
		if (!(cd[0] & CTXDESC_CD_0_V))
			return FAKE_NO_DMA;
		tag = FIELD_GET(CTXDESC_CD_0_ASID, cd[0]);
		ttb = cd[1] & CTXDESC_CD_1_TTB0_MASK;
		ias = 64 - FIELD_GET(CTXDESC_CD_0_TCR_T0SZ, cd[0]);
	} else if (FIELD_GET(STRTAB_STE_0_CFG, ste[0]) == STRTAB_STE_0_CFG_S2_TRANS) {
		tag = FIELD_GET(STRTAB_STE_2_S2VMID, ste[2]);
		/* Without 16-bit VMIDs, the SMMU ignores the upper byte. */
		if (!(s->idr[0] & IDR0_VMID16))
			tag &= 0xff;
		ttb = ste[3] & STRTAB_STE_3_S2TTB_MASK;
		ias = 64 - FIELD_GET(STRTAB_STE_2_VTCR_S2T0SZ,
				     FIELD_GET(STRTAB_STE_2_VTCR, ste[2]));
	} else {
		return FAKE_NO_DMA;
	}
	for (i = 0; i < FAKE_TLB_ENTRIES; i++) {
		struct fake_tlb_entry *e = &s->tlb[i];

		if (!e->valid) {
			free_slot = i;
			continue;
		}
		if (e->stage1 == stage1 && e->tag == tag && iova - e->iova < e->size)
			return e->pa + (iova - e->iova);
	}
	pa = fake_walk(s, ttb, ias, iova, &size);
	if (pa == FAKE_NO_DMA)
		return pa;
	if (free_slot < 0)
		abort();
	s->tlb[free_slot] = (struct fake_tlb_entry) {
		.valid = true, .stage1 = stage1, .tag = tag,
		.iova = iova & ~(size - 1), .pa = pa & ~(size - 1), .size = size,
	};
	return pa;
}

static u64 fake_dma(struct fake_smmu *s, u32 sid, u64 iova)
{
	u64 pa;

	pthread_mutex_lock(&fake_lock);
	pa = fake_dma_locked(s, sid, iova);
	pthread_mutex_unlock(&fake_lock);
	return pa;
}

/* Whether any fake SMMU's TLB still translates into [pa, pa + len). */
static bool fake_tlb_reaches(uint64_t pa, uint64_t len)
{
	bool found = false;
	int i, j;

	pthread_mutex_lock(&fake_lock);
	for (i = 0; i < nr_fakes; i++) {
		for (j = 0; j < FAKE_TLB_ENTRIES; j++) {
			struct fake_tlb_entry *e = &fakes[i].tlb[j];

			if (e->valid && e->pa < pa + len && pa < e->pa + e->size)
				found = true;
		}
	}
	pthread_mutex_unlock(&fake_lock);
	return found;
}

static bool fake_tag_cached(struct fake_smmu *s, u16 tag)
{
	bool cached = false;
	int j;

	pthread_mutex_lock(&fake_lock);
	for (j = 0; j < FAKE_TLB_ENTRIES; j++)
		if (s->tlb[j].valid && s->tlb[j].tag == tag)
			cached = true;
	pthread_mutex_unlock(&fake_lock);
	return cached;
}

/* ---- Commands ---- */

/*
 * Where the fake reaches @iova under @tag through the stream table in
 * memory, or FAKE_NO_DMA when no stream of that tag translates it.
 */
static u64 fake_tag_translates(struct fake_smmu *s, bool stage1, u16 tag, u64 iova)
{
	static u64 ste_cache[FAKE_MAX_SIDS][STRTAB_STE_DWORDS];
	static u64 cd_cache[FAKE_MAX_SIDS][CTXDESC_CD_DWORDS];
	u64 ste[STRTAB_STE_DWORDS], cd[CTXDESC_CD_DWORDS], size, pa;
	bool cached[FAKE_MAX_SIDS];
	u32 sid;

	memcpy(cached, s->ste_cached, sizeof(cached));
	memcpy(ste_cache, s->ste_cache, sizeof(ste_cache));
	memcpy(cd_cache, s->cd_cache, sizeof(cd_cache));
	memset(s->ste_cached, 0, sizeof(s->ste_cached));
	for (sid = 0, pa = FAKE_NO_DMA; sid < FAKE_MAX_SIDS && pa == FAKE_NO_DMA; sid++) {
		if (!fake_config(s, sid, ste, cd))
			continue;
		if (stage1 && FIELD_GET(STRTAB_STE_0_CFG, ste[0]) == STRTAB_STE_0_CFG_S1_TRANS &&
		    (cd[0] & CTXDESC_CD_0_V) && FIELD_GET(CTXDESC_CD_0_ASID, cd[0]) == tag)
			pa = fake_walk(s, cd[1] & CTXDESC_CD_1_TTB0_MASK,
				       64 - FIELD_GET(CTXDESC_CD_0_TCR_T0SZ, cd[0]), iova, &size);
		else if (!stage1 &&
			 FIELD_GET(STRTAB_STE_0_CFG, ste[0]) == STRTAB_STE_0_CFG_S2_TRANS &&
			 FIELD_GET(STRTAB_STE_2_S2VMID, ste[2]) == tag)
			pa = fake_walk(s, ste[3] & STRTAB_STE_3_S2TTB_MASK,
				       64 - FIELD_GET(STRTAB_STE_2_VTCR_S2T0SZ,
						      FIELD_GET(STRTAB_STE_2_VTCR, ste[2])),
				       iova, &size);
	}
	/* The walk above must not change what the SMMU has cached. */
	memcpy(s->ste_cached, cached, sizeof(cached));
	memcpy(s->ste_cache, ste_cache, sizeof(ste_cache));
	memcpy(s->cd_cache, cd_cache, sizeof(cd_cache));
	return pa;
}

/* A fake reaches @pa at @iova of @domain through its stream table and tables in memory. */
static bool fake_tables_reach(u32 domain, uint64_t iova, uint64_t pa)
{
	int i;

	for (i = 0; i < nr_fakes; i++)
		if (fake_tag_translates(&fakes[i], !(fakes[i].idr[0] & IDR0_S2P), domain + 1,
					iova) == pa)
			return true;
	return false;
}

/* An invalidation of @s reached [iova, iova + size) of @tag, or everything. */
static void fake_invalidate(struct fake_smmu *s, bool stage1, bool all, u16 tag, u64 iova,
			    u64 size)
{
	int i;

	for (i = 0; i < FAKE_TLB_ENTRIES; i++) {
		struct fake_tlb_entry *e = &s->tlb[i];

		if (e->valid && (all || (e->stage1 == stage1 && e->tag == tag &&
					 e->iova < iova + size && iova < e->iova + e->size)))
			e->valid = false;
	}
}

/* Size of a TLBI by address: a range, or the leaf holding the address. */
static u64 tlbi_size(u64 *cmd)
{
	if (!FIELD_GET(CMDQ_TLBI_1_TG, cmd[1]))
		return SZ_4K;
	return (FIELD_GET(CMDQ_TLBI_0_NUM, cmd[0]) + 1) <<
	       (FIELD_GET(CMDQ_TLBI_0_SCALE, cmd[0]) + 12);
}

/* Run one command; false when it is illegal. */
static bool fake_cmd(struct fake_smmu *s, u64 *cmd)
{
	u32 sid = FIELD_GET(CMDQ_CFGI_0_SID, cmd[0]);
	bool s1 = false;

	switch (FIELD_GET(CMDQ_0_OP, cmd[0])) {
	case CMDQ_OP_CFGI_STE:
	case CMDQ_OP_CFGI_CD:
		if (sid < FAKE_MAX_SIDS)
			s->ste_cached[sid] = false;
		if (s->touch_sid == sid + 1)
			fake_dma_locked(s, sid, s->touch_iova);
		if (s->fail_after_cfgi == sid + 1) {
			s->fail_after_cfgi = 0;
			s->fail_next = true;
		}
		return true;
	case CMDQ_OP_CFGI_ALL:
		memset(s->ste_cached, 0, sizeof(s->ste_cached));
		return true;
	case CMDQ_OP_TLBI_NH_ASID:
		fake_invalidate(s, true, false, FIELD_GET(CMDQ_TLBI_0_ASID, cmd[0]), 0, ~0ULL);
		return true;
	case CMDQ_OP_TLBI_NH_VA:
		s1 = true;
		fallthrough;
	case CMDQ_OP_TLBI_S2_IPA:
		if ((cmd[1] & (s1 ? CMDQ_TLBI_1_VA_MASK : CMDQ_TLBI_1_IPA_MASK)) >= s->fail_iova)
			return false;
		fake_invalidate(s, s1, false,
				s1 ? FIELD_GET(CMDQ_TLBI_0_ASID, cmd[0]) :
				     FIELD_GET(CMDQ_TLBI_0_VMID, cmd[0]),
				cmd[1] & (s1 ? CMDQ_TLBI_1_VA_MASK : CMDQ_TLBI_1_IPA_MASK),
				tlbi_size(cmd));
		return true;
	case CMDQ_OP_TLBI_S12_VMALL:
		fake_invalidate(s, false, false, FIELD_GET(CMDQ_TLBI_0_VMID, cmd[0]), 0, ~0ULL);
		return true;
	case CMDQ_OP_TLBI_NSNH_ALL:
		fake_invalidate(s, false, true, 0, 0, 0);
		return true;
	case CMDQ_OP_TLBI_EL2_ALL:
		s->nr_tlbi_el2++;
		return s->idr[0] & IDR0_HYP;
	case CMDQ_OP_CMD_SYNC:
		return true;
	default:
		return false;
	}
}

static u32 fake_cmdq_mask(struct fake_smmu *s)
{
	return BIT(FIELD_GET(Q_BASE_LOG2SIZE, s->cmdq_base) + 1) - 1;
}

/*
 * Consume up to @max commands, stopping at PROD or at an illegal one, then
 * publish CONS: what the commands did is done for whoever reads it.
 */
static void fake_cmdq_run(struct fake_smmu *s, u32 max)
{
	u32 mask = fake_cmdq_mask(s), size = (mask + 1) / 2, cons;
	u64 cmd[CMDQ_ENT_DWORDS];

	if (!(s->cr0 & CR0_CMDQEN) ||
	    ((__atomic_load_n(&s->gerror, __ATOMIC_RELAXED) ^
	      __atomic_load_n(&s->gerrorn, __ATOMIC_RELAXED)) & GERROR_CMDQ_ERR))
		return;
	cons = __atomic_load_n(&s->cmdq_cons, __ATOMIC_RELAXED) & mask;
	while (max-- && cons != (__atomic_load_n(&s->cmdq_prod, __ATOMIC_RELAXED) & mask)) {
		harness_device_observe();
		fake_read(s, (s->cmdq_base & Q_BASE_ADDR_MASK) +
			  (cons & (size - 1)) * CMDQ_ENT_DWORDS * 8, cmd,
			  CMDQ_ENT_DWORDS);
		s->nr_cmds++;
		if (s->fail_next || !fake_cmd(s, cmd)) {
			/* CONS names the failed command before GERROR says so. */
			s->fail_next = false;
			cons |= FIELD_PREP(CMDQ_CONS_ERR, CMDQ_ERR_CERROR_ILL_IDX);
			__atomic_store_n(&s->cmdq_cons, cons, __ATOMIC_RELEASE);
			__atomic_fetch_xor(&s->gerror, GERROR_CMDQ_ERR, __ATOMIC_RELEASE);
			return;
		}
		cons = (cons + 1) & mask;
	}
	__atomic_store_n(&s->cmdq_cons, cons, __ATOMIC_RELEASE);
}

/* ---- Registers ---- */

/*
 * Reads of CONS while a command error stops the queue: the driver must
 * acknowledge the error (GERRORN) after a few, as nothing moves before.
 * Past FAKE_STALLED_READS the test fails at once, rather than each wait
 * running to the driver's 10^6 polls; meanwhile the reader yields, so that
 * the CPU whose turn it is to skip the error runs. On a loaded host that
 * CPU's thread may wait for a core while three others poll: 10,000 reads
 * were once reached that way.
 */
#define FAKE_STALLED_READS	200000

static void fake_check_stalled(struct fake_smmu *s)
{
	if (!((__atomic_load_n(&s->gerror, __ATOMIC_RELAXED) ^
	       __atomic_load_n(&s->gerrorn, __ATOMIC_RELAXED)) & GERROR_CMDQ_ERR))
		return;
	if (__atomic_add_fetch(&s->stalled_reads, 1, __ATOMIC_RELAXED) > FAKE_STALLED_READS) {
		fprintf(stderr, "fake SMMU at %#llx: CONS read %d times while a command error "
			"stops the queue: the driver does not acknowledge it\n",
			(unsigned long long)s->mmio, FAKE_STALLED_READS);
		abort();
	}
	sched_yield();
}

static struct fake_smmu *fake_at(const volatile void *addr, u32 *off)
{
	int i;

	for (i = 0; i < nr_fakes; i++) {
		uintptr_t o = (uintptr_t)addr - (uintptr_t)fakes[i].regs;

		if (fakes[i].regs && o < FAKE_MMIO_SIZE) {
			if (__atomic_load_n(&fakes[i].powered_off, __ATOMIC_RELAXED)) {
				fprintf(stderr, "%s: register %#lx of SMMU %d accessed without power\n",
					where, (unsigned long)o, i);
				abort();
			}
			*off = o;
			__atomic_fetch_add(&fakes[i].nr_mmio, 1, __ATOMIC_RELAXED);
			return &fakes[i];
		}
	}
	fprintf(stderr, "MMIO access to %p, which is no fake SMMU\n", addr);
	abort();
}

static u32 fake_readl(const volatile void __iomem *addr)
{
	u32 off;
	struct fake_smmu *s = fake_at(addr, &off);

	switch (off) {
	case ARM_SMMU_IDR0: return s->idr[0];
	case ARM_SMMU_IDR1: return s->idr[1];
	case ARM_SMMU_IDR3: return s->idr[3];
	case ARM_SMMU_IDR5: return s->idr[5];
	case ARM_SMMU_CR0ACK: return s->cr0;
	case ARM_SMMU_GBPA: return s->gbpa;
	case ARM_SMMU_IRQ_CTRLACK: return s->irq_ctrl;
	/*
	 * CONS and GERROR are read with acquire: the driver branches on them
	 * before it writes a queue slot the SMMU read before it moved CONS or
	 * raised the error, a control dependency that orders the write on
	 * arm64 and that C11 can only spell acquire.
	 */
	case ARM_SMMU_GERROR: return __atomic_load_n(&s->gerror, __ATOMIC_ACQUIRE);
	case ARM_SMMU_GERRORN: return __atomic_load_n(&s->gerrorn, __ATOMIC_RELAXED);
	case ARM_SMMU_CMDQ_PROD: return __atomic_load_n(&s->cmdq_prod, __ATOMIC_RELAXED);
	case ARM_SMMU_CMDQ_CONS:
		if (s->lazy && !fake_threaded) {
			s->lazy_seed = s->lazy_seed * 1103515245 + 12345;
			fake_cmdq_run(s, (s->lazy_seed >> 16) % 3);
		}
		fake_check_stalled(s);
		return __atomic_load_n(&s->cmdq_cons, __ATOMIC_ACQUIRE);
	case SZ_64K + ARM_SMMU_EVTQ_PROD: return __atomic_load_n(&s->evtq_prod, __ATOMIC_RELAXED);
	case SZ_64K + ARM_SMMU_EVTQ_CONS: return __atomic_load_n(&s->evtq_cons, __ATOMIC_RELAXED);
	default: return 0;
	}
}

/* The registers of the queues, which a threaded fake shares without its lock */
static bool fake_cmdq_reg(const volatile void __iomem *addr)
{
	uintptr_t o;
	int i;

	for (i = 0; i < nr_fakes; i++) {
		o = (uintptr_t)addr - (uintptr_t)fakes[i].regs;
		if (fakes[i].regs && o < FAKE_MMIO_SIZE)
			return o == ARM_SMMU_CMDQ_PROD || o == ARM_SMMU_CMDQ_CONS ||
			       o == ARM_SMMU_GERROR || o == ARM_SMMU_GERRORN ||
			       o == SZ_64K + ARM_SMMU_EVTQ_PROD ||
			       o == SZ_64K + ARM_SMMU_EVTQ_CONS;
	}
	return false;
}

u32 readl_relaxed(const volatile void __iomem *addr)
{
	u32 val;

	if (fake_threaded && fake_cmdq_reg(addr))
		return fake_readl(addr);
	pthread_mutex_lock(&fake_lock);
	val = fake_readl(addr);
	pthread_mutex_unlock(&fake_lock);
	return val;
}

static void fake_writel(u32 val, volatile void __iomem *addr)
{
	u32 off;
	struct fake_smmu *s = fake_at(addr, &off);

	switch (off) {
	case ARM_SMMU_CR0:
		/* Enabling forgets nothing cached: only CFGI and TLBI commands do. */
		s->cr0 = val;
		break;
	case ARM_SMMU_CR1: s->cr1 = val; break;
	case ARM_SMMU_CR2: s->cr2 = val; break;
	case ARM_SMMU_GBPA: s->gbpa = val & ~GBPA_UPDATE; break;
	case ARM_SMMU_IRQ_CTRL: s->irq_ctrl = val; break;
	case ARM_SMMU_GERRORN:
		__atomic_store_n(&s->stalled_reads, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->gerrorn, val, __ATOMIC_RELAXED);
		break;
	case ARM_SMMU_STRTAB_BASE_CFG: s->strtab_cfg = val; break;
	case ARM_SMMU_CMDQ_PROD:
		__atomic_store_n(&s->cmdq_prod, val, __ATOMIC_RELAXED);
		if (!s->lazy && !fake_threaded)
			fake_cmdq_run(s, U32_MAX);
		break;
	case ARM_SMMU_CMDQ_CONS:
		if (!(s->cr0 & CR0_CMDQEN))
			__atomic_store_n(&s->cmdq_cons, val, __ATOMIC_RELAXED);
		break;
	case SZ_64K + ARM_SMMU_EVTQ_PROD: __atomic_store_n(&s->evtq_prod, val, __ATOMIC_RELAXED); break;
	case SZ_64K + ARM_SMMU_EVTQ_CONS: __atomic_store_n(&s->evtq_cons, val, __ATOMIC_RELAXED); break;
	default: break;
	}
}

void writel_relaxed(u32 val, volatile void __iomem *addr)
{
	if (fake_threaded && fake_cmdq_reg(addr))
		return fake_writel(val, addr);
	pthread_mutex_lock(&fake_lock);
	fake_writel(val, addr);
	pthread_mutex_unlock(&fake_lock);
}

void writeq_relaxed(u64 val, volatile void __iomem *addr)
{
	u32 off;
	struct fake_smmu *s;

	pthread_mutex_lock(&fake_lock);
	s = fake_at(addr, &off);
	switch (off) {
	case ARM_SMMU_STRTAB_BASE: s->strtab_base = val; break;
	case ARM_SMMU_CMDQ_BASE: s->cmdq_base = val; break;
	case ARM_SMMU_EVTQ_BASE: s->evtq_base = val; break;
	default: break;
	}
	pthread_mutex_unlock(&fake_lock);
}

/* ---- What registration takes from the host ---- */

/*
 * As mem_protect.c's: MMIO the host owns leaves the identity domain, then
 * becomes the hypervisor's, under host_mmu.lock.
 */
int __pkvm_host_donate_hyp_mmio(u64 phys, u64 size)
{
	int ret;

	hyp_spin_lock(&host_mmu.lock);
	if (!mmio_range_host_owned(phys, size))
		ret = -EPERM;
	else if (hyp_mmio_nr == HYP_MMIO_MAX)
		ret = -ENOSPC;
	else
		ret = kvm_iommu_idmap_remove(phys, size);
	if (!ret) {
		hyp_mmio[hyp_mmio_nr].base = phys;
		hyp_mmio[hyp_mmio_nr].size = size;
		hyp_mmio_nr++;
	}
	hyp_spin_unlock(&host_mmu.lock);
	return ret;
}

int __pkvm_create_private_mapping(phys_addr_t phys, size_t size, unsigned long prot,
				  unsigned long *haddr)
{
	int i;

	for (i = 0; i < nr_fakes; i++) {
		if (fakes[i].mmio == phys && size <= FAKE_MMIO_SIZE) {
			*haddr = (uintptr_t)fakes[i].regs;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * A fake SMMU like QEMU's (both stages, 16-bit VMIDs and ASIDs, EL2, range
 * invalidation, coherent, 16-bit stream IDs) at MMIO @mmio; the caller
 * changes the ID registers for the variant it tests.
 */
static struct fake_smmu *fake_new(u64 mmio)
{
	struct fake_smmu *s;

	pthread_mutex_lock(&fake_lock);
	s = &fakes[nr_fakes++];
	memset(s, 0, sizeof(*s));
	s->mmio = mmio;
	s->fail_iova = ~0ULL;
	s->regs = calloc(1, FAKE_MMIO_SIZE);
	if (!s->regs)
		abort();
	s->idr[0] = FIELD_PREP(IDR0_ST_LVL, IDR0_ST_LVL_2LVL) | IDR0_S1P | IDR0_S2P |
		    IDR0_ASID16 | IDR0_VMID16 | IDR0_HYP | IDR0_COHACC |
		    FIELD_PREP(IDR0_TTF, IDR0_TTF_AARCH64);
	s->idr[1] = FIELD_PREP(IDR1_SIDSIZE, 16) | FIELD_PREP(IDR1_CMDQS, 19) |
		    FIELD_PREP(IDR1_EVTQS, 19);
	s->idr[3] = IDR3_RIL;
	s->idr[5] = FIELD_PREP(IDR5_OAS, IDR5_OAS_44_BIT) | IDR5_GRAN4K;
	pthread_mutex_unlock(&fake_lock);
	return s;
}

/* Set a field of a fake that its commands read. */
#define FAKE_SET(s, field, val) do {					\
	pthread_mutex_lock(&fake_lock);					\
	(s)->field = (val);						\
	pthread_mutex_unlock(&fake_lock);				\
} while (0)

/* Read a counter of a fake, or any field its commands change. */
#define FAKE_GET(s, field) ({						\
	__typeof__((s)->field) __v;					\
	pthread_mutex_lock(&fake_lock);					\
	__v = (s)->field;						\
	pthread_mutex_unlock(&fake_lock);				\
	__v;								\
})

/*
 * The fake loses power: all it held is gone, and its registers come back
 * at their reset values (GBPA aborting) when fake_power_on() gives it
 * power again.
 */
static void fake_power_off(struct fake_smmu *s)
{
	pthread_mutex_lock(&fake_lock);
	s->cr0 = s->cr1 = s->cr2 = s->irq_ctrl = s->gerror = s->gerrorn = 0;
	s->strtab_base = s->cmdq_base = s->evtq_base = 0;
	s->strtab_cfg = s->cmdq_prod = s->cmdq_cons = s->evtq_prod = s->evtq_cons = 0;
	s->gbpa = GBPA_ABORT;
	memset(s->ste_cached, 0, sizeof(s->ste_cached));
	memset(s->tlb, 0, sizeof(s->tlb));
	__atomic_store_n(&s->powered_off, true, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&fake_lock);
}

static void fake_power_on(struct fake_smmu *s)
{
	__atomic_store_n(&s->powered_off, false, __ATOMIC_RELAXED);
}

/* SMMUs the test said to the hypervisor are off, powered or not */
static bool fake_said_off[NR_FAKE_SMMUS];

static int fake_set_power(int i, bool on)
{
	int ret = kvm_arm_smmu_set_power(i, on);

	if (!ret)
		fake_said_off[i] = !on;
	return ret;
}

/* The tests that say an SMMU is off have all their streams on it. */
static bool fake_domain_waits(u32 domain)
{
	int i;

	for (i = 0; i < NR_FAKE_SMMUS; i++)
		if (fake_said_off[i])
			return true;
	return false;
}

static unsigned long fake_nr_mmio(struct fake_smmu *s)
{
	return __atomic_load_n(&s->nr_mmio, __ATOMIC_RELAXED);
}

/* The record of the n-th event of the test: a translation fault of stream n % 64 */
static void fake_event_record(u32 n, u64 *rec)
{
	rec[0] = FIELD_PREP(EVTQ_0_ID, EVT_ID_TRANSLATION_FAULT) |
		 FIELD_PREP(EVTQ_0_SID, n % 64) | GENMASK_ULL(31, 12);
	rec[1] = EVTQ_1_RnW | EVTQ_1_S2 | FIELD_PREP(EVTQ_1_STAG, 7) | EVTQ_1_STALL;
	rec[2] = FAKE_EVENT_IOVA + (u64)n * SZ_4K;
	rec[3] = MEM_BASE + SZ_1M;	/* the table the walk read */
}

/*
 * Record the events asked for, as the SMMU does when transactions fault:
 * a record at PROD, then PROD moves on; the slot is written only once CONS
 * moved past it. With the queue full the record is lost and PROD's
 * overflow flag toggles. Coherent fakes only: a non-coherent one would
 * write past the CPU's caches, which the harness does not model.
 */
static void fake_evtq_run(struct fake_smmu *s)
{
	u32 wrap = BIT(FIELD_GET(Q_BASE_LOG2SIZE, s->evtq_base)), prod, cons, n;
	u64 rec[EVTQ_ENT_DWORDS];

	while ((n = __atomic_load_n(&s->evtq_recorded, __ATOMIC_RELAXED)) !=
	       __atomic_load_n(&s->evtq_asked, __ATOMIC_RELAXED)) {
		if (!fake_coherent(s))
			abort();
		prod = __atomic_load_n(&s->evtq_prod, __ATOMIC_RELAXED);
		cons = __atomic_load_n(&s->evtq_cons, __ATOMIC_RELAXED);
		/* What the CPU read of a slot before CONS passed it */
		(void)__atomic_fetch_add(&harness_fence_word, 0, __ATOMIC_ACQUIRE);
		if ((prod & (2 * wrap - 1)) == ((cons & (2 * wrap - 1)) ^ wrap)) {
			prod ^= Q_OVERFLOW_FLAG;
		} else {
			fake_event_record(n, rec);
			memcpy(pa_to_va((s->evtq_base & Q_BASE_ADDR_MASK) +
					(prod & (wrap - 1)) * EVTQ_ENT_DWORDS * 8),
			       rec, sizeof(rec));
			/* The record, before the PROD that shows it */
			(void)__atomic_fetch_add(&harness_fence_word, 0, __ATOMIC_RELEASE);
			prod = Q_OVF(prod) | ((prod + 1) & (2 * wrap - 1));
		}
		__atomic_store_n(&s->evtq_prod, prod, __ATOMIC_RELAXED);
		__atomic_store_n(&s->evtq_recorded, n + 1, __ATOMIC_RELAXED);
	}
}

/* Have @s record @n more events; return once they are in its queue. */
static void fake_events(struct fake_smmu *s, u32 n)
{
	__atomic_fetch_add(&s->evtq_asked, n, __ATOMIC_RELAXED);
	if (!fake_threaded) {
		fake_evtq_run(s);
		return;
	}
	while (__atomic_load_n(&s->evtq_recorded, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&s->evtq_asked, __ATOMIC_RELAXED))
		sched_yield();
}

/* An event queue register, as the SMMU holds it */
#define FAKE_EVTQ(s, reg)	__atomic_load_n(&(s)->evtq_##reg, __ATOMIC_RELAXED)

/* ---- The fakes' own thread ---- */

static pthread_t fake_thread;
static bool fake_thread_stop;

/*
 * Run what the CPUs queued, on any fake: all of it, or for a lazy fake
 * 0 to 2 commands at a time, while the CPUs go on.
 */
static void *fake_thread_fn(void *arg)
{
	int i;

	while (!__atomic_load_n(&fake_thread_stop, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&fake_lock);
		for (i = 0; i < nr_fakes; i++) {
			struct fake_smmu *s = &fakes[i];

			if (!s->regs || !s->cmdq_base)
				continue;
			s->lazy_seed = s->lazy_seed * 1103515245 + 12345;
			fake_cmdq_run(s, s->lazy ? (s->lazy_seed >> 16) % 3 : U32_MAX);
			fake_evtq_run(s);
		}
		pthread_mutex_unlock(&fake_lock);
		sched_yield();
	}
	return NULL;
}

static void fake_thread_start(void)
{
	if (fake_threaded && pthread_create(&fake_thread, NULL, fake_thread_fn, NULL))
		abort();
}

static void fake_thread_end(void)
{
	if (!fake_threaded)
		return;
	__atomic_store_n(&fake_thread_stop, true, __ATOMIC_RELAXED);
	pthread_join(fake_thread, NULL);
}

/* Register @s with the driver, with the memory the host driver would give. */
static int fake_register(struct fake_smmu *s)
{
	/* Two queue pages and the level-1 table of 16-bit stream IDs: 8KiB */
	return kvm_arm_smmu_register(s->mmio, SZ_128K, host_pages(4), 4,
				     s->fw_noncoherent ? KVM_SMMU_REGISTER_NONCOHERENT : 0);
}

static void fake_init(void)
{
	/* The host owns every SMMU's registers until it registers the SMMU. */
	hyp_mmio_nr = 0;
	device_caches = fake_tlb_reaches;
	device_tables_reach = fake_tables_reach;
	domain_waits_for_power = fake_domain_waits;
	flushes_unseen = true;
}

#endif /* FAKE_SMMU_H */
