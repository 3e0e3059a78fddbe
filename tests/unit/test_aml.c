/* AML encoder: every expected byte string here is written out by hand from
 * the grammar in ACPI 6.3 chapter 20 and the resource descriptor layouts of
 * 6.4, not produced by the encoder. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "boot/x86/aml.h"
#include "tests/unit/suites.h"


#define BUF_SIZE 8192
#define CANARY 0xa5

/* The writer ended without error and holds exactly these bytes. */
#define EXPECT_BYTES(a, ...)                                               \
	do {                                                               \
		static const uint8_t want_[] = { __VA_ARGS__ };            \
		size_t len_;                                               \
		ck_assert_int_eq(aml_finish((a), &len_), 0);               \
		ck_assert_uint_eq(len_, sizeof(want_));                    \
		ck_assert_mem_eq((a)->buf, want_, sizeof(want_));          \
	} while (0)

static uint8_t buf[BUF_SIZE];

static struct aml *fresh(struct aml *a)
{
	memset(buf, CANARY, sizeof(buf));
	aml_init(a, buf, sizeof(buf));
	return a;
}

static int untouched_from(size_t off)
{
	for (size_t i = off; i < sizeof(buf); i++)
		if (buf[i] != CANARY)
			return 0;
	return 1;
}

static int finish_err(const struct aml *a)
{
	size_t len;

	return aml_finish(a, &len);
}

/* 20.2.4 and 5.4: one byte up to 0x3f, then 12, 20 and 28 bits. */
START_TEST(pkglength_encoding_edges)
{
	static const struct {
		uint32_t value;
		unsigned n;
		uint8_t bytes[4];
	} cases[] = {
		{ 0, 1, { 0x00 } },
		{ 1, 1, { 0x01 } },
		{ 63, 1, { 0x3f } },
		{ 64, 2, { 0x40, 0x04 } },
		{ 65, 2, { 0x41, 0x04 } },
		{ 4095, 2, { 0x4f, 0xff } },
		{ 4096, 3, { 0x80, 0x00, 0x01 } },
		{ 0xfffff, 3, { 0x8f, 0xff, 0xff } },
		{ 0x100000, 4, { 0xc0, 0x00, 0x00, 0x01 } },
		{ 0x0fffffff, 4, { 0xcf, 0xff, 0xff, 0xff } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t out[4] = { 0 };

		ck_assert_uint_eq(aml_pkglength_encode(out, cases[i].value), cases[i].n);
		ck_assert_mem_eq(out, cases[i].bytes, cases[i].n);
	}
	uint8_t out[4];
	ck_assert_uint_eq(aml_pkglength_encode(out, 0x10000000), 0);
	ck_assert_uint_eq(aml_pkglength_encode(out, UINT32_MAX), 0);
}
END_TEST

/* A Scope whose body (its 4-byte name and `body - 4` raw bytes) is `body`
 * bytes long must carry the shortest PkgLength that counts itself: a
 * 62-byte body fits one byte (63), a 63-byte one needs two (65); 4093
 * fits two (4095), 4094 needs three (4097). */
START_TEST(pkglength_of_nested_objects)
{
	static const struct {
		size_t body;
		unsigned n;
		uint8_t bytes[3];
	} cases[] = {
		{ 4, 1, { 0x05 } },
		{ 62, 1, { 0x3f } },
		{ 63, 2, { 0x41, 0x04 } },
		{ 64, 2, { 0x42, 0x04 } },
		{ 4093, 2, { 0x4f, 0xff } },
		{ 4094, 3, { 0x81, 0x00, 0x01 } },
	};
	static uint8_t raw[BUF_SIZE];

	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct aml a;
		size_t len, body = cases[i].body;
		unsigned n = cases[i].n;

		fresh(&a);
		aml_begin_scope(&a, "ABCD");
		aml_raw(&a, raw, body - 4);
		aml_end(&a);
		ck_assert_int_eq(aml_finish(&a, &len), 0);
		ck_assert_uint_eq(len, 1 + n + body);
		ck_assert_uint_eq(buf[0], 0x10);
		ck_assert_mem_eq(buf + 1, cases[i].bytes, n);
		ck_assert_mem_eq(buf + 1 + n, "ABCD", 4);
		ck_assert_mem_eq(buf + 1 + n + 4, raw, body - 4);
		ck_assert_uint_eq(buf[len], CANARY);
	}
}
END_TEST

/* An inner object that grows its PkgLength moves its own body, and the
 * outer one counts the grown size. */
START_TEST(nested_lengths_add_up)
{
	static uint8_t raw[100];
	struct aml a;

	memset(raw, 0x77, sizeof(raw));
	fresh(&a);
	aml_begin_scope(&a, "_SB");
	aml_begin_device(&a, "DEV0");
	aml_raw(&a, raw, sizeof(raw));
	aml_end(&a);
	aml_end(&a);
	/* Device body 4 + 100 = 104 -> PkgLength 106 (0x4a 0x06); device
	 * 2 + 2 + 104 = 108 bytes; scope body 4 + 108 = 112 -> 114. */
	size_t len;
	ck_assert_int_eq(aml_finish(&a, &len), 0);
	ck_assert_uint_eq(len, 1 + 2 + 112);
	static const uint8_t head[] = {
		0x10, 0x42, 0x07, '_', 'S', 'B', '_',
		0x5b, 0x82, 0x4a, 0x06, 'D', 'E', 'V', '0',
	};
	ck_assert_mem_eq(buf, head, sizeof(head));
	ck_assert_mem_eq(buf + sizeof(head), raw, sizeof(raw));
}
END_TEST

/* 20.2.2: segments padded with '_', root and parent prefixes, dual and
 * multi name paths, the null name. */
START_TEST(namestrings)
{
	struct aml a;

	aml_namestring(fresh(&a), "A");
	EXPECT_BYTES(&a, 'A', '_', '_', '_');
	aml_namestring(fresh(&a), "_SB");
	EXPECT_BYTES(&a, '_', 'S', 'B', '_');
	aml_namestring(fresh(&a), "VR00");
	EXPECT_BYTES(&a, 'V', 'R', '0', '0');
	aml_namestring(fresh(&a), "\\_S5");
	EXPECT_BYTES(&a, 0x5c, '_', 'S', '5', '_');
	aml_namestring(fresh(&a), "\\_SB.VR00");
	EXPECT_BYTES(&a, 0x5c, 0x2e, '_', 'S', 'B', '_', 'V', 'R', '0', '0');
	aml_namestring(fresh(&a), "A.B.C");
	EXPECT_BYTES(&a, 0x2f, 0x03, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C', '_', '_', '_');
	aml_namestring(fresh(&a), "^^X1");
	EXPECT_BYTES(&a, 0x5e, 0x5e, 'X', '1', '_', '_');
	aml_namestring(fresh(&a), "\\");
	EXPECT_BYTES(&a, 0x5c, 0x00);
	aml_namestring(fresh(&a), "");
	EXPECT_BYTES(&a, 0x00);
}
END_TEST

START_TEST(bad_names)
{
	static const char *const bad[] = {
		"a", "_sb", "1ABC", "ABCDE", "A..B", "A.", ".A", "AB-C", "\\^A", "^\\A", "A B",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aml a;

		aml_namestring(fresh(&a), bad[i]);
		ck_assert_msg(finish_err(&a) == -EINVAL, "name \"%s\" accepted", bad[i]);
	}
}
END_TEST

/* 20.2.3: the shortest form, at each boundary. */
START_TEST(integers)
{
	struct aml a;

	aml_integer(fresh(&a), 0);
	EXPECT_BYTES(&a, 0x00);
	aml_integer(fresh(&a), 1);
	EXPECT_BYTES(&a, 0x01);
	aml_integer(fresh(&a), 2);
	EXPECT_BYTES(&a, 0x0a, 0x02);
	aml_integer(fresh(&a), 0xff);
	EXPECT_BYTES(&a, 0x0a, 0xff);
	aml_integer(fresh(&a), 0x100);
	EXPECT_BYTES(&a, 0x0b, 0x00, 0x01);
	aml_integer(fresh(&a), 0xffff);
	EXPECT_BYTES(&a, 0x0b, 0xff, 0xff);
	aml_integer(fresh(&a), 0x10000);
	EXPECT_BYTES(&a, 0x0c, 0x00, 0x00, 0x01, 0x00);
	aml_integer(fresh(&a), 0xd0000000);
	EXPECT_BYTES(&a, 0x0c, 0x00, 0x00, 0x00, 0xd0);
	aml_integer(fresh(&a), 0x100000000ULL);
	EXPECT_BYTES(&a, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00);
	aml_integer(fresh(&a), 0x0123456789abcdefULL);
	EXPECT_BYTES(&a, 0x0e, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01);
}
END_TEST

START_TEST(fixed_size_constants)
{
	struct aml a;

	aml_byte_const(fresh(&a), 0);
	EXPECT_BYTES(&a, 0x0a, 0x00);
	aml_word_const(fresh(&a), 1);
	EXPECT_BYTES(&a, 0x0b, 0x01, 0x00);
	aml_dword_const(fresh(&a), 0x1234);
	EXPECT_BYTES(&a, 0x0c, 0x34, 0x12, 0x00, 0x00);
	aml_qword_const(fresh(&a), 3);
	EXPECT_BYTES(&a, 0x0e, 0x03, 0, 0, 0, 0, 0, 0, 0);
}
END_TEST

START_TEST(strings)
{
	struct aml a;

	aml_string(fresh(&a), "LNRO0005");
	EXPECT_BYTES(&a, 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00);
	aml_string(fresh(&a), "");
	EXPECT_BYTES(&a, 0x0d, 0x00);
	aml_string(fresh(&a), "caf\xc3\xa9");
	ck_assert_int_eq(finish_err(&a), -EINVAL);
}
END_TEST

/* 6.1.5: EisaId("PNP0501") is the DWord 0x0105d041. */
START_TEST(eisa_ids)
{
	static const char *const bad[] = { "pnp0501", "PNP050", "PNP05011", "PNP050g", "PN@0501", "" };
	struct aml a;

	aml_eisaid(fresh(&a), "PNP0501");
	EXPECT_BYTES(&a, 0x0c, 0x41, 0xd0, 0x05, 0x01);
	aml_eisaid(fresh(&a), "PNP0B00");
	EXPECT_BYTES(&a, 0x0c, 0x41, 0xd0, 0x0b, 0x00);
	aml_eisaid(fresh(&a), "ABC0000");
	EXPECT_BYTES(&a, 0x0c, 0x04, 0x43, 0x00, 0x00);
	aml_eisaid(fresh(&a), "ZZZFFFF");
	EXPECT_BYTES(&a, 0x0c, 0x6b, 0x5a, 0xff, 0xff);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_eisaid(fresh(&a), bad[i]);
		ck_assert_msg(finish_err(&a) == -EINVAL, "EISA ID \"%s\" accepted", bad[i]);
	}
}
END_TEST

/* Name(_S5, Package(4) {5, 0, 0, 0}), as ACPI 6.3, 7.4.2 shows it. */
START_TEST(name_and_package)
{
	struct aml a;

	fresh(&a);
	aml_name(&a, "_S5");
	aml_begin_package(&a, 4);
	aml_integer(&a, 5);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_end(&a);
	EXPECT_BYTES(&a, 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00);
	aml_begin_package(fresh(&a), 256);
	ck_assert_int_eq(finish_err(&a), -EINVAL);
}
END_TEST

START_TEST(buffers)
{
	static const uint8_t data[] = { 1, 2, 3 };
	struct aml a;

	aml_buffer(fresh(&a), data, sizeof(data));
	EXPECT_BYTES(&a, 0x11, 0x06, 0x0a, 0x03, 1, 2, 3);
	aml_buffer(fresh(&a), data, 1);
	EXPECT_BYTES(&a, 0x11, 0x03, 0x01, 1);
	aml_buffer(fresh(&a), NULL, 0);
	EXPECT_BYTES(&a, 0x11, 0x02, 0x00);
}
END_TEST

/* 6.4.3.4, 6.4.3.6, 6.4.2.5, 6.4.2.1, 6.4.2.9. */
START_TEST(resource_descriptors)
{
	struct aml a;

	aml_res_memory32_fixed(fresh(&a), true, 0xd0000000, 0x200);
	EXPECT_BYTES(&a, 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00);
	aml_res_memory32_fixed(fresh(&a), false, 0x12345678, 0x9abcdef0);
	EXPECT_BYTES(&a, 0x86, 0x09, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12, 0xf0, 0xde, 0xbc, 0x9a);
	aml_res_interrupt(fresh(&a), AML_IRQ_CONSUMER | AML_IRQ_EDGE, 5);
	EXPECT_BYTES(&a, 0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00);
	aml_res_interrupt(fresh(&a), AML_IRQ_CONSUMER | AML_IRQ_ACTIVE_LOW | AML_IRQ_SHARED, 0x123);
	EXPECT_BYTES(&a, 0x89, 0x06, 0x00, 0x0d, 0x01, 0x23, 0x01, 0x00, 0x00);
	aml_res_interrupt(fresh(&a), 0x20, 5);
	ck_assert_int_eq(finish_err(&a), -EINVAL);
	aml_res_io(fresh(&a), 0x3f8, 8);
	EXPECT_BYTES(&a, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08);
	aml_res_irq_noflags(fresh(&a), 4);
	EXPECT_BYTES(&a, 0x22, 0x10, 0x00);
	aml_res_irq_noflags(fresh(&a), 15);
	EXPECT_BYTES(&a, 0x22, 0x00, 0x80);
	aml_res_irq_noflags(fresh(&a), 16);
	ck_assert_int_eq(finish_err(&a), -EINVAL);
}
END_TEST

/* ResourceTemplate() { IRQNoFlags() {4} }: a Buffer ending in an End Tag
 * with checksum 0. */
START_TEST(resource_template)
{
	uint8_t rt[16];
	struct aml a, r;

	aml_init(&r, rt, sizeof(rt));
	aml_res_irq_noflags(&r, 4);
	aml_resource_template(fresh(&a), &r);
	EXPECT_BYTES(&a, 0x11, 0x08, 0x0a, 0x05, 0x22, 0x10, 0x00, 0x79, 0x00);

	aml_init(&r, rt, 4); /* no room left for the End Tag */
	aml_res_irq_noflags(&r, 4);
	aml_resource_template(fresh(&a), &r);
	ck_assert_int_eq(finish_err(&a), -ENOSPC);

	aml_init(&r, rt, sizeof(rt));
	aml_res_irq_noflags(&r, 99);
	aml_resource_template(fresh(&a), &r);
	ck_assert_int_eq(finish_err(&a), -EINVAL);
}
END_TEST

/* A device as a DSDT holds it, every byte by hand: 5B 82 PkgLength name,
 * then _HID (String), _UID (ZeroOp) and _CRS (a 23-byte template). */
static void put_virtio_device(struct aml *a)
{
	uint8_t rt[32];
	struct aml r;

	aml_init(&r, rt, sizeof(rt));
	aml_res_memory32_fixed(&r, true, 0xd0000000, 0x200);
	aml_res_interrupt(&r, AML_IRQ_CONSUMER | AML_IRQ_EDGE, 5);
	aml_begin_device(a, "VR00");
	aml_name(a, "_HID");
	aml_string(a, "LNRO0005");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_CRS");
	aml_resource_template(a, &r);
	aml_end(a);
}

START_TEST(device)
{
	struct aml a;

	put_virtio_device(fresh(&a));
	EXPECT_BYTES(&a,
		0x5b, 0x82, 0x3a, 'V', 'R', '0', '0',
		0x08, '_', 'H', 'I', 'D', 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00,
		0x08, '_', 'U', 'I', 'D', 0x00,
		0x08, '_', 'C', 'R', 'S', 0x11, 0x1a, 0x0a, 0x17,
		0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00,
		0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00,
		0x79, 0x00);
}
END_TEST

/* Something of every kind, with a PkgLength that grows past one byte. */
static void put_sample(struct aml *a)
{
	aml_begin_scope(a, "_SB");
	put_virtio_device(a);
	put_virtio_device(a);
	aml_end(a);
	aml_name(a, "_S5");
	aml_begin_package(a, 2);
	aml_integer(a, 5);
	aml_string(a, "x");
	aml_end(a);
}

/* Measuring runs the same code and gives the same length. */
START_TEST(measure_matches_write)
{
	struct aml m, a;
	size_t mlen, len;

	aml_init(&m, NULL, SIZE_MAX);
	put_sample(&m);
	ck_assert_int_eq(aml_finish(&m, &mlen), 0);
	put_sample(fresh(&a));
	ck_assert_int_eq(aml_finish(&a, &len), 0);
	ck_assert_uint_eq(mlen, len);
	ck_assert_uint_eq(len, (1 + 2 + 4 + 2 * 60) + (5 + 8)); /* scope, name */
	ck_assert_uint_eq(buf[len], CANARY);
}
END_TEST

/* Every capacity short of the result fails with -ENOSPC without writing
 * past it; the exact size succeeds with the same bytes. */
START_TEST(every_short_capacity_fails)
{
	static uint8_t want[BUF_SIZE];
	struct aml a;
	size_t need, len;

	put_sample(fresh(&a));
	ck_assert_int_eq(aml_finish(&a, &need), 0);
	memcpy(want, buf, need);
	for (size_t cap = 0; cap < need; cap++) {
		memset(buf, CANARY, sizeof(buf));
		aml_init(&a, buf, cap);
		put_sample(&a);
		ck_assert_int_eq(finish_err(&a), -ENOSPC);
		ck_assert_msg(untouched_from(cap), "wrote past capacity %zu", cap);
	}
	memset(buf, CANARY, sizeof(buf));
	aml_init(&a, buf, need);
	put_sample(&a);
	ck_assert_int_eq(aml_finish(&a, &len), 0);
	ck_assert_uint_eq(len, need);
	ck_assert_mem_eq(buf, want, need);
	ck_assert_uint_eq(buf[need], CANARY);
}
END_TEST

START_TEST(nesting_errors)
{
	struct aml a;

	aml_end(fresh(&a));
	ck_assert_int_eq(finish_err(&a), -EINVAL);

	aml_begin_scope(fresh(&a), "_SB");
	ck_assert_int_eq(finish_err(&a), -EINVAL); /* still open */

	fresh(&a);
	for (int i = 0; i < AML_MAX_DEPTH; i++)
		aml_begin_package(&a, 1);
	ck_assert_int_eq(a.err, 0);
	aml_begin_package(&a, 1);
	ck_assert_int_eq(finish_err(&a), -EINVAL);
}
END_TEST

/* After the first error nothing more is written and the error stays. */
START_TEST(errors_are_sticky)
{
	struct aml a;

	fresh(&a);
	aml_integer(&a, 7);
	aml_namestring(&a, "bad");
	size_t len = a.len;
	aml_integer(&a, 0x1234);
	aml_raw(&a, "xyz", 3);
	aml_end(&a);
	ck_assert_uint_eq(a.len, len);
	ck_assert_int_eq(finish_err(&a), -EINVAL);
	ck_assert_uint_eq(buf[len], CANARY);
}
END_TEST

/* A body that no PkgLength can count: measured, not written. */
START_TEST(too_long_for_pkglength)
{
	struct aml a;

	aml_init(&a, NULL, SIZE_MAX);
	aml_begin_scope(&a, "_SB");
	aml_raw(&a, NULL, AML_PKGLENGTH_MAX - 4 - 4);
	aml_end(&a);
	ck_assert_int_eq(finish_err(&a), 0);

	aml_init(&a, NULL, SIZE_MAX);
	aml_begin_scope(&a, "_SB");
	aml_raw(&a, NULL, AML_PKGLENGTH_MAX - 4 - 3);
	aml_end(&a);
	ck_assert_int_eq(finish_err(&a), -E2BIG);
}
END_TEST

Suite *aml_suite(void)
{
	Suite *s = suite_create("aml");
	TCase *tc = tcase_create("aml");

	tcase_add_test(tc, pkglength_encoding_edges);
	tcase_add_test(tc, pkglength_of_nested_objects);
	tcase_add_test(tc, nested_lengths_add_up);
	tcase_add_test(tc, namestrings);
	tcase_add_test(tc, bad_names);
	tcase_add_test(tc, integers);
	tcase_add_test(tc, fixed_size_constants);
	tcase_add_test(tc, strings);
	tcase_add_test(tc, eisa_ids);
	tcase_add_test(tc, name_and_package);
	tcase_add_test(tc, buffers);
	tcase_add_test(tc, resource_descriptors);
	tcase_add_test(tc, resource_template);
	tcase_add_test(tc, device);
	tcase_add_test(tc, measure_matches_write);
	tcase_add_test(tc, every_short_capacity_fails);
	tcase_add_test(tc, nesting_errors);
	tcase_add_test(tc, errors_are_sticky);
	tcase_add_test(tc, too_long_for_pkglength);
	suite_add_tcase(s, tc);
	return s;
}
