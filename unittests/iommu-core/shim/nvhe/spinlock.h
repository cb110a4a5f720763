/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the hypervisor's spinlock. */
#ifndef __SHIM_NVHE_SPINLOCK_H__
#define __SHIM_NVHE_SPINLOCK_H__

#include <stdbool.h>

/* The races' scheduler: a CPU spinning on a lock lets another run. */
extern void (*harness_preempt)(void);

typedef struct {
	bool locked;
} hyp_spinlock_t;

#define hyp_spin_lock_init(l)	((l)->locked = false)
#define DEFINE_HYP_SPINLOCK(x)	hyp_spinlock_t x = { .locked = false }

static inline void hyp_spin_lock(hyp_spinlock_t *l)
{
	while (__atomic_test_and_set(&l->locked, __ATOMIC_ACQUIRE))
		if (harness_preempt)
			harness_preempt();
}

static inline void hyp_spin_unlock(hyp_spinlock_t *l)
{
	__atomic_clear(&l->locked, __ATOMIC_RELEASE);
}

#endif
