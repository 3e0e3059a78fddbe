/* The host end of the guest's console: guest bytes to stdout, buffered a
 * line at a time; the panic banner noticed on the way; a closed stdout
 * reported once. */
#ifndef MR_CONSOLE_H
#define MR_CONSOLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_BUF 4096
#define CONSOLE_LINE 256
#define CONSOLE_KEEP (64 << 10)  /* the kernel log kept off stdout: its last 64 KiB */

struct console {
	int out_fd;
	pthread_mutex_t lock;
	size_t len;             /* bytes in buf */
	size_t line_len;        /* bytes in line */
	bool panicked;
	bool closed;
	atomic_bool abandoned;  /* the run is over: stop waiting on stdout */
	bool keep;              /* console_keep(): into kept[], not out_fd */
	int copy_fd;            /* while kept, also written here; -1: not */
	size_t kept_total;      /* bytes ever kept */
	void (*on_closed)(void *ctx);  /* stdout went away (EPIPE) */
	void *ctx;
	/* The buffers, last: console_init leaves them as they are, as only
	 * what the counts above say was written is ever read (zeroing them
	 * touched 70 KB a console, three consoles a run). */
	uint8_t buf[CONSOLE_BUF];
	char line[CONSOLE_LINE];  /* start of the current line, for the banner */
	uint8_t kept[CONSOLE_KEEP];  /* a ring: the last CONSOLE_KEEP bytes */
};

void console_init(struct console *c, int out_fd, void (*on_closed)(void *), void *ctx);
void console_put(struct console *c, uint8_t byte);
/* The same for a run of bytes (a virtio-console buffer), locked once. */
void console_write(struct console *c, const uint8_t *bytes, size_t len);
/* From a vCPU: write what is buffered (see console_abandon). */
void console_flush(struct console *c);
/* From the main thread, once the vCPUs are gone: write all that is left. */
void console_drain(struct console *c);
/* From now on a write that stdout blocks is dropped once interrupted (by
 * a signal), so a reader that stopped reading cannot hold the VM's end. */
void console_abandon(struct console *c);
bool console_saw_panic(struct console *c);

/* From now on, before the guest runs, the output is kept (its last
 * CONSOLE_KEEP bytes) instead of going to out_fd, and copied to copy_fd as
 * well unless it is -1: the kernel's log while a program's output has
 * stdout to itself. */
void console_keep(struct console *c, int copy_fd);
/* Writes what was kept to `fd` (the kernel's last words, when a run went
 * wrong), with a line saying how much of it there is. */
void console_show_kept(struct console *c, int fd);

#endif
