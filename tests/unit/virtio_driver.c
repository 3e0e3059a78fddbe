#include "tests/unit/virtio_driver.h"

#include <check.h>
#include <string.h>

#include "src/guest_mem.h"

#define VRING_ALIGN 4096ULL

void vdrv_place(struct vdrv *d, const struct guest_mem *m, uint16_t size, uint64_t desc_gpa,
		uint64_t avail_gpa, uint64_t used_gpa)
{
	d->mem = m;
	d->size = size;
	d->desc_gpa = desc_gpa;
	d->avail_gpa = avail_gpa;
	d->used_gpa = used_gpa;
	d->avail_idx = d->kicked_idx = d->last_used = d->free_desc = 0;
	d->next_data = d->data;
	d->next_table = d->tables;
}

void vdrv_layout(struct vdrv *d, const struct guest_mem *m, uint16_t size, uint64_t base)
{
	uint64_t avail = base + virtq_desc_bytes(size);
	uint64_t used = (avail + virtq_avail_bytes(size) + VRING_ALIGN - 1) & ~(VRING_ALIGN - 1);

	vdrv_place(d, m, size, base, avail, used);
}

void vdrv_clear(struct vdrv *d)
{
	memset(vdrv_host(d, d->desc_gpa, virtq_desc_bytes(d->size)), 0, virtq_desc_bytes(d->size));
	memset(vdrv_avail(d), 0, virtq_avail_bytes(d->size));
	memset(vdrv_used(d), 0, virtq_used_bytes(d->size));
}

/* Tests run this in long loops: it reports only failures (ck_assert tells
 * the runner about every check that passes). */
void *vdrv_host(const struct vdrv *d, uint64_t gpa, uint64_t len)
{
	void *p = gmem_ptr(d->mem, gpa, len);

	if (!p)
		ck_abort_msg("guest range %#llx+%llu is not RAM", (unsigned long long)gpa,
			     (unsigned long long)len);
	return p;
}

uint64_t vdrv_alloc(struct vdrv *d, uint32_t len)
{
	if (d->next_data + len > d->data_end)
		d->next_data = d->data;
	uint64_t gpa = d->next_data;
	d->next_data += (len + 63ULL) & ~63ULL;
	return gpa;
}

uint64_t vdrv_alloc_table(struct vdrv *d, unsigned entries)
{
	uint64_t bytes = sizeof(struct virtq_desc) * (uint64_t)entries;

	if (d->next_table + bytes > d->tables_end)
		d->next_table = d->tables;
	uint64_t gpa = d->next_table;
	d->next_table += bytes;
	return gpa;
}

void vdrv_put_desc(const struct vdrv *d, uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next)
{
	struct virtq_desc *desc = vdrv_host(d, table + sizeof(*desc) * i, sizeof(*desc));

	*desc = (struct virtq_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

void vdrv_put_chain(const struct vdrv *d, uint64_t table, uint16_t entries, uint16_t first,
		    const struct vbuf *bufs, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		uint16_t i = (uint16_t)((first + k) % entries);
		uint16_t next = (uint16_t)((i + 1) % entries);
		uint16_t flags = (uint16_t)(bufs[k].flags | (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		vdrv_put_desc(d, table, i, bufs[k].gpa, bufs[k].len, flags, next);
	}
}

void vdrv_make_available(struct vdrv *d, uint16_t head)
{
	struct virtq_avail *a = vdrv_avail(d);

	a->ring[d->avail_idx & (d->size - 1)] = head;
	d->avail_idx++;
	__atomic_store_n(&a->idx, d->avail_idx, __ATOMIC_RELEASE);
}

uint16_t vdrv_add_chain(struct vdrv *d, const struct vbuf *bufs, unsigned n)
{
	uint16_t head = d->free_desc;

	vdrv_put_chain(d, d->desc_gpa, d->size, head, bufs, n);
	d->free_desc = (uint16_t)((head + n) % d->size);
	vdrv_make_available(d, head);
	return head;
}

uint16_t vdrv_add_indirect(struct vdrv *d, const struct vbuf *bufs, unsigned n)
{
	uint64_t table = vdrv_alloc_table(d, n);
	uint16_t head = d->free_desc;

	vdrv_put_chain(d, table, (uint16_t)n, 0, bufs, n);
	vdrv_put_desc(d, d->desc_gpa, head, table, (uint32_t)(sizeof(struct virtq_desc) * n),
		      VIRTQ_DESC_F_INDIRECT, 0);
	d->free_desc = (uint16_t)((head + 1) % d->size);
	vdrv_make_available(d, head);
	return head;
}

uint16_t vdrv_add(struct vdrv *d, const struct vbuf *bufs, unsigned n)
{
	return d->indirect && n > 1 ? vdrv_add_indirect(d, bufs, n) : vdrv_add_chain(d, bufs, n);
}

bool vdrv_kick_prepare(struct vdrv *d)
{
	uint16_t old_idx = d->kicked_idx, new_idx = d->avail_idx;

	d->kicked_idx = new_idx;
	/* Our avail->idx before the device's field (2.7.13.4.1). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (d->event_idx)
		return vdrv_need_event(vdrv_avail_event(d), new_idx, old_idx);
	return !(__atomic_load_n(&vdrv_used(d)->flags, __ATOMIC_RELAXED) & VIRTQ_USED_F_NO_NOTIFY);
}

bool vdrv_get_used(struct vdrv *d, struct virtq_used_elem *e)
{
	struct virtq_used *u = vdrv_used(d);

	if (__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == d->last_used)
		return false;
	*e = u->ring[d->last_used++ & (d->size - 1)];
	return true;
}

struct virtq_avail *vdrv_avail(const struct vdrv *d)
{
	return vdrv_host(d, d->avail_gpa, virtq_avail_bytes(d->size));
}

struct virtq_used *vdrv_used(const struct vdrv *d)
{
	return vdrv_host(d, d->used_gpa, virtq_used_bytes(d->size));
}

uint16_t *vdrv_used_event(const struct vdrv *d)
{
	return &vdrv_avail(d)->ring[d->size];
}

uint16_t vdrv_avail_event(const struct vdrv *d)
{
	return *(uint16_t *)vdrv_host(d, d->used_gpa + virtq_used_bytes(d->size) - 2, 2);
}
