/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/compiler.h for the code under test: READ_ONCE() and WRITE_ONCE()
 * as atomics, so that ThreadSanitizer sees them race with cmpxchg() as the
 * hardware allows. WRITE_ONCE() is a relaxed store. READ_ONCE() is a
 * relaxed load that orders the accesses whose address depends on the
 * value read (a walker that reads a table entry, then the table it points
 * to), which C11 spells consume; compilers, and ThreadSanitizer, take it
 * as acquire, so a READ_ONCE() where smp_load_acquire() is needed for an
 * access that does not depend on the value is not seen here.
 */
#ifndef __SHIM_LINUX_COMPILER_H__
#define __SHIM_LINUX_COMPILER_H__

#include_next <linux/compiler.h>

#undef READ_ONCE
#undef WRITE_ONCE
#ifdef HARNESS_PREEMPT_AT_READ_ONCE
/* A suite whose races turn on a read and the cmpxchg() after it: another CPU may run. */
extern void (*harness_preempt)(void);
#define READ_ONCE(x) ({							\
	__typeof__(x) __r = __atomic_load_n(&(x), __ATOMIC_CONSUME);	\
	if (harness_preempt)						\
		harness_preempt();					\
	__r;								\
})
#else
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_CONSUME)
#endif
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

/* The kernel's zeroing of stack variables, which this attribute turns off, is not here. */
#ifndef __uninitialized
#define __uninitialized
#endif

#endif
