/* SPDX-License-Identifier: GPL-2.0 */
/* tools/include's min/max helpers, as the kernel's linux/minmax.h has them. */
#include <linux/kernel.h>
