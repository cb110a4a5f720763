/* SPDX-License-Identifier: GPL-2.0 */
/* The IOMMU harness's: the kernel's orders on C11 atomics, WARN fatal. */
#include "../../../iommu-core/shim/linux/limits.h"
