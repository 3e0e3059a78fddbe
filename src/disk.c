#include "src/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/log.h"

static int size_of(int fd, const struct stat *st, uint64_t *size)
{
	if (S_ISREG(st->st_mode)) {
		*size = (uint64_t)st->st_size;
		return 0;
	}
	if (S_ISBLK(st->st_mode))
		return ioctl(fd, BLKGETSIZE64, size) ? -errno : 0;
	return -EINVAL;
}

/* Shared for a read-only disk, exclusive for a writable one: another
 * microrun (or QEMU, which takes the same kind of lock) using the image
 * for writing is refused rather than left to corrupt it. */
static int lock(int fd, bool read_only)
{
	return flock(fd, (read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) ? -errno : 0;
}

static int fail(int fd, int err, const char *path, const char *what)
{
	mr_err("disk %s: %s", path, what ? what : strerror(-err));
	close(fd);
	return err;
}

int disk_open(const struct mr_disk *disk, struct virtio_blk_backend *backend)
{
	struct stat st;
	int fd = open(disk->path, (disk->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);

	if (fd < 0) {
		mr_err("cannot open disk %s: %s%s", disk->path, strerror(errno),
		       errno == EACCES || errno == EROFS ? " (add ,ro to use it read-only)" : "");
		return -errno;
	}
	*backend = (struct virtio_blk_backend){ .fd = fd, .read_only = disk->read_only };
	if (fstat(fd, &st))
		return fail(fd, -errno, disk->path, NULL);
	if (size_of(fd, &st, &backend->size))
		return fail(fd, -EINVAL, disk->path, "not a regular file or block device");
	if (backend->size < VIRTIO_BLK_SECTOR)
		return fail(fd, -EINVAL, disk->path, "smaller than one 512-byte sector");
	if (lock(fd, disk->read_only))
		return fail(fd, -EBUSY, disk->path, "in use by another program (locked)");
	backend->is_block_device = S_ISBLK(st.st_mode);
	memcpy(backend->serial, disk->serial, sizeof(backend->serial));
	if (backend->size % VIRTIO_BLK_SECTOR)
		mr_warn("disk %s: the last %llu bytes are not a whole sector and stay unseen",
			disk->path, (unsigned long long)(backend->size % VIRTIO_BLK_SECTOR));
	return 0;
}
