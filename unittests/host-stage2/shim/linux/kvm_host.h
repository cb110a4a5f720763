/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What arch/arm64/kvm/hyp/pgtable.c and asm/kvm_pgtable.h need of the
 * kernel, for a userspace build at "EL2" (__KVM_NVHE_HYPERVISOR__): a 4KiB
 * granule, no LPA2, no hVHE; barriers and TLB maintenance are the CPU's
 * business and do nothing here; a WARN is fatal, as at EL2.
 */
#ifndef __SHIM_KVM_HOST_H__
#define __SHIM_KVM_HOST_H__
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/types.h>
#include <linux/bits.h>
#include <linux/kconfig.h>
#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/err.h>
#include <linux/align.h>
#include <linux/bitfield.h>
#include <linux/atomic.h>
#include <asm/barrier.h>
#include <linux/bug.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <string.h>

/* The kernel's, which takes operands of any types, unlike tools/include's */
#undef check_add_overflow
#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)

#define CONFIG_ARM64_4K_PAGES	1
#define CONFIG_ARM64_PA_BITS	48
#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x)		ALIGN((x), PAGE_SIZE)
#define PAGE_ALIGNED(x)		IS_ALIGNED((x), PAGE_SIZE)
#define PTRS_PER_PTE		(1 << (PAGE_SHIFT - 3))


/* A DSB orders as mb(), in the IOMMU harness's barriers on C11 atomics. */
#define dsb(opt)		mb()
#define isb()			do { } while (0)

/* Memory attribute indexes of the kernel's MAIR */
#define MT_NORMAL		0
#define MT_DEVICE_nGnRE		2

#define ID_AA64MMFR0_EL1_PARANGE_SHIFT	0
#define ID_AA64MMFR0_EL1_PARANGE_32	0
#define ID_AA64MMFR0_EL1_PARANGE_36	1
#define ID_AA64MMFR0_EL1_PARANGE_40	2
#define ID_AA64MMFR0_EL1_PARANGE_42	3
#define ID_AA64MMFR0_EL1_PARANGE_44	4
#define ID_AA64MMFR0_EL1_PARANGE_48	5
#define ID_AA64MMFR0_EL1_PARANGE_52	6

static inline u32 id_aa64mmfr0_parange_to_phys_shift(int parange)
{
	static const u32 shift[] = { 32, 36, 40, 42, 44, 48, 52 };

	return parange < 7 ? shift[parange] : CONFIG_ARM64_PA_BITS;
}

static inline bool system_supports_lpa2(void) { return false; }
static inline bool system_supports_bti_kernel(void) { return false; }
static inline unsigned int cpuid_feature_extract_unsigned_field(u64 f, int s)
{
	return (f >> s) & 0xf;
}
#define ARM64_KVM_HVHE		0
static inline bool cpus_have_final_cap(int c) { return false; }

#define VTCR_EL2_T0SZ_MASK	0x3f
#define VTCR_EL2_SL0_SHIFT	6
#define VTCR_EL2_SL0_MASK	(3 << VTCR_EL2_SL0_SHIFT)
#define VTCR_EL2_TGRAN_SL0_BASE	2UL
#define VTCR_EL2_SL0_TO_LVLS(sl0)	((sl0) + 4 - VTCR_EL2_TGRAN_SL0_BASE)
#define VTCR_EL2_LVLS(vtcr)	\
	VTCR_EL2_SL0_TO_LVLS(((vtcr) & VTCR_EL2_SL0_MASK) >> VTCR_EL2_SL0_SHIFT)
#define VTCR_EL2_IPA(vtcr)	(64 - ((vtcr) & VTCR_EL2_T0SZ_MASK))

struct kvm_mmu_memory_cache {
	int nobjs;
	void **objects;
};

struct kvm_pgtable;
struct kvm_arch;
#define atomic64_set(v, i)	((v)->counter = (i))

struct kvm_vmid {
	atomic64_t id;
};

struct kvm_s2_mmu {
	struct kvm_vmid vmid;
	phys_addr_t pgd_phys;
	struct kvm_pgtable *pgt;
	u64 vtcr;
	struct kvm_mmu_memory_cache split_page_cache;
	struct kvm_arch *arch;
};

/* What the hypervisor keeps of a VM and a vCPU in mem_protect.c. */
struct kvm_arch {
	struct kvm_s2_mmu mmu;
	u64 vtcr;
};

struct kvm {
	struct kvm_arch arch;
};

struct kvm_vcpu_fault_info {
	u64 esr_el2;
	u64 far_el2;
	u64 hpfar_el2;
	u64 disr_el1;
};

struct kvm_vcpu {
	struct kvm *kvm;
};

struct user_pt_regs {
	u64 regs[31];
};

struct kvm_cpu_context {
	struct user_pt_regs regs;
};

typedef unsigned int pkvm_handle_t;

struct kvm_nvhe_init_params {
	unsigned long hcr_el2;
	unsigned long vttbr;
	unsigned long vtcr;
};
extern struct kvm_nvhe_init_params kvm_init_params[];

#define HCR_VM			BIT(0)
#define HPFAR_MASK		GENMASK_ULL(43, 4)
#define NR_PAGE_ORDERS		11
#define MAX_PAGE_ORDER		(NR_PAGE_ORDERS - 1)
#define USHRT_MAX		((unsigned short)~0U)
#ifndef ULONG_MAX
#define ULONG_MAX		(~0UL)
#endif

static inline int get_order(unsigned long size)
{
	return size <= PAGE_SIZE ? 0 : 64 - __builtin_clzl((size - 1) >> PAGE_SHIFT);
}

/* A list of free pages, linked through their first word (asm/kvm_host.h) */
struct kvm_hyp_memcache {
	phys_addr_t head;
	unsigned long nr_pages;
};

static inline void push_hyp_memcache(struct kvm_hyp_memcache *mc, phys_addr_t *p,
				     phys_addr_t (*to_pa)(void *virt))
{
	*p = mc->head;
	mc->head = to_pa(p);
	mc->nr_pages++;
}

static inline void *pop_hyp_memcache(struct kvm_hyp_memcache *mc,
				     void *(*to_va)(phys_addr_t phys))
{
	phys_addr_t *p = to_va(mc->head);

	if (!mc->nr_pages)
		return NULL;
	mc->head = *p;
	mc->nr_pages--;
	return p;
}

/* Guests are not part of these tests: their cache maintenance is none. */
#define vcpu_is_protected(vcpu)			false
#define __clean_dcache_guest_page(va, size)	do { } while (0)
#define __invalidate_icache_guest_page(va, size)	do { } while (0)

/* Per-CPU data: each thread of a test says which CPU it is. */
#define HARNESS_NR_CPUS		4
extern __thread int harness_cpu;
#define DEFINE_PER_CPU(type, name)	__typeof__(type) name[HARNESS_NR_CPUS]
#define this_cpu_ptr(ptr)		(&(*(ptr))[harness_cpu])

/* The CPU's ID registers: only what prepare_host_vtcr() reads. */
extern u64 id_aa64mmfr0_el1_sys_val, id_aa64mmfr1_el1_sys_val;

/* Static keys the hypervisor tests: on, as after finalize. */
#define static_branch_likely(key)	(*(key))
#define static_branch_unlikely(key)	(*(key))
extern bool kvm_protected_mode_initialized;

/* TLB maintenance: the harness has no CPU TLB. */
#define TLBI_TTL_UNKNOWN	0
#define __TLBI_VADDR(addr, asid)	(addr)
#define __tlbi_level(op, addr, level)	do { } while (0)
#define __tlbi_sync_s1ish_hyp()		do { } while (0)
#define kvm_call_hyp(f, ...)		do { } while (0)

typedef u64 kvm_pfn_t;
#define __phys_to_pfn(p)	((p) >> PAGE_SHIFT)
#define ARM64_HW_PGTABLE_LEVEL_SHIFT(n)	((PAGE_SHIFT - 3) * (4 - (n)) + 3)

#undef cmpxchg
#define cmpxchg(ptr, old, new) ({					\
	__typeof__(*(ptr)) __old = (old);				\
	__atomic_compare_exchange_n((ptr), &__old, (new), false,	\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);	\
	__old;								\
})

/* Stage-2 MemAttr encodings, without FWB */
#define MT_S2_NORMAL		0xf
#define MT_S2_NORMAL_NC		0x5
#define MT_S2_DEVICE_nGnRE	0x1
#define PAGE_S2_MEMATTR(attr, has_fwb)	((u64)MT_S2_ ## attr << 2)
#define ARM64_HAS_STAGE2_FWB	0
static inline bool system_supports_tlb_range(void) { return false; }
#define MAX_TLBI_RANGE_PAGES	((u64)1)

/* kvm_get_vtcr(), which the host calls, not the hypervisor */
#define VTCR_EL2_FLAGS		0
#define VTCR_EL2_PS_SHIFT	16
#define VTCR_EL2_T0SZ(ipa)	(64 - (ipa))
#define VTCR_EL2_LVLS_TO_SL0(levels)	\
	((VTCR_EL2_TGRAN_SL0_BASE - (4 - (levels))) << VTCR_EL2_SL0_SHIFT)
#define VTCR_EL2_DS		BIT(32)
#define VTCR_EL2_VS_16BIT	BIT(19)
#define VTCR_EL2_VS_8BIT	0
static inline int get_vmid_bits(u64 mmfr1) { return 16; }
#endif
