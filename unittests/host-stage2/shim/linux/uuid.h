/* SPDX-License-Identifier: GPL-2.0 */
/* The UUID type of linux/arm_ffa.h. */
#ifndef __SHIM_LINUX_UUID_H__
#define __SHIM_LINUX_UUID_H__

#include <linux/types.h>

typedef struct {
	__u8 b[16];
} uuid_t;

#endif
