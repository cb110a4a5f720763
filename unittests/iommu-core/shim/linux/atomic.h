/* SPDX-License-Identifier: GPL-2.0 */
/* tools/include's linux/atomic.h, plus what the code under test uses beyond it. */
#ifndef __SHIM_LINUX_ATOMIC_H__
#define __SHIM_LINUX_ATOMIC_H__

#include_next <linux/atomic.h>

static inline void atomic_dec(atomic_t *v)
{
	__atomic_fetch_sub(&v->counter, 1, __ATOMIC_SEQ_CST);
}

/* Decrements unless that would go below zero; returns the old value minus one. */
static inline int atomic_dec_if_positive(atomic_t *v)
{
	int old = __atomic_load_n(&v->counter, __ATOMIC_RELAXED);

	do {
		if (old <= 0)
			break;
	} while (!__atomic_compare_exchange_n(&v->counter, &old, old - 1, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	return old - 1;
}

#endif
