#include "src/thread.h"

#include <time.h>

/* Interrupts the call; does nothing else. */
static void on_kick(int sig)
{
	(void)sig;
}

void thread_kick_init(void)
{
	struct sigaction sa = { .sa_handler = on_kick }; /* no SA_RESTART */

	sigaction(THREAD_KICK_SIGNAL, &sa, NULL);
}

void thread_kick_join(pthread_t t)
{
	for (;;) {
		pthread_kill(t, THREAD_KICK_SIGNAL);
		struct timespec deadline;
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += 10 * 1000 * 1000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
		if (pthread_timedjoin_np(t, NULL, &deadline) == 0)
			return;
	}
}
