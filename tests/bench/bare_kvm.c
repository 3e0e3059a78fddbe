/* The least a KVM process can do: the reference the tiny-guest round trip
 * of microrun is measured against (tests/bench/run.sh).
 *
 * Opens /dev/kvm, creates a VM with one 4 KiB memory slot and one vCPU, runs
 * three instructions of real-mode code (mov al, 'A'; out 0xe9, al; hlt),
 * checks it saw the OUT then the HLT, and exits 0. Anything else exits 1.
 *
 * With --timing it closes the VM itself and prints, on stdout, what the
 * kernel's KVM alone takes to make a VM ready to run and to tear it down:
 * "kvm-create MS kvm-teardown MS" (from opening /dev/kvm to the vCPU's run
 * area mapped; from closing the vCPU to the VM's fd closed, when KVM frees
 * the VM). tests/bench/phases.sh prints them beside microrun's phases, as
 * the part of its set-up and teardown that no VMM can avoid.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define GUEST_ADDR 0x1000
#define GUEST_SIZE 0x1000

static int die(const char *what)
{
	fprintf(stderr, "bare_kvm: %s: %s\n", what, strerror(errno));
	return 1;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Each close dropping a reference, the last (the VM's fd) freeing it. */
static void teardown(int kvm, int vm, int vcpu, struct kvm_run *run, int run_size, double created)
{
	double start = now_ms();

	munmap(run, (size_t)run_size);
	close(vcpu);
	close(vm);
	close(kvm);
	printf("kvm-create %.3f kvm-teardown %.3f\n", created, now_ms() - start);
}

int main(int argc, char **argv)
{
	const int timing = argc > 1 && strcmp(argv[1], "--timing") == 0;
	const double start = now_ms();
	double created;
	static const uint8_t code[] = {
		0xb0, 'A',  /* mov al, 'A' */
		0xe6, 0xe9, /* out 0xe9, al */
		0xf4,       /* hlt */
	};
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, run_size, saw_out = 0;
	uint8_t *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return die("open /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return die("KVM_CREATE_VM");
	/* Intel without unrestricted guest needs it for real mode. */
	if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
		return die("KVM_SET_TSS_ADDR");

	mem = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return die("mmap");
	memcpy(mem, code, sizeof(code));
	memset(&region, 0, sizeof(region));
	region.guest_phys_addr = GUEST_ADDR;
	region.memory_size = GUEST_SIZE;
	region.userspace_addr = (uint64_t)(uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return die("KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return die("KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < 0)
		return die("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu, 0);
	if (run == MAP_FAILED)
		return die("mmap kvm_run");
	created = now_ms() - start;

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_ADDR;
	regs.rflags = 0x2; /* bit 1 is reserved and must be set */
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return die("KVM_SET_REGS");

	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			return die("KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			saw_out = run->io.direction == KVM_EXIT_IO_OUT &&
				  run->io.port == 0xe9 &&
				  ((uint8_t *)run)[run->io.data_offset] == 'A';
			break;
		case KVM_EXIT_HLT:
			if (!saw_out) {
				fprintf(stderr, "bare_kvm: HLT before the expected OUT\n");
				return 1;
			}
			if (timing)
				teardown(kvm, vm, vcpu, run, run_size, created);
			return 0;
		default:
			fprintf(stderr, "bare_kvm: unexpected exit reason %u\n",
				run->exit_reason);
			return 1;
		}
	}
}
