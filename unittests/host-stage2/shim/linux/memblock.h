/* SPDX-License-Identifier: GPL-2.0 */
/* The memory regions the hypervisor knows: base and size, nothing else. */
#ifndef __SHIM_LINUX_MEMBLOCK_H__
#define __SHIM_LINUX_MEMBLOCK_H__

#include <linux/types.h>

struct memblock_region {
	phys_addr_t base;
	phys_addr_t size;
	unsigned long flags;
};

#define MEMBLOCK_NOMAP		0x4

#endif
