/* SPDX-License-Identifier: GPL-2.0 */
/* The IOMMU harness's: WARN and BUG fatal, as at EL2. */
#include <linux/kernel.h>
#include "../../../iommu-core/shim/linux/bug.h"
