#include "src/supervisor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "src/arch.h"
#include "src/escape.h"
#include "src/log.h"

static const int ending_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

void supervisor_ending_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(ending_signals) / sizeof(ending_signals[0]); i++)
		sigaddset(set, ending_signals[i]);
}

/* The ending signals, and SIGWINCH: a new terminal size for the guest. */
static void watched_set(sigset_t *set)
{
	supervisor_ending_set(set);
	sigaddset(set, SIGWINCH);
}

int supervisor_block_signals(void)
{
	sigset_t set;

	watched_set(&set);
	/* A closed stdout shows up as EPIPE from write(), handled there. */
	signal(SIGPIPE, SIG_IGN);
	return -pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void supervisor_unblock_signals(void)
{
	sigset_t set;

	supervisor_ending_set(&set);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int supervisor_pending_signal(void)
{
	sigset_t pending;

	if (sigpending(&pending))
		return 0;
	for (size_t i = 0; i < sizeof(ending_signals) / sizeof(ending_signals[0]); i++)
		if (sigismember(&pending, ending_signals[i]))
			return ending_signals[i];
	return 0;
}
#define INPUT_READ 256

/* Host input waiting for room in the guest's console. */
struct input {
	uint8_t buf[INPUT_READ + 1];  /* one more: a held-back Ctrl-A */
	size_t off, len;
	bool open;          /* stdin has not ended */
	bool end_told;      /* the guest was told that it ended */
	bool escape;        /* filter Ctrl-A escapes */
	bool quit;          /* Ctrl-A x */
	struct escape esc;
};

enum { FD_END, FD_SIGNAL, FD_TIMER, FD_STDIN, FD_ROOM, NUM_FDS };

static int open_timer(uint64_t timeout_ms)
{
	if (!timeout_ms)
		return -1;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(timeout_ms / 1000),
			      .tv_nsec = (long)(timeout_ms % 1000) * 1000000 },
	};
	if (fd >= 0 && timerfd_settime(fd, 0, &its, NULL) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void drain(int fd)
{
	uint64_t v;
	ssize_t r = read(fd, &v, sizeof(v));
	(void)r; /* only the wake-up matters */
}

/* The end of stdin reaches the guest after all that came before it. */
static void push_input(struct vm *vm, struct input *in)
{
	in->off += arch_console_input(vm, in->buf + in->off, in->len - in->off);
	if (in->off == in->len)
		in->off = in->len = 0;
	if (!in->open && !in->len && !in->end_told) {
		arch_console_input_end(vm);
		in->end_told = true;
	}
}

static void read_stdin(struct vm *vm, struct input *in)
{
	uint8_t raw[INPUT_READ];
	ssize_t n = read(STDIN_FILENO, in->escape ? raw : in->buf, INPUT_READ);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	in->off = 0;
	in->len = n > 0 ? (size_t)n : 0;
	if (n <= 0)
		in->open = false; /* end of input (or a broken stdin): no more */
	else if (in->escape)
		in->len = escape_filter(&in->esc, raw, (size_t)n, in->buf, &in->quit);
	push_input(vm, in);
}

static int read_signal(int fd)
{
	struct signalfd_siginfo si;

	return read(fd, &si, sizeof(si)) == sizeof(si) ? (int)si.ssi_signo : SIGTERM;
}

static void set_poll(struct pollfd *p, const struct input *in)
{
	/* Read stdin only when the console has swallowed what came before. */
	p[FD_STDIN].fd = in->open && in->len == 0 ? STDIN_FILENO : -1;
	p[FD_ROOM].fd = in->len ? p[FD_ROOM].fd : -1;
}

static int wait_loop(struct vm *vm, struct pollfd *p, bool escape, struct outcome *out)
{
	struct input in = { .open = true, .escape = escape };
	int room_fd = p[FD_ROOM].fd;

	for (;;) {
		p[FD_ROOM].fd = room_fd;
		set_poll(p, &in);
		if (poll(p, NUM_FDS, -1) < 0 && errno != EINTR)
			return -errno;
		if (p[FD_END].revents)
			return 0;
		if (p[FD_SIGNAL].revents) {
			int sig = read_signal(p[FD_SIGNAL].fd);
			if (sig != SIGWINCH) {
				out->signal = sig;
				return 0;
			}
			arch_console_resize(vm);
		}
		if (p[FD_TIMER].revents) {
			out->timed_out = true;
			return 0;
		}
		if (p[FD_ROOM].revents) {
			drain(room_fd);
			push_input(vm, &in);
		}
		if (p[FD_STDIN].revents)
			read_stdin(vm, &in);
		if (in.quit) {
			out->escaped = true;
			out->signal = SIGINT;
			return 0;
		}
	}
}

int supervisor_open(struct supervisor *s, uint64_t timeout_ms)
{
	sigset_t set;

	watched_set(&set);
	s->signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
	s->timer_fd = open_timer(timeout_ms);
	if (s->signal_fd < 0 || (timeout_ms && s->timer_fd < 0)) {
		mr_err("cannot set up signal or timer handling: %s", strerror(errno));
		supervisor_close(s);
		return -EIO;
	}
	return 0;
}

void supervisor_close(struct supervisor *s)
{
	if (s->signal_fd >= 0)
		close(s->signal_fd);
	if (s->timer_fd >= 0)
		close(s->timer_fd);
	s->signal_fd = s->timer_fd = -1;
}

int supervise(const struct supervisor *s, struct vm *vm, struct outcome *out)
{
	struct pollfd p[NUM_FDS];

	for (int i = 0; i < NUM_FDS; i++)
		p[i] = (struct pollfd){ .fd = -1, .events = POLLIN };
	p[FD_END].fd = vm->end_fd;
	p[FD_SIGNAL].fd = s->signal_fd;
	p[FD_TIMER].fd = s->timer_fd;
	p[FD_ROOM].fd = vm->input_room_fd;
	*out = (struct outcome){ 0 };
	int r = wait_loop(vm, p, s->escape, out);
	/* Whatever ended the wait, the vCPUs must now stop. */
	vm_request_end(vm, VM_END_STOPPED);
	out->end = vm_end_reason(vm);
	return r;
}
