/* SPDX-License-Identifier: GPL-2.0 */
/* The host's fault path, which the harness does not take. */
#ifndef __SHIM_HYP_FAULT_H__
#define __SHIM_HYP_FAULT_H__

#include <asm/kvm_hyp.h>

static inline bool __get_fault_info(u64 esr, struct kvm_vcpu_fault_info *fault)
{
	return false;
}

#endif
