/* SPDX-License-Identifier: GPL-2.0 */
/* linux/arm_ffa.h names struct module; the hypervisor has none. */
#ifndef __SHIM_LINUX_MODULE_H__
#define __SHIM_LINUX_MODULE_H__

struct module;

#endif
