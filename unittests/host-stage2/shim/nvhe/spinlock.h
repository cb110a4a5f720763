/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hypervisor's spinlock, for userspace. A test may run another "CPU"
 * at a chosen point: harness_lock_hook runs before each acquisition, so
 * that what another CPU does without the lock (a DMA map) lands between
 * two critical sections of the code under test. A thread that waits gives
 * up its CPU, as the threads that stand for CPUs outnumber the host's.
 */
#ifndef __SHIM_NVHE_SPINLOCK_H__
#define __SHIM_NVHE_SPINLOCK_H__

#include <sched.h>
#include <stdbool.h>
#include <linux/bug.h>

typedef struct {
	bool locked;
} hyp_spinlock_t;

extern void (*harness_lock_hook)(hyp_spinlock_t *lock);

#define __HYP_SPIN_LOCK_UNLOCKED	((hyp_spinlock_t){ .locked = false })
#define hyp_spin_lock_init(l)	((l)->locked = false)
#define DEFINE_HYP_SPINLOCK(x)	hyp_spinlock_t x = { .locked = false }

static inline void hyp_spin_lock(hyp_spinlock_t *l)
{
	if (harness_lock_hook)
		harness_lock_hook(l);
	while (__atomic_test_and_set(&l->locked, __ATOMIC_ACQUIRE))
		sched_yield();
}

static inline void hyp_spin_unlock(hyp_spinlock_t *l)
{
	__atomic_clear(&l->locked, __ATOMIC_RELEASE);
}

static inline void hyp_assert_lock_held(hyp_spinlock_t *l)
{
	BUG_ON(!__atomic_load_n(&l->locked, __ATOMIC_RELAXED));
}

#endif
