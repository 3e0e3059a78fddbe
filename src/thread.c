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

void thread_kick_join(pthread_t *t, unsigned n)
{
	while (n) {
		for (unsigned i = 0; i < n; i++)
			pthread_kill(t[i], THREAD_KICK_SIGNAL);
		struct timespec deadline;
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += 10 * 1000 * 1000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
		/* Past the deadline each join only checks: one kick round. */
		for (unsigned i = 0; i < n;)
			if (pthread_timedjoin_np(t[i], NULL, &deadline) == 0)
				t[i] = t[--n];
			else
				i++;
	}
}
