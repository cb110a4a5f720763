/* SPDX-License-Identifier: GPL-2.0 */
/* The IOMMU harness's: the kernel's barriers on C11 atomics */
#include "../../../iommu-core/shim/asm/barrier.h"
