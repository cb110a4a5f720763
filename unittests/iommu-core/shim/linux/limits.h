/* SPDX-License-Identifier: GPL-2.0 */
/* The part of the kernel's linux/limits.h that the code under test uses. */
#ifndef __SHIM_LINUX_LIMITS_H__
#define __SHIM_LINUX_LIMITS_H__

#include <linux/types.h>

#define U32_MAX		((u32)~0U)
#define U64_MAX		((u64)~0ULL)
#define INT_MAX		((int)(~0U >> 1))

#endif
