/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What mem_protect.c takes from asm/kvm_hyp.h, asm/kvm_emulate.h and
 * asm/kvm_asm.h: system registers, which the harness's "EL2" only reads
 * for the host's fault path and writes when it loads a stage-2, neither of
 * which a test reaches.
 */
#ifndef __SHIM_ASM_KVM_HYP_H__
#define __SHIM_ASM_KVM_HYP_H__

#include <linux/kvm_host.h>

#define read_sysreg(r)			harness_sysreg(#r)
#define read_sysreg_el2(r)		harness_sysreg(#r)
#define write_sysreg(v, r)		((void)(v))
#define __tlbi(op, ...)			do { } while (0)
#define ALTERNATIVE(a, b, cap)		""
#define __load_stage2(mmu, arch)	do { } while (0)

/* A read of a register the harness has no value for is fatal. */
u64 harness_sysreg(const char *name);

#endif
