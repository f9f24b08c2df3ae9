/*
 * thread.h: threads with a stack sized for what they do.
 */
#ifndef BASALT_COMMON_THREAD_H
#define BASALT_COMMON_THREAD_H

#include <pthread.h>
#include <stddef.h>

#include "common/compiler.h"

/* Enough for a helper thread's loop and a device's handlers, with the
 * sanitizers' larger frames. */
#define THREAD_STACK_BYTES (512u << 10)

/*
 * pthread_create with a stack of stack_bytes. Why not the default: an 8
 * MiB stack mapping can be backed by a 2 MiB transparent huge page on
 * the first touch (THP "always", Debian's default), two megabytes of RSS
 * for a thread that uses kilobytes; a mapping smaller than a huge page
 * never is. Returns 0 or a positive error number, like pthread_create.
 */
BASALT_MUST_CHECK int thread_start(pthread_t *t, size_t stack_bytes,
				   void *(*fn)(void *), void *arg);

#endif
