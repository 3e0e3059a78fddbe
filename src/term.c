#include "src/term.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "src/log.h"

static struct termios saved;
static volatile bool active;
static bool restore_at_exit;

void term_restore(void)
{
	if (active)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	active = false;
	log_set_raw_terminal(false);
}

bool term_enter(bool raw)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) != 0)
		return false;
	t = saved;
	if (raw)
		cfmakeraw(&t);
	else
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) != 0)
		return false;
	active = true;
	log_set_raw_terminal(raw);
	if (!restore_at_exit)
		restore_at_exit = atexit(term_restore) == 0;
	return raw;
}

int term_size(uint16_t *cols, uint16_t *rows)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0)
		return -errno;
	*cols = ws.ws_col;
	*rows = ws.ws_row;
	return 0;
}
