/* SPDX-License-Identifier: GPL-2.0 */
/* Everything the hypervisor code under test takes from asm/kvm_host.h. */
#include <linux/kvm_host.h>
