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
 *  - the number of table pages in use is exactly what the live leaves need,
 *    so emptied tables are freed and none is freed early;
 *  - a table page is only freed when empty, and only after the test has
 *    "flushed" the gather that removed it.
 * Prints TAP.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommu.h>
#include <linux/sizes.h>
#include <nvhe/io-pgtable.h>

#define POOL_PAGES	8192
#define MAX_LEAVES	4096

/* ---- Page pool standing in for the hypervisor memcache ---- */

static unsigned char *pool;
static int refcount[POOL_PAGES];
static bool in_use[POOL_PAGES];
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

static void *pool_zalloc_page(void *mc)
{
	long i;

	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	for (i = 0; i < POOL_PAGES; i++) {
		if (!in_use[i]) {
			in_use[i] = true;
			refcount[i] = 1;
			pages_in_use++;
			memset(pool + i * SZ_4K, 0, SZ_4K);
			return pool + i * SZ_4K;
		}
	}
	return NULL;
}

static void pool_free_table(void *va)
{
	long i = page_idx(va);
	uint64_t *t = va;
	int j;

	if (!in_use[i])
		fatal("%s: double free", "pool");
	if (refcount[i] != 1)
		fatal("%s: freeing a table that still has entries", "pool");
	for (j = 0; j < 512; j++)
		if (t[j] & 1)
			fatal("%s: freeing a table with a valid entry", "pool");
	in_use[i] = false;
	refcount[i] = 0;
	pages_in_use--;
	/* A stale walker reading the page now sees garbage, not zeroes. */
	memset(va, 0xa5, SZ_4K);
}

static void pool_get_page(void *va)
{
	long i = page_idx(va);

	if (!in_use[i])
		fatal("%s: get on a free page", "pool");
	refcount[i]++;
}

static void pool_put_page(void *va)
{
	long i = page_idx(va);

	if (!in_use[i] || refcount[i] <= 1)
		fatal("%s: put below the table's own reference", "pool");
	refcount[i]--;
}

static int pool_page_count(void *va)
{
	return refcount[page_idx(va)];
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

static const struct kvm_io_pgtable_mm_ops pool_mm_ops = {
	.zalloc_page = pool_zalloc_page,
	.free_table = pool_free_table,
	.get_page = pool_get_page,
	.put_page = pool_put_page,
	.page_count = pool_page_count,
	.phys_to_virt = pool_phys_to_virt,
	.virt_to_phys = pool_virt_to_phys,
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

static bool model_overlaps(uint64_t iova, uint64_t size)
{
	int i;

	for (i = 0; i < nr_model; i++)
		if (iova < model[i].iova + model[i].size &&
		    model[i].iova < iova + size)
			return true;
	return false;
}

static void model_remove(int i)
{
	model[i] = model[--nr_model];
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

/* Distinct tables below the root that the model's leaves need. */
static int model_tables(struct kvm_io_pgtable *pgt)
{
	static uint64_t keys[MAX_LEAVES * 3 * 4];
	int n = 0, i, j, l;

	for (i = 0; i < nr_model; i++) {
		for (l = pgt->start_level + 1; l <= leaf_level_of(model[i].size); l++) {
			uint64_t first = model[i].iova >> shift_of(l - 1);
			uint64_t last = (model[i].iova + model[i].size - 1) >> shift_of(l - 1);
			uint64_t k;

			for (k = first; k <= last; k++) {
				uint64_t key = (k << 2) | l;

				for (j = 0; j < n && keys[j] != key; j++)
					;
				if (j == n)
					keys[n++] = key;
			}
		}
	}
	return n;
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
	int i, tables = model_tables(pgt);

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
	CHECK(pages_in_use == tables + 1, "%d table pages in use, leaves need %d",
	      pages_in_use, tables + 1);
	return true;
}

/* ---- Operations, each compared with the model ---- */

static const size_t pgsizes[] = { SZ_4K, SZ_2M, SZ_1G };

static bool do_map(struct kvm_io_pgtable *pgt, uint64_t iova, uint64_t paddr,
		   size_t pgsize, size_t pgcount, int prot)
{
	size_t mapped = 12345, want = 0, i;
	int ret, want_ret = 0;

	for (i = 0; i < pgcount; i++) {
		if (model_overlaps(iova + i * pgsize, pgsize)) {
			want_ret = -EEXIST;
			break;
		}
		want += pgsize;
	}
	ret = kvm_io_pgtable_map(pgt, iova, paddr, pgsize, pgcount, prot, NULL,
				 &mapped);
	CHECK(ret == want_ret, "map %#llx+%zux%zu returned %d, model %d",
	      (unsigned long long)iova, pgsize, pgcount, ret, want_ret);
	CHECK(mapped == want, "map %#llx mapped %zu, model %zu",
	      (unsigned long long)iova, mapped, want);
	for (i = 0; i < want / pgsize; i++) {
		if (nr_model == MAX_LEAVES)
			fatal("%s: model full", "test");
		model[nr_model++] = (struct leaf) {
			iova + i * pgsize, pgsize, paddr + i * pgsize, prot
		};
	}
	return true;
}

/*
 * Unmap [iova, iova + size) the way the hypervisor will: unmap into a
 * gather, and whenever it is full "flush" it (check what it holds, free
 * its tables) and go on.
 */
/* Input range covered by each table page, found by walking from the root. */
static uint64_t span_base[POOL_PAGES], span_size[POOL_PAGES];

static void record_spans(struct kvm_io_pgtable *pgt, uint64_t *table, int l, uint64_t base)
{
	int bits = l == (int)pgt->start_level ? (int)pgt->ias - shift_of(l) : 9;
	uint64_t i;

	span_base[page_idx(table)] = base;
	span_size[page_idx(table)] = 1ULL << (shift_of(l) + bits);
	for (i = 0; l < 3 && i < (1ULL << bits); i++) {
		uint64_t d = table[i];

		if ((d & 3) == 3)
			record_spans(pgt, (uint64_t *)(uintptr_t)(d & 0x0000fffffffff000ULL),
				     l + 1, base + (i << shift_of(l)));
	}
}

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

		uint64_t lo, hi;

		memset(&g, 0, sizeof(g));
		record_spans(pgt, pgt->pgd, pgt->start_level, 0);
		ret = kvm_io_pgtable_unmap(pgt, addr, iova + size - addr, &g);
		/*
		 * The range to invalidate: the leaves unmapped and all the input
		 * range of each table removed, which the walker may have cached.
		 */
		lo = addr;
		hi = addr + g.unmapped;
		for (k = 0; k < g.nr_tables; k++) {
			long t = page_idx(g.tables[k]);

			if (!g.unmapped && !k) {
				lo = span_base[t];
				hi = span_base[t] + span_size[t];
			}
			if (span_base[t] < lo)
				lo = span_base[t];
			if (span_base[t] + span_size[t] > hi)
				hi = span_base[t] + span_size[t];
		}
		CHECK(g.unmapped % SZ_4K == 0 &&
		      (lo == hi ? g.start == g.end : (g.start == lo && g.end == hi)),
		      "gather range [%#llx, %#llx) for %zu bytes from %#llx, %u tables; want [%#llx, %#llx)",
		      (unsigned long long)g.start, (unsigned long long)g.end,
		      g.unmapped, (unsigned long long)addr, g.nr_tables,
		      (unsigned long long)lo, (unsigned long long)hi);
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
		/* Removed tables are unlinked but not yet freed. */
		for (k = 0; k < g.nr_tables; k++)
			CHECK(in_use[page_idx(g.tables[k])] &&
			      refcount[page_idx(g.tables[k])] == 1, "gathered table state");
		kvm_io_pgtable_free_tables(pgt, &g);
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
	memset(refcount, 0, sizeof(refcount));
	pages_in_use = 0;
	fail_after = -1;
	nr_model = 0;
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
	/* Tear everything down through unmap: all tables come back. */
	snprintf(where, sizeof(where), "teardown");
	while (nr_model) {
		if (!do_unmap(pgt, model[0].iova, model[0].size))
			return false;
	}
	CHECK(pages_in_use == 1, "%d pages in use after unmapping everything",
	      pages_in_use);
	return check_all(pgt);
}

/* Arguments that must be refused without changing anything. */
static bool adversarial(struct kvm_io_pgtable *pgt, const struct config *c)
{
	uint64_t top = 1ULL << c->ias, otop = 1ULL << c->oas;
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
		CHECK(pages_in_use == 1, "allocated on a refused map");
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
	CHECK(g.unmapped == 0 && g.nr_leaves == 0 && g.nr_tables == 0, "gather changed");

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
	CHECK(pages_in_use == 1, "tables left after the overlap tests");
	return true;
}

/*
 * The n-th table allocation fails: the leaves before it stay mapped and are
 * reported, the rest maps once memory is back, and nothing leaks.
 */
static bool alloc_failures(struct kvm_io_pgtable *pgt, const struct config *c)
{
	uint64_t iova = (1ULL << c->ias) / 2 - 3 * SZ_2M;
	size_t pgcount = 6 * 512 + 7, mapped;
	long n;
	int ret;

	for (n = 0; n < 8; n++) {
		size_t need = kvm_io_pgtable_max_tables(pgt, iova, SZ_4K, pgcount);

		snprintf(where, sizeof(where), "allocation %ld fails", n);
		fail_after = n;
		ret = kvm_io_pgtable_map(pgt, iova, SZ_1G, SZ_4K, pgcount,
					 IOMMU_READ, NULL, &mapped);
		fail_after = -1;
		CHECK(n >= (long)need || ret == -ENOMEM, "returned %d", ret);
		CHECK(mapped % SZ_4K == 0 && mapped <= pgcount * SZ_4K, "mapped %zu", mapped);
		CHECK(pages_in_use - 1 <= (int)need, "%d tables for a bound of %zu",
		      pages_in_use - 1, need);
		for (size_t i = 0; i < mapped / SZ_4K; i++)
			model[nr_model++] = (struct leaf) {
				iova + i * SZ_4K, SZ_4K, SZ_1G + i * SZ_4K, IOMMU_READ
			};
		/* The retry of the rest succeeds and reuses the linked tables. */
		if (!do_map(pgt, iova + mapped, SZ_1G + mapped, SZ_4K,
			    pgcount - mapped / SZ_4K, IOMMU_READ) || !check_all(pgt))
			return false;
		if (!do_unmap(pgt, iova, pgcount * SZ_4K))
			return false;
		CHECK(pages_in_use == 1, "%d pages left", pages_in_use);
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

/* Destroying tables that still map leaves reports each leaf exactly once. */
static bool destroy_with_leaves(struct kvm_io_pgtable *pgt, const struct config *c)
{
	uint64_t want = 0;
	int n;

	snprintf(where, sizeof(where), "destroy");
	for (n = 0; n < 200; n++) {
		size_t pgsize = pgsizes[rnd() % 3];
		uint64_t iova, phys;

		/* Distinct output pages, so that leaves are told apart by phys. */
		if (pgsize == SZ_1G && ((uint64_t)n << 30) >= (1ULL << c->oas))
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
	kvm_io_pgtable_destroy(pgt, count_destroyed_leaf);
	CHECK(!destroyed_unknown && !nr_model && destroyed_bytes == want,
	      "destroy reported %llu of %llu bytes, %d unknown leaves",
	      (unsigned long long)destroyed_bytes, (unsigned long long)want,
	      destroyed_unknown);
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
	int ops = argc > 1 ? atoi(argv[1]) : 3000;
	unsigned int i;

	pool = aligned_alloc(SZ_4K, (size_t)POOL_PAGES * SZ_4K);
	if (!pool)
		return 1;
	printf("1..%zu\n", 4 * sizeof(configs) / sizeof(configs[0]) + 1);

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
	free(pool);
	return tap_failed || failures ? 1 : 0;
}
