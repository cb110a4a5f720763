// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's own ownership transitions while a device DMAs. Creating a VM and
 * running its vCPU donates host pages to the hypervisor (the VM's and the
 * vCPU's state at EL2, its stage-2 root) and shares others with it; the
 * VM's teardown gives them back. Each transition that takes pages from the
 * host claims them first, which in the identity domain takes them out of
 * the SMMU's table, splitting its blocks, before they change owner; pages
 * that come back are mapped again.
 *
 * The VM runs four instructions: a store to an address outside its memory,
 * which KVM hands to userspace as an MMIO exit. NVMe DMA round-trips before
 * the VM, while it exists and after its teardown. In a boot whose NVMe
 * group is the identity domain, no DMA makes a map hypercall, and what the
 * identity domain splits comes from its reserve: its table and reserve
 * pages add up to the same count throughout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "../kselftest_harness.h"
#include "pkvm_smmu.h"

#define SPAN		(256 * 1024)
#define OFFSET		(64 * SPAN)
#define GUEST_BASE	0x80000000ULL
#define GUEST_SIZE	0x10000UL
/* Outside every memslot: a store there is an MMIO exit. */
#define GUEST_MMIO	0x1000ULL
#define GUEST_DATA	0x42ULL

/* movz x1, #0x1000; movz x0, #0x42; str x0, [x1]; b . */
static const uint32_t guest_code[] = {
	0xd2820001, 0xd2800840, 0xf9000020, 0x14000000,
};

struct vm {
	int kvm, vm, vcpu;
	void *mem;
	struct kvm_run *run;
	size_t run_size;
};

static long identity_pages(void)
{
	return hyp_stat("identity_table_pages") + hyp_stat("identity_reserve_pages");
}

static int vm_create(struct vm *v)
{
	struct kvm_userspace_memory_region region = {
		.guest_phys_addr = GUEST_BASE,
		.memory_size = GUEST_SIZE,
	};
	struct kvm_vcpu_init init;
	uint64_t pc = GUEST_BASE;
	struct kvm_one_reg reg = {
		.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
		      KVM_REG_ARM_CORE_REG(regs.pc),
		.addr = (uintptr_t)&pc,
	};
	int size;

	v->kvm = open("/dev/kvm", O_RDWR);
	if (v->kvm < 0)
		return -1;
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		return -1;
	v->mem = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (v->mem == MAP_FAILED)
		return -1;
	memcpy(v->mem, guest_code, sizeof(guest_code));
	region.userspace_addr = (uintptr_t)v->mem;
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region))
		return -1;
	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0 || ioctl(v->vm, KVM_ARM_PREFERRED_TARGET, &init) ||
	    ioctl(v->vcpu, KVM_ARM_VCPU_INIT, &init) || ioctl(v->vcpu, KVM_SET_ONE_REG, &reg))
		return -1;
	size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		return -1;
	v->run_size = size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	return v->run == MAP_FAILED ? -1 : 0;
}

/* Close every file of the VM: its last reference goes, and KVM tears it down. */
static void vm_destroy(struct vm *v)
{
	if (v->run && v->run != MAP_FAILED)
		munmap(v->run, v->run_size);
	if (v->mem && v->mem != MAP_FAILED)
		munmap(v->mem, GUEST_SIZE);
	if (v->vcpu > 0)
		close(v->vcpu);
	if (v->vm > 0)
		close(v->vm);
	if (v->kvm > 0)
		close(v->kvm);
	memset(v, 0, sizeof(*v));
}

FIXTURE(kvm) {
	char bdf[NAME_MAX + 1];
	bool identity;
	long identity_base;
	long reserve_base;
	long maps;
	struct vm vm;
};

FIXTURE_SETUP(kvm)
{
	if (access(STATS, F_OK))
		SKIP(return, "no %s: the pKVM IOMMU driver is not running", STATS);
	if (access("/dev/kvm", F_OK))
		SKIP(return, "no /dev/kvm");
	ASSERT_TRUE(find_nvme(self->bdf, sizeof(self->bdf))) TH_LOG("no NVMe device");
	self->identity = pci_dev_identity(self->bdf);
	self->identity_base = identity_pages();
	self->reserve_base = hyp_stat("identity_reserve_pages");
	self->maps = map_hypercalls();
	ASSERT_EQ(0, nvme_roundtrip(0x31, SPAN, OFFSET)) TH_LOG("DMA before the VM");
}

FIXTURE_TEARDOWN(kvm)
{
	vm_destroy(&self->vm);
}

TEST_F(kvm, vm_lifetime_while_dma)
{
	struct vm *v = &self->vm;
	uint64_t data;

	ASSERT_EQ(0, vm_create(v)) TH_LOG("cannot create a VM: %s", strerror(errno));
	/* The first run creates the VM and its vCPU at EL2. */
	ASSERT_EQ(0, ioctl(v->vcpu, KVM_RUN, 0)) TH_LOG("KVM_RUN: %s", strerror(errno));
	ASSERT_EQ(KVM_EXIT_MMIO, v->run->exit_reason)
		TH_LOG("exit reason %u", v->run->exit_reason);
	memcpy(&data, v->run->mmio.data, sizeof(data));
	EXPECT_EQ(GUEST_MMIO, v->run->mmio.phys_addr);
	EXPECT_TRUE(v->run->mmio.is_write && v->run->mmio.len == 8 && data == GUEST_DATA)
		TH_LOG("the guest's store arrived as %u bytes of %#llx", v->run->mmio.len,
		       (unsigned long long)data);
	EXPECT_EQ(0, nvme_roundtrip(0x32, SPAN, OFFSET + SPAN)) TH_LOG("DMA while the VM exists");
	if (self->identity) {
		EXPECT_EQ(self->identity_base, identity_pages())
			TH_LOG("the identity domain's pages changed from %ld to %ld",
			       self->identity_base, identity_pages());
		ksft_print_msg("the VM's transitions split %ld blocks of the identity domain\n",
			       self->reserve_base - hyp_stat("identity_reserve_pages"));
	}

	vm_destroy(v);
	EXPECT_EQ(0, nvme_roundtrip(0x33, SPAN, OFFSET + 2 * SPAN)) TH_LOG("DMA after the VM");
	if (self->identity) {
		EXPECT_EQ(self->maps, map_hypercalls())
			TH_LOG("DMA in the identity domain was mapped");
		EXPECT_EQ(self->identity_base, identity_pages());
		ksft_print_msg("identity domain: %ld table pages, %ld in reserve\n",
			       hyp_stat("identity_table_pages"),
			       hyp_stat("identity_reserve_pages"));
	}
}

TEST_HARNESS_MAIN
