/* SPDX-License-Identifier: GPL-2.0 */
/* What asm/stage2_pgtable.h needs of linux/pgtable.h: levels for a 4KiB granule. */
#ifndef __SHIM_LINUX_PGTABLE_H__
#define __SHIM_LINUX_PGTABLE_H__

#define ARM64_HW_PGTABLE_LEVELS(va_bits)	(((va_bits) - 4) / (PAGE_SHIFT - 3))

#endif
