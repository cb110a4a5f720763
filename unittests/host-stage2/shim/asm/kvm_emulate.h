/* SPDX-License-Identifier: GPL-2.0 */
/* Everything mem_protect.c takes from asm/kvm_emulate.h is in the shim kvm_hyp.h. */
#include <asm/kvm_hyp.h>
