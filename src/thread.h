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

/* Joins `t`, kicking it every 10 ms until it is gone, in case a kick lands
 * between two blocking calls. The thread must have been told to end. */
void thread_kick_join(pthread_t t);

#endif
