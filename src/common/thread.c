/*
 * thread.c: threads with a stack sized for what they do (see thread.h).
 */
#include "common/thread.h"

int thread_start(pthread_t *t, size_t stack_bytes, void *(*fn)(void *),
		 void *arg)
{
	pthread_attr_t attr;
	int rc;

	rc = pthread_attr_init(&attr);
	if (rc != 0)
		return rc;
	rc = pthread_attr_setstacksize(&attr, stack_bytes);
	if (rc == 0)
		rc = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return rc;
}
