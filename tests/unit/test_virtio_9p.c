/* The virtio-9p device itself, as 9pnet_virtio probes it: the feature and
 * the mount tag in the configuration space, chains that cannot carry a 9P
 * request, a driver reset, and a corrupt queue. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/p9_client.h"
#include "tests/unit/suites.h"

static void setup(void)
{
	p9c_start(false, P9_MAX_FIDS);
}

static void teardown(void)
{
	p9c_stop();
}

static uint32_t rd(uint64_t off, unsigned len)
{
	uint32_t v = 0;

	virtio_mmio_read(p9c_transport(), off, &v, len);
	return v;
}

START_TEST(mount_tag_feature_and_config)
{
	char tag[8] = { 0 };

	virtio_mmio_write(p9c_transport(), VIRTIO_MMIO_DEVICE_FEATURES_SEL, &(uint32_t){ 0 }, 4);
	ck_assert_uint_ne(rd(VIRTIO_MMIO_DEVICE_FEATURES, 4) & (1U << VIRTIO_9P_MOUNT_TAG), 0);
	ck_assert(virtio_mmio_has_feature(p9c_transport(), VIRTIO_9P_MOUNT_TAG));
	/* virtio_cread: tag_len as 16 bits, the tag a byte at a time. */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_CONFIG, 2), strlen(P9C_TAG));
	for (unsigned i = 0; i < strlen(P9C_TAG); i++)
		tag[i] = (char)rd(VIRTIO_MMIO_CONFIG + 2 + i, 1);
	ck_assert_str_eq(tag, P9C_TAG);
	/* Past the configuration space: zero. */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_CONFIG + 2 + VIRTIO_9P_TAG_MAX, 1), 0);
}
END_TEST

START_TEST(tag_limits)
{
	struct virtio_9p d;
	struct virtio_mmio t;
	char tag[VIRTIO_9P_TAG_MAX + 2];
	int fd = open("/tmp", O_PATH | O_DIRECTORY);

	memset(tag, 't', sizeof(tag));
	tag[VIRTIO_9P_TAG_MAX + 1] = '\0';
	ck_assert_int_eq(virtio_9p_init(&d, fd, false, tag, &t, NULL), -ENAMETOOLONG);
	virtio_9p_destroy(&d);
	fd = open("/tmp", O_PATH | O_DIRECTORY);
	tag[VIRTIO_9P_TAG_MAX] = '\0';
	ck_assert_int_eq(virtio_9p_init(&d, fd, false, tag, &t, NULL), 0);
	ck_assert_uint_eq(d.config.tag_len, VIRTIO_9P_TAG_MAX);
	virtio_9p_destroy(&d);
	fd = open("/etc/passwd", O_PATH);
	ck_assert_int_eq(virtio_9p_init(&d, fd, false, "x", &t, NULL), -ENOTDIR);
	virtio_9p_destroy(&d);
}
END_TEST

START_TEST(chains_without_room_come_back_empty)
{
	p9c_begin(P9_TCLUNK);
	p9c_u32(P9C_ROOT);
	/* No writable buffer at all, and one too small for an Rlerror. */
	ck_assert_uint_eq(p9c_send_room(0), 0);
	ck_assert_uint_eq(p9c_send_room(10), 0);
	/* And the device goes on: the root is still there. */
	ck_assert_uint_eq(p9c_clunk(P9C_ROOT), 0);
	ck_assert(virtio_mmio_driver_ok(p9c_transport()));
}
END_TEST

START_TEST(reset_ends_the_session)
{
	struct p9_qid q;
	uint32_t mode;
	uint64_t size;

	virtio_mmio_write(p9c_transport(), VIRTIO_MMIO_STATUS, &(uint32_t){ 0 }, 4);
	ck_assert_uint_eq(p9c_device()->server.fids.used, 0);
	p9c_probe();
	ck_assert_uint_eq(p9c_getattr(P9C_ROOT, &q, &mode, &size), EBADF);
}
END_TEST

START_TEST(corrupt_queue_needs_reset)
{
	struct virtq *q = &p9c_transport()->vq[0];

	q->last_avail_idx = (uint16_t)(q->last_avail_idx + 1000); /* ring "ahead" by garbage */
	p9c_begin(P9_TCLUNK);
	p9c_u32(P9C_ROOT);
	uint32_t one = 0;
	virtio_mmio_write(p9c_transport(), VIRTIO_MMIO_QUEUE_NOTIFY, &one, 4);
	ck_assert_uint_ne(rd(VIRTIO_MMIO_STATUS, 4) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
}
END_TEST

Suite *virtio_9p_suite(void)
{
	Suite *s = suite_create("virtio_9p");
	TCase *tc = tcase_create("device");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mount_tag_feature_and_config);
	tcase_add_test(tc, tag_limits);
	tcase_add_test(tc, chains_without_room_come_back_empty);
	tcase_add_test(tc, reset_ends_the_session);
	tcase_add_test(tc, corrupt_queue_needs_reset);
	suite_add_tcase(s, tc);
	return s;
}
