#include "src/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "src/log.h"

int kvm_ioctl_named(int fd, unsigned long req, const char *name, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		r = -errno;
		mr_err("%s failed: %s", name, strerror(errno));
	}
	return r;
}

static int open_dev(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	int e = errno;
	if (e == ENOENT)
		mr_err("/dev/kvm does not exist: load the KVM module (modprobe kvm_intel "
		       "or kvm_amd) and enable virtualization in the firmware or hypervisor");
	else if (e == EACCES || e == EPERM)
		mr_err("no permission to open /dev/kvm: add yourself to its group "
		       "(usually: sudo usermod -aG kvm $USER, then log in again)");
	else
		mr_err("cannot open /dev/kvm: %s", strerror(e));
	return -e;
}

static int check_caps(int fd, const struct kvm_cap_need *caps, size_t ncaps)
{
	for (size_t i = 0; i < ncaps; i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0) {
			mr_err("/dev/kvm lacks %s, which microrun needs: update the host kernel",
			       caps[i].name);
			return -ENOTSUP;
		}
	}
	return 0;
}

static int check_api(int fd)
{
	int v = ioctl(fd, KVM_GET_API_VERSION, 0);

	if (v != KVM_API_VERSION) {
		mr_err("/dev/kvm speaks API version %d, microrun needs %d", v, KVM_API_VERSION);
		return -ENOTSUP;
	}
	return 0;
}

int kvm_open(struct kvm *k, const struct kvm_cap_need *caps, size_t ncaps)
{
	int r;

	k->vm_fd = -1;
	k->dev_fd = open_dev();
	if (k->dev_fd < 0)
		return k->dev_fd;
	if ((r = check_api(k->dev_fd)) || (r = check_caps(k->dev_fd, caps, ncaps)))
		return r;
	r = kvm_ioctl(k->dev_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r < 0)
		return r;
	k->run_size = (size_t)r;
	return 0;
}

int kvm_create_vm(struct kvm *k)
{
	k->vm_fd = kvm_ioctl(k->dev_fd, KVM_CREATE_VM, 0);
	return k->vm_fd < 0 ? k->vm_fd : 0;
}

void kvm_close(struct kvm *k)
{
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->dev_fd >= 0)
		close(k->dev_fd);
	k->vm_fd = k->dev_fd = -1;
}

int kvm_map_memory(struct kvm *k, const struct guest_mem *m)
{
	for (unsigned i = 0; i < m->nranges; i++) {
		struct kvm_userspace_memory_region region = {
			.slot = i,
			.guest_phys_addr = m->ranges[i].gpa,
			.memory_size = m->ranges[i].size,
			.userspace_addr = (uintptr_t)m->ranges[i].host,
		};
		int r = kvm_ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
		if (r)
			return r;
	}
	return 0;
}

int kvm_create_vcpu(struct kvm *k, unsigned id, struct kvm_run **run)
{
	int fd = kvm_ioctl(k->vm_fd, KVM_CREATE_VCPU, id);

	if (fd < 0)
		return fd;
	void *p = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		mr_err("cannot map vCPU %u's run area: %s", id, strerror(errno));
		close(fd);
		return -errno;
	}
	*run = p;
	return fd;
}

int kvm_max_vcpus(const struct kvm *k)
{
	int n = ioctl(k->dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	return n > 0 ? n : ioctl(k->dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
}
