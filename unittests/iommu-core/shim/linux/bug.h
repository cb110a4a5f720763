/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/bug.h for the hypervisor code under test. At EL2 a WARN is as fatal
 * as a BUG: the hypervisor panics. Here both abort, so that a host-reachable
 * WARN_ON() fails the test that reaches it instead of printing a line.
 */
#ifndef __SHIM_LINUX_BUG_H__
#define __SHIM_LINUX_BUG_H__

#include <stdio.h>
#include <stdlib.h>
#include <asm/bug.h>
#include <linux/build_bug.h>

#undef WARN_ON
#undef WARN_ON_ONCE
#undef BUG_ON
#undef BUG

#define __HYP_FATAL(what)						\
	do {								\
		fprintf(stderr, "%s:%d: %s: fatal at EL2\n", __FILE__,	\
			__LINE__, what);				\
		abort();						\
	} while (0)

#define WARN_ON(cond) ({						\
	int __ret = !!(cond);						\
	if (__ret)							\
		__HYP_FATAL("WARN_ON(" #cond ")");			\
	__ret;								\
})
#define WARN_ON_ONCE(cond)	WARN_ON(cond)
#define BUG_ON(cond)		((void)WARN_ON(cond))
#define BUG()			__HYP_FATAL("BUG()")

#endif
