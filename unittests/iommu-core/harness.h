/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the userspace tests of the hypervisor's IOMMU code share. The core
 * (arch/arm64/kvm/hyp/nvhe/iommu/iommu.c with io-pgtable.c and the memory
 * supply memory.c, compiled unchanged) runs against
 *  - a memory window mapped at its own physical address, so that the
 *    hypervisor's phys/virt conversions are the identity, with a vmemmap
 *    of struct hyp_page, and more than a GiB of memory above 4GiB that
 *    only the model tracks;
 *  - a model of host page ownership: memory pages owned by the host, the
 *    hypervisor or a guest, host MMIO and hypervisor MMIO (the SMMU), with
 *    the per-page DMA count that __pkvm_host_share_dma() and
 *    __pkvm_host_unshare_dma() maintain, and the donations to and from the
 *    hypervisor;
 *  - a fake IOMMU that tracks attached streams and reads the tables only
 *    from what was cleaned to memory, with a TLB and a walk cache filled
 *    from those tables and dropped only by invalidations.
 *
 * Nothing is checked through the code under test: the harness decodes
 * descriptors itself, and expects the exact descriptor for each mapping's
 * prot, format and level. It keeps its own list of the mappings the core
 * reported; check_state() checks that the tables translate exactly those,
 * that they all point at host-owned pages, and that each page's DMA count
 * equals the number of mappings of it. check_idmap() checks the identity
 * domain over its whole input range against the owners, and that its
 * reserve holds every table a later ownership change may need.
 *
 * A violation found inside a call of the code under test (a count dropped
 * while the IOMMU can still reach the page, a page freed while the walk
 * cache holds it, an allocation not zeroed, a page reclaimed with data in
 * it) is fatal where it happens, as a WARN_ON is.
 *
 * Included once by each test program (unit tests, fuzzer). This file holds
 * the memory layout and the failure macros; the parts in harness/, in the
 * order it includes them, hold the rest:
 *  - host_dma_count.h: a page's DMA counts, read as host_dma.c keeps them;
 *  - model.h: the ownership model and mem_protect.c's transitions;
 *  - vmemmap.h: the vmemmap and memory.c's memcache lists;
 *  - fake_iommu.h: the fake IOMMU and its descriptors;
 *  - checks.h: the oracles, the identity domain's among them;
 *  - calls.h: the host's memory supply and the hypercall wrappers;
 *  - random_calls.h: random calls, teardown and set-up.
 */
#ifndef IOMMU_CORE_HARNESS_H
#define IOMMU_CORE_HARNESS_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <linux/bits.h>
#include <linux/iommu.h>
#include <linux/sizes.h>
#include <nvhe/host_dma.h>
#include <nvhe/iommu.h>
#include <nvhe/mem_protect.h>
#include <nvhe/memory.h>

/*
 * Physical memory as on hardware, not as on QEMU's virt machine: several
 * memory regions inside the window [MEM_BASE, MEM_END), two of them
 * adjacent, with host MMIO and hypervisor MMIO between and beside them.
 * Pages of the window are indexed from MEM_BASE whatever they are.
 */
#define MEM_BASE	0x40000000ULL
#define MEM_PAGES	16384ULL			/* 64 MiB */
#define MEM_END		(MEM_BASE + MEM_PAGES * SZ_4K)
#define SMMU_MMIO	0x09050000ULL			/* hypervisor-owned */
#define SMMU_MMIO_SIZE	0x20000ULL
#define SMMU2_MMIO	(MEM_BASE + 62 * SZ_1M)		/* hypervisor-owned, between regions */
#define SMMU2_MMIO_SIZE	SZ_1M
#define HOST_MMIO	0x08080000ULL			/* an MSI doorbell */
#define HOST_MMIO_1G	0x8000000000ULL			/* PCIe window, 1GiB aligned */

/*
 * Memory above 4GiB, as servers and phones have it: a region that starts
 * on a GiB boundary and is larger than a GiB, so that the identity domain
 * maps it with a 1GiB block and a table of 2MiB blocks, and splits both.
 * Memory of its own backs it, reserved and touched on use, at an offset
 * from its physical addresses as in the hypervisor's linear map
 * (harness_phys_to_virt()): the host donates from it too, so that tables,
 * domains and memcaches live above 4GiB, as they do on most machines.
 */
#define FAR_BASE	0x140000000ULL			/* 5GiB */
#define FAR_SIZE	(SZ_1G + SZ_512M)
#define FAR_PAGES	(FAR_SIZE / SZ_4K)
/* Pages the model tracks: the window's, then the far region's */
#define NR_PAGES	(MEM_PAGES + FAR_PAGES)

static const struct mem_region {
	uint64_t base, size;
} mem_regions[] = {
	{ MEM_BASE,		24 * SZ_1M },
	{ MEM_BASE + 24 * SZ_1M, 16 * SZ_1M },	/* adjacent to the first */
	/* host MMIO from 40 MiB to 42 MiB */
	{ MEM_BASE + 42 * SZ_1M, 20 * SZ_1M },
	/* hypervisor MMIO (a second SMMU) from 62 MiB to 63 MiB */
	{ MEM_BASE + 63 * SZ_1M, SZ_1M },
	{ FAR_BASE,		FAR_SIZE },
};

#define NR_MEM_REGIONS	(sizeof(mem_regions) / sizeof(mem_regions[0]))

/* The host donates from here, a page of each in turn; tests map other pages. */
#define DONATE_BASE	(MEM_BASE + 42 * SZ_1M)
#define DONATE_END	(MEM_BASE + 58 * SZ_1M)
#define FAR_DONATE_BASE	(FAR_BASE + SZ_1G + 64 * SZ_1M)
#define FAR_DONATE_END	(FAR_DONATE_BASE + 16 * SZ_1M)
/* Memory the host gives at SMMU registration, after that. */
#define HOST_GIFT_BASE	(MEM_BASE + 58 * SZ_1M)

#define IAS		44
#define OAS		44
#define NR_IOMMUS	2
#define NR_SIDS		64
#define MAX_MAPPINGS	16384
#define NR_CPUS		HARNESS_NR_CPUS

/* What a page holds that no one wrote: host data, or the poison of a free page. */
#define HOST_DATA	0x3c
#define POISON		0xa5

static int failures;
static __thread char where[160];
__thread int harness_cpu;
void (*harness_preempt)(void);
unsigned long harness_device_order;
int harness_fence_word;

#define FAIL(...) do {							\
	failures++;							\
	fprintf(stderr, "# %s: ", where);				\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
} while (0)

/* A violation seen inside a call of the code under test: fatal there. */
#define VIOLATION(...) do {						\
	FAIL(__VA_ARGS__);						\
	abort();							\
} while (0)

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		FAIL(__VA_ARGS__);					\
		return false;						\
	}								\
} while (0)

static enum kvm_io_pgtable_fmt harness_fmt = KVM_IO_PGTABLE_S2;

#include "harness/host_dma_count.h"
#include "harness/model.h"
#include "harness/vmemmap.h"
#include "harness/fake_iommu.h"
#include "harness/checks.h"
#include "harness/calls.h"
#include "harness/random_calls.h"

#endif /* IOMMU_CORE_HARNESS_H */
