#include "src/console.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Printed by Linux's panic(); with panic=-1 a reset follows, which this
 * tells apart from a requested reboot. */
static const char panic_banner[] = "Kernel panic - not syncing";

void console_init(struct console *c, int out_fd, void (*on_closed)(void *), void *ctx)
{
	memset(c, 0, offsetof(struct console, buf));
	c->out_fd = out_fd;
	c->on_closed = on_closed;
	c->ctx = ctx;
	c->copy_fd = -1;
	pthread_mutex_init(&c->lock, NULL);
}

static void keep_out(struct console *c)
{
	for (size_t i = 0; i < c->len; i++)
		c->kept[c->kept_total++ % CONSOLE_KEEP] = c->buf[i];
	if (c->copy_fd >= 0 && write(c->copy_fd, c->buf, c->len) < 0)
		c->copy_fd = -1; /* a closed stderr: the log is still kept */
	c->len = 0;
}

/* `from_vcpu`: a vCPU or device thread is writing; it gives up once the
 * run is abandoned, while the main thread's final drain does not. */
static void write_out(struct console *c, bool from_vcpu)
{
	const uint8_t *p = c->buf;
	size_t left = c->len;

	if (c->keep) {
		keep_out(c);
		return;
	}
	c->len = 0;
	/* Checked before each write, not after: a thread that goes on writing
	 * once abandoned would block in the next write until kicked again. */
	while (left && !c->closed && !(from_vcpu && atomic_load(&c->abandoned))) {
		ssize_t n = write(c->out_fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* EPIPE (the reader left) or worse: nowhere to put
			 * guest output any more, which ends the run. */
			c->closed = true;
			c->on_closed(c->ctx);
			return;
		}
		p += n;
		left -= (size_t)n;
	}
}

static void watch_line(struct console *c, uint8_t byte)
{
	if (byte == '\n') {
		c->line[c->line_len] = '\0';
		if (strstr(c->line, panic_banner))
			c->panicked = true;
		c->line_len = 0;
	} else if (c->line_len < CONSOLE_LINE - 1) {
		c->line[c->line_len++] = byte ? (char)byte : ' ';
	}
}

void console_write(struct console *c, const uint8_t *bytes, size_t len)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < len; i++) {
		c->buf[c->len++] = bytes[i];
		watch_line(c, bytes[i]);
		if (bytes[i] == '\n' || c->len == CONSOLE_BUF)
			write_out(c, true);
	}
	pthread_mutex_unlock(&c->lock);
}

void console_put(struct console *c, uint8_t byte)
{
	console_write(c, &byte, 1);
}

void console_flush(struct console *c)
{
	pthread_mutex_lock(&c->lock);
	write_out(c, true);
	pthread_mutex_unlock(&c->lock);
}

void console_drain(struct console *c)
{
	pthread_mutex_lock(&c->lock);
	write_out(c, false);
	pthread_mutex_unlock(&c->lock);
}

void console_abandon(struct console *c)
{
	atomic_store(&c->abandoned, true);
}

bool console_saw_panic(struct console *c)
{
	pthread_mutex_lock(&c->lock);
	bool p = c->panicked;
	pthread_mutex_unlock(&c->lock);
	return p;
}

void console_keep(struct console *c, int copy_fd)
{
	c->keep = true;
	c->copy_fd = copy_fd;
}

void console_show_kept(struct console *c, int fd)
{
	pthread_mutex_lock(&c->lock);
	keep_out(c);
	size_t n = c->kept_total < CONSOLE_KEEP ? c->kept_total : CONSOLE_KEEP;
	size_t start = c->kept_total < CONSOLE_KEEP ? 0 : c->kept_total % CONSOLE_KEEP;
	dprintf(fd, "microrun: the guest kernel's log%s:\n",
		c->kept_total > CONSOLE_KEEP ? " (its last 64 KiB)" : "");
	ssize_t r = write(fd, c->kept + start, CONSOLE_KEEP - start < n ? CONSOLE_KEEP - start : n);
	if (r >= 0 && start)
		r = write(fd, c->kept, start);
	(void)r; /* nowhere left to report a failing stderr */
	pthread_mutex_unlock(&c->lock);
}
