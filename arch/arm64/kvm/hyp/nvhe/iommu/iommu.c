// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOMMU hypercalls of the pKVM hypervisor: the domain table, the
 * validation of every argument the host passes, and the order in which
 * I/O mappings, their page accounting and TLB invalidation happen.
 *
 * Invariants:
 *  - a page is accounted with __pkvm_host_share_dma() before any I/O page
 *    table entry points at it, and its accounting is dropped only once the
 *    entry is gone and the IOMMU flushed it;
 *  - a domain is freed only when no stream is attached to it and no
 *    hypercall is using it; until then its tables stay, so maps, unmaps
 *    and translations walk them without a lock.
 *
 * Every hypercall fails with -ENODEV until an IOMMU driver registered.
 * Hardware is behind kvm_iommu_ops. Nothing here is specific to EL2, so
 * that the same source builds in a userspace test harness.
 */
#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/iommu.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include <nvhe/iommu.h>
#include <nvhe/mem_protect.h>
#include <nvhe/memory.h>

#define KVM_IOMMU_VALID_PROT	(IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE | \
				 IOMMU_NOEXEC | IOMMU_MMIO | IOMMU_PRIV)

/*
 * The work of one map or unmap hypercall: this many bytes of page
 * accounting, or a single leaf when it is larger. A longer range returns
 * early with the bytes done and the host continues from there, as the
 * IOMMU core does after a short map or unmap.
 */
#define KVM_IOMMU_CALL_BYTES	SZ_2M
/*
 * The most tables one call adds: the range of a call spans at most two
 * tables of each of the three levels below the root. A map starts only
 * with that many pages in the memcache, so it never runs out halfway.
 */
#define KVM_IOMMU_CALL_TABLES	(2 * 3)
/*
 * The most a domain's deferred log holds: a flush then drops as many
 * counts as two unmap calls do.
 */
#define KVM_IOMMU_DEFERRED_BYTES	(2 * KVM_IOMMU_CALL_BYTES)

/*
 * A slot's count is 0 while it is free and SLOT_CHANGING while a domain is
 * being allocated or freed in it. A live domain holds 1 for the table plus
 * 1 for each hypercall using it. Slots are static, so taking a reference
 * never touches freed memory, and a domain is freed only by whoever moves
 * its count from 1 to SLOT_CHANGING.
 */
#define SLOT_CHANGING		(-1)

struct kvm_iommu_domain_slot {
	atomic_t refs;
	struct kvm_hyp_iommu_domain *domain;
};

static struct kvm_iommu_domain_slot domain_slots[KVM_IOMMU_MAX_DOMAINS];

/* 4KiB pages accounted for DMA through this file, for kvm_iommu_stat(). */
static atomic64_t iommu_dma_pages;
/* Of those, the pages of deferred logs */
static atomic64_t iommu_deferred_pages;

/* Set once, before the host is deprivileged. */
static const struct kvm_iommu_ops *iommu_ops;
static enum kvm_io_pgtable_fmt iommu_fmt;
static u32 iommu_ias, iommu_oas;

/**
 * kvm_iommu_init() - Register the IOMMU driver and its table format.
 * @ops:	The driver.
 * @fmt:	Format of the domains' page tables.
 * @ias:	Input address size of the domains, in bits.
 * @oas:	Output address size, in bits.
 *
 * Return: 0, or -EBUSY when a driver is registered already.
 */
int kvm_iommu_init(const struct kvm_iommu_ops *ops, enum kvm_io_pgtable_fmt fmt,
		   u32 ias, u32 oas)
{
	if (iommu_ops)
		return -EBUSY;
	iommu_fmt = fmt;
	iommu_ias = ias;
	iommu_oas = oas;
	iommu_ops = ops;
	return 0;
}

static struct kvm_iommu_domain_slot *domain_slot(u64 domain_id)
{
	if (domain_id >= KVM_IOMMU_MAX_DOMAINS)
		return NULL;
	return &domain_slots[domain_id];
}

/* Takes a reference on a live domain; NULL when there is none. */
static struct kvm_hyp_iommu_domain *domain_get(u64 domain_id)
{
	struct kvm_iommu_domain_slot *slot = domain_slot(domain_id);
	int refs;

	if (!slot)
		return NULL;
	do {
		refs = atomic_read(&slot->refs);
		if (refs <= 0)
			return NULL;
	} while (atomic_cmpxchg(&slot->refs, refs, refs + 1) != refs);
	return slot->domain;
}

static void domain_put(struct kvm_hyp_iommu_domain *domain)
{
	/* The table's own reference keeps the count above zero. */
	WARN_ON(atomic_dec_and_test(&domain_slots[domain->id].refs));
}

static int domain_lookup_error(u64 domain_id)
{
	return domain_slot(domain_id) ? -ENOENT : -EINVAL;
}

/* Every hypercall fails with -ENODEV until an IOMMU driver registered. */
static bool iommu_registered(void)
{
	return READ_ONCE(iommu_ops);
}

static int account_dma(u64 phys, u64 size)
{
	int ret = __pkvm_host_share_dma(phys, size);

	if (!ret)
		atomic64_add(size / SZ_4K, &iommu_dma_pages);
	return ret;
}

/* Only what account_dma() accounted comes back: a failure is a bug here. */
static void release_dma(phys_addr_t phys, size_t size)
{
	WARN_ON(__pkvm_host_unshare_dma(phys, size));
	atomic64_sub(size / SZ_4K, &iommu_dma_pages);
}

/**
 * kvm_iommu_flush() - Invalidate a range of a domain in every IOMMU's TLBs.
 * @domain:	The domain.
 * @iova:	Start of the range.
 * @size:	Its size.
 *
 * Return: 0, or the IOMMU's error; then the old translations may be in use.
 */
int kvm_iommu_flush(struct kvm_hyp_iommu_domain *domain, u64 iova, size_t size)
{
	return iommu_ops->flush_range(domain, iova, size);
}

/*
 * Invalidate all of the domain's TLB entries on every IOMMU, then drop the
 * counts its deferred log holds. Under the domain's lock. On error the log
 * stays as it is, for the next flush.
 */
static int flush_deferred(struct kvm_hyp_iommu_domain *domain)
{
	u32 i;
	int ret;

	if (!domain->nr_deferred)
		return 0;
	/* The whole input range: one invalidation of the domain's tag per IOMMU */
	ret = iommu_ops->flush_range(domain, 0, BIT_ULL(iommu_ias));
	if (ret)
		return ret;
	for (i = 0; i < domain->nr_deferred; i++)
		release_dma(domain->deferred[i].phys, domain->deferred[i].size);
	atomic64_sub(domain->deferred_bytes / SZ_4K, &iommu_deferred_pages);
	domain->nr_deferred = 0;
	domain->deferred_bytes = 0;
	return 0;
}

/**
 * kvm_iommu_alloc_domain() - Create an empty domain, or the identity domain.
 * @domain_id:	Host-chosen ID, below KVM_IOMMU_MAX_DOMAINS. The identity
 *		domain, KVM_IOMMU_IDENTITY_DOMAIN, is created mapping what the
 *		host owns and is kept so; the host cannot map or unmap in it.
 *
 * Return: 0; -EINVAL for an ID out of range; -EEXIST when the ID is in use;
 * -ENOMEM when the memcache needs pages.
 */
int kvm_iommu_alloc_domain(u64 domain_id)
{
	struct kvm_iommu_domain_slot *slot = domain_slot(domain_id);
	struct kvm_hyp_iommu_domain *domain;
	int ret;

	if (!iommu_registered())
		return -ENODEV;
	if (!slot)
		return -EINVAL;
	if (atomic_cmpxchg(&slot->refs, 0, SLOT_CHANGING) != 0)
		return -EEXIST;

	/* The domain and the root of its tables. */
	ret = kvm_iommu_reserve_pages(2);
	if (ret)
		goto out_free_slot;
	domain = kvm_iommu_alloc_page();
	if (!domain) {
		ret = -ENOMEM;
		goto out_free_slot;
	}
	/* The page is zeroed: nothing attached, the lock free. */
	domain->id = domain_id;
	ret = kvm_io_pgtable_init(&domain->pgt, iommu_fmt, iommu_ias, iommu_oas,
				  &kvm_iommu_mm_ops, NULL);
	if (!ret && domain_id == KVM_IOMMU_IDENTITY_DOMAIN) {
		ret = kvm_iommu_idmap_build(domain);
		if (ret)
			kvm_io_pgtable_destroy(&domain->pgt, NULL, 0);
	}
	if (ret) {
		kvm_iommu_free_page(domain);
		goto out_free_slot;
	}
	slot->domain = domain;
	atomic_cmpxchg(&slot->refs, SLOT_CHANGING, 1);
	return 0;

out_free_slot:
	atomic_cmpxchg(&slot->refs, SLOT_CHANGING, 0);
	return ret;
}

/**
 * kvm_iommu_free_domain() - Free a domain no stream is attached to.
 * @domain_id:	Its ID.
 *
 * Its deferred unmaps are completed first. Mappings left in the domain
 * are removed and their pages' accounting dropped: no stream can use them
 * since the last detach. One call drops
 * KVM_IOMMU_CALL_BYTES of them, or one leaf when it is larger; the domain
 * is freed by the call that finds none left.
 *
 * Return: 0; -EINVAL for an ID out of range; -ENOENT when no domain has
 * this ID; -EBUSY while streams are attached or another hypercall uses it;
 * -EAGAIN when mappings remain: the domain is still there, to free again;
 * the IOMMU's error when completing the deferred unmaps failed.
 */
int kvm_iommu_free_domain(u64 domain_id)
{
	struct kvm_iommu_domain_slot *slot = domain_slot(domain_id);
	struct kvm_hyp_iommu_domain *domain;
	int refs, ret;

	if (!iommu_registered())
		return -ENODEV;
	if (!slot)
		return -EINVAL;
	refs = atomic_cmpxchg(&slot->refs, 1, SLOT_CHANGING);
	if (refs != 1)
		return refs == 0 ? -ENOENT : -EBUSY;

	domain = slot->domain;
	ret = domain->nr_attached ? -EBUSY : flush_deferred(domain);
	if (!ret && domain_id == KVM_IOMMU_IDENTITY_DOMAIN) {
		kvm_iommu_idmap_release();
		kvm_io_pgtable_destroy(&domain->pgt, NULL, 0);
	} else if (!ret) {
		ret = kvm_io_pgtable_destroy(&domain->pgt, release_dma, KVM_IOMMU_CALL_BYTES);
	}
	if (ret) {
		atomic_cmpxchg(&slot->refs, SLOT_CHANGING, 1);
		return ret;
	}
	slot->domain = NULL;
	kvm_iommu_free_page(domain);
	atomic_cmpxchg(&slot->refs, SLOT_CHANGING, 0);
	return 0;
}

static int domain_stream_op(u64 iommu_id, u64 domain_id, u64 sid, bool attach)
{
	struct kvm_hyp_iommu_domain *domain;
	int ret;

	if (!iommu_registered())
		return -ENODEV;
	if (iommu_id > U32_MAX || sid > U32_MAX)
		return -EINVAL;
	domain = domain_get(domain_id);
	if (!domain)
		return domain_lookup_error(domain_id);
	hyp_spin_lock(&domain->lock);
	/* A detach completes the deferred unmaps first: the domain may go next. */
	ret = attach ? 0 : flush_deferred(domain);
	ret = ret ?: (attach ? iommu_ops->attach_dev : iommu_ops->detach_dev)(domain, iommu_id,
									       sid);
	if (!ret)
		domain->nr_attached += attach ? 1 : -1;
	hyp_spin_unlock(&domain->lock);
	domain_put(domain);
	return ret;
}

/**
 * kvm_iommu_attach_dev() - Attach a stream of an IOMMU to a domain.
 * @iommu_id:	Index of the IOMMU, as registered.
 * @domain_id:	The domain.
 * @sid:	Stream ID on that IOMMU.
 *
 * Return: 0; -EINVAL for an out-of-range ID; -ENOENT when the domain does
 * not exist; -EBUSY when the stream is attached already; -ENOMEM when the
 * memcache needs pages.
 */
int kvm_iommu_attach_dev(u64 iommu_id, u64 domain_id, u64 sid)
{
	return domain_stream_op(iommu_id, domain_id, sid, true);
}

/**
 * kvm_iommu_detach_dev() - Detach a stream from a domain; it aborts again.
 * @iommu_id:	Index of the IOMMU.
 * @domain_id:	The domain the stream is attached to.
 * @sid:	Stream ID.
 *
 * The domain's deferred unmaps are completed first.
 *
 * Return: 0; -EINVAL for an out-of-range ID; -ENOENT when the domain does
 * not exist or the stream is not attached to it; the IOMMU's error when
 * completing the deferred unmaps failed: the stream stays attached.
 */
int kvm_iommu_detach_dev(u64 iommu_id, u64 domain_id, u64 sid)
{
	return domain_stream_op(iommu_id, domain_id, sid, false);
}

/* The checks shared by map and unmap; on success @size is the range size. */
static int check_range(u64 iova, u64 pgsize, u64 pgcount, u64 *size)
{
	if (!pgsize || (pgsize & (pgsize - 1)) || !(pgsize & KVM_IO_PGTABLE_PGSIZES))
		return -EINVAL;
	if (!pgcount || iova & (pgsize - 1))
		return -EINVAL;
	if (pgcount > BIT_ULL(iommu_ias) / pgsize)
		return -ERANGE;
	*size = pgsize * pgcount;
	if (iova > BIT_ULL(iommu_ias) - *size)
		return -ERANGE;
	return 0;
}

static int check_prot(u64 prot)
{
	if ((prot & ~KVM_IOMMU_VALID_PROT) || !(prot & (IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	return 0;
}

/*
 * Account and map @size bytes of @pgsize pages at @iova, with memory for
 * the tables reserved. What was not mapped was never visible to a device:
 * its accounting goes at once.
 */
static int map_reserved(struct kvm_hyp_iommu_domain *domain, u64 iova, u64 paddr,
			u64 pgsize, u64 size, u64 prot, size_t *mapped)
{
	int ret;

	*mapped = 0;
	ret = account_dma(paddr, size);
	if (ret)
		return ret;
	ret = kvm_io_pgtable_map(&domain->pgt, iova, paddr, pgsize, size / pgsize, prot,
				 NULL, mapped);
	if (*mapped < size)
		release_dma(paddr + *mapped, size - *mapped);
	return ret;
}

/**
 * kvm_iommu_map_pages() - Map host pages into a domain.
 * @domain_id:	The domain.
 * @iova:	I/O virtual address, aligned to @pgsize.
 * @paddr:	Physical address of host-owned memory or MMIO, aligned to
 *		@pgsize.
 * @pgsize:	4KiB, 2MiB or 1GiB.
 * @pgcount:	Number of @pgsize pages.
 * @prot:	IOMMU_READ and/or IOMMU_WRITE, plus IOMMU_CACHE, IOMMU_NOEXEC,
 *		IOMMU_MMIO, IOMMU_PRIV.
 * @mapped:	Set to the bytes mapped from @iova up, also on error: exactly
 *		those stay mapped and accounted.
 *
 * One call maps at most KVM_IOMMU_CALL_BYTES, or one leaf of @pgsize when
 * it is larger: a longer range returns 0 with @mapped short of it. The
 * call starts only when this CPU's memcache holds the most tables it can
 * add, KVM_IOMMU_CALL_TABLES, and fails with -ENOMEM otherwise: the caller
 * donates what it lacks and calls again.
 *
 * Return: 0; -EINVAL for a bad ID, size, alignment or prot; -ERANGE when
 * the range overflows or exceeds the domain's input or output size; -ENOENT
 * when the domain does not exist; -EPERM when the host does not own every
 * page, or for the identity domain; -EEXIST when part of the range is
 * mapped already; -ENOMEM when the memcache needs pages for the next step.
 */
int kvm_iommu_map_pages(u64 domain_id, u64 iova, u64 paddr, u64 pgsize,
			u64 pgcount, u64 prot, size_t *mapped)
{
	struct kvm_hyp_iommu_domain *domain;
	u64 size, n;
	int ret;

	*mapped = 0;
	if (!iommu_registered())
		return -ENODEV;
	if (domain_id == KVM_IOMMU_IDENTITY_DOMAIN)
		return -EPERM;
	ret = check_range(iova, pgsize, pgcount, &size) ?: check_prot(prot);
	if (ret)
		return ret;
	if (paddr & (pgsize - 1))
		return -EINVAL;
	if (size > BIT_ULL(iommu_oas) || paddr > BIT_ULL(iommu_oas) - size)
		return -ERANGE;

	domain = domain_get(domain_id);
	if (!domain)
		return domain_lookup_error(domain_id);

	n = min_t(u64, pgcount, max_t(u64, KVM_IOMMU_CALL_BYTES / pgsize, 1));
	/* The memcache is this CPU's: no other call takes from it. */
	ret = kvm_iommu_reserve_pages(KVM_IOMMU_CALL_TABLES) ?:
	      map_reserved(domain, iova, paddr, pgsize, n * pgsize, prot, mapped);
	domain_put(domain);
	return ret;
}

/**
 * kvm_iommu_map_runs() - Map runs of host pages at consecutive IOVAs.
 * @domain_id:	The domain.
 * @iova:	I/O virtual address of the first run, 4KiB-aligned.
 * @prot:	As for kvm_iommu_map_pages().
 * @runs:	Each the physical address of a run of 4KiB pages, ORed with
 *		the number of its pages minus one (KVM_IOMMU_RUN()).
 * @nr:		Number of @runs, at most KVM_IOMMU_MAX_RUNS.
 * @mapped:	Set to the bytes mapped from @iova up, also on error.
 *
 * What a scatterlist of scattered pages needs, in one call rather than one
 * per page. The runs are checked, accounted and mapped as by
 * kvm_iommu_map_pages() with 4KiB pages, the domain looked up and the
 * memory for the tables of the whole range reserved once. The call maps
 * at most KVM_IOMMU_CALL_BYTES: the caller goes on from @mapped, as after
 * -ENOMEM.
 *
 * Return: as kvm_iommu_map_pages(), for the first run that fails; -EINVAL
 * also for no run or too many.
 */
int kvm_iommu_map_runs(u64 domain_id, u64 iova, u64 prot, const u64 *runs,
		       u64 nr, size_t *mapped)
{
	struct kvm_hyp_iommu_domain *domain;
	u64 i, size = 0, n, phys;
	size_t done;
	int ret;

	*mapped = 0;
	if (!iommu_registered())
		return -ENODEV;
	if (domain_id == KVM_IOMMU_IDENTITY_DOMAIN)
		return -EPERM;
	if (!nr || nr > KVM_IOMMU_MAX_RUNS)
		return -EINVAL;
	for (i = 0; i < nr; i++)
		size += KVM_IOMMU_RUN_PAGES(runs[i]) * SZ_4K;
	ret = check_range(iova, SZ_4K, min_t(u64, size, KVM_IOMMU_CALL_BYTES) / SZ_4K, &size) ?:
	      check_prot(prot);
	if (ret)
		return ret;

	domain = domain_get(domain_id);
	if (!domain)
		return domain_lookup_error(domain_id);
	ret = kvm_iommu_reserve_pages(KVM_IOMMU_CALL_TABLES);
	for (i = 0; !ret && *mapped < size; i++) {
		phys = KVM_IOMMU_RUN_PHYS(runs[i]);
		n = min_t(u64, KVM_IOMMU_RUN_PAGES(runs[i]) * SZ_4K, size - *mapped);
		if (phys > BIT_ULL(iommu_oas) - n) {
			ret = -ERANGE;
			break;
		}
		ret = map_reserved(domain, iova + *mapped, phys, SZ_4K, n, prot, &done);
		*mapped += done;
		if (done < n)
			break;
	}
	domain_put(domain);
	return ret;
}

/* A gather per CPU, 8KiB: too large for the stack. Used by one call at a time. */
static DEFINE_PER_CPU(struct kvm_io_pgtable_gather, unmap_gather);

/*
 * Make what @gather holds unreachable, then give the pages back. If the
 * IOMMU failed to flush, its TLBs may still hold the old entries: the pages
 * stay accounted as mapped, forever.
 */
static int flush_gather(struct kvm_hyp_iommu_domain *domain,
			struct kvm_io_pgtable_gather *gather)
{
	unsigned int i;
	int ret;

	if (gather->start == gather->end)
		return 0;
	ret = iommu_ops->flush_range(domain, gather->start,
				     gather->end - gather->start);
	if (ret)
		return ret;
	for (i = 0; i < gather->nr_leaves; i++)
		release_dma(gather->leaves[i].phys, gather->leaves[i].size);
	return 0;
}

/*
 * Keep what @gather holds for the domain's next flush: its pages stay
 * counted and their ranges go to the log. A log without room is flushed
 * first, and a gather larger than a whole log is flushed now, as without
 * deferring: a log never holds more than its bounds.
 */
static int defer_gather(struct kvm_hyp_iommu_domain *domain,
			struct kvm_io_pgtable_gather *gather)
{
	int ret = 0;

	if (gather->nr_leaves > KVM_IOMMU_DEFERRED_RANGES ||
	    gather->unmapped > KVM_IOMMU_DEFERRED_BYTES)
		return flush_gather(domain, gather);
	hyp_spin_lock(&domain->lock);
	if (domain->nr_deferred + gather->nr_leaves > KVM_IOMMU_DEFERRED_RANGES ||
	    domain->deferred_bytes + gather->unmapped > KVM_IOMMU_DEFERRED_BYTES)
		ret = flush_deferred(domain);
	if (!ret) {
		memcpy(domain->deferred + domain->nr_deferred, gather->leaves,
		       gather->nr_leaves * sizeof(*gather->leaves));
		domain->nr_deferred += gather->nr_leaves;
		domain->deferred_bytes += gather->unmapped;
		atomic64_add(gather->unmapped / SZ_4K, &iommu_deferred_pages);
	}
	hyp_spin_unlock(&domain->lock);
	return ret;
}

/**
 * kvm_iommu_unmap_pages() - Unmap a range of a domain.
 * @domain_id:	The domain.
 * @iova:	I/O virtual address, aligned to @pgsize.
 * @pgsize:	4KiB, 2MiB or 1GiB.
 * @pgcount:	Number of @pgsize pages.
 * @flags:	0, or KVM_IOMMU_UNMAP_DEFER.
 * @unmapped:	Set to the bytes unmapped from @iova up.
 *
 * Unmapping stops at the first hole and at a block that is not wholly
 * inside the range. The pages of what was unmapped are released only
 * after the IOMMU flushed their translations: before the call returns, or
 * with KVM_IOMMU_UNMAP_DEFER at the domain's next flush, which the call
 * makes first when the domain's deferred log is full. One call unmaps at
 * most KVM_IOMMU_CALL_BYTES plus one leaf: a longer range returns 0 with
 * @unmapped short of it, for the caller to continue.
 *
 * Return: 0 when all was unmapped; -EINVAL for a bad ID, size, alignment
 * or flag, or a block straddling the range; -ERANGE when the range
 * overflows or exceeds the input size; -ENOENT when the domain does not
 * exist or at a hole; -EPERM for the identity domain; the IOMMU's error
 * when a flush failed, -EAGAIN when an IOMMU the domain has streams on is
 * without power and the domain's log is full.
 */
int kvm_iommu_unmap_pages(u64 domain_id, u64 iova, u64 pgsize, u64 pgcount,
			  u64 flags, size_t *unmapped)
{
	struct kvm_io_pgtable_gather *gather = this_cpu_ptr(&unmap_gather);
	struct kvm_hyp_iommu_domain *domain;
	u64 size;
	int ret, err;

	*unmapped = 0;
	if (!iommu_registered())
		return -ENODEV;
	if (domain_id == KVM_IOMMU_IDENTITY_DOMAIN)
		return -EPERM;
	ret = check_range(iova, pgsize, pgcount, &size);
	if (ret)
		return ret;
	if (flags & ~KVM_IOMMU_UNMAP_DEFER)
		return -EINVAL;

	domain = domain_get(domain_id);
	if (!domain)
		return domain_lookup_error(domain_id);

	do {
		/* The leaves need no clearing: nr_leaves says which are set. */
		memset(gather, 0, offsetof(struct kvm_io_pgtable_gather, leaves));
		gather->max_bytes = KVM_IOMMU_CALL_BYTES - *unmapped;
		ret = kvm_io_pgtable_unmap(&domain->pgt, iova + *unmapped,
					   size - *unmapped, gather);
		/* What the gather holds is out of the tables and this call's alone. */
		err = flags ? defer_gather(domain, gather) : flush_gather(domain, gather);
		/*
		 * An IOMMU without power is invalidated at power-on: the log
		 * waits. A deferred unmap's -EAGAIN came from the log already:
		 * full, and not flushable while the IOMMU is off.
		 */
		if (err == -EAGAIN && !flags)
			err = defer_gather(domain, gather);
		if (err) {
			ret = err;
			break;
		}
		*unmapped += gather->unmapped;
	} while (ret == -ENOSPC && *unmapped < KVM_IOMMU_CALL_BYTES);
	/* The rest of the range is for the host's next call. */
	if (ret == -ENOSPC)
		ret = 0;
	domain_put(domain);
	return ret;
}

/**
 * kvm_iommu_flush_domain() - Complete the deferred unmaps of a domain.
 * @domain_id:	The domain.
 *
 * Invalidates the domain's TLB entries on every IOMMU and, once that
 * completed, drops the counts its deferred unmaps kept.
 *
 * Return: 0; -EINVAL for an ID out of range; -ENOENT when no domain has
 * this ID; the IOMMU's error when the invalidation failed: the pages stay
 * counted, and the flush may be called again.
 */
int kvm_iommu_flush_domain(u64 domain_id)
{
	struct kvm_hyp_iommu_domain *domain;
	int ret;

	if (!iommu_registered())
		return -ENODEV;
	domain = domain_get(domain_id);
	if (!domain)
		return domain_lookup_error(domain_id);
	hyp_spin_lock(&domain->lock);
	ret = flush_deferred(domain);
	hyp_spin_unlock(&domain->lock);
	domain_put(domain);
	return ret;
}

/* Whether the deferred log of @domain holds a page of [addr, addr + size) */
static bool log_holds(struct kvm_hyp_iommu_domain *domain, u64 addr, u64 size)
{
	struct kvm_io_pgtable_leaf *d;

	for (d = domain->deferred; d < domain->deferred + domain->nr_deferred; d++) {
		if (d->phys < addr + size && addr < d->phys + d->size)
			return true;
	}
	return false;
}

/**
 * kvm_iommu_flush_deferred() - Flush the domains whose deferred unmaps
 * hold pages of a range.
 * @addr:	Start of the range, page aligned.
 * @size:	Its size.
 *
 * For a transition that takes the range from the host and found counted
 * pages: those whose mappings are all deferred need not wait for the host
 * to flush. Under host_mmu.lock, which the lock of each domain nests in.
 * At most every domain is flushed once, each dropping the counts of at
 * most KVM_IOMMU_DEFERRED_BYTES; none is looked at when no log holds a page.
 *
 * Return: 0, or the first IOMMU error; then the pages stay counted.
 */
int kvm_iommu_flush_deferred(u64 addr, u64 size)
{
	struct kvm_hyp_iommu_domain *domain;
	int ret = 0;
	u64 id;

	if (!atomic64_read(&iommu_deferred_pages))
		return 0;
	for (id = 0; id < KVM_IOMMU_MAX_DOMAINS && !ret; id++) {
		domain = domain_get(id);
		if (!domain)
			continue;
		hyp_spin_lock(&domain->lock);
		if (log_holds(domain, addr, size))
			ret = flush_deferred(domain);
		hyp_spin_unlock(&domain->lock);
		domain_put(domain);
	}
	return ret;
}

/**
 * kvm_iommu_iova_to_phys() - Translate an I/O virtual address of a domain.
 * @domain_id:	The domain.
 * @iova:	The address.
 *
 * Return: the physical address, or 0 when unmapped or without a domain.
 */
phys_addr_t kvm_iommu_iova_to_phys(u64 domain_id, u64 iova)
{
	struct kvm_hyp_iommu_domain *domain;
	phys_addr_t phys;

	if (!iommu_registered())
		return 0;
	domain = domain_get(domain_id);
	if (!domain)
		return 0;
	phys = kvm_io_pgtable_iova_to_phys(&domain->pgt, iova);
	domain_put(domain);
	return phys;
}

/**
 * kvm_iommu_stat() - Report a figure of the hypervisor's own IOMMU state.
 * @stat:	One of enum kvm_iommu_stat.
 *
 * For the host's debugfs and tests: what the hypervisor holds, not what
 * the host believes it asked for.
 *
 * Return: the figure, or -EINVAL for an unknown @stat.
 */
s64 kvm_iommu_stat(u64 stat)
{
	switch (stat) {
	case KVM_IOMMU_STAT_DMA_PAGES:
		return atomic64_read(&iommu_dma_pages);
	case KVM_IOMMU_STAT_PAGES_IN_USE:
		return kvm_iommu_pages_in_use();
	case KVM_IOMMU_STAT_PAGES_HELD:
		return kvm_iommu_pages_held();
	case KVM_IOMMU_STAT_IDMAP_PAGES:
		return kvm_iommu_idmap_pages(false);
	case KVM_IOMMU_STAT_IDMAP_RESERVE:
		return kvm_iommu_idmap_pages(true);
	case KVM_IOMMU_STAT_DEFERRED_PAGES:
		return atomic64_read(&iommu_deferred_pages);
	default:
		return -EINVAL;
	}
}
