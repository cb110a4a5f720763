// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMSAv8-64 I/O page tables for the SMMUs owned by the pKVM hypervisor:
 * 4KiB granule, 4KiB pages and 2MiB or 1GiB blocks, stage-1 or stage-2
 * format. Table memory comes from the caller's memcache through mm_ops.
 *
 * Nothing here takes a lock: the caller serializes all changes to one set
 * of tables (the owning domain's lock). Nothing here is specific to EL2
 * either, so that the same source builds in a userspace test harness.
 */
#include <linux/align.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/iommu.h>
#include <linux/sizes.h>
#include <asm/barrier.h>

#include <nvhe/io-pgtable.h>

#define IOPTE_VALID		BIT_ULL(0)
#define IOPTE_TYPE_MASK		GENMASK_ULL(1, 0)
#define IOPTE_TYPE_BLOCK	1ULL	/* levels 1 and 2 */
#define IOPTE_TYPE_TABLE	3ULL	/* levels 0 to 2 */
#define IOPTE_TYPE_PAGE		3ULL	/* level 3 */
#define IOPTE_ADDR_MASK		GENMASK_ULL(47, 12)

#define IOPTE_SH_IS		(3ULL << 8)
#define IOPTE_AF		BIT_ULL(10)

#define IOPTE_S1_ATTRIDX_SHIFT	2
#define IOPTE_S1_AP_UNPRIV	BIT_ULL(6)
#define IOPTE_S1_AP_RDONLY	BIT_ULL(7)
#define IOPTE_S1_NG		BIT_ULL(11)
#define IOPTE_S1_PXN		BIT_ULL(53)
#define IOPTE_S1_UXN		BIT_ULL(54)

#define IOPTE_S2_MEMATTR_DEV	(0x1ULL << 2)	/* Device-nGnRE */
#define IOPTE_S2_MEMATTR_NC	(0x5ULL << 2)	/* Normal, non-cacheable */
#define IOPTE_S2_MEMATTR_WB	(0xfULL << 2)	/* Normal, write-back */
#define IOPTE_S2_READ		BIT_ULL(6)
#define IOPTE_S2_WRITE		BIT_ULL(7)
#define IOPTE_S2_XN		BIT_ULL(54)

#define IOPT_GRANULE_SHIFT	12
#define IOPT_BITS_PER_LEVEL	9
#define IOPT_LAST_LEVEL		3
#define IOPT_MIN_IAS		32
#define IOPT_MAX_ADDR_BITS	48

#define IOPT_VALID_PROT		(IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE | \
				 IOMMU_NOEXEC | IOMMU_MMIO | IOMMU_PRIV)

/* Cursor of a walk over [addr, end); leaves are installed at leaf_level. */
struct iopt_walk {
	u64 addr;
	u64 end;
	phys_addr_t phys;
	u64 leaf_attr;
	u32 leaf_level;
	void *mc;
	size_t mapped;
};

static u32 level_shift(u32 level)
{
	return IOPT_GRANULE_SHIFT + IOPT_BITS_PER_LEVEL * (IOPT_LAST_LEVEL - level);
}

static u64 level_size(u32 level)
{
	return BIT_ULL(level_shift(level));
}

/* The root table covers exactly the input range, so it may be short. */
static u32 table_entries(struct kvm_io_pgtable *pgt, u32 level)
{
	if (level == pgt->start_level)
		return 1U << (pgt->ias - level_shift(level));
	return 1U << IOPT_BITS_PER_LEVEL;
}

static u32 iopte_index(struct kvm_io_pgtable *pgt, u64 iova, u32 level)
{
	return (iova >> level_shift(level)) & (table_entries(pgt, level) - 1);
}

static bool iopte_valid(u64 pte)
{
	return pte & IOPTE_VALID;
}

static bool iopte_is_table(u64 pte, u32 level)
{
	return level < IOPT_LAST_LEVEL &&
	       (pte & IOPTE_TYPE_MASK) == IOPTE_TYPE_TABLE;
}

static u64 *iopte_table(struct kvm_io_pgtable *pgt, u64 pte)
{
	return pgt->mm_ops->phys_to_virt(pte & IOPTE_ADDR_MASK);
}

static void iopte_set(struct kvm_io_pgtable *pgt, u64 *ptep, u64 pte)
{
	WRITE_ONCE(*ptep, pte);
	if (pgt->mm_ops->dcache_clean)
		pgt->mm_ops->dcache_clean(ptep, sizeof(*ptep));
}

static int pgsize_to_level(size_t pgsize)
{
	switch (pgsize) {
	case SZ_4K:
		return 3;
	case SZ_2M:
		return 2;
	case SZ_1G:
		return 1;
	default:
		return -EINVAL;
	}
}

static u64 leaf_attr(struct kvm_io_pgtable *pgt, int prot, u32 level)
{
	u64 attr = IOPTE_AF | IOPTE_SH_IS;
	u64 idx;

	attr |= level == IOPT_LAST_LEVEL ? IOPTE_TYPE_PAGE : IOPTE_TYPE_BLOCK;
	if (pgt->fmt == KVM_IO_PGTABLE_S2) {
		if (prot & IOMMU_READ)
			attr |= IOPTE_S2_READ;
		if (prot & IOMMU_WRITE)
			attr |= IOPTE_S2_WRITE;
		if (prot & IOMMU_MMIO)
			attr |= IOPTE_S2_MEMATTR_DEV;
		else if (prot & IOMMU_CACHE)
			attr |= IOPTE_S2_MEMATTR_WB;
		else
			attr |= IOPTE_S2_MEMATTR_NC;
		if (prot & IOMMU_NOEXEC)
			attr |= IOPTE_S2_XN;
		return attr;
	}

	attr |= IOPTE_S1_NG;
	if (!(prot & IOMMU_PRIV))
		attr |= IOPTE_S1_AP_UNPRIV;
	if (!(prot & IOMMU_WRITE))
		attr |= IOPTE_S1_AP_RDONLY;
	if (prot & IOMMU_MMIO)
		idx = KVM_IO_PGTABLE_MAIR_IDX_DEVICE;
	else if (prot & IOMMU_CACHE)
		idx = KVM_IO_PGTABLE_MAIR_IDX_NORMAL;
	else
		idx = KVM_IO_PGTABLE_MAIR_IDX_NC;
	attr |= idx << IOPTE_S1_ATTRIDX_SHIFT;
	if (prot & IOMMU_NOEXEC)
		attr |= IOPTE_S1_PXN | IOPTE_S1_UXN;
	return attr;
}

/*
 * A new table is linked only once it is zeroed where the walker reads it.
 * A table stays linked until an unmap finds it empty; it is freed only after
 * the caller's TLB invalidation, since the walker may have cached it.
 */
static u64 *link_new_table(struct kvm_io_pgtable *pgt, u64 *table, u64 *ptep,
			   void *mc)
{
	const struct kvm_io_pgtable_mm_ops *mm_ops = pgt->mm_ops;
	u64 *child = mm_ops->zalloc_page(mc);

	if (!child)
		return NULL;
	if (mm_ops->dcache_clean)
		mm_ops->dcache_clean(child, SZ_4K);
	/* The walker must see the zeroed table before the entry linking it. */
	wmb();
	iopte_set(pgt, ptep, mm_ops->virt_to_phys(child) | IOPTE_TYPE_TABLE);
	mm_ops->get_page(table);
	return child;
}

static int map_walk(struct kvm_io_pgtable *pgt, u64 *table, u32 level,
		    struct iopt_walk *w)
{
	u32 idx, nr = table_entries(pgt, level);
	u64 size = level_size(level);
	int ret;

	for (idx = iopte_index(pgt, w->addr, level); idx < nr && w->addr < w->end; idx++) {
		u64 *ptep = &table[idx];
		u64 pte = READ_ONCE(*ptep);
		u64 *child;

		if (level == w->leaf_level) {
			if (iopte_valid(pte))
				return -EEXIST;
			iopte_set(pgt, ptep, w->phys | w->leaf_attr);
			pgt->mm_ops->get_page(table);
			w->addr += size;
			w->phys += size;
			w->mapped += size;
			continue;
		}

		if (!iopte_valid(pte)) {
			child = link_new_table(pgt, table, ptep, w->mc);
			if (!child)
				return -ENOMEM;
		} else if (iopte_is_table(pte, level)) {
			child = iopte_table(pgt, pte);
		} else {
			return -EEXIST;	/* a block already covers the range */
		}

		ret = map_walk(pgt, child, level + 1, w);
		if (ret)
			return ret;
	}
	return 0;
}

/* Grow the IOVA range the caller must invalidate to cover [start, end). */
static void gather_range(struct kvm_io_pgtable_gather *gather, u64 start, u64 end)
{
	bool empty = gather->start == gather->end;

	if (empty || start < gather->start)
		gather->start = start;
	if (empty || end > gather->end)
		gather->end = end;
}

static bool gather_leaf(struct kvm_io_pgtable_gather *gather, phys_addr_t phys,
			size_t size)
{
	unsigned int n = gather->nr_leaves;

	/* Keep room for the tables this leaf may empty on its way up. */
	if (gather->nr_tables + IOPT_LAST_LEVEL > KVM_IO_GATHER_TABLES)
		return false;
	/* The first leaf is always taken, however large. */
	if (gather->max_bytes && gather->unmapped &&
	    gather->unmapped + size > gather->max_bytes)
		return false;
	if (n && gather->leaves[n - 1].phys + gather->leaves[n - 1].size == phys) {
		gather->leaves[n - 1].size += size;
		return true;
	}
	if (n == KVM_IO_GATHER_LEAVES)
		return false;
	gather->leaves[n].phys = phys;
	gather->leaves[n].size = size;
	gather->nr_leaves++;
	return true;
}

static int unmap_walk(struct kvm_io_pgtable *pgt, u64 *table, u32 level,
		      struct iopt_walk *w, struct kvm_io_pgtable_gather *gather)
{
	const struct kvm_io_pgtable_mm_ops *mm_ops = pgt->mm_ops;
	u32 idx, nr = table_entries(pgt, level);
	u64 size = level_size(level), base;
	int ret;

	for (idx = iopte_index(pgt, w->addr, level); idx < nr && w->addr < w->end; idx++) {
		u64 *ptep = &table[idx];
		u64 pte = READ_ONCE(*ptep);
		u64 *child;

		if (!iopte_valid(pte))
			return -ENOENT;

		if (!iopte_is_table(pte, level)) {
			/* Blocks are not split: unmap all of one or none. */
			if (!IS_ALIGNED(w->addr, size) || w->end - w->addr < size)
				return -EINVAL;
			if (!gather_leaf(gather, pte & IOPTE_ADDR_MASK, size))
				return -ENOSPC;
			iopte_set(pgt, ptep, 0);
			mm_ops->put_page(table);
			gather_range(gather, w->addr, w->addr + size);
			w->addr += size;
			gather->unmapped += size;
			continue;
		}

		/*
		 * The walker may have cached this entry for any address the
		 * table covers, not only those unmapped: a table freed is
		 * invalidated over all of its range.
		 */
		base = ALIGN_DOWN(w->addr, size);
		child = iopte_table(pgt, pte);
		ret = unmap_walk(pgt, child, level + 1, w, gather);
		if (mm_ops->page_count(child) == 1 &&
		    gather->nr_tables < KVM_IO_GATHER_TABLES) {
			iopte_set(pgt, ptep, 0);
			mm_ops->put_page(table);
			gather->tables[gather->nr_tables++] = child;
			gather_range(gather, base, base + size);
		}
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * kvm_io_pgtable_init() - Allocate the root of an empty set of tables.
 * @pgt:	Page tables to initialize.
 * @fmt:	Stage-1 or stage-2 format.
 * @ias:	Input address size in bits, 32 to 48.
 * @oas:	Output address size in bits, 32 to 48.
 * @mm_ops:	Memory operations for the table pages.
 * @mc:		Memcache passed to mm_ops->zalloc_page().
 *
 * Return: 0, -EINVAL for an unsupported format or size, -ENOMEM when no
 * page could be allocated for the root.
 */
int kvm_io_pgtable_init(struct kvm_io_pgtable *pgt, enum kvm_io_pgtable_fmt fmt,
			u32 ias, u32 oas, const struct kvm_io_pgtable_mm_ops *mm_ops,
			void *mc)
{
	u32 levels;

	if ((fmt != KVM_IO_PGTABLE_S1 && fmt != KVM_IO_PGTABLE_S2) ||
	    ias < IOPT_MIN_IAS || ias > IOPT_MAX_ADDR_BITS ||
	    oas < IOPT_MIN_IAS || oas > IOPT_MAX_ADDR_BITS)
		return -EINVAL;

	levels = (ias - IOPT_GRANULE_SHIFT + IOPT_BITS_PER_LEVEL - 1) /
		 IOPT_BITS_PER_LEVEL;
	pgt->fmt = fmt;
	pgt->ias = ias;
	pgt->oas = oas;
	pgt->start_level = IOPT_LAST_LEVEL + 1 - levels;
	pgt->mm_ops = mm_ops;
	pgt->pgd = mm_ops->zalloc_page(mc);
	if (!pgt->pgd)
		return -ENOMEM;
	/* A recycled page may hold anything where the walker reads it. */
	if (mm_ops->dcache_clean)
		mm_ops->dcache_clean(pgt->pgd, SZ_4K);
	return 0;
}

static void free_walk(struct kvm_io_pgtable *pgt, u64 *table, u32 level,
		      void (*leaf)(phys_addr_t phys, size_t size))
{
	const struct kvm_io_pgtable_mm_ops *mm_ops = pgt->mm_ops;
	u32 idx, nr = table_entries(pgt, level);

	for (idx = 0; idx < nr; idx++) {
		u64 pte = READ_ONCE(table[idx]);

		if (!iopte_valid(pte))
			continue;
		if (iopte_is_table(pte, level))
			free_walk(pgt, iopte_table(pgt, pte), level + 1, leaf);
		else if (leaf)
			leaf(pte & IOPTE_ADDR_MASK, level_size(level));
		iopte_set(pgt, &table[idx], 0);
		mm_ops->put_page(table);
	}
	mm_ops->free_table(table);
}

/**
 * kvm_io_pgtable_destroy() - Remove every leaf and free every table.
 * @pgt:	Page tables no walker can reach any more: the caller has
 *		invalidated the TLBs of every stream that used them.
 * @leaf:	Called for each leaf still mapped, or NULL.
 */
void kvm_io_pgtable_destroy(struct kvm_io_pgtable *pgt,
			    void (*leaf)(phys_addr_t phys, size_t size))
{
	free_walk(pgt, pgt->pgd, pgt->start_level, leaf);
	pgt->pgd = NULL;
}

/**
 * kvm_io_pgtable_map() - Map @pgcount leaves of @pgsize at @iova to @paddr.
 * @pgt:	Page tables.
 * @iova:	Input address, aligned to @pgsize.
 * @paddr:	Output address, aligned to @pgsize.
 * @pgsize:	SZ_4K, SZ_2M or SZ_1G.
 * @pgcount:	Number of leaves, at least one.
 * @prot:	IOMMU_READ and/or IOMMU_WRITE, plus IOMMU_CACHE, IOMMU_NOEXEC,
 *		IOMMU_MMIO, IOMMU_PRIV.
 * @mc:		Memcache for new tables.
 * @mapped:	Set to the number of bytes mapped, from @iova up, even on error.
 *
 * Existing mappings are never replaced. On error, the leaves before the
 * failing one stay mapped and are counted in @mapped.
 *
 * Return: 0; -EINVAL for a bad size, alignment or prot; -ERANGE when the
 * range does not fit the input or output size; -EEXIST when part of the
 * range is already mapped; -ENOMEM when a table could not be allocated.
 */
int kvm_io_pgtable_map(struct kvm_io_pgtable *pgt, u64 iova, phys_addr_t paddr,
		       size_t pgsize, size_t pgcount, int prot, void *mc,
		       size_t *mapped)
{
	int level = pgsize_to_level(pgsize);
	struct iopt_walk w;
	u64 size;
	int ret;

	*mapped = 0;
	if (level < (int)pgt->start_level || !pgcount ||
	    (prot & ~IOPT_VALID_PROT) || !(prot & (IOMMU_READ | IOMMU_WRITE)) ||
	    !IS_ALIGNED(iova | paddr, pgsize))
		return -EINVAL;
	if (pgcount > BIT_ULL(pgt->ias) / pgsize)
		return -ERANGE;
	size = pgsize * pgcount;
	if (iova > BIT_ULL(pgt->ias) - size ||
	    size > BIT_ULL(pgt->oas) || paddr > BIT_ULL(pgt->oas) - size)
		return -ERANGE;

	w = (struct iopt_walk) {
		.addr = iova,
		.end = iova + size,
		.phys = paddr,
		.leaf_attr = leaf_attr(pgt, prot, level),
		.leaf_level = level,
		.mc = mc,
	};
	ret = map_walk(pgt, pgt->pgd, pgt->start_level, &w);
	*mapped = w.mapped;
	return ret;
}

/**
 * kvm_io_pgtable_unmap() - Unmap leaves from @iova up to @iova + @size.
 * @pgt:	Page tables.
 * @iova:	Input address, 4KiB aligned.
 * @size:	Bytes to unmap, a multiple of 4KiB.
 * @gather:	Zeroed, or holding earlier unmaps not yet flushed; collects
 *		the unmapped leaves and the tables left empty.
 *
 * Walks up in IOVA order and stops at the first hole, at a block that
 * is not wholly inside the range, or when @gather is full: of leaves, of
 * tables, or of bytes when @gather->max_bytes is set.
 * @gather->unmapped grows by what was unmapped.
 *
 * Return: 0 when the whole range was unmapped; -ENOSPC when @gather is full
 * (flush it, then continue from where it stopped); -ENOENT at a hole;
 * -EINVAL at a block partly outside the range or for a bad range.
 */
int kvm_io_pgtable_unmap(struct kvm_io_pgtable *pgt, u64 iova, size_t size,
			 struct kvm_io_pgtable_gather *gather)
{
	struct iopt_walk w = { .addr = iova, .end = iova + size };

	if (!size || !IS_ALIGNED(iova | size, SZ_4K))
		return -EINVAL;
	if (size > BIT_ULL(pgt->ias) || iova > BIT_ULL(pgt->ias) - size)
		return -ERANGE;

	return unmap_walk(pgt, pgt->pgd, pgt->start_level, &w, gather);
}

/**
 * kvm_io_pgtable_free_tables() - Free the tables an unmap left empty.
 * @pgt:	Page tables.
 * @gather:	Flushed gather: the walker can no longer reach its tables.
 */
void kvm_io_pgtable_free_tables(struct kvm_io_pgtable *pgt,
				struct kvm_io_pgtable_gather *gather)
{
	unsigned int i;

	for (i = 0; i < gather->nr_tables; i++)
		pgt->mm_ops->free_table(gather->tables[i]);
	gather->nr_tables = 0;
}

/**
 * kvm_io_pgtable_iova_to_phys() - Translate @iova.
 * @pgt:	Page tables.
 * @iova:	Input address.
 *
 * Return: the output address, or 0 when @iova is not mapped.
 */
phys_addr_t kvm_io_pgtable_iova_to_phys(struct kvm_io_pgtable *pgt, u64 iova)
{
	u64 *table = pgt->pgd;
	u32 level;

	if (iova >= BIT_ULL(pgt->ias))
		return 0;
	for (level = pgt->start_level; level <= IOPT_LAST_LEVEL; level++) {
		u64 pte = READ_ONCE(table[iopte_index(pgt, iova, level)]);

		if (!iopte_valid(pte))
			return 0;
		if (!iopte_is_table(pte, level))
			return (pte & IOPTE_ADDR_MASK) | (iova & (level_size(level) - 1));
		table = iopte_table(pgt, pte);
	}
	return 0;
}

/**
 * kvm_io_pgtable_max_tables() - Tables a map of this range may allocate.
 * @pgt:	Page tables.
 * @iova:	Input address of the map.
 * @pgsize:	Leaf size of the map.
 * @pgcount:	Number of leaves.
 *
 * An upper bound that ignores the tables already present: with this many
 * pages in the memcache, a valid map cannot fail with -ENOMEM.
 *
 * Return: the number of table pages, 0 for an invalid @pgsize.
 */
size_t kvm_io_pgtable_max_tables(struct kvm_io_pgtable *pgt, u64 iova,
				 size_t pgsize, size_t pgcount)
{
	int leaf_level = pgsize_to_level(pgsize);
	u64 last = iova + pgsize * pgcount - 1;
	size_t n = 0;
	int level;

	/* One table per level-(l - 1) entry the range spans, below the root. */
	for (level = pgt->start_level + 1; level <= leaf_level; level++)
		n += (last >> level_shift(level - 1)) - (iova >> level_shift(level - 1)) + 1;
	return n;
}
