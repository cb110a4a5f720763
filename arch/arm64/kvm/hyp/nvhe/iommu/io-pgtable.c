// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMSAv8-64 I/O page tables for the SMMUs owned by the pKVM hypervisor:
 * 4KiB granule, 4KiB pages and 2MiB or 1GiB blocks, stage-1 or stage-2
 * format. Table memory comes from the caller's memcache through mm_ops.
 *
 * Nothing here takes a lock. Tables are never removed from a live set:
 * they stay until kvm_io_pgtable_destroy(), so a walk never meets a freed
 * table. A table is linked and a leaf set or cleared with one cmpxchg, so
 * maps and unmaps of disjoint ranges run in parallel, and of two calls that
 * race for one entry exactly one changes it; the other fails. Nothing here
 * is specific to EL2 either, so that the same source builds in a userspace
 * test harness.
 */
#include <linux/align.h>
#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/iommu.h>
#include <linux/limits.h>
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

/*
 * Cursor of a walk over [addr, end). A map puts leaves at leaf_level, or
 * below it inside a table that is there already: the leaf for addr is
 * addr + leaf_base, modulo 2^64, with its type bits (leaf_base is the
 * output minus the input address, plus the attributes). A punch counts
 * the bytes it unmapped in unmapped.
 */
struct iopt_walk {
	u64 addr;
	u64 end;
	u64 leaf_base;
	u32 leaf_level;
	void *mc;
	size_t unmapped;
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

/*
 * Replace @old by @new, unless another CPU changed the entry first. The
 * caller cleans the entry for the walker: the walks clean the entries of
 * a table they changed at once, as they leave it.
 */
static bool iopte_change(u64 *ptep, u64 old, u64 new)
{
	return cmpxchg(ptep, old, new) == old;
}

/*
 * The table linked at @level for all of [addr, last], or NULL. The walks
 * go down through it in a loop, not a call: most ranges fit in one table
 * of the last level.
 */
static inline u64 *table_holding(struct kvm_io_pgtable *pgt, u64 *table, u32 level,
				 u64 addr, u64 last)
{
	u64 pte;

	if ((addr ^ last) >> level_shift(level))
		return NULL;
	pte = READ_ONCE(table[iopte_index(pgt, addr, level)]);
	return iopte_is_table(pte, level) ? iopte_table(pgt, pte) : NULL;
}

static void clean_entries(struct kvm_io_pgtable *pgt, u64 *table, u32 first, u32 end)
{
	if (end > first)
		pgt->mm_ops->dcache_clean(&table[first], (end - first) * sizeof(u64));
}

static int pgsize_to_level(size_t pgsize)
{
	return pgsize == SZ_4K ? 3 : pgsize == SZ_2M ? 2 : pgsize == SZ_1G ? 1 : -EINVAL;
}

/* The attributes of a leaf for @prot, without its address and type bits. */
static u64 leaf_attr(struct kvm_io_pgtable *pgt, int prot)
{
	u64 attr = IOPTE_AF | IOPTE_SH_IS;

	if (pgt->fmt == KVM_IO_PGTABLE_S2)
		return attr | (prot & IOMMU_READ ? IOPTE_S2_READ : 0) |
		       (prot & IOMMU_WRITE ? IOPTE_S2_WRITE : 0) |
		       (prot & IOMMU_NOEXEC ? IOPTE_S2_XN : 0) |
		       (prot & IOMMU_MMIO ? IOPTE_S2_MEMATTR_DEV :
			prot & IOMMU_CACHE ? IOPTE_S2_MEMATTR_WB : IOPTE_S2_MEMATTR_NC);
	return attr | IOPTE_S1_NG |
	       (prot & IOMMU_PRIV ? 0 : IOPTE_S1_AP_UNPRIV) |
	       (prot & IOMMU_WRITE ? 0 : IOPTE_S1_AP_RDONLY) |
	       (prot & IOMMU_NOEXEC ? IOPTE_S1_PXN | IOPTE_S1_UXN : 0) |
	       (u64)(prot & IOMMU_MMIO ? KVM_IO_PGTABLE_MAIR_IDX_DEVICE :
		     prot & IOMMU_CACHE ? KVM_IO_PGTABLE_MAIR_IDX_NORMAL :
		     KVM_IO_PGTABLE_MAIR_IDX_NC) << IOPTE_S1_ATTRIDX_SHIFT;
}

static u64 leaf_type(u32 level)
{
	return level == IOPT_LAST_LEVEL ? IOPTE_TYPE_PAGE : IOPTE_TYPE_BLOCK;
}

/*
 * Link a new table at @ptep, found empty. It is linked only once zeroed
 * where the walker reads it. Return: the entry now at @ptep, the new
 * table's or what another CPU put there first; 0 when out of memory.
 */
static u64 link_new_table(struct kvm_io_pgtable *pgt, u64 *ptep, void *mc)
{
	const struct kvm_io_pgtable_mm_ops *mm_ops = pgt->mm_ops;
	u64 *child = mm_ops->zalloc_page(mc);
	u64 pte;

	if (!child)
		return 0;
	mm_ops->dcache_clean(child, SZ_4K);
	/* The walker must see the zeroed table before the entry linking it. */
	wmb();
	pte = mm_ops->virt_to_phys(child) | IOPTE_TYPE_TABLE;
	if (iopte_change(ptep, 0, pte)) {
		mm_ops->dcache_clean(ptep, sizeof(*ptep));
		return pte;
	}
	/* Never visible to the walker: it goes straight back. */
	mm_ops->free_table(child);
	return READ_ONCE(*ptep);
}

/*
 * Where a leaf of leaf_level meets a table left by earlier mappings, its
 * range is mapped inside that table, one level down: tables stay, and
 * replacing one by a block would need exclusive use of the domain. Only
 * one level, so that a call writes at most 512 entries per leaf asked for.
 */
static int map_walk(struct kvm_io_pgtable *pgt, u64 *table, u32 level,
		    struct iopt_walk *w)
{
	u64 addr = w->addr, end = w->end, *below;
	u32 leaf_level = w->leaf_level, first, idx, nr, changed;
	u64 size, leaf;
	int ret = 0;

	for (; level < leaf_level &&
	     (below = table_holding(pgt, table, level, addr, end - 1)); level++)
		table = below;
	first = iopte_index(pgt, addr, level);
	nr = table_entries(pgt, level);
	size = level_size(level);
	leaf = w->leaf_base + leaf_type(level);
	changed = first;	/* entries up to here to clean */

	for (idx = first; idx < nr && addr < end; idx++) {
		u64 *ptep = &table[idx];
		u64 pte = READ_ONCE(*ptep);

		if (!iopte_valid(pte) && level >= leaf_level) {
			if (iopte_change(ptep, 0, addr + leaf)) {
				changed = idx + 1;
				addr += size;
				continue;
			}
			pte = READ_ONCE(*ptep);	/* another CPU came first */
		} else if (!iopte_valid(pte)) {
			pte = link_new_table(pgt, ptep, w->mc);
			ret = pte ? 0 : -ENOMEM;
		}
		if (!ret && (!iopte_is_table(pte, level) || level > leaf_level))
			ret = -EEXIST;	/* a leaf, or tables two levels down */
		if (!ret) {
			w->addr = addr;
			ret = map_walk(pgt, iopte_table(pgt, pte), level + 1, w);
			addr = w->addr;
		}
		if (ret)
			break;
	}
	w->addr = addr;
	clean_entries(pgt, table, first, changed);
	return ret;
}

/* Whether @gather can take another leaf without growing past its limits. */
static bool gather_has_room(struct kvm_io_pgtable_gather *gather, phys_addr_t phys,
			    size_t size)
{
	unsigned int n = gather->nr_leaves;

	/* The first leaf is always taken, however large. */
	if (gather->max_bytes && gather->unmapped &&
	    gather->unmapped + size > gather->max_bytes)
		return false;
	return n < KVM_IO_GATHER_LEAVES ||
	       gather->leaves[n - 1].phys + gather->leaves[n - 1].size == phys;
}

/* Add a leaf, and grow the IOVA range the caller must invalidate to cover it. */
static void gather_leaf(struct kvm_io_pgtable_gather *gather, u64 iova,
			phys_addr_t phys, size_t size)
{
	unsigned int n = gather->nr_leaves;

	if (!n || iova < gather->start)
		gather->start = iova;
	if (!n || iova + size > gather->end)
		gather->end = iova + size;
	if (n && gather->leaves[n - 1].phys + gather->leaves[n - 1].size == phys) {
		gather->leaves[n - 1].size += size;
	} else {
		gather->leaves[n].phys = phys;
		gather->leaves[n].size = size;
		gather->nr_leaves++;
	}
	gather->unmapped += size;
}

/* Bytes @gather takes after @size more, before it reaches max_bytes. */
static u64 gather_room_after(struct kvm_io_pgtable_gather *gather, size_t size)
{
	u64 taken = gather->unmapped + size;

	if (!gather->max_bytes)
		return U64_MAX;
	return taken < gather->max_bytes ? gather->max_bytes - taken : 0;
}

/*
 * Tables stay: only leaves are cleared, each by the one CPU that clears
 * it. Leaves cleared in a row that are contiguous in output too go to
 * @gather as one run, when the run ends: @gather is read once per run, not
 * once per page. Its room for the run is taken when the run starts.
 */
static int unmap_walk(struct kvm_io_pgtable *pgt, u64 *table, u32 level,
		      struct iopt_walk *w, struct kvm_io_pgtable_gather *gather)
{
	u64 addr = w->addr, end = w->end, size, *below;
	u64 run_addr = 0, run_phys = 0, run_size = 0, run_room = 0;
	u32 first, idx, nr, changed;
	int ret = 0;

	for (; level < IOPT_LAST_LEVEL &&
	     (below = table_holding(pgt, table, level, addr, end - 1)); level++)
		table = below;
	first = iopte_index(pgt, addr, level);
	nr = table_entries(pgt, level);
	size = level_size(level);
	changed = first;	/* entries up to here to clean */

	for (idx = first; idx < nr && addr < end; idx++) {
		u64 *ptep = &table[idx];
		u64 pte = READ_ONCE(*ptep), phys = pte & IOPTE_ADDR_MASK;

		if (run_size && (iopte_is_table(pte, level) || run_phys + run_size != phys)) {
			gather_leaf(gather, run_addr, run_phys, run_size);
			run_size = 0;
		}
		if (iopte_is_table(pte, level)) {
			w->addr = addr;
			ret = unmap_walk(pgt, iopte_table(pgt, pte), level + 1, w, gather);
			addr = w->addr;
			if (ret)
				break;
			continue;
		}
		/* Blocks are not split: unmap all of one or none. */
		if (!iopte_valid(pte))
			ret = -ENOENT;
		else if (!IS_ALIGNED(addr, size) || end - addr < size)
			ret = -EINVAL;
		else if (run_size ? size > run_room : !gather_has_room(gather, phys, size))
			ret = -ENOSPC;
		else if (!iopte_change(ptep, pte, 0))
			ret = -ENOENT;	/* another CPU unmapped it */
		if (ret)
			break;
		if (!run_size) {
			run_addr = addr;
			run_phys = phys;
			run_room = gather_room_after(gather, size);
		} else {
			run_room -= size;
		}
		run_size += size;
		changed = idx + 1;
		addr += size;
	}
	if (run_size)
		gather_leaf(gather, run_addr, run_phys, run_size);
	w->addr = addr;
	/* Before the caller's invalidation, which makes the walker read them again */
	clean_entries(pgt, table, first, changed);
	return ret;
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
	mm_ops->dcache_clean(pgt->pgd, SZ_4K);
	return 0;
}

/*
 * Clear the leaves below @table, passing each to @leaf when there is one,
 * and free the tables below and @table, each once it is empty. Stops before
 * a leaf that would take *@released past @max_bytes; the first is always
 * taken. Return: false when it stopped, with @table still in place.
 */
static bool destroy_walk(struct kvm_io_pgtable *pgt, u64 *table, u32 level,
			 void (*leaf)(phys_addr_t phys, size_t size),
			 size_t *released, size_t max_bytes)
{
	u32 idx, nr = table_entries(pgt, level);
	u64 size = level_size(level);

	for (idx = 0; idx < nr; idx++) {
		u64 pte = READ_ONCE(table[idx]);

		if (iopte_is_table(pte, level)) {
			if (!destroy_walk(pgt, iopte_table(pgt, pte), level + 1, leaf,
					  released, max_bytes))
				return false;
			WRITE_ONCE(table[idx], 0);
		} else if (!leaf || !iopte_valid(pte)) {
			continue;
		} else {
			if ((*released && *released + size > max_bytes) ||
			    !iopte_change(&table[idx], pte, 0))
				return false;
			leaf(pte & IOPTE_ADDR_MASK, size);
			*released += size;
		}
		/* Cleaned too: the domain may be attached again before the next call. */
		clean_entries(pgt, table, idx, idx + 1);
	}
	pgt->mm_ops->free_table(table);
	return true;
}

/**
 * kvm_io_pgtable_destroy() - Remove every leaf and free every table.
 * @pgt:	Page tables no walker can reach any more and no other CPU
 *		uses: the caller has invalidated the TLBs of every stream
 *		that used them.
 * @leaf:	Called for each leaf still mapped, or NULL.
 * @max_bytes:	With @leaf, the bytes of leaves one call may pass to it;
 *		the first leaf is always passed, however large.
 *
 * Leaves are passed to @leaf as they are cleared, and a table is freed
 * once its leaves are. When more remain than @max_bytes allows, the root
 * and the tables that still hold leaves stay, for another call.
 *
 * Return: 0 when the tables are freed, -EAGAIN when leaves remain.
 */
int kvm_io_pgtable_destroy(struct kvm_io_pgtable *pgt,
			   void (*leaf)(phys_addr_t phys, size_t size), size_t max_bytes)
{
	size_t released = 0;

	if (!destroy_walk(pgt, pgt->pgd, pgt->start_level, leaf, &released, max_bytes))
		return -EAGAIN;
	pgt->pgd = NULL;
	return 0;
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
 * Existing mappings are never replaced. Where a table is in place of a
 * @pgsize leaf, its part of the range is mapped with smaller leaves. On
 * error, the leaves before the failing one stay mapped and are counted in
 * @mapped. Calls on overlapping ranges may run at once: each entry is set
 * by one of them, and the others get -EEXIST.
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
		.leaf_base = paddr - iova + leaf_attr(pgt, prot),
		.leaf_level = level,
		.mc = mc,
	};
	ret = map_walk(pgt, pgt->pgd, pgt->start_level, &w);
	*mapped = w.addr - iova;
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
 * is not wholly inside the range, or when @gather is full: of leaves, or
 * of bytes when @gather->max_bytes is set. @gather->unmapped grows by what
 * was unmapped. Of calls racing on one leaf, one unmaps it and the others
 * meet a hole.
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

/*
 * Replace the block at @ptep by a table of the next level that maps the
 * same, so that part of it can be unmapped. Only for tables whose changes
 * the caller serializes. Return: the table entry, or 0 without memory.
 */
static u64 split_block(struct kvm_io_pgtable *pgt, u64 *ptep, u64 pte, u32 level,
		       void *mc)
{
	const struct kvm_io_pgtable_mm_ops *mm_ops = pgt->mm_ops;
	u64 attr = pte & ~(IOPTE_ADDR_MASK | IOPTE_TYPE_MASK);
	u64 *child = mm_ops->zalloc_page(mc), phys = pte & IOPTE_ADDR_MASK;
	u32 i;

	if (!child)
		return 0;
	for (i = 0; i < BIT(IOPT_BITS_PER_LEVEL); i++)
		child[i] = (phys + i * level_size(level + 1)) | attr | leaf_type(level + 1);
	mm_ops->dcache_clean(child, SZ_4K);
	/* The walker must see the whole table before the entry linking it. */
	wmb();
	pte = mm_ops->virt_to_phys(child) | IOPTE_TYPE_TABLE;
	WRITE_ONCE(*ptep, pte);
	mm_ops->dcache_clean(ptep, sizeof(*ptep));
	return pte;
}

/* Clear every leaf of the range, splitting the blocks that straddle it. */
static int punch_walk(struct kvm_io_pgtable *pgt, u64 *table, u32 level,
		      struct iopt_walk *w)
{
	u32 idx, nr = table_entries(pgt, level);
	u64 size = level_size(level), next;
	int ret;

	for (idx = iopte_index(pgt, w->addr, level); idx < nr && w->addr < w->end; idx++) {
		u64 *ptep = &table[idx];
		u64 pte = READ_ONCE(*ptep);

		next = ALIGN_DOWN(w->addr, size) + size;
		if (iopte_valid(pte) && !iopte_is_table(pte, level) &&
		    (w->addr != next - size || w->end < next)) {
			pte = split_block(pgt, ptep, pte, level, w->mc);
			if (!pte)
				return -ENOMEM;
		}
		if (iopte_is_table(pte, level)) {
			ret = punch_walk(pgt, iopte_table(pgt, pte), level + 1, w);
			if (ret)
				return ret;
			continue;
		}
		if (iopte_valid(pte)) {
			WRITE_ONCE(*ptep, 0);
			pgt->mm_ops->dcache_clean(ptep, sizeof(*ptep));
			w->unmapped += size;
		}
		w->addr = next;
	}
	return 0;
}

/**
 * kvm_io_pgtable_punch() - Make a range unmapped, whatever it held.
 * @pgt:	Page tables whose changes the caller serializes: no other
 *		CPU maps or unmaps in them meanwhile.
 * @iova:	Input address, 4KiB aligned.
 * @size:	Bytes, a multiple of 4KiB.
 * @mc:		Memory for the tables of split blocks, passed to zalloc_page.
 *
 * Unlike kvm_io_pgtable_unmap(), holes are skipped and a block that
 * straddles the range is first replaced by a table of smaller leaves
 * mapping the same, without an invalid entry in between, so that a device
 * using the rest of the block never faults. The caller then invalidates
 * the range.
 *
 * Return: the bytes unmapped, or -ENOMEM when a split found no memory:
 * then the leaves up to that block are unmapped, the others unchanged.
 */
long kvm_io_pgtable_punch(struct kvm_io_pgtable *pgt, u64 iova, size_t size, void *mc)
{
	struct iopt_walk w = { .addr = iova, .end = iova + size, .mc = mc };
	int ret;

	if (!IS_ALIGNED(iova | size, SZ_4K) || size > BIT_ULL(pgt->ias) ||
	    iova > BIT_ULL(pgt->ias) - size)
		return -EINVAL;
	ret = punch_walk(pgt, pgt->pgd, pgt->start_level, &w);
	return ret ? ret : (long)w.unmapped;
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
