#include "src/term.h"

#include <stdbool.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static bool active;

void term_restore(void)
{
	if (active)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	active = false;
}

void term_enter(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) != 0)
		return;
	t = saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0) {
		active = true;
		atexit(term_restore);
	}
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
