/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/compiler.h for the code under test: READ_ONCE() and WRITE_ONCE()
 * as atomics, so that ThreadSanitizer sees them race with cmpxchg() as the
 * hardware allows. READ_ONCE() orders the accesses that depend on the
 * value read, which C11 can express only as an acquire load: a walker
 * that reads a table entry then reads the table it points to.
 */
#ifndef __SHIM_LINUX_COMPILER_H__
#define __SHIM_LINUX_COMPILER_H__

#include_next <linux/compiler.h>

#undef READ_ONCE
#undef WRITE_ONCE
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

#endif
