// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SMMUv3 driver of the pKVM hypervisor: only what isolation needs. It
 * takes an SMMU from the host before the host is deprivileged, resets it
 * to abort all DMA, and then owns its stream table, its command queue and
 * the I/O page tables of the domains its streams are attached to. Streams
 * translate through stage 2, with the domain's ID as VMID; on SMMUs without
 * stage 2, through stage 1 with a context descriptor per domain and the ID
 * as ASID. Unattached streams abort.
 *
 * The event queue is the hypervisor's too: the host takes the interrupt and
 * asks for the records one by one, reduced to what a fault report needs.
 * Probing details and interrupt routing stay with the host.
 *
 * Power stays with the host too, which says when an SMMU loses it and when
 * it has it again. While it is off the hypervisor touches none of its
 * registers, attaches and detaches nothing on it, and cannot invalidate
 * its TLB: the counts of what a domain with streams on it unmaps stay, in
 * the domain's deferred log, until the SMMU is reset, all its caches
 * invalidated, at power-on. So a host that says "off" of an SMMU that runs
 * only delays its own unmaps.
 */
#include <asm/kvm_mmu.h>

#include <nvhe/arm-smmu-v3.h>
#include <nvhe/iommu.h>
#include <nvhe/mem_protect.h>
#include <nvhe/mm.h>

#include "arm-smmu-v3.h"
#include "io-pgtable-arm.h"

#define KVM_ARM_SMMU_MAX		4
#define SMMU_POLL_TIMEOUT		1000000

/* One 4KiB page of STEs per level-2 table. */
#define SMMU_STRTAB_SPLIT		(PAGE_SHIFT - ilog2(STRTAB_STE_DWORDS * 8))
#define SMMU_STES_PER_L2		BIT(SMMU_STRTAB_SPLIT)
#define SMMU_MAX_SID_BITS		16
/* Input size of stage-1 domains: 48-bit VAs, translated from level 0 */
#define SMMU_S1_IAS			48
/* A page of commands, and a page of events. */
#define SMMU_CMDQ_LOG2			(PAGE_SHIFT - ilog2(CMDQ_ENT_DWORDS * 8))
#define SMMU_EVTQ_LOG2			(PAGE_SHIFT - ilog2(EVTQ_ENT_DWORDS * 8))
#define SMMU_CMDQ_ENTS			BIT(SMMU_CMDQ_LOG2)
/* The registers of page 1 */
#define SMMU_PAGE1			SZ_64K
/* Past this many pages, invalidating the whole domain is cheaper. */
#define SMMU_TLBI_MAX_PAGES		16
#define SMMU_TLBI_MAX_RANGE		SZ_1G
/* The most commands of a batch: one TLBI per page, and its CMD_SYNC */
#define SMMU_BATCH_MAX			(SMMU_TLBI_MAX_PAGES + 1)

struct hyp_arm_smmu {
	void __iomem *base;
	bool coherent;
	bool range_inv;
	bool msi;
	/* Takes TLBI_EL2_ALL: the SMMU has EL2 translation regimes */
	bool hyp;
	u32 sid_bits;
	/* Width of the VMIDs (stage 2) or ASIDs (stage 1) of its TLB entries */
	u32 tag_bits;
	/* Protects the stream table */
	hyp_spinlock_t lock;
	u64 *strtab_l1;
	/*
	 * The command queue. Its positions count commands from reset; the
	 * PROD and CONS registers hold them modulo twice the queue size.
	 */
	u64 *cmdq;
	/* Protects cmdq_prod, the free slots and inject_cmdq_error */
	hyp_spinlock_t cmdq_lock;
	/* The slots before it are written. */
	u64 cmdq_prod;
	/* The SMMU consumed at least this far. Only grows, by cmpxchg. */
	u64 cmdq_cons;
	/*
	 * Set by the one CPU writing PROD or skipping an error, never waited
	 * for: it protects those registers and cmdq_published, PROD as written.
	 */
	u32 cmdq_busy;
	u64 cmdq_published;
	/* Test builds: the next batch carries an illegal command. */
	bool inject_cmdq_error;
	/* Protects the event queue */
	hyp_spinlock_t evtq_lock;
	u64 *evtq;
	u32 evtq_cons;
	/* Set while the host says the SMMU has no power. Changed under lock */
	bool off;
	/* Streams attached to each domain. Protected by lock */
	u16 domain_streams[KVM_IOMMU_MAX_DOMAINS];
};

/* A batch of commands, built before any slot of the queue is taken */
struct smmu_cmds {
	unsigned int n;
	u64 cmd[SMMU_BATCH_MAX][CMDQ_ENT_DWORDS];
};

/*
 * The batch a CPU waits for. Written by that CPU under the queue's lock
 * before the batch is published; the CPU that finds a command of the batch
 * failed sets its error.
 */
struct smmu_batch {
	struct hyp_arm_smmu *smmu;
	u64 end;
	int err;
};

static DEFINE_PER_CPU(struct smmu_batch, smmu_batch);
static struct hyp_arm_smmu smmus[KVM_ARM_SMMU_MAX];
/* Only grows, before finalize. Protected by smmu_register_lock */
static unsigned int nr_smmus;
static u32 domain_oas;
/* The output size as the STE's VTCR and the CD's IPS encode it, as IDR5.OAS does */
static u64 domain_ps;
/* Whether domains translate through stage 1: the SMMUs lack stage 2 */
static bool smmu_stage1;

static DEFINE_HYP_SPINLOCK(smmu_register_lock);

static void smmu_sync_to_device(struct hyp_arm_smmu *smmu, void *va, size_t size)
{
	if (!smmu->coherent)
		kvm_flush_dcache_to_poc(va, size);
	/* Make the entries visible to the SMMU before it is told about them. */
	wmb();
}

/*
 * Context descriptors serve every SMMU a domain's streams are on: clean
 * them as tables are cleaned, if any SMMU does not snoop, not only when the
 * one attaching does not.
 */
static void smmu_sync_cd(u64 *cd, size_t size)
{
	kvm_iommu_mm_ops.dcache_clean(cd, size);
	/* Make the descriptor visible to the SMMUs before they are told about it. */
	wmb();
}

/* A stream's STE no longer points at its CD: make the CD invalid. */
static void smmu_clear_cd(u64 *cd)
{
	WRITE_ONCE(cd[0], 0);
	smmu_sync_cd(cd, sizeof(*cd));
}

static int smmu_poll(struct hyp_arm_smmu *smmu, u32 reg, u32 mask, u32 want)
{
	int i;

	for (i = 0; i < SMMU_POLL_TIMEOUT; i++) {
		if ((readl_relaxed(smmu->base + reg) & mask) == want)
			return 0;
		cpu_relax();
	}
	return -ETIMEDOUT;
}

/* Write CR0 or IRQ_CTRL and wait until its acknowledgment register agrees. */
static int smmu_write_ack(struct hyp_arm_smmu *smmu, u32 reg, u32 ack, u32 val)
{
	writel_relaxed(val, smmu->base + reg);
	return smmu_poll(smmu, ack, ~0U, val);
}

/* Queue index with its wrap bit, as the PROD and CONS registers hold it. */
static u32 cmdq_idx(u64 pos)
{
	return pos & (BIT(SMMU_CMDQ_LOG2 + 1) - 1);
}

static u64 *cmdq_ent(struct hyp_arm_smmu *smmu, u64 pos)
{
	return smmu->cmdq + (pos & (SMMU_CMDQ_ENTS - 1)) * CMDQ_ENT_DWORDS;
}

static void smmu_cmd(struct smmu_cmds *cmds, u64 cmd0, u64 cmd1)
{
	cmds->cmd[cmds->n][0] = cmd0;
	cmds->cmd[cmds->n++][1] = cmd1;
}

/* Write PROD up to every command queued, unless another CPU is at it. */
static void smmu_cmdq_publish(struct hyp_arm_smmu *smmu)
{
	u64 prod;

	if (cmpxchg_acquire(&smmu->cmdq_busy, 0, 1))
		return;
	/* The slots up to cmdq_prod were written before it moved. */
	prod = smp_load_acquire(&smmu->cmdq_prod);
	if (prod != smmu->cmdq_published) {
		writel_relaxed(cmdq_idx(prod), smmu->base + ARM_SMMU_CMDQ_PROD);
		WRITE_ONCE(smmu->cmdq_published, prod);
	}
	/* The next CPU to set cmdq_busy sees cmdq_published. */
	smp_store_release(&smmu->cmdq_busy, 0);
}

/*
 * The SMMU stopped at a command it could not execute: fail the batch that
 * holds it, replace the command with a CMD_SYNC and let the SMMU go on, so
 * that one bad command fails one batch rather than every batch after it.
 */
static void smmu_cmdq_skip_error(struct hyp_arm_smmu *smmu)
{
	struct smmu_batch *batch;
	u32 cons, gerrorn;
	u64 pos, end, *ent;
	unsigned int cpu;

	if (cmpxchg_acquire(&smmu->cmdq_busy, 0, 1))
		return;
	gerrorn = readl_relaxed(smmu->base + ARM_SMMU_GERRORN);
	if (!((readl_relaxed(smmu->base + ARM_SMMU_GERROR) ^ gerrorn) & GERROR_CMDQ_ERR))
		goto out;
	/*
	 * Read after the error was seen: CONS points at the failed command,
	 * and stays there, so cmdq_cons cannot pass it meanwhile.
	 */
	pos = READ_ONCE(smmu->cmdq_cons);
	cons = cmdq_idx(readl_relaxed(smmu->base + ARM_SMMU_CMDQ_CONS));
	pos += cmdq_idx(cons - pos);
	/* Its batch is the one that ends at the next CMD_SYNC. */
	for (end = pos; end + 1 < smmu->cmdq_published; end++)
		if (FIELD_GET(CMDQ_0_OP, *cmdq_ent(smmu, end)) == CMDQ_OP_CMD_SYNC)
			break;
	for (cpu = 0; cpu < hyp_nr_cpus; cpu++) {
		batch = per_cpu_ptr(&smmu_batch, cpu);
		if (READ_ONCE(batch->smmu) == smmu && READ_ONCE(batch->end) == end + 1)
			WRITE_ONCE(batch->err, -EIO);
	}
	ent = cmdq_ent(smmu, pos);
	ent[0] = FIELD_PREP(CMDQ_0_OP, CMDQ_OP_CMD_SYNC) |
		 FIELD_PREP(CMDQ_SYNC_0_CS, CMDQ_SYNC_0_CS_NONE);
	ent[1] = 0;
	smmu_sync_to_device(smmu, ent, CMDQ_ENT_DWORDS * 8);
	writel_relaxed(gerrorn ^ GERROR_CMDQ_ERR, smmu->base + ARM_SMMU_GERRORN);
	/* Some SMMU models go on only when PROD is written again. */
	writel_relaxed(cmdq_idx(smmu->cmdq_published), smmu->base + ARM_SMMU_CMDQ_PROD);
out:
	/* The next CPU to set cmdq_busy sees the slot and the registers so. */
	smp_store_release(&smmu->cmdq_busy, 0);
}

/*
 * Wait until the SMMU consumed the commands before @until, publishing the
 * queue meanwhile if needed. CONS is read once a round, the error
 * registers only when CONS did not move since the last read, as while an
 * error stops the queue. -ETIMEDOUT when the SMMU does not respond.
 */
static int smmu_cmdq_wait(struct hyp_arm_smmu *smmu, u64 until)
{
	u32 cons, last = U32_MAX;
	u64 known;
	int i;

	for (i = 0; i < SMMU_POLL_TIMEOUT; i++) {
		/* Pairs with the cmpxchg: so read, the batch's error is set. */
		known = smp_load_acquire(&smmu->cmdq_cons);
		if (known >= until)
			return 0;
		if (READ_ONCE(smmu->cmdq_published) < until)
			smmu_cmdq_publish(smmu);
		cons = cmdq_idx(readl_relaxed(smmu->base + ARM_SMMU_CMDQ_CONS));
		/*
		 * No command is queued beyond cmdq_cons plus the queue size,
		 * so CONS is at most that far ahead of it: unless cmdq_cons
		 * moved since it was read, and then the cmpxchg fails.
		 */
		if (cmdq_idx(cons - known) <= SMMU_CMDQ_ENTS)
			cmpxchg(&smmu->cmdq_cons, known, known + cmdq_idx(cons - known));
		if (cons == last)
			smmu_cmdq_skip_error(smmu);
		last = cons;
		cpu_relax();
	}
	return -ETIMEDOUT;
}

/*
 * Queue a batch and the CMD_SYNC that closes it, then wait until the SMMU
 * completed it. The lock covers taking and writing slots only: any CPU
 * waiting publishes what was queued, and none waits holding the lock.
 *
 * Return: 0, -EIO when a command of the batch failed, -ETIMEDOUT when the
 * SMMU does not respond.
 */
static int smmu_issue(struct hyp_arm_smmu *smmu, struct smmu_cmds *cmds)
{
	struct smmu_batch *batch = this_cpu_ptr(&smmu_batch);
	u64 prod, *ent;
	unsigned int i;
	int ret;

	smmu_cmd(cmds, FIELD_PREP(CMDQ_0_OP, CMDQ_OP_CMD_SYNC) |
		       FIELD_PREP(CMDQ_SYNC_0_CS, CMDQ_SYNC_0_CS_NONE), 0);
	for (;;) {
		hyp_spin_lock(&smmu->cmdq_lock);
		prod = smmu->cmdq_prod;
		/* Room for the batch, and the command a test may add */
		if (prod + cmds->n + 1 <= READ_ONCE(smmu->cmdq_cons) + SMMU_CMDQ_ENTS)
			break;
		hyp_spin_unlock(&smmu->cmdq_lock);
		ret = smmu_cmdq_wait(smmu, prod + cmds->n + 1 - SMMU_CMDQ_ENTS);
		if (ret)
			return ret;
	}
	if (IS_ENABLED(CONFIG_ARM_SMMU_V3_PKVM_TEST) && smmu->inject_cmdq_error) {
		smmu->inject_cmdq_error = false;
		/* Opcode 0 is reserved: the SMMU stops at it with CERROR_ILL. */
		ent = cmdq_ent(smmu, prod++);
		ent[0] = 0;
		ent[1] = 0;
		smmu_sync_to_device(smmu, ent, CMDQ_ENT_DWORDS * 8);
	}
	for (i = 0; i < cmds->n; i++) {
		ent = cmdq_ent(smmu, prod++);
		ent[0] = cmds->cmd[i][0];
		ent[1] = cmds->cmd[i][1];
		smmu_sync_to_device(smmu, ent, CMDQ_ENT_DWORDS * 8);
	}
	WRITE_ONCE(batch->smmu, smmu);
	WRITE_ONCE(batch->end, prod);
	WRITE_ONCE(batch->err, 0);
	/* Whoever publishes the batch reads its slots and its record after. */
	smp_store_release(&smmu->cmdq_prod, prod);
	hyp_spin_unlock(&smmu->cmdq_lock);

	ret = smmu_cmdq_wait(smmu, prod);
	return ret ?: READ_ONCE(batch->err);
}

static u64 *smmu_ste(struct hyp_arm_smmu *smmu, u32 sid)
{
	u64 l1 = smmu->strtab_l1[sid >> SMMU_STRTAB_SPLIT];

	if (!(l1 & STRTAB_L1_DESC_SPAN))
		return NULL;
	return (u64 *)hyp_phys_to_virt(l1 & STRTAB_L1_DESC_L2PTR_MASK) +
	       (sid & (SMMU_STES_PER_L2 - 1)) * STRTAB_STE_DWORDS;
}

/* The level-2 table holding @sid, allocated (all STEs abort) if missing. */
static u64 *smmu_alloc_ste(struct hyp_arm_smmu *smmu, u32 sid)
{
	u64 *l1 = &smmu->strtab_l1[sid >> SMMU_STRTAB_SPLIT];
	u64 *l2;

	if (*l1 & STRTAB_L1_DESC_SPAN)
		return smmu_ste(smmu, sid);
	if (kvm_iommu_reserve_pages(1))
		return NULL;
	l2 = kvm_iommu_alloc_page();
	if (!l2)
		return NULL;
	smmu_sync_to_device(smmu, l2, PAGE_SIZE);
	WRITE_ONCE(*l1, hyp_virt_to_phys(l2) |
		   FIELD_PREP(STRTAB_L1_DESC_SPAN, SMMU_STRTAB_SPLIT + 1));
	smmu_sync_to_device(smmu, l1, sizeof(*l1));
	return smmu_ste(smmu, sid);
}

/* The VMID (stage 2) or ASID (stage 1) of a domain's TLB entries. */
static u16 domain_tag(struct kvm_hyp_iommu_domain *domain)
{
	return domain->id + 1;
}

/* The registered SMMU @iommu_id, if @sid is one of its stream IDs. */
static struct hyp_arm_smmu *smmu_get(u64 iommu_id, u32 sid)
{
	struct hyp_arm_smmu *smmu;

	if (iommu_id >= READ_ONCE(nr_smmus))
		return NULL;
	smmu = &smmus[iommu_id];
	return sid < BIT(smmu->sid_bits) ? smmu : NULL;
}

/*
 * The context descriptor of a stage-1 domain, in the domain's own page: it
 * goes with the domain, when no STE points at it and no SMMU caches it.
 */
static u64 *domain_cd(struct kvm_hyp_iommu_domain *domain)
{
	BUILD_BUG_ON(sizeof(domain->iommu_data) < CTXDESC_CD_DWORDS * 8);
	return domain->iommu_data;
}

/*
 * Point the domain's context descriptor at its tables. Called with the
 * domain's lock held and no stream attached, so no SMMU uses the CD.
 */
static void domain_write_cd(struct kvm_hyp_iommu_domain *domain, u64 *cd)
{
	struct kvm_io_pgtable *pgt = &domain->pgt;

	cd[1] = hyp_virt_to_phys(pgt->pgd) & CTXDESC_CD_1_TTB0_MASK;
	cd[3] = MAIR_ATTRIDX(MAIR_ATTR_NORMAL, KVM_IO_PGTABLE_MAIR_IDX_NORMAL) |
		MAIR_ATTRIDX(MAIR_ATTR_NORMAL_NC, KVM_IO_PGTABLE_MAIR_IDX_NC) |
		MAIR_ATTRIDX(MAIR_ATTR_DEVICE_nGnRE, KVM_IO_PGTABLE_MAIR_IDX_DEVICE);
	WRITE_ONCE(cd[0], CTXDESC_CD_0_V | CTXDESC_CD_0_AA64 |
		   FIELD_PREP(CTXDESC_CD_0_TCR_T0SZ, 64 - pgt->ias) |
		   FIELD_PREP(CTXDESC_CD_0_TCR_TG0, ARM_LPAE_TCR_TG0_4K) |
		   FIELD_PREP(CTXDESC_CD_0_TCR_IRGN0, ARM_LPAE_TCR_RGN_WBWA) |
		   FIELD_PREP(CTXDESC_CD_0_TCR_ORGN0, ARM_LPAE_TCR_RGN_WBWA) |
		   FIELD_PREP(CTXDESC_CD_0_TCR_SH0, ARM_LPAE_TCR_SH_IS) |
		   CTXDESC_CD_0_TCR_EPD1 |
		   FIELD_PREP(CTXDESC_CD_0_TCR_IPS, domain_ps) |
		   /* Record faults and abort, never stall; non-shared ASIDs */
		   CTXDESC_CD_0_R | CTXDESC_CD_0_A | CTXDESC_CD_0_ASET |
		   FIELD_PREP(CTXDESC_CD_0_ASID, domain_tag(domain)));
}

/* The STE of a stream translating through @domain, without its valid bit; @ste zeroed. */
static void domain_make_ste(struct kvm_hyp_iommu_domain *domain, u64 *cd, u64 *ste)
{
	struct kvm_io_pgtable *pgt = &domain->pgt;
	u64 vtcr;

	if (cd) {
		ste[0] = FIELD_PREP(STRTAB_STE_0_CFG, STRTAB_STE_0_CFG_S1_TRANS) |
			 FIELD_PREP(STRTAB_STE_0_S1FMT, STRTAB_STE_0_S1FMT_LINEAR) |
			 (hyp_virt_to_phys(cd) & STRTAB_STE_0_S1CTXPTR_MASK);
		ste[1] = FIELD_PREP(STRTAB_STE_1_S1CIR, STRTAB_STE_1_S1C_CACHE_WBRA) |
			 FIELD_PREP(STRTAB_STE_1_S1COR, STRTAB_STE_1_S1C_CACHE_WBRA) |
			 FIELD_PREP(STRTAB_STE_1_S1CSH, ARM_SMMU_SH_ISH) |
			 FIELD_PREP(STRTAB_STE_1_STRW, STRTAB_STE_1_STRW_NSEL1) |
			 FIELD_PREP(STRTAB_STE_1_SHCFG, STRTAB_STE_1_SHCFG_INCOMING);
		return;
	}
	vtcr = FIELD_PREP(STRTAB_STE_2_VTCR_S2T0SZ, 64 - pgt->ias) |
	       FIELD_PREP(STRTAB_STE_2_VTCR_S2SL0, 2 - pgt->start_level) |
	       FIELD_PREP(STRTAB_STE_2_VTCR_S2IR0, ARM_LPAE_TCR_RGN_WBWA) |
	       FIELD_PREP(STRTAB_STE_2_VTCR_S2OR0, ARM_LPAE_TCR_RGN_WBWA) |
	       FIELD_PREP(STRTAB_STE_2_VTCR_S2SH0, ARM_LPAE_TCR_SH_IS) |
	       FIELD_PREP(STRTAB_STE_2_VTCR_S2TG, ARM_LPAE_TCR_TG0_4K) |
	       FIELD_PREP(STRTAB_STE_2_VTCR_S2PS, domain_ps);
	ste[0] = FIELD_PREP(STRTAB_STE_0_CFG, STRTAB_STE_0_CFG_S2_TRANS);
	ste[1] = FIELD_PREP(STRTAB_STE_1_SHCFG, STRTAB_STE_1_SHCFG_INCOMING);
	ste[2] = FIELD_PREP(STRTAB_STE_2_VTCR, vtcr) |
		 FIELD_PREP(STRTAB_STE_2_S2VMID, domain_tag(domain)) |
		 STRTAB_STE_2_S2AA64 | STRTAB_STE_2_S2R;
	ste[3] = hyp_virt_to_phys(pgt->pgd) & STRTAB_STE_3_S2TTB_MASK;
}

/* Whether a valid STE translates through @domain. */
static bool ste_uses_domain(u64 *ste, struct kvm_hyp_iommu_domain *domain)
{
	u64 *cd;

	if (!(ste[0] & STRTAB_STE_0_V))
		return false;
	if (!smmu_stage1)
		return FIELD_GET(STRTAB_STE_2_S2VMID, ste[2]) == domain_tag(domain);
	cd = domain_cd(domain);
	return (ste[0] & STRTAB_STE_0_S1CTXPTR_MASK) == hyp_virt_to_phys(cd);
}

/* Invalidate what the SMMU cached of a stream's STE and context descriptor. */
static int smmu_cfgi_stream(struct hyp_arm_smmu *smmu, u32 sid)
{
	struct smmu_cmds cmds = {};

	smmu_cmd(&cmds, FIELD_PREP(CMDQ_0_OP, CMDQ_OP_CFGI_STE) |
			FIELD_PREP(CMDQ_CFGI_0_SID, sid), CMDQ_CFGI_1_LEAF);
	if (smmu_stage1)
		smmu_cmd(&cmds, FIELD_PREP(CMDQ_0_OP, CMDQ_OP_CFGI_CD) |
				FIELD_PREP(CMDQ_CFGI_0_SID, sid), CMDQ_CFGI_1_LEAF);
	return smmu_issue(smmu, &cmds);
}

/* Drop every TLB entry of a domain. */
static int smmu_tlbi_domain(struct hyp_arm_smmu *smmu, u16 tag)
{
	struct smmu_cmds cmds = {};

	smmu_cmd(&cmds, smmu_stage1 ?
		 FIELD_PREP(CMDQ_0_OP, CMDQ_OP_TLBI_NH_ASID) | FIELD_PREP(CMDQ_TLBI_0_ASID, tag) :
		 FIELD_PREP(CMDQ_0_OP, CMDQ_OP_TLBI_S12_VMALL) | FIELD_PREP(CMDQ_TLBI_0_VMID, tag),
		 0);
	return smmu_issue(smmu, &cmds);
}

/* Set the first word of an STE, which holds its valid bit, for the SMMU to see. */
static void ste_write0(struct hyp_arm_smmu *smmu, u64 *ste, u64 val)
{
	WRITE_ONCE(ste[0], val);
	smmu_sync_to_device(smmu, ste, sizeof(*ste));
}

/*
 * Make a stream abort and drop the TLB entries of the domain it used.
 * Return: 0, or the SMMU's error: then it may still use either.
 */
static int ste_abort(struct hyp_arm_smmu *smmu, u64 *ste, u32 sid,
		     struct kvm_hyp_iommu_domain *domain)
{
	ste_write0(smmu, ste, 0);
	return smmu_cfgi_stream(smmu, sid) ?: smmu_tlbi_domain(smmu, domain_tag(domain));
}

static int smmu_attach_dev(struct kvm_hyp_iommu_domain *domain, u32 iommu_id,
			   u32 sid)
{
	struct hyp_arm_smmu *smmu = smmu_get(iommu_id, sid);
	u64 *ste, *cd = NULL;
	u64 new[STRTAB_STE_DWORDS] = {};
	int ret;

	if (!smmu)
		return -EINVAL;
	if (smmu_stage1)
		cd = domain_cd(domain);
	/* An 8-bit VMID cannot tell domains beyond 254 apart. */
	if (domain_tag(domain) >= BIT(smmu->tag_bits))
		return -EINVAL;
	hyp_spin_lock(&smmu->lock);
	ste = smmu->off ? NULL : smmu_alloc_ste(smmu, sid);
	if (!ste) {
		ret = smmu->off ? -EAGAIN : -ENOMEM;
		goto unlock;
	}
	if (ste[0] & STRTAB_STE_0_V) {
		ret = -EBUSY;
		goto unlock;
	}
	if (!domain->nr_attached) {
		/*
		 * The tag may have served a freed domain, or a stream whose
		 * attach failed: none of its TLB entries may outlive them.
		 */
		ret = smmu_tlbi_domain(smmu, domain_tag(domain));
		if (ret)
			goto unlock;
	}
	if (cd && !domain->nr_attached) {
		domain_write_cd(domain, cd);
		smmu_sync_cd(cd, CTXDESC_CD_DWORDS * 8);
	}

	domain_make_ste(domain, cd, new);
	memcpy(&ste[1], &new[1], sizeof(new) - sizeof(new[0]));
	smmu_sync_to_device(smmu, ste, STRTAB_STE_DWORDS * 8);
	/* The valid bit goes last, once the rest of the STE is visible. */
	ste_write0(smmu, ste, new[0] | STRTAB_STE_0_V);
	ret = smmu_cfgi_stream(smmu, sid);
	if (ret) {
		/*
		 * The SMMU may or may not use the new STE, and the stream may
		 * have filled the TLB under the domain's tag meanwhile. Fail
		 * only if the stream is known to abort again with no such
		 * entry left; otherwise it counts as attached, so that the
		 * domain cannot be freed under it.
		 */
		if (ste_abort(smmu, ste, sid, domain)) {
			ste_write0(smmu, ste, new[0] | STRTAB_STE_0_V);
			ret = 0;
		} else if (cd && !domain->nr_attached) {
			/* As at the last detach: no STE points at the CD. */
			smmu_clear_cd(cd);
		}
	}
	smmu->domain_streams[domain->id] += !ret;
unlock:
	hyp_spin_unlock(&smmu->lock);
	return ret;
}

static int smmu_detach_dev(struct kvm_hyp_iommu_domain *domain, u32 iommu_id,
			   u32 sid)
{
	struct hyp_arm_smmu *smmu = smmu_get(iommu_id, sid);
	u64 *ste, old;
	int ret;

	if (!smmu)
		return -EINVAL;
	hyp_spin_lock(&smmu->lock);
	ste = smmu_ste(smmu, sid);
	if (!ste || !ste_uses_domain(ste, domain) || smmu->off) {
		ret = smmu->off ? -EAGAIN : -ENOENT;
		goto unlock;
	}
	old = ste[0];
	/* The stream may have been the domain's last: drop its TLB entries. */
	ret = ste_abort(smmu, ste, sid, domain);
	if (ret) {
		/*
		 * The SMMU may still use the old STE or the domain's TLB
		 * entries: the stream stays attached, for the host to retry.
		 */
		ste_write0(smmu, ste, old);
	} else if (smmu_stage1 && domain->nr_attached == 1) {
		/*
		 * The domain's last stream: no STE points at its context
		 * descriptor any more, which must not outlive its tables.
		 */
		smmu_clear_cd(domain_cd(domain));
	}
	smmu->domain_streams[domain->id] -= !ret;
unlock:
	hyp_spin_unlock(&smmu->lock);
	return ret;
}

/* TG field of range invalidations: 4KiB pages */
#define SMMU_TLBI_TG_4K		1

/* Leaf entries only: the tables of a live domain never change. */
static int smmu_flush_one(struct hyp_arm_smmu *smmu, u16 tag, u64 iova,
			  size_t size)
{
	u64 cmd0 = smmu_stage1 ?
		   FIELD_PREP(CMDQ_0_OP, CMDQ_OP_TLBI_NH_VA) | FIELD_PREP(CMDQ_TLBI_0_ASID, tag) :
		   FIELD_PREP(CMDQ_0_OP, CMDQ_OP_TLBI_S2_IPA) | FIELD_PREP(CMDQ_TLBI_0_VMID, tag);
	u64 addr_mask = smmu_stage1 ? CMDQ_TLBI_1_VA_MASK : CMDQ_TLBI_1_IPA_MASK;
	u64 pages = size >> PAGE_SHIFT, end = iova + size;
	/* Read only up to n: not zeroed on every unmap. */
	struct smmu_cmds cmds __uninitialized;

	if (size > SMMU_TLBI_MAX_RANGE ||
	    (!smmu->range_inv && pages > SMMU_TLBI_MAX_PAGES))
		return smmu_tlbi_domain(smmu, tag);
	cmds.n = 0;
	if (smmu->range_inv) {
		/*
		 * One command covers NUM + 1 blocks of 2^SCALE pages: take the
		 * page count apart by its lowest set bits, 5 at a time, so 4
		 * commands at most for the 2^18 pages of SMMU_TLBI_MAX_RANGE.
		 */
		while (pages) {
			u64 scale = __ffs(pages);
			u64 num = (pages >> scale) & CMDQ_TLBI_RANGE_NUM_MAX;

			smmu_cmd(&cmds, cmd0 | FIELD_PREP(CMDQ_TLBI_0_SCALE, scale) |
					FIELD_PREP(CMDQ_TLBI_0_NUM, num - 1),
				 (iova & addr_mask) | CMDQ_TLBI_1_LEAF |
				 FIELD_PREP(CMDQ_TLBI_1_TG, SMMU_TLBI_TG_4K));
			iova += num << (scale + PAGE_SHIFT);
			pages -= num << scale;
		}
	} else {
		for (; iova < end; iova += PAGE_SIZE)
			smmu_cmd(&cmds, cmd0, (iova & addr_mask) | CMDQ_TLBI_1_LEAF);
	}
	return smmu_issue(smmu, &cmds);
}

/*
 * -EAGAIN when an SMMU said to be off may cache the domain: its reset at
 * power-on will invalidate it. An SMMU goes off with no attach or detach
 * in flight, so its count of the domain's streams cannot change until
 * then, and without streams it holds no entry of the domain.
 */
static int smmu_flush_range(struct kvm_hyp_iommu_domain *domain, u64 iova,
			    size_t size)
{
	struct hyp_arm_smmu *smmu;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < READ_ONCE(nr_smmus) && !ret; i++) {
		smmu = &smmus[i];
		if (!READ_ONCE(smmu->off))
			ret = smmu_flush_one(smmu, domain_tag(domain), iova, size);
		else if (READ_ONCE(smmu->domain_streams[domain->id]))
			ret = -EAGAIN;
	}
	return ret;
}

static const struct kvm_iommu_ops smmu_ops = {
	.attach_dev	= smmu_attach_dev,
	.detach_dev	= smmu_detach_dev,
	.flush_range	= smmu_flush_range,
};

static u32 smmu_oas(u32 idr5)
{
	static const u8 bits[] = { 32, 36, 40, 42, 44, 48, 52 };
	u32 oas = FIELD_GET(IDR5_OAS, idr5);

	/* Without LPA, a 4KiB granule stops at 48 bits. */
	return oas < ARRAY_SIZE(bits) ? min_t(u32, bits[oas], 48) : 0;
}

static int smmu_reset(struct hyp_arm_smmu *smmu)
{
	u32 cache = smmu->coherent ? CR1_CACHE_WB : CR1_CACHE_NC;
	u32 sh = smmu->coherent ? ARM_LPAE_TCR_SH_IS : ARM_LPAE_TCR_SH_NS;
	struct smmu_cmds cmds = {};
	int ret;

	ret = smmu_write_ack(smmu, ARM_SMMU_CR0, ARM_SMMU_CR0ACK, 0);
	if (ret)
		return ret;
	/* Until SMMUEN, and whenever it is cleared, all DMA aborts. */
	writel_relaxed(GBPA_UPDATE | GBPA_ABORT, smmu->base + ARM_SMMU_GBPA);
	ret = smmu_poll(smmu, ARM_SMMU_GBPA, GBPA_UPDATE, 0);
	if (ret)
		return ret;

	writel_relaxed(FIELD_PREP(CR1_TABLE_SH, sh) | FIELD_PREP(CR1_TABLE_OC, cache) |
		       FIELD_PREP(CR1_TABLE_IC, cache) | FIELD_PREP(CR1_QUEUE_SH, sh) |
		       FIELD_PREP(CR1_QUEUE_OC, cache) | FIELD_PREP(CR1_QUEUE_IC, cache),
		       smmu->base + ARM_SMMU_CR1);
	writel_relaxed(CR2_PTM | CR2_RECINVSID, smmu->base + ARM_SMMU_CR2);

	smmu_sync_to_device(smmu, smmu->strtab_l1,
			    sizeof(u64) << (smmu->sid_bits - SMMU_STRTAB_SPLIT));
	writeq_relaxed((hyp_virt_to_phys(smmu->strtab_l1) & STRTAB_BASE_ADDR_MASK) |
		       STRTAB_BASE_RA, smmu->base + ARM_SMMU_STRTAB_BASE);
	writel_relaxed(FIELD_PREP(STRTAB_BASE_CFG_FMT, STRTAB_BASE_CFG_FMT_2LVL) |
		       FIELD_PREP(STRTAB_BASE_CFG_SPLIT, SMMU_STRTAB_SPLIT) |
		       FIELD_PREP(STRTAB_BASE_CFG_LOG2SIZE, smmu->sid_bits),
		       smmu->base + ARM_SMMU_STRTAB_BASE_CFG);

	writeq_relaxed((hyp_virt_to_phys(smmu->cmdq) & Q_BASE_ADDR_MASK) | Q_BASE_RWA |
		       FIELD_PREP(Q_BASE_LOG2SIZE, SMMU_CMDQ_LOG2),
		       smmu->base + ARM_SMMU_CMDQ_BASE);
	writel_relaxed(0, smmu->base + ARM_SMMU_CMDQ_PROD);
	writel_relaxed(0, smmu->base + ARM_SMMU_CMDQ_CONS);

	writeq_relaxed((hyp_virt_to_phys(smmu->evtq) & Q_BASE_ADDR_MASK) | Q_BASE_RWA |
		       FIELD_PREP(Q_BASE_LOG2SIZE, SMMU_EVTQ_LOG2),
		       smmu->base + ARM_SMMU_EVTQ_BASE);
	writel_relaxed(0, smmu->base + SMMU_PAGE1 + ARM_SMMU_EVTQ_PROD);
	writel_relaxed(0, smmu->base + SMMU_PAGE1 + ARM_SMMU_EVTQ_CONS);

	/* Wired interrupts only: no MSI that the host could point anywhere. */
	ret = smmu_write_ack(smmu, ARM_SMMU_IRQ_CTRL, ARM_SMMU_IRQ_CTRLACK, 0) ?:
	      smmu_write_ack(smmu, ARM_SMMU_CR0, ARM_SMMU_CR0ACK, CR0_CMDQEN | CR0_EVTQEN);
	if (ret)
		return ret;
	if (smmu->msi) {
		writeq_relaxed(0, smmu->base + ARM_SMMU_EVTQ_IRQ_CFG0);
		writeq_relaxed(0, smmu->base + ARM_SMMU_GERROR_IRQ_CFG0);
	}

	/* Forget any configuration and translation cached before. */
	smmu_cmd(&cmds, FIELD_PREP(CMDQ_0_OP, CMDQ_OP_CFGI_ALL), 0);
	smmu_cmd(&cmds, FIELD_PREP(CMDQ_0_OP, CMDQ_OP_TLBI_NSNH_ALL), 0);
	/* An SMMU without EL2 regimes stops at TLBI_EL2_ALL as illegal. */
	if (smmu->hyp)
		smmu_cmd(&cmds, FIELD_PREP(CMDQ_0_OP, CMDQ_OP_TLBI_EL2_ALL), 0);
	return smmu_issue(smmu, &cmds) ?:
	       smmu_write_ack(smmu, ARM_SMMU_CR0, ARM_SMMU_CR0ACK,
			      CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN) ?:
	       smmu_write_ack(smmu, ARM_SMMU_IRQ_CTRL, ARM_SMMU_IRQ_CTRLACK, IRQ_CTRL_EVTQ_IRQEN);
}

static int smmu_register(u64 mmio, u64 mmio_size, u64 mem_pfn, u64 nr_pages, u64 flags)
{
	struct hyp_arm_smmu *smmu = &smmus[nr_smmus];
	unsigned long base;
	u32 idr0, idr1, idr5, oas;
	bool stage1;
	u64 l1_size;
	int ret;

	if (nr_smmus == KVM_ARM_SMMU_MAX)
		return -E2BIG;
	if (mmio_size < SZ_128K || !PAGE_ALIGNED(mmio | mmio_size) ||
	    (flags & ~KVM_SMMU_REGISTER_NONCOHERENT))
		return -EINVAL;
	/*
	 * A slot a failed registration used is reused from scratch, its locks
	 * free. An assignment, not memset(): with FORTIFY_SOURCE the compiler
	 * checks a memset() of an array slot indexed at run time by calling
	 * __fortify_panic(), which EL2 does not have.
	 */
	*smmu = (struct hyp_arm_smmu){};

	ret = __pkvm_host_donate_hyp_mmio(mmio, mmio_size);
	if (ret)
		return ret;
	ret = __pkvm_create_private_mapping(mmio, mmio_size, PAGE_HYP_DEVICE, &base);
	if (ret)
		return ret;
	smmu->base = (void __iomem *)base;

	idr0 = readl_relaxed(smmu->base + ARM_SMMU_IDR0);
	idr1 = readl_relaxed(smmu->base + ARM_SMMU_IDR1);
	idr5 = readl_relaxed(smmu->base + ARM_SMMU_IDR5);
	oas = smmu_oas(idr5);
	/* Stage 2 when every SMMU has it, else stage 1 with 16-bit ASIDs. */
	stage1 = domain_oas ? smmu_stage1 : !(idr0 & IDR0_S2P);
	if (FIELD_GET(IDR0_ST_LVL, idr0) != IDR0_ST_LVL_2LVL ||
	    (!stage1 && !(idr0 & IDR0_S2P)) ||
	    (stage1 && (idr0 & (IDR0_S1P | IDR0_ASID16)) != (IDR0_S1P | IDR0_ASID16)) ||
	    !(idr5 & IDR5_GRAN4K) || oas < 40 ||
	    (domain_oas && oas < domain_oas) ||
	    (FIELD_GET(IDR0_TTF, idr0) & IDR0_TTF_AARCH64) != IDR0_TTF_AARCH64 ||
	    FIELD_GET(IDR1_CMDQS, idr1) < SMMU_CMDQ_LOG2 ||
	    FIELD_GET(IDR1_EVTQS, idr1) < SMMU_EVTQ_LOG2 ||
	    /* Tables and queues must be ours to place, at addresses we give. */
	    (idr1 & (IDR1_TABLES_PRESET | IDR1_QUEUES_PRESET | IDR1_REL)))
		return -ENODEV;
	/* Coherent only if the SMMU can snoop and the system lets it */
	smmu->coherent = (idr0 & IDR0_COHACC) && !(flags & KVM_SMMU_REGISTER_NONCOHERENT);
	if (!smmu->coherent && kvm_iommu_set_noncoherent())
		return -EBUSY;
	smmu->msi = idr0 & IDR0_MSI;
	smmu->hyp = idr0 & IDR0_HYP;
	smmu->tag_bits = stage1 || (idr0 & IDR0_VMID16) ? 16 : 8;
	smmu->range_inv = readl_relaxed(smmu->base + ARM_SMMU_IDR3) & IDR3_RIL;
	smmu->sid_bits = min_t(u32, FIELD_GET(IDR1_SIDSIZE, idr1), SMMU_MAX_SID_BITS);
	if (smmu->sid_bits < SMMU_STRTAB_SPLIT)
		smmu->sid_bits = SMMU_STRTAB_SPLIT;
	l1_size = sizeof(u64) << (smmu->sid_bits - SMMU_STRTAB_SPLIT);
	if (nr_pages < 2 + DIV_ROUND_UP(l1_size, PAGE_SIZE))
		return -EINVAL;

	ret = __pkvm_host_donate_hyp(mem_pfn, nr_pages);
	if (ret)
		return ret;
	smmu->cmdq = hyp_phys_to_virt(hyp_pfn_to_phys(mem_pfn));
	smmu->evtq = smmu->cmdq + PAGE_SIZE / sizeof(u64);
	smmu->strtab_l1 = smmu->evtq + PAGE_SIZE / sizeof(u64);
	memset(smmu->cmdq, 0, nr_pages * PAGE_SIZE);

	ret = smmu_reset(smmu);
	if (ret)
		return ret;
	if (!domain_oas) {
		ret = kvm_iommu_init(&smmu_ops, stage1 ? KVM_IO_PGTABLE_S1 : KVM_IO_PGTABLE_S2,
				     stage1 ? SMMU_S1_IAS : oas, oas);
		if (ret)
			return ret;
		smmu_stage1 = stage1;
		domain_oas = oas;
		domain_ps = min_t(u32, FIELD_GET(IDR5_OAS, idr5), ARM_LPAE_TCR_PS_48_BIT);
	}
	return nr_smmus++;
}

/**
 * kvm_arm_smmu_register() - Take an SMMUv3 from the host.
 * @mmio:	Physical address of its registers (the 128KiB of pages 0 and 1).
 * @mmio_size:	Size of the register region.
 * @mem_pfn:	First of @nr_pages host pages for its command queue, its
 *		event queue and its level-1 stream table.
 * @nr_pages:	A page for each queue, then 8 bytes per 64 stream IDs.
 * @flags:	0, or KVM_SMMU_REGISTER_NONCOHERENT when firmware does not
 *		describe the SMMU as coherent: its tables are then cleaned to
 *		memory whatever IDR0.COHACC says.
 *
 * Only before the host is deprivileged. The registers leave the host stage-2
 * and the memory is donated to the hypervisor.
 *
 * Domains translate with the stage and the output size of the first SMMU
 * registered (stage 2 if it has it); later ones must support both.
 *
 * Return: the IOMMU ID, or -E2BIG when too many SMMUs are registered,
 * -ENODEV for an SMMU without what is needed (2-level stream table, AArch64
 * tables with 4KiB pages, stage 2 or stage 1 with 16-bit ASIDs), -EBUSY
 * for the first SMMU that does not snoop once tables exist (they were
 * written without cleaning), -EINVAL for too little memory or an unknown
 * flag, the error of the ownership transitions, or -ETIMEDOUT when the SMMU
 * does not respond.
 */
int kvm_arm_smmu_register(u64 mmio, u64 mmio_size, u64 mem_pfn, u64 nr_pages, u64 flags)
{
	int ret;

	hyp_spin_lock(&smmu_register_lock);
	ret = smmu_register(mmio, mmio_size, mem_pfn, nr_pages, flags);
	hyp_spin_unlock(&smmu_register_lock);
	return ret;
}

/**
 * kvm_arm_smmu_next_fault() - Take the oldest record of an SMMU's event queue.
 * @iommu_id:	Index of the SMMU, as registered.
 * @fault:	Filled with what the host may know of the record: the event
 *		type and stream ID, the access flags, and the input address.
 *
 * The host calls this from its event interrupt until the queue is empty.
 * Nothing else of the record leaves the hypervisor: for walk errors it
 * holds the addresses of the hypervisor's tables.
 *
 * Return: 1 with @fault filled, 0 when the queue is empty, -EINVAL for an
 * unknown SMMU.
 */
int kvm_arm_smmu_next_fault(u64 iommu_id, struct kvm_arm_smmu_fault *fault)
{
	struct hyp_arm_smmu *smmu = smmu_get(iommu_id, 0);
	u32 prod, idx_mask = BIT(SMMU_EVTQ_LOG2 + 1) - 1;
	u64 *ent;
	int ret = 0;

	if (!smmu)
		return -EINVAL;
	/* An SMMU without power records nothing: its registers are not read. */
	if (READ_ONCE(smmu->off))
		return 0;

	hyp_spin_lock(&smmu->evtq_lock);
	prod = readl_relaxed(smmu->base + SMMU_PAGE1 + ARM_SMMU_EVTQ_PROD);
	if ((prod & idx_mask) != smmu->evtq_cons) {
		/* Read the record only after the index that published it. */
		rmb();
		ent = smmu->evtq + (smmu->evtq_cons & (BIT(SMMU_EVTQ_LOG2) - 1)) *
				   EVTQ_ENT_DWORDS;
		if (!smmu->coherent)
			kvm_flush_dcache_to_poc(ent, EVTQ_ENT_DWORDS * 8);
		fault->id_sid = ent[0] & (EVTQ_0_ID | EVTQ_0_SID);
		fault->flags = ent[1] & (EVTQ_1_PnU | EVTQ_1_InD | EVTQ_1_RnW |
					 EVTQ_1_S2 | EVTQ_1_CLASS);
		fault->addr = ent[2];
		smmu->evtq_cons = (smmu->evtq_cons + 1) & idx_mask;
		ret = 1;
	}
	/*
	 * Acknowledge an overflow along with the records consumed, once the
	 * reads of them are done: the SMMU may write the slot as soon as it
	 * sees CONS move.
	 */
	dma_mb();
	writel_relaxed(smmu->evtq_cons | Q_OVF(prod),
		       smmu->base + SMMU_PAGE1 + ARM_SMMU_EVTQ_CONS);
	hyp_spin_unlock(&smmu->evtq_lock);
	return ret;
}

/**
 * kvm_arm_smmu_set_power() - Learn that an SMMU is losing power or has it again.
 * @iommu_id:	Index of the SMMU, as registered.
 * @on:		0 before the SMMU loses power, 1 once it has power again.
 *
 * Before power goes, the commands issued complete; from then on no register
 * of the SMMU is touched. When power is back the SMMU is reset as at
 * registration: stream table, queues, CR0 to CR2, GBPA set to abort, and
 * all of its configuration and TLB caches invalidated before it translates
 * again; then the deferred logs are flushed, which drops the counts that
 * waited for it. STEs and context descriptors are in memory already.
 *
 * While a stream of the SMMU uses the identity domain, which loses a page
 * at every donation of the host's and must invalidate it at once, such
 * donations fail with -EAGAIN until power-on.
 *
 * Return: 0; -EINVAL for an unknown SMMU or state; -EALREADY when the SMMU
 * is in that state; -ETIMEDOUT or -EIO when the SMMU does not complete its
 * commands or its reset: then it stays in the state it was in.
 */
int kvm_arm_smmu_set_power(u64 iommu_id, u64 on)
{
	struct hyp_arm_smmu *smmu = smmu_get(iommu_id, 0);
	struct smmu_cmds sync = {};
	int ret;

	if (!smmu || on > 1)
		return -EINVAL;
	hyp_spin_lock(&smmu->lock);
	if (smmu->off != on) {
		ret = -EALREADY;
	} else if (!on) {
		ret = smmu_issue(smmu, &sync);
		WRITE_ONCE(smmu->off, !ret);
	} else {
		/* The queues start again at 0, as the reset sets their indexes. */
		smmu->cmdq_prod = 0;
		smmu->cmdq_cons = 0;
		smmu->cmdq_published = 0;
		smmu->evtq_cons = 0;
		ret = smmu_reset(smmu);
		WRITE_ONCE(smmu->off, !!ret);
	}
	hyp_spin_unlock(&smmu->lock);
	if (on && !ret)
		kvm_iommu_flush_deferred(0, U64_MAX);
	return ret;
}

#ifdef CONFIG_ARM_SMMU_V3_PKVM_TEST
/**
 * kvm_arm_smmu_test_cmdq_error() - Make the next command batch of every SMMU
 * fail.
 *
 * For the test module: the batch's illegal command must be detected,
 * reported to the caller and skipped, and the queue must go on.
 *
 * Return: 0.
 */
int kvm_arm_smmu_test_cmdq_error(void)
{
	unsigned int i;

	for (i = 0; i < READ_ONCE(nr_smmus); i++) {
		hyp_spin_lock(&smmus[i].cmdq_lock);
		smmus[i].inject_cmdq_error = true;
		hyp_spin_unlock(&smmus[i].cmdq_lock);
	}
	return 0;
}

/**
 * kvm_arm_smmu_test_cr2() - Write and read SMMU 0's CR2.
 * @val:	The value to write; none when it does not fit 32 bits.
 *
 * For the test module: a value written here is gone once a power-on has
 * reset the SMMU. CR2 only sets how the SMMU records and invalidates, so
 * a test may clobber it safely.
 *
 * Return: CR2 as read, -EINVAL without an SMMU, -EAGAIN while it is off.
 */
long kvm_arm_smmu_test_cr2(u64 val)
{
	struct hyp_arm_smmu *smmu = smmu_get(0, 0);
	long ret;

	if (!smmu)
		return -EINVAL;
	hyp_spin_lock(&smmu->lock);
	ret = -EAGAIN;
	if (!smmu->off) {
		if (val <= U32_MAX)
			writel_relaxed(val, smmu->base + ARM_SMMU_CR2);
		ret = readl_relaxed(smmu->base + ARM_SMMU_CR2);
	}
	hyp_spin_unlock(&smmu->lock);
	return ret;
}
#endif
