// SPDX-License-Identifier: GPL-2.0
/*
 * The FF-A proxy (ffa.c as the series leaves it), with one caller of its
 * unshare of a transaction's ranges, which the tests reach otherwise only
 * behind a check that trusts the SPMD.
 */
#include <arch/arm64/kvm/hyp/nvhe/ffa.c>

int harness_ffa_unshare(struct ffa_mem_region_addr_range *ranges, u32 nranges);

int harness_ffa_unshare(struct ffa_mem_region_addr_range *ranges, u32 nranges)
{
	return ffa_host_unshare_ranges(ranges, nranges);
}
