/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/atomic.h for the code under test, on the compiler's atomic
 * builtins with the kernel's ordering: plain reads and writes are relaxed,
 * value-returning read-modify-writes fully ordered, those that return
 * nothing relaxed, and each _relaxed, _acquire and _release variant of
 * that order, so that a weaker order in the code is a weaker order here.
 * tools/include has inline assembly here, which ThreadSanitizer cannot
 * see.
 */
#ifndef __SHIM_LINUX_ATOMIC_H__
#define __SHIM_LINUX_ATOMIC_H__

#include <stdbool.h>
#include <linux/types.h>

#define ATOMIC_INIT(i)	{ (i) }

/*
 * Called after every read or read-modify-write of an atomic, when set: the
 * races make it give up the CPU now and then, so that other threads run
 * between a read and the write that depends on it, as interrupts and
 * other CPUs do.
 */
extern void (*harness_preempt)(void);

/* After a read-modify-write, as after a read: another CPU may run. */
static inline int __harness_after_rmw(int ret)
{
	if (harness_preempt)
		harness_preempt();
	return ret;
}

static inline int atomic_read(const atomic_t *v)
{
	int i = __atomic_load_n(&v->counter, __ATOMIC_RELAXED);

	if (harness_preempt)
		harness_preempt();
	return i;
}

static inline void atomic_set(atomic_t *v, int i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic_add(int i, atomic_t *v)
{
	__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic_inc(atomic_t *v)
{
	__atomic_fetch_add(&v->counter, 1, __ATOMIC_RELAXED);
}

static inline int atomic_inc_return(atomic_t *v)
{
	return __harness_after_rmw(__atomic_add_fetch(&v->counter, 1, __ATOMIC_SEQ_CST));
}

static inline void atomic_dec(atomic_t *v)
{
	__atomic_fetch_sub(&v->counter, 1, __ATOMIC_RELAXED);
}

static inline bool atomic_dec_and_test(atomic_t *v)
{
	return __harness_after_rmw(__atomic_sub_fetch(&v->counter, 1, __ATOMIC_SEQ_CST)) == 0;
}

static inline int atomic_cmpxchg(atomic_t *v, int old, int new)
{
	__atomic_compare_exchange_n(&v->counter, &old, new, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	return __harness_after_rmw(old);
}

typedef struct {
	s64 counter;
} atomic64_t;

static inline s64 atomic64_read(const atomic64_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline void atomic64_add(s64 i, atomic64_t *v)
{
	__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic64_sub(s64 i, atomic64_t *v)
{
	__atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED);
}

static inline bool atomic_try_cmpxchg(atomic_t *v, int *old, int new)
{
	return __harness_after_rmw(__atomic_compare_exchange_n(&v->counter, old, new, false,
							       __ATOMIC_SEQ_CST,
							       __ATOMIC_SEQ_CST));
}

static inline int atomic_fetch_or(int i, atomic_t *v)
{
	return __harness_after_rmw(__atomic_fetch_or(&v->counter, i, __ATOMIC_SEQ_CST));
}

static inline void atomic_or(int i, atomic_t *v)
{
	__atomic_fetch_or(&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic_andnot(int i, atomic_t *v)
{
	__atomic_fetch_and(&v->counter, ~i, __ATOMIC_RELAXED);
}

/* Decrements unless that would go below zero; returns the old value minus one. */
static inline int atomic_dec_if_positive(atomic_t *v)
{
	int old = atomic_read(v);

	do {
		if (old <= 0)
			break;
	} while (!__atomic_compare_exchange_n(&v->counter, &old, old - 1, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	return old - 1;
}

/* The ordered variants, for the operations the code uses */
static inline int atomic_read_acquire(const atomic_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE);
}

static inline void atomic_set_release(atomic_t *v, int i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELEASE);
}

#define __HARNESS_ATOMIC_ORDERS(name, op)				\
static inline int atomic_##name##_relaxed(int i, atomic_t *v)		\
{									\
	return op(&v->counter, i, __ATOMIC_RELAXED);			\
}									\
static inline int atomic_##name##_acquire(int i, atomic_t *v)		\
{									\
	return op(&v->counter, i, __ATOMIC_ACQUIRE);			\
}									\
static inline int atomic_##name##_release(int i, atomic_t *v)		\
{									\
	return op(&v->counter, i, __ATOMIC_RELEASE);			\
}
__HARNESS_ATOMIC_ORDERS(add_return, __atomic_add_fetch)
__HARNESS_ATOMIC_ORDERS(sub_return, __atomic_sub_fetch)
__HARNESS_ATOMIC_ORDERS(fetch_add, __atomic_fetch_add)
__HARNESS_ATOMIC_ORDERS(fetch_or, __atomic_fetch_or)
#define atomic_inc_return_relaxed(v)	atomic_add_return_relaxed(1, (v))
#define atomic_inc_return_acquire(v)	atomic_add_return_acquire(1, (v))
#define atomic_inc_return_release(v)	atomic_add_return_release(1, (v))
#define atomic_dec_return_relaxed(v)	atomic_sub_return_relaxed(1, (v))
#define atomic_dec_return_acquire(v)	atomic_sub_return_acquire(1, (v))
#define atomic_dec_return_release(v)	atomic_sub_return_release(1, (v))

#define __HARNESS_CMPXCHG_ORDER(suffix, order)				\
static inline int atomic_cmpxchg##suffix(atomic_t *v, int old, int new)	\
{									\
	__atomic_compare_exchange_n(&v->counter, &old, new, false, order,	\
				    __ATOMIC_RELAXED);			\
	return old;							\
}									\
static inline bool atomic_try_cmpxchg##suffix(atomic_t *v, int *old, int new) \
{									\
	return __atomic_compare_exchange_n(&v->counter, old, new, false, order, \
					   __ATOMIC_RELAXED);		\
}
__HARNESS_CMPXCHG_ORDER(_relaxed, __ATOMIC_RELAXED)
__HARNESS_CMPXCHG_ORDER(_acquire, __ATOMIC_ACQUIRE)
__HARNESS_CMPXCHG_ORDER(_release, __ATOMIC_RELEASE)

/* cmpxchg() on a scalar: returns the old value, fully ordered. */
#undef cmpxchg
#define cmpxchg(ptr, old, new) ({					\
	__typeof__(*(ptr)) __old = (old);				\
	__atomic_compare_exchange_n((ptr), &__old, (new), false,	\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);	\
	if (harness_preempt)						\
		harness_preempt();					\
	__old;								\
})

#define __harness_cmpxchg(ptr, old, new, order) ({			\
	__typeof__(*(ptr)) __old = (old);				\
	__atomic_compare_exchange_n((ptr), &__old, (new), false,	\
				    (order), __ATOMIC_RELAXED);		\
	__old;								\
})
#define cmpxchg_relaxed(ptr, old, new)	__harness_cmpxchg(ptr, old, new, __ATOMIC_RELAXED)
#define cmpxchg_acquire(ptr, old, new)	__harness_cmpxchg(ptr, old, new, __ATOMIC_ACQUIRE)
#define cmpxchg_release(ptr, old, new)	__harness_cmpxchg(ptr, old, new, __ATOMIC_RELEASE)

#endif
