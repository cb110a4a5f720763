/* SPDX-License-Identifier: GPL-2.0 */
/* What the hypervisor's headers take from asm/kvm_pkvm.h. */
#ifndef __SHIM_ASM_KVM_PKVM_H__
#define __SHIM_ASM_KVM_PKVM_H__

#include <linux/kvm_host.h>
#include <linux/memblock.h>

#define HYP_MEMBLOCK_REGIONS	128
extern struct memblock_region hyp_memory[];
extern unsigned int hyp_memblock_nr;

/* The pool of the host stage-2's table pages the test gives. */
unsigned long host_s2_pgtable_pages(void);

/*
 * The FF-A proxy's memory: a page each for its mailboxes, and a buffer for
 * a descriptor of up to SG_MAX_SEGMENTS (2048) ranges.
 */
#define KVM_FFA_MBOX_NR_PAGES	1
#define HARNESS_FFA_DESC_PAGES	9
static inline unsigned long hyp_ffa_proxy_pages(void)
{
	return 2 * KVM_FFA_MBOX_NR_PAGES + HARNESS_FFA_DESC_PAGES;
}

/* The host's SMCCC version, as the PSCI relay found it. */
struct psci_config {
	u32 smccc_version;
};
extern struct psci_config kvm_host_psci_config;
#define ARM_SMCCC_VERSION_1_2	0x10002

#endif
