/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's barriers for the code under test, on C11 atomics, so that
 * ThreadSanitizer sees each with the order the kernel gives it (tools/
 * include has inline assembly, which it cannot see):
 *  - smp_store_release() and smp_load_acquire(): a release store and an
 *    acquire load;
 *  - mb(), rmb(), dma_mb(), smp_mb(), smp_rmb(), smp_wmb(): fences of
 *    that order (dma_mb() orders accesses to memory a device shares as mb());
 *    ThreadSanitizer does not take fences, so under it each is a
 *    read-modify-write of one word shared by all threads, with the fence's
 *    order: it sees them, and as stronger than they are (any two of them
 *    are ordered), never weaker;
 *  - wmb(): a DSB on arm64, which makes the writes this CPU made or
 *    observed before it visible to devices. It is a release
 *    read-modify-write of one word that the fake devices read with acquire
 *    (harness_device_observe()) before they read memory the CPUs wrote for
 *    them: a write no wmb() ordered before a doorbell is a race.
 */
#ifndef __SHIM_ASM_BARRIER_H__
#define __SHIM_ASM_BARRIER_H__

extern unsigned long harness_device_order;

#ifdef __SANITIZE_THREAD__
extern int harness_fence_word;
#define __harness_fence(order)	((void)__atomic_fetch_add(&harness_fence_word, 0, (order)))
#else
#define __harness_fence(order)	__atomic_thread_fence(order)
#endif

#define mb()		__harness_fence(__ATOMIC_SEQ_CST)
#define dma_mb()	mb()
#define rmb()		__harness_fence(__ATOMIC_ACQUIRE)
#define wmb()		((void)__atomic_fetch_add(&harness_device_order, 1, __ATOMIC_RELEASE))
#define smp_mb()	mb()
#define smp_rmb()	__harness_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()	__harness_fence(__ATOMIC_RELEASE)

#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)

/* A fake device, before it reads what the CPUs wrote for it. */
static inline void harness_device_observe(void)
{
	(void)__atomic_load_n(&harness_device_order, __ATOMIC_ACQUIRE);
}

#endif
