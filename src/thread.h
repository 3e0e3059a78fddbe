/* Ending microrun's own threads: each may sit in a blocking call (KVM_RUN,
 * a write to a stdout nobody reads) that only a signal interrupts. */
#ifndef MR_THREAD_H
#define MR_THREAD_H

#include <pthread.h>
#include <signal.h>

/* Interrupts a blocking system call; its handler does nothing, and is
 * installed without SA_RESTART by thread_kick_init(). */
#define THREAD_KICK_SIGNAL SIGUSR1

void thread_kick_init(void);

/* Joins the `n` threads of `t`, kicking those left every 10 ms until all
 * are gone: a kick may land between two blocking calls, and one thread may
 * wait for a lock that another holds in a write to a stalled stdout, which
 * only that one's kick ends. They must have been told to end. */
void thread_kick_join(pthread_t *t, unsigned n);

#endif
