/* The virtio-mmio transport driven as Linux's virtio_mmio.c drives it:
 * probe, reset, status handshake, features, queue set-up, notify, used-buffer
 * interrupt and acknowledge; and as a careless or hostile driver would. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devices/virtio_mmio.h"
#include "src/guest_mem.h"
#include "tests/unit/suites.h"


#define RAM (16ULL << 20)
#define DESC 0x100000ULL
#define AVAIL 0x101000ULL
#define USED 0x102000ULL
#define QSIZE 16

struct fake_dev {
	unsigned notified[VIRTIO_MAX_QUEUES];
	unsigned resets;
	uint8_t config[12];
};

static struct guest_mem mem;
static struct virtio_mmio t;
static struct fake_dev dev;
static unsigned irq_changes;
static bool irq;
static unsigned reports;
static char last_report[128];
static int last_report_err;

static void fake_config_read(void *d, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, ((struct fake_dev *)d)->config + off, len);
}

static void fake_config_write(void *d, uint32_t off, const void *buf, uint32_t len)
{
	memcpy(((struct fake_dev *)d)->config + off, buf, len);
}

static void fake_notify(void *d, unsigned q)
{
	((struct fake_dev *)d)->notified[q]++;
}

static void fake_reset(void *d)
{
	((struct fake_dev *)d)->resets++;
}

static const struct virtio_device_ops fake_ops = {
	.name = "fake", .device_id = 2, .num_queues = 2,
	.queue_max = 256, .config_size = 12, .config_read = fake_config_read,
	.config_write = fake_config_write, .queue_notify = fake_notify, .reset = fake_reset,
};

static void set_irq(void *ctx, bool level)
{
	(void)ctx;
	irq = level;
	irq_changes++;
}

static void report(void *ctx, const char *problem, int err)
{
	(void)ctx;
	reports++;
	snprintf(last_report, sizeof(last_report), "%s", problem);
	last_report_err = err;
}

static void setup(void)
{
	const struct virtio_mmio_ops ops = { .set_irq = set_irq, .report = report };

	ck_assert_int_eq(gmem_create(&mem, RAM, 3ULL << 30), 0);
	memset(&dev, 0, sizeof(dev));
	irq = false;
	irq_changes = 0;
	reports = 0;
	last_report[0] = 0;
	last_report_err = 0;
	virtio_mmio_init(&t, &fake_ops, &dev, 1ULL << 5, &ops, &mem);
}

static void teardown(void)
{
	gmem_destroy(&mem);
}

static uint32_t rd(uint64_t off)
{
	uint32_t v;
	virtio_mmio_read(&t, off, &v, 4);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_mmio_write(&t, off, &v, 4);
}

static void set_status(uint32_t bits)
{
	wr(0x070, rd(0x070) | bits);
}

static uint64_t device_features(void)
{
	wr(0x014, 0);
	uint64_t lo = rd(0x010);
	wr(0x014, 1);
	return lo | (uint64_t)rd(0x010) << 32;
}

static void driver_features(uint64_t f)
{
	wr(0x024, 0);
	wr(0x020, (uint32_t)f);
	wr(0x024, 1);
	wr(0x020, (uint32_t)(f >> 32));
}

static void setup_queue(unsigned q, uint32_t num, uint64_t desc)
{
	wr(0x030, q);
	wr(0x038, num);
	wr(0x080, (uint32_t)desc);
	wr(0x084, (uint32_t)(desc >> 32));
	wr(0x090, (uint32_t)AVAIL);
	wr(0x094, 0);
	wr(0x0a0, (uint32_t)USED);
	wr(0x0a4, 0);
	wr(0x044, 1);
}

/* Linux's virtio_mmio probe + virtio core's handshake. */
static void bring_up(uint64_t features)
{
	wr(0x070, 0);
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE);
	set_status(VIRTIO_CONFIG_S_DRIVER);
	driver_features(features);
	set_status(VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_ne(rd(0x070) & VIRTIO_CONFIG_S_FEATURES_OK, 0);
	setup_queue(0, QSIZE, DESC);
	set_status(VIRTIO_CONFIG_S_DRIVER_OK);
}

#define V1 (1ULL << VIRTIO_F_VERSION_1)

START_TEST(identity_registers)
{
	ck_assert_uint_eq(rd(0x000), 0x74726976);
	ck_assert_uint_eq(rd(0x004), 2);
	ck_assert_uint_eq(rd(0x008), 2);
	ck_assert_uint_ne(rd(0x00c), 0);
}
END_TEST

START_TEST(features_offer_device_and_transport_bits)
{
	uint64_t f = device_features();
	ck_assert_uint_eq(f, (1ULL << 5) | V1 | (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
			  (1ULL << VIRTIO_RING_F_EVENT_IDX));
	wr(0x014, 2);
	ck_assert_uint_eq(rd(0x010), 0);
}
END_TEST

START_TEST(handshake_and_notify_reach_the_device)
{
	bring_up(V1 | (1ULL << 5));
	ck_assert(virtio_mmio_driver_ok(&t));
	ck_assert(virtio_mmio_has_feature(&t, 5));
	wr(0x030, 0);
	ck_assert_uint_eq(rd(0x034), 256);
	ck_assert_uint_eq(rd(0x044), 1);
	wr(0x050, 0);
	ck_assert_uint_eq(dev.notified[0], 1);
	wr(0x050, 1); /* queue 1 never made ready */
	wr(0x050, 7); /* no such queue */
	ck_assert_uint_eq(dev.notified[1], 0);
}
END_TEST

START_TEST(features_without_version_1_are_refused)
{
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	driver_features(1ULL << 5);
	set_status(VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(rd(0x070) & VIRTIO_CONFIG_S_FEATURES_OK, 0);
	set_status(VIRTIO_CONFIG_S_DRIVER_OK);
	ck_assert(!virtio_mmio_driver_ok(&t));
}
END_TEST

START_TEST(features_not_offered_are_refused)
{
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	driver_features(V1 | (1ULL << 6));
	set_status(VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(rd(0x070) & VIRTIO_CONFIG_S_FEATURES_OK, 0);
}
END_TEST

START_TEST(features_frozen_after_features_ok)
{
	bring_up(V1);
	driver_features(V1 | (1ULL << 5));
	ck_assert(!virtio_mmio_has_feature(&t, 5));
}
END_TEST

START_TEST(notify_before_driver_ok_is_ignored)
{
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	driver_features(V1);
	set_status(VIRTIO_CONFIG_S_FEATURES_OK);
	setup_queue(0, QSIZE, DESC);
	wr(0x050, 0);
	ck_assert_uint_eq(dev.notified[0], 0);
}
END_TEST

START_TEST(status_bits_cannot_be_cleared_but_by_reset)
{
	bring_up(V1);
	wr(0x070, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	ck_assert(virtio_mmio_driver_ok(&t));
	wr(0x070, 0);
	ck_assert_uint_eq(rd(0x070), 0);
	ck_assert_uint_eq(dev.resets, 2); /* bring_up's and this one */
	wr(0x030, 0);
	ck_assert_uint_eq(rd(0x044), 0);
}
END_TEST

START_TEST(queue_setup_is_frozen_while_ready)
{
	bring_up(V1);
	wr(0x030, 0);
	wr(0x038, 4);
	wr(0x080, 0x200000);
	ck_assert_uint_eq(t.vq[0].size, QSIZE);
	ck_assert_uint_eq(t.vq[0].desc_gpa, DESC);
	wr(0x044, 0);
	ck_assert_uint_eq(rd(0x044), 0);
	ck_assert_uint_eq(t.vq[0].size, QSIZE); /* set-up kept, position forgotten */
}
END_TEST

START_TEST(bad_queue_layouts_need_reset)
{
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	driver_features(V1);
	set_status(VIRTIO_CONFIG_S_FEATURES_OK);
	setup_queue(0, 512, DESC); /* above QueueNumMax */
	ck_assert_uint_eq(rd(0x044), 0);
	ck_assert_uint_ne(rd(0x070) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert_uint_ne(rd(0x060) & VIRTIO_MMIO_INT_CONFIG, 0);
	ck_assert(irq);
	wr(0x070, 0);
	ck_assert(!irq);
	setup_queue(1, QSIZE, RAM - 8); /* descriptor table past the end of RAM */
	ck_assert_uint_eq(rd(0x044), 0);
	setup_queue(0, QSIZE, DESC + 8); /* misaligned */
	ck_assert_uint_eq(rd(0x044), 0);
}
END_TEST

/* A hostile driver must not flood stderr: one report per device until the
 * driver resets it, the first problem named. */
START_TEST(guest_errors_reported_once_per_reset)
{
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	driver_features(V1);
	set_status(VIRTIO_CONFIG_S_FEATURES_OK);
	setup_queue(0, QSIZE, DESC + 8); /* misaligned */
	ck_assert_uint_eq(reports, 1);
	ck_assert_ptr_nonnull(strstr(last_report, "QueueReady"));
	ck_assert_int_eq(last_report_err, -EINVAL);
	setup_queue(1, QSIZE, RAM - 8);
	virtio_mmio_report(&t, "malformed request failed", -EFAULT);
	ck_assert_uint_eq(reports, 1);
	wr(0x070, 0);
	virtio_mmio_report(&t, "malformed request failed", -EFAULT);
	ck_assert_uint_eq(reports, 2);
	ck_assert_str_eq(last_report, "malformed request failed");
	ck_assert_int_eq(last_report_err, -EFAULT);
	wr(0x070, 0);
	virtio_mmio_needs_reset(&t);
	ck_assert_uint_eq(reports, 3);
	ck_assert_ptr_nonnull(strstr(last_report, "corrupt virtqueue"));
}
END_TEST

/* Nor by resetting the device between its errors. */
START_TEST(guest_errors_reported_at_most_max_times)
{
	for (unsigned i = 0; i < 3 * VIRTIO_MMIO_MAX_REPORTS; i++) {
		virtio_mmio_report(&t, "malformed request failed", -EFAULT);
		wr(0x070, 0);
	}
	ck_assert_uint_eq(reports, VIRTIO_MMIO_MAX_REPORTS);
	ck_assert_uint_eq(VIRTIO_MMIO_MAX_REPORTS, 8);
}
END_TEST

/* What an ioeventfd delivers is QueueNotify's value: the same checks. */
START_TEST(notify_entry_point_checks_like_the_register)
{
	virtio_mmio_notify(&t, 0);
	ck_assert_uint_eq(dev.notified[0], 0); /* before DRIVER_OK */
	bring_up(V1);
	virtio_mmio_notify(&t, 0);
	virtio_mmio_notify(&t, 1); /* never made ready */
	virtio_mmio_notify(&t, VIRTIO_MAX_QUEUES);
	virtio_mmio_notify(&t, UINT32_MAX);
	ck_assert_uint_eq(dev.notified[0], 1);
	ck_assert_uint_eq(dev.notified[1], 0);
}
END_TEST

/* Linux's vm_cmdline_set(): "<size>@<base>:<irq>", memparse() suffixes. */
START_TEST(cmdline_param_format)
{
	char buf[64];

	ck_assert_int_eq(virtio_mmio_cmdline_param(buf, sizeof(buf), 0xd0000000, 0x1000, 16), 35);
	ck_assert_str_eq(buf, "virtio_mmio.device=4K@0xd0000000:16");
	virtio_mmio_cmdline_param(buf, sizeof(buf), 0xfeb00000000ULL, 0x2000, 23);
	ck_assert_str_eq(buf, "virtio_mmio.device=8K@0xfeb00000000:23");
}
END_TEST

START_TEST(used_buffer_interrupt_and_ack)
{
	bring_up(V1);
	/* the device pushed nothing: no interrupt */
	virtio_mmio_used(&t, 0);
	ck_assert(!irq);
	t.vq[0].used_idx = 1; /* as if one chain were pushed */
	virtio_mmio_used(&t, 0);
	ck_assert(irq);
	ck_assert_uint_eq(rd(0x060), VIRTIO_MMIO_INT_VRING);
	wr(0x064, VIRTIO_MMIO_INT_VRING);
	ck_assert(!irq);
	ck_assert_uint_eq(irq_changes, 2);
}
END_TEST

/* The race behind a dead console after a terminal resize: the driver's
 * handler reads VRING, the device then adds CONFIG, the driver acks VRING.
 * CONFIG must come as a new rising edge, and its ack must lower the line. */
START_TEST(cause_left_by_an_ack_is_a_new_edge)
{
	bring_up(V1);
	t.vq[0].used_idx = 1;
	virtio_mmio_used(&t, 0);
	uint32_t seen = rd(0x060);
	ck_assert_uint_eq(seen, VIRTIO_MMIO_INT_VRING);
	virtio_mmio_config_changed(&t);
	ck_assert_uint_eq(irq_changes, 1); /* the line was up already */
	wr(0x064, seen);
	ck_assert_uint_eq(rd(0x060), VIRTIO_MMIO_INT_CONFIG);
	ck_assert(irq);
	ck_assert_uint_eq(irq_changes, 3); /* down, then up: an edge */
	wr(0x064, 0); /* acks nothing: no edge */
	ck_assert_uint_eq(irq_changes, 3);
	wr(0x064, VIRTIO_MMIO_INT_CONFIG);
	ck_assert(!irq);
	ck_assert_uint_eq(irq_changes, 4);
}
END_TEST

START_TEST(config_space_bounds_and_sizes)
{
	uint8_t b[8];
	uint64_t v = 0x1122334455667788ULL;

	virtio_mmio_write(&t, 0x100, &v, 8);
	virtio_mmio_read(&t, 0x100, b, 8);
	ck_assert_mem_eq(b, &v, 8);
	virtio_mmio_read(&t, 0x100 + 10, b, 2);
	memset(b, 0xaa, sizeof(b));
	virtio_mmio_read(&t, 0x100 + 10, b, 4); /* crosses the end */
	ck_assert_uint_eq(b[0] | b[1] | b[2] | b[3], 0);
	virtio_mmio_read(&t, 0x100 + 4, b, 3); /* odd size */
	ck_assert_uint_eq(b[0] | b[1] | b[2], 0);
	virtio_mmio_write(&t, 0x100 + 12, &v, 1);
	virtio_mmio_write(&t, UINT64_MAX - 1, &v, 2);
}
END_TEST

START_TEST(config_change_bumps_generation)
{
	uint32_t g = rd(0x0fc);
	virtio_mmio_config_changed(&t);
	ck_assert_uint_eq(rd(0x0fc), g + 1);
	ck_assert(!irq); /* not before DRIVER_OK */
	bring_up(V1);
	virtio_mmio_config_changed(&t);
	ck_assert_uint_eq(rd(0x060), VIRTIO_MMIO_INT_CONFIG);
}
END_TEST

START_TEST(odd_register_accesses_are_harmless)
{
	uint16_t h = 0xffff;
	uint32_t v = 0xffffffff;

	virtio_mmio_read(&t, 0x002, &v, 4);
	ck_assert_uint_eq(v, 0);
	virtio_mmio_read(&t, 0x000, &h, 2);
	ck_assert_uint_eq(h, 0);
	virtio_mmio_write(&t, 0x070, &h, 2);
	ck_assert_uint_eq(rd(0x070), 0);
	ck_assert_uint_eq(rd(0x0b0), 0xffffffff); /* no shared memory regions */
	wr(0x030, 5);
	ck_assert_uint_eq(rd(0x034), 0);
	wr(0x038, 8);
	wr(0x044, 1);
}
END_TEST

START_TEST(random_register_storm_does_not_crash)
{
	uint32_t seed = 12345;

	for (int i = 0; i < 200000; i++) {
		seed = seed * 1103515245 + 12345;
		uint64_t off = (seed >> 8) % 0x120 & ~3u;
		seed = seed * 1103515245 + 12345;
		uint32_t v = seed;
		if (off == 0x070 && (v & 0xff) == 0)
			v |= 1;
		if (seed & 0x10000)
			wr(off, v);
		else
			(void)rd(off);
		if (t.vq[0].ready)
			t.vq[0].used_idx++, virtio_mmio_used(&t, 0);
	}
}
END_TEST

Suite *virtio_mmio_suite(void)
{
	Suite *s = suite_create("virtio_mmio");
	TCase *tc = tcase_create("transport");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, identity_registers);
	tcase_add_test(tc, features_offer_device_and_transport_bits);
	tcase_add_test(tc, handshake_and_notify_reach_the_device);
	tcase_add_test(tc, features_without_version_1_are_refused);
	tcase_add_test(tc, features_not_offered_are_refused);
	tcase_add_test(tc, features_frozen_after_features_ok);
	tcase_add_test(tc, notify_before_driver_ok_is_ignored);
	tcase_add_test(tc, status_bits_cannot_be_cleared_but_by_reset);
	tcase_add_test(tc, queue_setup_is_frozen_while_ready);
	tcase_add_test(tc, bad_queue_layouts_need_reset);
	tcase_add_test(tc, guest_errors_reported_once_per_reset);
	tcase_add_test(tc, guest_errors_reported_at_most_max_times);
	tcase_add_test(tc, notify_entry_point_checks_like_the_register);
	tcase_add_test(tc, cmdline_param_format);
	tcase_add_test(tc, used_buffer_interrupt_and_ack);
	tcase_add_test(tc, cause_left_by_an_ack_is_a_new_edge);
	tcase_add_test(tc, config_space_bounds_and_sizes);
	tcase_add_test(tc, config_change_bumps_generation);
	tcase_add_test(tc, odd_register_accesses_are_harmless);
	tcase_add_test(tc, random_register_storm_does_not_crash);
	suite_add_tcase(s, tc);
	return s;
}
