/* SPDX-License-Identifier: GPL-2.0 */
/* What linux/arm_ffa.h declares with devices, which the hypervisor never uses. */
#ifndef __SHIM_LINUX_DEVICE_H__
#define __SHIM_LINUX_DEVICE_H__

#include <linux/kvm_host.h>

struct device {
	void *driver_data;
};

struct device_driver {
	const char *name;
};

static inline void dev_set_drvdata(struct device *dev, void *data)
{
	dev->driver_data = data;
}

static inline void *dev_get_drvdata(const struct device *dev)
{
	return dev->driver_data;
}

#define container_of_const(ptr, type, member)	container_of(ptr, type, member)

#endif
