// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace test of the hypervisor's io-pgtable (arch/arm64/kvm/hyp/nvhe/
 * iommu/io-pgtable.c, compiled unchanged).
 *
 * Random and adversarial map/unmap sequences run against a reference model
 * that keeps the list of live leaves. After every operation:
 *  - each model leaf translates exactly, through kvm_io_pgtable_iova_to_phys()
 *    and through an independent decoder of the descriptors that also checks
 *    the permission and memory-type bits;
 *  - addresses around the leaves that the model says are unmapped do not
 *    translate;
 *  - the table pages in use are exactly the tables the model says were
 *    linked: tables stay until destroy, and none is allocated twice;
 *  - where a block meets a table, the range is mapped one level down in
 *    that table, and leaves are exactly as large as the model says;
 *  - a table page is freed only by destroy.
 * Then races: CPUs (threads) map and unmap disjoint ranges that share
 * tables, on schedules the host picks and on seeded ones that switch CPUs
 * at the allocations and the cmpxchg()s, under ASan and ThreadSanitizer
 * (make tsan). Prints TAP.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommu.h>
#include <linux/sizes.h>
#include <nvhe/io-pgtable.h>

#define POOL_PAGES	8192
#define MAX_LEAVES	16384
#define RACE_CPUS	4
#define POOL_SLICE	(POOL_PAGES / RACE_CPUS)

/* What the shim's atomics and barriers take from the harness */
void (*harness_preempt)(void);
unsigned long harness_device_order;
int harness_fence_word;

/* The racing CPU a thread is, -1 outside the races. */
static __thread int race_cpu = -1;
static int race_lost_tables;

/* ---- Page pool standing in for the hypervisor memcache ---- */

static unsigned char *pool;
static bool in_use[POOL_PAGES];
static bool destroying;
static int pages_in_use;
static long fail_after = -1;	/* allocations left before one fails */

static void fatal(const char *fmt, const char *what)
{
	fprintf(stderr, fmt, what);
	fputc('\n', stderr);
	abort();
}

static long page_idx(void *va)
{
	uintptr_t off = (unsigned char *)va - pool;

	if ((unsigned char *)va < pool || off >= (uintptr_t)POOL_PAGES * SZ_4K ||
	    off % SZ_4K)
		fatal("%s: not a pool page", "io-pgtable");
	return off / SZ_4K;
}

/*
 * A racing CPU allocates from a slice of the pool of its own, so that the
 * pool orders nothing between CPUs that the code under test leaves
 * unordered; an allocation is a point where another CPU may run.
 */
static void *pool_zalloc_page(void *mc)
{
	long i, first = 0, end = POOL_PAGES;

	if (race_cpu >= 0) {
		first = race_cpu * POOL_SLICE;
		end = first + POOL_SLICE;
		if (harness_preempt)
			harness_preempt();
	}
	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	for (i = first; i < end; i++) {
		if (!in_use[i]) {
			in_use[i] = true;
			__atomic_fetch_add(&pages_in_use, 1, __ATOMIC_RELAXED);
			memset(pool + i * SZ_4K, 0, SZ_4K);
			return pool + i * SZ_4K;
		}
	}
	return NULL;
}

static void pool_free_table(void *va)
{
	long i = page_idx(va);

	if (!in_use[i])
		fatal("%s: double free", "pool");
	/* A racing CPU gives back the table it lost to another CPU's. */
	if (!destroying && (race_cpu < 0 || i / POOL_SLICE != race_cpu))
		fatal("%s: a table freed before destroy", "pool");
	if (!destroying)
		__atomic_fetch_add(&race_lost_tables, 1, __ATOMIC_RELAXED);
	in_use[i] = false;
	__atomic_fetch_sub(&pages_in_use, 1, __ATOMIC_RELAXED);
	/* A stale walker reading the page now sees garbage, not zeroes. */
	memset(va, 0xa5, SZ_4K);
}

static void *pool_phys_to_virt(phys_addr_t phys)
{
	void *va = (void *)(uintptr_t)phys;

	page_idx(va);
	return va;
}

static phys_addr_t pool_virt_to_phys(void *va)
{
	page_idx(va);
	return (uintptr_t)va;
}

/* A coherent walker: only check that what is cleaned is the pool's. */
static void pool_dcache_clean(void *va, size_t size)
{
	uintptr_t off = (unsigned char *)va - pool;

	if ((unsigned char *)va < pool || off / SZ_4K >= POOL_PAGES ||
	    off % SZ_4K + size > SZ_4K)
		fatal("%s: cleaning what is not in a pool page", "io-pgtable");
}

static const struct kvm_io_pgtable_mm_ops pool_mm_ops = {
	.zalloc_page = pool_zalloc_page,
	.free_table = pool_free_table,
	.phys_to_virt = pool_phys_to_virt,
	.virt_to_phys = pool_virt_to_phys,
	.dcache_clean = pool_dcache_clean,
};

/* ---- Reference model ---- */

struct leaf {
	uint64_t iova;
	uint64_t size;
	uint64_t phys;
	int prot;
};

static struct leaf model[MAX_LEAVES];
static int nr_model;

static int model_find(uint64_t addr)
{
	int i;

	for (i = 0; i < nr_model; i++)
		if (addr >= model[i].iova && addr - model[i].iova < model[i].size)
			return i;
	return -1;
}

static void model_remove(int i)
{
	model[i] = model[--nr_model];
}

/* Tables linked so far, each as its level and the index of what it covers. */
static uint64_t model_tables[POOL_PAGES];
static int nr_model_tables;

static uint64_t table_key(int level, uint64_t addr);

static bool model_has_table(int level, uint64_t addr)
{
	uint64_t key = table_key(level, addr);
	int i;

	for (i = 0; i < nr_model_tables; i++)
		if (model_tables[i] == key)
			return true;
	return false;
}

/* ---- Independent descriptor decoder (Arm ARM, VMSAv8-64, 4KiB granule) ---- */

static int shift_of(int level)
{
	return 12 + 9 * (3 - level);
}

/* Returns the leaf descriptor for @iova and its level, or 0. */
static uint64_t decode(struct kvm_io_pgtable *pgt, uint64_t iova, int *level)
{
	uint64_t *table = pgt->pgd;
	int l;

	for (l = pgt->start_level; l <= 3; l++) {
		int bits = l == (int)pgt->start_level ? (int)pgt->ias - shift_of(l) : 9;
		uint64_t d = table[(iova >> shift_of(l)) & ((1ULL << bits) - 1)];

		if (!(d & 1))
			return 0;
		if (l == 3 || (d & 3) == 1) {
			if (l == 0 || (l == 3 && (d & 3) != 3))
				fatal("%s: reserved descriptor type", "decode");
			*level = l;
			return d;
		}
		table = (uint64_t *)(uintptr_t)(d & 0x0000fffffffff000ULL);
		page_idx(table);
	}
	return 0;
}

static const char *check_attrs(struct kvm_io_pgtable *pgt, uint64_t d, int prot)
{
	unsigned int memattr = (d >> 2) & 0xf, attridx = (d >> 2) & 7;
	unsigned int ap = (d >> 6) & 3;
	bool xn = d & (1ULL << 54);

	if (!(d & (1ULL << 10)))
		return "access flag clear";
	if (((d >> 8) & 3) != 3)
		return "not inner shareable";
	if (xn != !!(prot & IOMMU_NOEXEC))
		return "execute-never does not match IOMMU_NOEXEC";
	if (d & 0xfff0000000000000ULL & ~(3ULL << 53))
		return "unexpected upper attributes";
	if (pgt->fmt == KVM_IO_PGTABLE_S2) {
		/* S2AP[0] read, S2AP[1] write */
		if (!!(ap & 1) != !!(prot & IOMMU_READ))
			return "S2AP read does not match";
		if (!!(ap & 2) != !!(prot & IOMMU_WRITE))
			return "S2AP write does not match";
		if (prot & IOMMU_MMIO)
			return memattr == 0x1 ? NULL : "MMIO not Device-nGnRE";
		if (prot & IOMMU_CACHE)
			return memattr == 0xf ? NULL : "cacheable not Normal-WB";
		return memattr == 0x5 ? NULL : "non-cacheable not Normal-NC";
	}
	/* Stage 1: AP[2] read-only, AP[1] unprivileged access */
	if (!!(ap & 2) != !(prot & IOMMU_WRITE))
		return "AP[2] does not match IOMMU_WRITE";
	if (!!(ap & 1) != !(prot & IOMMU_PRIV))
		return "AP[1] does not match IOMMU_PRIV";
	if (!(d & (1ULL << 11)))
		return "not non-global";
	if (prot & IOMMU_MMIO)
		return attridx == KVM_IO_PGTABLE_MAIR_IDX_DEVICE ? NULL : "MMIO index";
	if (prot & IOMMU_CACHE)
		return attridx == KVM_IO_PGTABLE_MAIR_IDX_NORMAL ? NULL : "cacheable index";
	return attridx == KVM_IO_PGTABLE_MAIR_IDX_NC ? NULL : "non-cacheable index";
}

/* The table at @level (below the root) that translates @addr. */
static uint64_t table_key(int level, uint64_t addr)
{
	return ((uint64_t)level << 60) | (addr >> shift_of(level - 1));
}

/* ---- Checks after each operation ---- */

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int failures;
static char where[256];

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "# %s: ", where);			\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		return false;						\
	}								\
} while (0)

static int leaf_level_of(uint64_t size)
{
	return size == SZ_1G ? 1 : size == SZ_2M ? 2 : 3;
}

static bool check_translation(struct kvm_io_pgtable *pgt, uint64_t iova,
			      uint64_t want_phys, int prot, uint64_t leaf_size)
{
	uint64_t got = kvm_io_pgtable_iova_to_phys(pgt, iova), d;
	const char *why;
	int level = -1;

	CHECK(got == want_phys, "iova %#llx -> %#llx, model %#llx",
	      (unsigned long long)iova, (unsigned long long)got,
	      (unsigned long long)want_phys);
	d = decode(pgt, iova, &level);
	if (!want_phys && !prot) {
		CHECK(!d, "iova %#llx has a descriptor but is unmapped",
		      (unsigned long long)iova);
		return true;
	}
	CHECK(d, "no descriptor for %#llx", (unsigned long long)iova);
	CHECK(1ULL << shift_of(level) == leaf_size, "leaf size at %#llx",
	      (unsigned long long)iova);
	why = check_attrs(pgt, d, prot);
	CHECK(!why, "iova %#llx: %s (descriptor %#llx, prot %#x)",
	      (unsigned long long)iova, why, (unsigned long long)d, prot);
	return true;
}

static bool check_all(struct kvm_io_pgtable *pgt)
{
	int i;

	for (i = 0; i < nr_model; i++) {
		struct leaf *m = &model[i];
		uint64_t off[3] = { 0, m->size - SZ_4K, (rnd() % (m->size / SZ_4K)) * SZ_4K };
		int j;

		for (j = 0; j < 3; j++) {
			uint64_t a = m->iova + off[j], sub = rnd() % SZ_4K;

			if (!check_translation(pgt, a + sub, m->phys + off[j] + sub,
					       m->prot, m->size))
				return false;
		}
		/* Just outside the leaf, unless another leaf is there. */
		if (m->iova >= SZ_4K && model_find(m->iova - SZ_4K) < 0 &&
		    !check_translation(pgt, m->iova - SZ_4K, 0, 0, 0))
			return false;
		if (m->iova + m->size < (1ULL << pgt->ias) &&
		    model_find(m->iova + m->size) < 0 &&
		    !check_translation(pgt, m->iova + m->size, 0, 0, 0))
			return false;
	}
	/* A destroy under way has freed the tables it emptied, and no others. */
	CHECK(destroying ? pages_in_use <= nr_model_tables + 1 :
	      pages_in_use == nr_model_tables + 1, "%d table pages in use, %d linked",
	      pages_in_use, nr_model_tables + 1);
	return true;
}

/* ---- Operations, each compared with the model ---- */

static const size_t pgsizes[] = { SZ_4K, SZ_2M, SZ_1G };

/* What a map must do, found from the model alone. */
struct model_walk {
	uint64_t addr, end, phys;
	int leaf_level, prot;
	long allocs;		/* tables it may still allocate, -1 for any */
	uint64_t mapped;
};

/*
 * An entry is a table when the model linked one under it, a leaf when a
 * model leaf covers it. A leaf goes at the level asked for, or one level
 * down inside a table found there.
 */
static int model_map_walk(int level, uint64_t table_end, struct model_walk *m)
{
	uint64_t size = 1ULL << shift_of(level);
	int ret;

	while (m->addr < m->end && m->addr < table_end) {
		uint64_t a = m->addr;
		bool table = level < 3 && model_has_table(level + 1, a);

		if (!table && model_find(a) >= 0)
			return -EEXIST;
		if (!table && level >= m->leaf_level) {
			if (nr_model == MAX_LEAVES)
				fatal("%s: model full", "test");
			model[nr_model++] = (struct leaf) { a, size, m->phys, m->prot };
			m->addr += size;
			m->phys += size;
			m->mapped += size;
			continue;
		}
		if (table && level > m->leaf_level)
			return -EEXIST;
		if (!table) {
			if (!m->allocs)
				return -ENOMEM;
			if (m->allocs > 0)
				m->allocs--;
			model_tables[nr_model_tables++] = table_key(level + 1, a);
		}
		ret = model_map_walk(level + 1, (a & ~(size - 1)) + size, m);
		if (ret)
			return ret;
	}
	return 0;
}

static int last_ret;
static size_t last_mapped;

static bool do_map(struct kvm_io_pgtable *pgt, uint64_t iova, uint64_t paddr,
		   size_t pgsize, size_t pgcount, int prot)
{
	struct model_walk m = {
		.addr = iova, .end = iova + pgsize * pgcount, .phys = paddr,
		.leaf_level = leaf_level_of(pgsize), .prot = prot, .allocs = fail_after,
	};
	int ret, want_ret, tables_before = pages_in_use, model_before = nr_model_tables;
	size_t mapped = 12345;

	want_ret = model_map_walk(pgt->start_level, 1ULL << pgt->ias, &m);
	ret = kvm_io_pgtable_map(pgt, iova, paddr, pgsize, pgcount, prot, NULL,
				 &mapped);
	last_ret = ret;
	last_mapped = mapped;
	CHECK(ret == want_ret, "map %#llx+%zux%zu returned %d, model %d",
	      (unsigned long long)iova, pgsize, pgcount, ret, want_ret);
	CHECK(mapped == m.mapped, "map %#llx mapped %zu, model %llu",
	      (unsigned long long)iova, mapped, (unsigned long long)m.mapped);
	/* Exactly the tables the model linked are allocated. */
	CHECK(pages_in_use - tables_before == nr_model_tables - model_before,
	      "map %#llx+%zux%zu allocated %d tables, the model linked %d",
	      (unsigned long long)iova, pgsize, pgcount, pages_in_use - tables_before,
	      nr_model_tables - model_before);
	return true;
}

/*
 * Unmap [iova, iova + size) the way the hypervisor will: unmap into a
 * gather, and whenever it is full "flush" it (check what it holds) and go on.
 */
static bool do_unmap(struct kvm_io_pgtable *pgt, uint64_t iova, uint64_t size)
{
	struct kvm_io_pgtable_gather g;
	uint64_t addr = iova, want_bytes = 0, got_bytes = 0;
	int ret, want_ret = 0, i;

	/* What the model says: leaves in order until a hole or a straddled block. */
	while (addr < iova + size) {
		i = model_find(addr);
		if (i < 0) {
			want_ret = -ENOENT;
			break;
		}
		if (model[i].iova != addr || model[i].iova + model[i].size > iova + size) {
			want_ret = -EINVAL;
			break;
		}
		want_bytes += model[i].size;
		addr += model[i].size;
	}

	addr = iova;
	do {
		uint64_t leaf_phys_bytes = 0, a;
		unsigned int k;

		memset(&g, 0, sizeof(g));
		ret = kvm_io_pgtable_unmap(pgt, addr, iova + size - addr, &g);
		/* The range to invalidate: exactly the leaves unmapped. */
		CHECK(g.unmapped % SZ_4K == 0 &&
		      (!g.unmapped ? g.start == g.end :
		       (g.start == addr && g.end == addr + g.unmapped)),
		      "gather range [%#llx, %#llx) for %zu bytes from %#llx",
		      (unsigned long long)g.start, (unsigned long long)g.end,
		      g.unmapped, (unsigned long long)addr);
		/* The gathered leaves are the model's leaves, in IOVA order. */
		for (k = 0, a = addr; k < g.nr_leaves; k++) {
			uint64_t p = g.leaves[k].phys, left = g.leaves[k].size;

			while (left) {
				i = model_find(a);
				CHECK(i >= 0 && model[i].iova == a && model[i].phys == p &&
				      model[i].size <= left, "gathered leaf %#llx",
				      (unsigned long long)a);
				a += model[i].size;
				p += model[i].size;
				left -= model[i].size;
				leaf_phys_bytes += model[i].size;
				model_remove(i);
			}
		}
		CHECK(leaf_phys_bytes == g.unmapped, "gather holds %llu bytes, unmapped %zu",
		      (unsigned long long)leaf_phys_bytes, g.unmapped);
		got_bytes += g.unmapped;
		addr += g.unmapped;
	} while (ret == -ENOSPC);

	CHECK(ret == want_ret, "unmap %#llx+%#llx returned %d, model %d",
	      (unsigned long long)iova, (unsigned long long)size, ret, want_ret);
	CHECK(got_bytes == want_bytes, "unmap %#llx unmapped %llu, model %llu",
	      (unsigned long long)iova, (unsigned long long)got_bytes,
	      (unsigned long long)want_bytes);
	return true;
}

static int random_prot(void)
{
	static const int extra[] = { 0, IOMMU_CACHE, IOMMU_MMIO, IOMMU_NOEXEC,
				     IOMMU_PRIV, IOMMU_CACHE | IOMMU_NOEXEC };
	int rw = 1 + rnd() % 3;	/* READ, WRITE or both */

	return rw | extra[rnd() % 6];
}

struct config {
	enum kvm_io_pgtable_fmt fmt;
	unsigned int ias, oas;
};

static void pool_reset(void)
{
	memset(in_use, 0, sizeof(in_use));
	pages_in_use = 0;
	fail_after = -1;
	nr_model = 0;
	nr_model_tables = 0;
}

static int tap_n, tap_failed;

/* A test passes when it says so and reported no failure on the way. */
static void tap(bool ok, const char *name)
{
	static int failures_seen;

	ok = ok && failures == failures_seen;
	failures_seen = failures;
	tap_failed += !ok;
	printf("%s %d - io-pgtable.%s\n", ok ? "ok" : "not ok", ++tap_n, name);
	fflush(stdout);
}

/* Random sequences clustered in a window so that they collide often. */
static bool random_ops(struct kvm_io_pgtable *pgt, const struct config *c, int ops)
{
	uint64_t space = 1ULL << c->ias;
	uint64_t window = space < (4ULL << 30) ? space : 4ULL << 30;
	uint64_t base = (rnd() & 1) ? 0 : space - window;
	int n;

	for (n = 0; n < ops; n++) {
		/* Keep the live set bounded: past 256 leaves, only unmap. */
		int kind = nr_model > 256 ? 6 + rnd() % 3 : rnd() % 10;
		size_t pgsize = pgsizes[(rnd() % 8) < 5 ? 0 : (rnd() % 4) < 3 ? 1 : 2];
		uint64_t span = pgsize == SZ_4K ? 64ULL << 20 : window;
		uint64_t iova = base + (rnd() % (span / pgsize)) * pgsize;
		size_t pgcount = 1 + rnd() % (pgsize == SZ_1G ? 2 : 16);
		uint64_t paddr = (rnd() % ((1ULL << c->oas) / pgsize - pgcount)) * pgsize;

		if (iova + pgcount * pgsize > base + window)
			pgcount = 1;
		snprintf(where, sizeof(where), "op %d", n);
		if (kind < 6) {
			if (!do_map(pgt, iova, paddr, pgsize, pgcount, random_prot()))
				return false;
		} else if (kind < 9 && nr_model) {
			/* Unmap from a live leaf, sometimes past its end or into it. */
			struct leaf *m = &model[rnd() % nr_model];
			uint64_t start = m->iova, len = m->size * (1 + rnd() % 4);

			if (rnd() % 8 == 0 && m->size > SZ_4K)
				start += SZ_4K;	/* inside a block: refused */
			if (start + len > base + window)
				len = base + window - start;
			if (!do_unmap(pgt, start, len))
				return false;
		} else {
			if (!do_unmap(pgt, iova, pgsize * pgcount))
				return false;
		}
		if (!check_all(pgt))
			return false;
	}
	/* Tear everything down through unmap: the tables stay. */
	snprintf(where, sizeof(where), "teardown");
	while (nr_model) {
		if (!do_unmap(pgt, model[0].iova, model[0].size))
			return false;
	}
	return check_all(pgt);
}

/* Arguments that must be refused without changing anything. */
static bool adversarial(struct kvm_io_pgtable *pgt, const struct config *c)
{
	uint64_t top = 1ULL << c->ias, otop = 1ULL << c->oas;
	int tables = pages_in_use;
	size_t mapped;
	struct kvm_io_pgtable_gather g;
	struct {
		uint64_t iova, paddr;
		size_t pgsize, pgcount;
		int prot, ret;
		const char *name;
	} bad[] = {
		{ SZ_4K + 1, 0, SZ_4K, 1, IOMMU_READ, -EINVAL, "unaligned iova" },
		{ 0, SZ_4K + 512, SZ_4K, 1, IOMMU_READ, -EINVAL, "unaligned paddr" },
		{ SZ_4K, 0, SZ_2M, 1, IOMMU_READ, -EINVAL, "iova not block aligned" },
		{ 0, SZ_4K, SZ_2M, 1, IOMMU_READ, -EINVAL, "paddr not block aligned" },
		{ 0, 0, SZ_8K, 1, IOMMU_READ, -EINVAL, "pgsize 8K" },
		{ 0, 0, SZ_4M, 1, IOMMU_READ, -EINVAL, "pgsize 4M" },
		{ 0, 0, 0, 1, IOMMU_READ, -EINVAL, "pgsize 0" },
		{ 0, 0, 512ULL << 30, 1, IOMMU_READ, -EINVAL, "pgsize 512G" },
		{ 0, 0, SZ_4K, 0, IOMMU_READ, -EINVAL, "pgcount 0" },
		{ 0, 0, SZ_4K, ~0UL, IOMMU_READ, -ERANGE, "pgcount overflow" },
		{ 0, 0, SZ_4K, (~0UL / SZ_4K) + 2, IOMMU_READ, -ERANGE, "pgcount wraps size" },
		{ top - SZ_4K, 0, SZ_4K, 2, IOMMU_READ, -ERANGE, "iova + size beyond ias" },
		{ top, 0, SZ_4K, 1, IOMMU_READ, -ERANGE, "iova at ias" },
		{ ~0ULL & ~0xfffULL, 0, SZ_4K, 1, IOMMU_READ, -ERANGE, "iova at 2^64 - 4K" },
		{ 0, otop, SZ_4K, 1, IOMMU_READ, -ERANGE, "paddr beyond oas" },
		{ 0, otop - SZ_4K, SZ_4K, 2, IOMMU_READ, -ERANGE, "paddr + size beyond oas" },
		{ 0, 0, SZ_1G, otop / SZ_1G + 1, IOMMU_READ, -ERANGE, "size beyond oas" },
		{ 0, 0, SZ_4K, 1, 0, -EINVAL, "prot without read or write" },
		{ 0, 0, SZ_4K, 1, IOMMU_CACHE, -EINVAL, "prot cache only" },
		{ 0, 0, SZ_4K, 1, IOMMU_READ | (1 << 6), -EINVAL, "unknown prot bit 6" },
		{ 0, 0, SZ_4K, 1, IOMMU_READ | (int)(1U << 31), -EINVAL, "unknown prot bit 31" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = kvm_io_pgtable_map(pgt, bad[i].iova, bad[i].paddr,
					     bad[i].pgsize, bad[i].pgcount,
					     bad[i].prot, NULL, &mapped);

		snprintf(where, sizeof(where), "%s", bad[i].name);
		CHECK(ret == bad[i].ret && mapped == 0,
		      "returned %d mapped %zu, want %d", ret, mapped, bad[i].ret);
		CHECK(pages_in_use == tables, "allocated on a refused map");
	}

	snprintf(where, sizeof(where), "bad unmaps");
	memset(&g, 0, sizeof(g));
	CHECK(kvm_io_pgtable_unmap(pgt, 0, 0, &g) == -EINVAL, "size 0");
	CHECK(kvm_io_pgtable_unmap(pgt, 1, SZ_4K, &g) == -EINVAL, "unaligned iova");
	CHECK(kvm_io_pgtable_unmap(pgt, 0, 100, &g) == -EINVAL, "unaligned size");
	CHECK(kvm_io_pgtable_unmap(pgt, top - SZ_4K, SZ_8K, &g) == -ERANGE, "beyond ias");
	CHECK(kvm_io_pgtable_unmap(pgt, ~0ULL & ~0xfffULL, SZ_8K, &g) == -ERANGE,
	      "wrapping range");
	CHECK(kvm_io_pgtable_unmap(pgt, SZ_2M, SZ_4K, &g) == -ENOENT, "hole");
	CHECK(g.unmapped == 0 && g.nr_leaves == 0 && g.start == g.end, "gather changed");

	/* A block is never split: unmapping part of it is refused. */
	snprintf(where, sizeof(where), "partial block unmap");
	if (!do_map(pgt, SZ_1G, SZ_1G, SZ_2M, 2, IOMMU_READ | IOMMU_WRITE) ||
	    !do_unmap(pgt, SZ_1G + SZ_4K, SZ_4K) ||
	    !do_unmap(pgt, SZ_1G, SZ_4K) ||
	    !do_unmap(pgt, SZ_1G, SZ_2M + SZ_4K) || !check_all(pgt))
		return false;
	/* Overlaps in every direction are refused. */
	snprintf(where, sizeof(where), "overlaps");
	if (!do_map(pgt, SZ_1G + SZ_2M + SZ_4K, 0, SZ_4K, 1, IOMMU_READ) ||
	    !do_map(pgt, SZ_1G, 0, SZ_1G, 1, IOMMU_READ) ||
	    !do_map(pgt, SZ_1G - SZ_4K, 0, SZ_4K, 2, IOMMU_READ) ||
	    !do_map(pgt, SZ_1G + 4 * SZ_2M, 8 * SZ_2M, SZ_2M, 1, IOMMU_WRITE) ||
	    !check_all(pgt))
		return false;
	while (nr_model)
		if (!do_unmap(pgt, model[0].iova, model[0].size))
			return false;

	/*
	 * Blocks over the tables earlier pages left: a 2MiB block becomes
	 * 4KiB pages in the table there, a 1GiB block 2MiB blocks, and a
	 * 1GiB block over a level-3 table is refused.
	 */
	snprintf(where, sizeof(where), "blocks over tables");
	if (!do_map(pgt, 2ULL * SZ_1G + 5 * SZ_4K, 0, SZ_4K, 1, IOMMU_READ) ||
	    !do_unmap(pgt, 2ULL * SZ_1G + 5 * SZ_4K, SZ_4K) ||
	    !do_map(pgt, 2ULL * SZ_1G, SZ_1G, SZ_2M, 2, IOMMU_READ) || !check_all(pgt))
		return false;
	CHECK(last_ret == 0 && nr_model == 512 + 1, "%d leaves for a block over a table",
	      nr_model);
	if (!do_unmap(pgt, 2ULL * SZ_1G, 2 * SZ_2M) ||
	    !do_map(pgt, 2ULL * SZ_1G, SZ_1G, SZ_1G, 1, IOMMU_READ))
		return false;
	CHECK(last_ret == -EEXIST && !last_mapped, "1GiB over a level-3 table: %d", last_ret);
	if (!do_map(pgt, 3ULL * SZ_1G + SZ_2M, 0, SZ_2M, 1, IOMMU_READ) ||
	    !do_unmap(pgt, 3ULL * SZ_1G + SZ_2M, SZ_2M) ||
	    !do_map(pgt, 3ULL * SZ_1G, SZ_1G, SZ_1G, 1, IOMMU_READ) || !check_all(pgt))
		return false;
	CHECK(last_ret == 0 && nr_model == 512, "%d leaves for 1GiB over a table", nr_model);
	if (!do_unmap(pgt, 3ULL * SZ_1G, SZ_1G))
		return false;
	return check_all(pgt);
}

static void destroy(struct kvm_io_pgtable *pgt,
		    void (*leaf)(phys_addr_t phys, size_t size))
{
	destroying = true;
	while (kvm_io_pgtable_destroy(pgt, leaf, SZ_1G) == -EAGAIN)
		;
	destroying = false;
	nr_model_tables = 0;
}

/*
 * The n-th table allocation fails, on fresh tables: the leaves before it
 * stay mapped and are reported, the rest maps once memory is back with the
 * tables already linked, and nothing leaks.
 */
static bool alloc_failures(struct kvm_io_pgtable *pgt, const struct config *c)
{
	uint64_t iova = (1ULL << c->ias) / 2 - 3 * SZ_2M;
	size_t pgcount = 6 * 512 + 7, mapped;
	long n;

	for (n = 0; n < 8; n++) {
		int first_ret;

		destroy(pgt, NULL);
		nr_model = 0;
		CHECK(pages_in_use == 0, "%d pages left by destroy", pages_in_use);
		CHECK(!kvm_io_pgtable_init(pgt, c->fmt, c->ias, c->oas, &pool_mm_ops, NULL),
		      "init");
		snprintf(where, sizeof(where), "allocation %ld fails", n);
		fail_after = n;
		if (!do_map(pgt, iova, SZ_1G, SZ_4K, pgcount, IOMMU_READ))
			return false;
		fail_after = -1;
		first_ret = last_ret;
		/* The retry of the rest succeeds and reuses the linked tables. */
		mapped = last_mapped;
		if (!do_map(pgt, iova + mapped, SZ_1G + mapped, SZ_4K,
			    pgcount - mapped / SZ_4K, IOMMU_READ) || !check_all(pgt))
			return false;
		/* Nine tables or more below the root: each of the 8 allocations fails once. */
		CHECK(first_ret == -ENOMEM && pages_in_use - 1 > 8,
		      "returned %d, %d tables in all", first_ret, pages_in_use - 1);
		if (!do_unmap(pgt, iova, pgcount * SZ_4K) || !check_all(pgt))
			return false;
	}
	return true;
}

static uint64_t destroyed_bytes;
static int destroyed_unknown;

static void count_destroyed_leaf(phys_addr_t phys, size_t size)
{
	int i;

	for (i = 0; i < nr_model; i++) {
		if (model[i].phys == phys && model[i].size == size) {
			destroyed_bytes += size;
			model_remove(i);
			return;
		}
	}
	destroyed_unknown++;
}

/*
 * Destroying tables that still map leaves reports each leaf exactly once,
 * a bounded number of bytes per call.
 */
static bool destroy_with_leaves(struct kvm_io_pgtable *pgt, const struct config *c)
{
	uint64_t want = 0, before;
	int n, ret;

	snprintf(where, sizeof(where), "destroy");
	for (n = 0; n < 200; n++) {
		size_t pgsize = pgsizes[rnd() % 3];
		uint64_t iova, phys;

		/*
		 * Distinct output pages, so that leaves are told apart by phys,
		 * also the smaller ones a 1GiB map over a table is made of.
		 */
		if (pgsize == SZ_1G && (!n || ((uint64_t)n << 30) >= (1ULL << c->oas)))
			pgsize = SZ_2M;
		phys = pgsize == SZ_1G ? (uint64_t)n << 30 : (uint64_t)n << 21;
		iova = (rnd() % ((1ULL << c->ias) / pgsize)) * pgsize;
		if (!do_map(pgt, iova, phys, pgsize, 1, IOMMU_READ))
			return false;
	}
	for (n = 0; n < nr_model; n++)
		want += model[n].size;
	destroyed_bytes = 0;
	destroyed_unknown = 0;
	/*
	 * One call releases 2MiB at most, or a single larger leaf; the
	 * leaves it leaves are still translated, and the last call frees.
	 */
	destroying = true;
	do {
		before = destroyed_bytes;
		n = nr_model;
		ret = kvm_io_pgtable_destroy(pgt, count_destroyed_leaf, SZ_2M);
		CHECK(destroyed_bytes - before <= SZ_2M || n - nr_model == 1,
		      "one call released %llu bytes in %d leaves",
		      (unsigned long long)(destroyed_bytes - before), n - nr_model);
		CHECK(ret == 0 || (ret == -EAGAIN && destroyed_bytes > before),
		      "destroy returned %d after %llu bytes", ret,
		      (unsigned long long)(destroyed_bytes - before));
		if (ret && !check_all(pgt))
			return false;
	} while (ret);
	destroying = false;
	nr_model_tables = 0;
	CHECK(!destroyed_unknown && !nr_model && destroyed_bytes == want && pages_in_use == 0,
	      "destroy reported %llu of %llu bytes, %d unknown leaves, %d pages left",
	      (unsigned long long)destroyed_bytes, (unsigned long long)want,
	      destroyed_unknown, pages_in_use);
	return true;
}

/*
 * Every bound one step either side, for one ias/oas pair: for each leaf
 * size, a map that ends a leaf below 2^ias, one that ends at it and one
 * that ends a leaf past it (refused, nothing allocated), the same for
 * 2^oas, and unmaps and punches alike. 2^ias itself does not translate:
 * the root index does not wrap to the first entry.
 */
static bool edges(const struct config *c)
{
	uint64_t top = 1ULL << c->ias, otop = 1ULL << c->oas;
	struct kvm_io_pgtable pgt;
	struct kvm_io_pgtable_gather g;
	unsigned int i;
	size_t mapped;
	int k, ret, tables;

	for (i = 0; i < 3; i++) {
		size_t pgsize = pgsizes[i];

		for (k = -1; k <= 1; k++) {
			size_t pgcount = 2 + k;
			uint64_t iova = top - 2 * pgsize, pa = otop - 2 * pgsize;

			snprintf(where, sizeof(where), "ias %u oas %u: %zu x %#zx %s", c->ias,
				 c->oas, pgcount, pgsize, k < 0 ? "below the top" :
				 k ? "past the top" : "up to the top");
			pool_reset();
			CHECK(!kvm_io_pgtable_init(&pgt, c->fmt, c->ias, c->oas, &pool_mm_ops,
						   NULL), "init");
			/* Something at 0 that a wrapped index would find */
			CHECK(!kvm_io_pgtable_map(&pgt, 0, SZ_2M, SZ_4K, 1, IOMMU_READ, NULL,
						  &mapped), "map at 0");
			tables = pages_in_use;
			ret = kvm_io_pgtable_map(&pgt, iova, 0, pgsize, pgcount, IOMMU_READ, NULL,
						 &mapped);
			CHECK(k > 0 ? ret == -ERANGE && !mapped && pages_in_use == tables :
			      !ret && mapped == pgsize * pgcount,
			      "input range: map returned %d, mapped %#zx", ret, mapped);
			CHECK(kvm_io_pgtable_iova_to_phys(&pgt, top - 1) ==
			      (k ? 0 : 2 * pgsize - 1), "2^ias - 1 translates to %#llx",
			      (unsigned long long)kvm_io_pgtable_iova_to_phys(&pgt, top - 1));
			CHECK(!kvm_io_pgtable_iova_to_phys(&pgt, top), "2^ias translates");
			memset(&g, 0, sizeof(g));
			ret = kvm_io_pgtable_unmap(&pgt, iova, pgsize * pgcount, &g);
			CHECK(k > 0 ? ret == -ERANGE && !g.unmapped :
			      !ret && g.unmapped == pgsize * pgcount,
			      "input range: unmap returned %d, unmapped %#zx", ret, g.unmapped);
			ret = kvm_io_pgtable_punch(&pgt, iova, pgsize * pgcount, NULL);
			CHECK(k > 0 ? ret == -EINVAL : !ret, "input range: punch returned %d",
			      ret);

			/* The output range, at an input address well inside */
			ret = kvm_io_pgtable_map(&pgt, SZ_1G, pa, pgsize, pgcount, IOMMU_WRITE,
						 NULL, &mapped);
			CHECK(k > 0 ? ret == -ERANGE && !mapped :
			      !ret && mapped == pgsize * pgcount,
			      "output range: map returned %d, mapped %#zx", ret, mapped);
			CHECK(k > 0 || kvm_io_pgtable_iova_to_phys(&pgt, SZ_1G + mapped - 1) ==
			      pa + mapped - 1, "output range: the last byte");
			destroy(&pgt, NULL);
			CHECK(!pages_in_use, "%d pages left", pages_in_use);
		}
	}
	return true;
}

/*
 * A gather holds KVM_IO_GATHER_LEAVES leaves: unmaps of scattered pages
 * one short of that, as many, and one more, which stops with -ENOSPC at
 * the full gather; one more that continues the last leaf's pages still
 * fits, merged into it.
 */
static bool gather_edges(void)
{
	const int cases[][2] = {	/* pages, whether the last continues the one before */
		{ KVM_IO_GATHER_LEAVES - 1, 0 }, { KVM_IO_GATHER_LEAVES, 0 },
		{ KVM_IO_GATHER_LEAVES + 1, 0 }, { KVM_IO_GATHER_LEAVES + 1, 1 },
	};
	struct kvm_io_pgtable pgt;
	struct kvm_io_pgtable_gather g;
	unsigned int c;
	size_t mapped;
	int i, ret;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		int count = cases[c][0], full = count > KVM_IO_GATHER_LEAVES && !cases[c][1];

		snprintf(where, sizeof(where), "gather of %d pages%s", count,
			 cases[c][1] ? ", the last contiguous" : "");
		pool_reset();
		CHECK(!kvm_io_pgtable_init(&pgt, KVM_IO_PGTABLE_S2, 40, 40, &pool_mm_ops, NULL),
		      "init");
		for (i = 0; i < count; i++) {
			uint64_t pa = 2ULL * i * SZ_4K;

			if (cases[c][1] && i == count - 1)
				pa = 2ULL * (i - 1) * SZ_4K + SZ_4K;
			CHECK(!kvm_io_pgtable_map(&pgt, (uint64_t)i * SZ_4K, pa, SZ_4K, 1,
						  IOMMU_READ, NULL, &mapped), "map %d", i);
		}
		memset(&g, 0, sizeof(g));
		ret = kvm_io_pgtable_unmap(&pgt, 0, (uint64_t)count * SZ_4K, &g);
		CHECK(full ? ret == -ENOSPC && g.unmapped == (size_t)(count - 1) * SZ_4K :
		      !ret && g.unmapped == (size_t)count * SZ_4K,
		      "returned %d, %zu bytes unmapped", ret, g.unmapped);
		CHECK(g.nr_leaves == (unsigned int)(count > KVM_IO_GATHER_LEAVES ?
						     KVM_IO_GATHER_LEAVES : count),
		      "%u leaves", g.nr_leaves);
		CHECK(g.leaves[g.nr_leaves - 1].size == (cases[c][1] ? SZ_8K : SZ_4K),
		      "the last leaf: %#zx bytes", g.leaves[g.nr_leaves - 1].size);
		CHECK(kvm_io_pgtable_iova_to_phys(&pgt, (uint64_t)(count - 1) * SZ_4K) ==
		      (full ? 2ULL * (count - 1) * SZ_4K : 0), "the last page");
		destroy(&pgt, NULL);
	}
	return true;
}

/*
 * A gather with max_bytes set stops the walk before it would hold more
 * bytes than that, also inside one run of contiguous pages, and also when
 * it held earlier unmaps; its first leaf is always taken, however large.
 */
static bool gather_byte_limit(void)
{
	const size_t limits[] = { 99, 100, 101 };	/* pages, against 100 to unmap */
	struct kvm_io_pgtable pgt;
	struct kvm_io_pgtable_gather g;
	size_t mapped, want;
	unsigned int c;
	int ret;

	for (c = 0; c < sizeof(limits) / sizeof(limits[0]); c++) {
		snprintf(where, sizeof(where), "gather limit of %zu pages", limits[c]);
		pool_reset();
		CHECK(!kvm_io_pgtable_init(&pgt, KVM_IO_PGTABLE_S2, 40, 40, &pool_mm_ops, NULL),
		      "init");
		CHECK(!kvm_io_pgtable_map(&pgt, 0, SZ_1M, SZ_4K, 200, IOMMU_READ, NULL, &mapped),
		      "map");
		memset(&g, 0, sizeof(g));
		g.max_bytes = limits[c] * SZ_4K;
		/* 10 pages first, then the rest of 100 with the gather as it is */
		ret = kvm_io_pgtable_unmap(&pgt, 0, 10 * SZ_4K, &g) ?:
		      kvm_io_pgtable_unmap(&pgt, 10 * SZ_4K, 90 * SZ_4K, &g);
		want = limits[c] < 100 ? limits[c] : 100;
		CHECK(limits[c] < 100 ? ret == -ENOSPC : !ret, "returned %d", ret);
		CHECK(g.unmapped == want * SZ_4K && g.nr_leaves == 1 &&
		      g.leaves[0].size == want * SZ_4K && g.end - g.start == want * SZ_4K,
		      "%zu bytes in %u leaves for [%#llx, %#llx)", g.unmapped, g.nr_leaves,
		      (unsigned long long)g.start, (unsigned long long)g.end);
		CHECK(!kvm_io_pgtable_iova_to_phys(&pgt, (want - 1) * SZ_4K) &&
		      kvm_io_pgtable_iova_to_phys(&pgt, want * SZ_4K) == SZ_1M + want * SZ_4K,
		      "the pages around the limit");
		destroy(&pgt, NULL);
	}

	snprintf(where, sizeof(where), "gather limit below a block");
	pool_reset();
	CHECK(!kvm_io_pgtable_init(&pgt, KVM_IO_PGTABLE_S2, 40, 40, &pool_mm_ops, NULL), "init");
	CHECK(!kvm_io_pgtable_map(&pgt, 0, 0, SZ_2M, 2, IOMMU_READ, NULL, &mapped), "map");
	memset(&g, 0, sizeof(g));
	g.max_bytes = SZ_1M;
	ret = kvm_io_pgtable_unmap(&pgt, 0, 2 * SZ_2M, &g);
	CHECK(ret == -ENOSPC && g.unmapped == SZ_2M && kvm_io_pgtable_iova_to_phys(&pgt, SZ_2M),
	      "returned %d, %zu bytes", ret, g.unmapped);
	destroy(&pgt, NULL);
	return true;
}

/*
 * ---- Races ----
 *
 * RACE_CPUS threads map and unmap disjoint ranges of one table, each round
 * in a region where no table is linked yet, so that they race to link the
 * tables they share: chunks of 8 pages over 4MiB from 1MiB, and 2MiB
 * blocks from 8MiB, dealt out to the CPUs in turn. Each CPU maps its ranges, checks
 * them, unmaps them through a gather, checks them gone and maps them again;
 * then every CPU unmaps every leaf of the round, each leaf going to exactly
 * one of them. After the rounds no leaf is left, and the tables reachable from the
 * root are exactly the pages in use, each linked once: a table lost to
 * another CPU went back to the pool, and none was freed while linked. On
 * each seeded schedule some CPU loses a table to another.
 *
 * A seeded schedule runs one CPU at a time and switches at one preemption
 * point in two (after a cmpxchg(), at a table allocation), the same at
 * every run. Whose turn it is is a relaxed atomic, which ThreadSanitizer
 * does not take as an order: what orders the CPUs' accesses is the code's.
 */
#define RACE_ROUNDS	8
#define RACE_CHUNK	(8 * SZ_4K)
#define RACE_CHUNKS	(2 * SZ_2M / RACE_CHUNK)
#define RACE_BLOCKS	8

static struct kvm_io_pgtable *race_pgt;
static uint64_t race_base;
static int race_failed;
static int race_at_barrier;
static uint64_t race_unmapped;	/* by race_unmap_all(), all CPUs, all rounds */
static bool race_seeded;
static int race_turn;
static bool race_done[RACE_CPUS];
static uint64_t race_rng;	/* changed by the CPU whose turn it is */
static __thread uint64_t race_local_rng;

#define RACE_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		__atomic_store_n(&race_failed, 1, __ATOMIC_RELAXED);	\
		fprintf(stderr, "# races, CPU %d: ", race_cpu);		\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		return false;						\
	}								\
} while (0)

static uint64_t race_next_rnd(uint64_t *r)
{
	*r = *r * 6364136223846793005ULL + 1442695040888963407ULL;
	return *r >> 33;
}

/* Give the turn to a CPU the seed picks among those not done. */
static void race_pass(void)
{
	uint64_t r = __atomic_load_n(&race_rng, __ATOMIC_RELAXED);
	int next = race_next_rnd(&r) % RACE_CPUS, tries;

	__atomic_store_n(&race_rng, r, __ATOMIC_RELAXED);
	for (tries = 0; tries < RACE_CPUS; tries++, next = (next + 1) % RACE_CPUS)
		if (!__atomic_load_n(&race_done[next], __ATOMIC_RELAXED))
			break;
	__atomic_store_n(&race_turn, tries < RACE_CPUS ? next : -1, __ATOMIC_RELAXED);
}

static void race_wait_turn(void)
{
	while (__atomic_load_n(&race_turn, __ATOMIC_RELAXED) != race_cpu)
		sched_yield();
}

static void race_preempt(void)
{
	uint64_t r;

	if (race_cpu < 0)
		return;
	if (!race_seeded) {
		if (race_next_rnd(&race_local_rng) % 4 == 0)
			sched_yield();
		return;
	}
	r = __atomic_load_n(&race_rng, __ATOMIC_RELAXED);
	if (race_next_rnd(&r) % 2) {
		__atomic_store_n(&race_rng, r, __ATOMIC_RELAXED);
		return;
	}
	race_pass();
	race_wait_turn();
}

static uint64_t race_phys(uint64_t iova)
{
	uint64_t top = 1ULL << race_pgt->oas;

	return (iova ^ (top >> 1)) & (top - 1);
}

static uint64_t race_range(int i, size_t *size)
{
	*size = i < RACE_CHUNKS ? RACE_CHUNK : SZ_2M;
	return i < RACE_CHUNKS ? race_base + SZ_1M + (uint64_t)i * RACE_CHUNK :
	       race_base + SZ_8M + (uint64_t)(i - RACE_CHUNKS) * SZ_2M;
}

/* This CPU's ranges all translate, or none does. */
static bool race_check_mine(bool mapped)
{
	size_t size;
	int i;

	for (i = race_cpu; i < RACE_CHUNKS + RACE_BLOCKS; i += RACE_CPUS) {
		uint64_t iova = race_range(i, &size), last = iova + size - SZ_4K;

		RACE_CHECK(kvm_io_pgtable_iova_to_phys(race_pgt, iova) ==
			   (mapped ? race_phys(iova) : 0) &&
			   kvm_io_pgtable_iova_to_phys(race_pgt, last + 7) ==
			   (mapped ? race_phys(last) + 7 : 0),
			   "%#llx+%#zx: %s", (unsigned long long)iova, size,
			   mapped ? "not its leaf" : "still translates");
	}
	return true;
}

static bool race_map_mine(void)
{
	size_t size, mapped;
	int i, ret;

	for (i = race_cpu; i < RACE_CHUNKS + RACE_BLOCKS; i += RACE_CPUS) {
		uint64_t iova = race_range(i, &size);
		size_t pgsize = size == SZ_2M ? SZ_2M : SZ_4K;

		ret = kvm_io_pgtable_map(race_pgt, iova, race_phys(iova), pgsize,
					 size / pgsize, IOMMU_READ | IOMMU_WRITE, NULL, &mapped);
		RACE_CHECK(!ret && mapped == size, "map %#llx+%#zx: %d, %#zx mapped",
			   (unsigned long long)iova, size, ret, mapped);
	}
	return race_check_mine(true);
}

static bool race_unmap_mine(void)
{
	struct kvm_io_pgtable_gather g;
	size_t size;
	int i, ret;

	for (i = race_cpu; i < RACE_CHUNKS + RACE_BLOCKS; i += RACE_CPUS) {
		uint64_t iova = race_range(i, &size);

		memset(&g, 0, sizeof(g));
		ret = kvm_io_pgtable_unmap(race_pgt, iova, size, &g);
		RACE_CHECK(!ret && g.unmapped == size && g.start == iova &&
			   g.end == iova + size && g.nr_leaves == 1 &&
			   g.leaves[0].phys == race_phys(iova) && g.leaves[0].size == size,
			   "unmap %#llx+%#zx: %d, gather [%#llx, %#llx) of %u leaves",
			   (unsigned long long)iova, size, ret, (unsigned long long)g.start,
			   (unsigned long long)g.end, g.nr_leaves);
	}
	return race_check_mine(false);
}

/* Wait for every CPU of the round to come here; only the order of turns, no more. */
static void race_barrier(void)
{
	__atomic_fetch_add(&race_at_barrier, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&race_at_barrier, __ATOMIC_RELAXED) < RACE_CPUS) {
		if (race_seeded) {
			race_pass();
			race_wait_turn();
		} else {
			sched_yield();
		}
	}
}

/*
 * Every CPU unmaps every leaf of the round, all in the same order, so that
 * they meet on each: each leaf goes to exactly one of them, and the others
 * find it gone.
 */
static bool race_unmap_all(void)
{
	struct kvm_io_pgtable_gather g;
	uint64_t iova, off;
	size_t size;
	int n, i, ret;

	for (n = 0; n < RACE_CHUNKS + RACE_BLOCKS; n++) {
		i = n;
		iova = race_range(i, &size);
		for (off = 0; off < size; off += i < RACE_CHUNKS ? SZ_4K : SZ_2M) {
			memset(&g, 0, sizeof(g));
			ret = kvm_io_pgtable_unmap(race_pgt, iova + off,
						   i < RACE_CHUNKS ? SZ_4K : SZ_2M, &g);
			RACE_CHECK(ret == 0 || (ret == -ENOENT && !g.unmapped),
				   "unmap of %#llx: %d, %#zx unmapped",
				   (unsigned long long)(iova + off), ret, g.unmapped);
			__atomic_fetch_add(&race_unmapped, g.unmapped, __ATOMIC_RELAXED);
		}
	}
	return true;
}

static void *race_thread(void *arg)
{
	race_cpu = (int)(intptr_t)arg;
	race_local_rng = race_cpu + 1;
	if (race_seeded)
		race_wait_turn();
	if (race_map_mine() && race_unmap_mine() && race_map_mine()) {
		race_barrier();
		race_unmap_all();
	} else {
		__atomic_fetch_add(&race_at_barrier, 1, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&race_done[race_cpu], true, __ATOMIC_RELAXED);
	if (race_seeded)
		race_pass();
	return NULL;
}

static bool seen[POOL_PAGES];

/* Count the tables under @table, each a page in use that no other entry links. */
static bool count_tables(struct kvm_io_pgtable *pgt, uint64_t *table, int level, int *n)
{
	int bits = level == (int)pgt->start_level ? (int)pgt->ias - shift_of(level) : 9;
	uint64_t i;

	for (i = 0; level < 3 && i < 1ULL << bits; i++) {
		uint64_t d = table[i], *child = (uint64_t *)(uintptr_t)(d & 0x0000fffffffff000ULL);
		long idx;

		if ((d & 3) != 3)
			continue;
		idx = page_idx(child);
		CHECK(in_use[idx] && !seen[idx], "table page %ld linked %s", idx,
		      in_use[idx] ? "twice" : "but free");
		seen[idx] = true;
		++*n;
		if (!count_tables(pgt, child, level + 1, n))
			return false;
	}
	return true;
}

static bool races(const struct config *c, uint64_t seed)
{
	struct kvm_io_pgtable pgt;
	pthread_t t[RACE_CPUS];
	int round, cpu, tables;

	snprintf(where, sizeof(where), "races %s ias %u oas %u seed %llu",
		 c->fmt == KVM_IO_PGTABLE_S2 ? "s2" : "s1", c->ias, c->oas,
		 (unsigned long long)seed);
	pool_reset();
	CHECK(!kvm_io_pgtable_init(&pgt, c->fmt, c->ias, c->oas, &pool_mm_ops, NULL), "init");
	race_pgt = &pgt;
	race_seeded = seed;
	race_rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	race_unmapped = 0;
	harness_preempt = race_preempt;
	for (round = 0; round < RACE_ROUNDS && !race_failed; round++) {
		race_base = ((1ULL << c->ias) / RACE_ROUNDS) * round;
		memset(race_done, 0, sizeof(race_done));
		race_turn = -1;
		race_at_barrier = 0;
		for (cpu = 0; cpu < RACE_CPUS; cpu++)
			pthread_create(&t[cpu], NULL, race_thread, (void *)(intptr_t)cpu);
		if (seed)
			race_pass();
		for (cpu = 0; cpu < RACE_CPUS; cpu++)
			pthread_join(t[cpu], NULL);
	}
	harness_preempt = NULL;
	CHECK(!race_failed, "a CPU failed");
	CHECK(race_unmapped == (uint64_t)RACE_ROUNDS * (RACE_CHUNKS * RACE_CHUNK +
							RACE_BLOCKS * SZ_2M),
	      "the CPUs unmapped %#llx bytes of %#llx mapped", (unsigned long long)race_unmapped,
	      (unsigned long long)RACE_ROUNDS * (RACE_CHUNKS * RACE_CHUNK + RACE_BLOCKS * SZ_2M));
	for (round = 0; round < RACE_ROUNDS; round++) {
		race_base = ((1ULL << c->ias) / RACE_ROUNDS) * round;
		for (race_cpu = 0; race_cpu < RACE_CPUS; race_cpu++)
			if (!race_check_mine(false))
				break;
		race_cpu = -1;
		CHECK(!race_failed, "round %d: a leaf is left", round);
	}
	memset(seen, 0, sizeof(seen));
	seen[page_idx(pgt.pgd)] = true;
	tables = 0;
	if (!count_tables(&pgt, pgt.pgd, pgt.start_level, &tables))
		return false;
	CHECK(tables + 1 == pages_in_use, "%d tables linked, %d pages in use", tables,
	      pages_in_use);
	destroy(&pgt, NULL);
	CHECK(!pages_in_use, "%d pages left", pages_in_use);
	return true;
}

static bool races_of_configs(uint64_t seed)
{
	static const struct config configs[] = {
		{ KVM_IO_PGTABLE_S2, 48, 48 }, { KVM_IO_PGTABLE_S1, 39, 40 },
		{ KVM_IO_PGTABLE_S2, 32, 40 },
	};
	unsigned int i;
	bool ok = true;

	race_lost_tables = 0;
	for (i = 0; ok && i < sizeof(configs) / sizeof(configs[0]); i++)
		ok = races(&configs[i], seed);
	printf("# races%s: %d tables lost to another CPU's and given back\n",
	       seed ? " (seeded schedule)" : "", race_lost_tables);
	/* Each seeded schedule must make CPUs race for a table, or it tests little. */
	CHECK(ok && (race_lost_tables || !seed), "no CPU lost a table to another");
	return true;
}

int main(int argc, char **argv)
{
	static const struct config configs[] = {
		{ KVM_IO_PGTABLE_S2, 32, 40 }, { KVM_IO_PGTABLE_S2, 39, 44 },
		{ KVM_IO_PGTABLE_S2, 40, 48 }, { KVM_IO_PGTABLE_S2, 44, 44 },
		{ KVM_IO_PGTABLE_S2, 48, 48 }, { KVM_IO_PGTABLE_S1, 32, 32 },
		{ KVM_IO_PGTABLE_S1, 39, 40 }, { KVM_IO_PGTABLE_S1, 44, 44 },
		{ KVM_IO_PGTABLE_S1, 48, 44 }, { KVM_IO_PGTABLE_S1, 48, 48 },
	};
	int ops = argc > 1 && argv[1][0] != '-' ? atoi(argv[1]) : 3000;
	unsigned int i;
	uint64_t seed;

	pool = aligned_alloc(SZ_4K, (size_t)POOL_PAGES * SZ_4K);
	if (!pool)
		return 1;
	/* --races: the races alone, as the host schedules them; --races-seed N: on one seed */
	if (argc > 1 && (!strcmp(argv[1], "--races") || !strcmp(argv[1], "--races-seed"))) {
		seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 0;
		printf("1..1\n");
		tap(races_of_configs(seed), seed ? "races_seeded" : "races");
		return tap_failed || failures ? 1 : 0;
	}
	printf("1..%zu\n", 4 * sizeof(configs) / sizeof(configs[0]) + 7);

	{
		struct kvm_io_pgtable pgt;
		bool ok = kvm_io_pgtable_init(&pgt, KVM_IO_PGTABLE_S2, 31, 40, &pool_mm_ops, NULL) == -EINVAL &&
			  kvm_io_pgtable_init(&pgt, KVM_IO_PGTABLE_S2, 49, 40, &pool_mm_ops, NULL) == -EINVAL &&
			  kvm_io_pgtable_init(&pgt, KVM_IO_PGTABLE_S1, 40, 52, &pool_mm_ops, NULL) == -EINVAL &&
			  kvm_io_pgtable_init(&pgt, 7, 40, 40, &pool_mm_ops, NULL) == -EINVAL &&
			  pages_in_use == 0;

		tap(ok, "init_refuses_bad_config");
	}

	for (i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		const struct config *c = &configs[i];
		struct kvm_io_pgtable pgt;
		char name[96];
		bool ok;

		pool_reset();
		if (kvm_io_pgtable_init(&pgt, c->fmt, c->ias, c->oas, &pool_mm_ops, NULL))
			return 1;
		snprintf(name, sizeof(name), "%s_ias%u_oas%u.random_vs_model",
			 c->fmt == KVM_IO_PGTABLE_S2 ? "s2" : "s1", c->ias, c->oas);
		tap(random_ops(&pgt, c, ops), name);

		snprintf(name, sizeof(name), "%s_ias%u_oas%u.adversarial",
			 c->fmt == KVM_IO_PGTABLE_S2 ? "s2" : "s1", c->ias, c->oas);
		tap(adversarial(&pgt, c), name);

		snprintf(name, sizeof(name), "%s_ias%u_oas%u.alloc_failures",
			 c->fmt == KVM_IO_PGTABLE_S2 ? "s2" : "s1", c->ias, c->oas);
		tap(alloc_failures(&pgt, c), name);

		snprintf(name, sizeof(name), "%s_ias%u_oas%u.destroy_reports_leaves",
			 c->fmt == KVM_IO_PGTABLE_S2 ? "s2" : "s1", c->ias, c->oas);
		ok = destroy_with_leaves(&pgt, c);
		tap(ok && pages_in_use == 0, name);
	}
	{
		struct config c;
		bool ok = true;

		/* Every pair init accepts, either format */
		for (c.fmt = KVM_IO_PGTABLE_S1; ok && c.fmt <= KVM_IO_PGTABLE_S2; c.fmt++)
			for (c.ias = 32; ok && c.ias <= 48; c.ias++)
				for (c.oas = 32; ok && c.oas <= 48; c.oas++)
					ok = edges(&c);
		tap(ok, "edges_of_every_ias_oas_pair");
	}
	tap(gather_edges(), "gather_edges");
	tap(gather_byte_limit(), "gather_byte_limit");
	tap(races_of_configs(0), "races");
	for (seed = 1; seed <= 3; seed++) {
		char name[32];

		snprintf(name, sizeof(name), "races_seed_%llu", (unsigned long long)seed);
		tap(races_of_configs(seed), name);
	}
	free(pool);
	return tap_failed || failures ? 1 : 0;
}
