/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tools/include's, with the IOMMU harness's READ_ONCE() and WRITE_ONCE()
 * on C11 atomics, which ThreadSanitizer sees.
 */
#ifndef __SHIM_HOST_STAGE2_COMPILER_H__
#define __SHIM_HOST_STAGE2_COMPILER_H__

#include_next <linux/compiler.h>
#include "../../../iommu-core/shim/linux/compiler.h"

#endif
