/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SMC calls from "EL2" go to the test's fake SPMD: the calling convention's
 * constants from tools/include, a call that hands the fake the function
 * and its first seven arguments.
 */
#ifndef __SHIM_LINUX_ARM_SMCCC_H__
#define __SHIM_LINUX_ARM_SMCCC_H__

#include <linux/const.h>
#include_next <linux/arm-smccc.h>
#include <linux/types.h>

struct arm_smccc_res {
	unsigned long a0;
	unsigned long a1;
	unsigned long a2;
	unsigned long a3;
};

void harness_smc(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, u64 a6,
		 u64 a7, struct arm_smccc_res *res);

#define __smc_args8(f, a1, a2, a3, a4, a5, a6, a7, res, ...)	\
	harness_smc((f), (a1), (a2), (a3), (a4), (a5), (a6), (a7), (res))
#define arm_smccc_1_1_smc(f, ...)	\
	__smc_args8(f, __VA_ARGS__, 0, 0, 0, 0, 0, 0, 0, NULL)

#endif
