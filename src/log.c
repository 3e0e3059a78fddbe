#include "src/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int mr_verbose;
static bool raw_terminal;

void log_set_raw_terminal(bool raw)
{
	raw_terminal = raw;
}

/* One write(2) per message, so lines from several threads never interleave. */
static void emit(const char *kind, const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "microrun: %s", kind);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	size_t len = (size_t)n + (size_t)(m < 0 ? 0 : m);

	if (len > sizeof(line) - 3)
		len = sizeof(line) - 3;
	if (raw_terminal)
		line[len++] = '\r';
	line[len++] = '\n';
	ssize_t r = write(STDERR_FILENO, line, len);
	(void)r; /* nowhere left to report a failing stderr */
}

void mr_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
}

void mr_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("warning: ", fmt, ap);
	va_end(ap);
}

void mr_info(const char *fmt, ...)
{
	va_list ap;
	if (!mr_verbose)
		return;
	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
}

void mr_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
}
