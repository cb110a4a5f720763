// SPDX-License-Identifier: GPL-2.0
/*
 * What one compare-and-swap costs next to one plain store, for make bench:
 * the hypervisor sets each I/O page table entry and each page's DMA count
 * with a fully ordered cmpxchg (an LSE CASAL, as the kernel patches its
 * atomics in on CPUs that have them), where the stock io-pgtable stores.
 * Under TCG the difference is that of a helper call against inline code,
 * which on hardware it is not; this measures it on the CPU that runs the
 * benchmark.
 *
 *   casrate [ITERATIONS]
 *
 * Prints "casrate store_ns=N cas_ns=N", each per operation, over
 * ITERATIONS operations (default 10000000) spread over a 4KiB table.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ENTRIES	512

static uint64_t table[ENTRIES];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 10000000;
	volatile uint64_t *entry = table;
	uint64_t t0, t1, t2, old;
	unsigned long i;

	if (!n)
		return 2;
	t0 = now_ns();
	for (i = 0; i < n; i++)
		entry[i % ENTRIES] = i;
	t1 = now_ns();
	for (i = 0; i < n; i++) {
		old = table[i % ENTRIES];
		if (!__atomic_compare_exchange_n(&table[i % ENTRIES], &old, i, 0,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return 1;
	}
	t2 = now_ns();
	printf("casrate store_ns=%.2f cas_ns=%.2f\n", (double)(t1 - t0) / n,
	       (double)(t2 - t1) / n);
	return 0;
}
