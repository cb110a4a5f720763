/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel's linux/bug.h provides, from tools/include: WARN_ON()
 * lives in its asm/bug.h there.
 */
#include <asm/bug.h>
#include <linux/build_bug.h>
