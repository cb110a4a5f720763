/* SPDX-License-Identifier: GPL-2.0 */
/* The host's saved registers, as the hypercall handlers read them. */
#ifndef __SHIM_NVHE_TRAP_HANDLER_H__
#define __SHIM_NVHE_TRAP_HANDLER_H__

#include <linux/kvm_host.h>

#define cpu_reg(ctxt, r)	((ctxt)->regs.regs[r])
#define DECLARE_REG(type, name, ctxt, reg)	\
	type name = (type)cpu_reg(ctxt, (reg))

#endif
