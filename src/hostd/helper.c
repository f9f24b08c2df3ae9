/*
 * helper.c: helper programs run from API tasks (helper.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostd/helper.h"
#include "hostd/hostd.h"

extern char **environ;

int helper_reaped(struct hostd *h, pid_t pid, int status)
{
	for (int i = 0; i < HELPERS_MAX; i++)
		if (h->hd_helpers[i].hs_pid == pid) {
			h->hd_helpers[i].hs_done = 1;
			h->hd_helpers[i].hs_status = status;
			pthread_cond_broadcast(&h->hd_helper_cond);
			return 1;
		}
	return 0;
}

int helper_run(struct hostd *h, const char *const argv[], char *out,
	       size_t size)
{
	posix_spawn_file_actions_t fa;
	size_t used = 0;
	int fds[2], slot = -1, st;
	pid_t pid;
	ssize_t n;
	char buf[1024];

	out[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	pthread_mutex_lock(&h->hd_lock);
	for (int i = 0; i < HELPERS_MAX && slot < 0; i++)
		if (h->hd_helpers[i].hs_pid == 0)
			slot = i;
	if (slot < 0 ||
	    posix_spawn(&pid, argv[0], &fa, NULL,
			(char *const *)(uintptr_t)argv, environ) != 0) {
		pthread_mutex_unlock(&h->hd_lock);
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	/* Registered before the reaper can see it end. */
	h->hd_helpers[slot] = (struct helper_slot){pid, 0, 0};
	h->hd_children++;
	pthread_cond_broadcast(&h->hd_child_cond);
	pthread_mutex_unlock(&h->hd_lock);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		/* Keep the end: the last lines say why. */
		if ((size_t)n >= size - 1) {
			memcpy(out, buf + (size_t)n - (size - 1), size - 1);
			used = size - 1;
		} else {
			if (used + (size_t)n > size - 1) {
				size_t drop = used + (size_t)n - (size - 1);
				memmove(out, out + drop, used - drop);
				used -= drop;
			}
			memcpy(out + used, buf, (size_t)n);
			used += (size_t)n;
		}
	}
	out[used] = '\0';
	close(fds[0]);
	pthread_mutex_lock(&h->hd_lock);
	while (!h->hd_helpers[slot].hs_done)
		pthread_cond_wait(&h->hd_helper_cond, &h->hd_lock);
	st = h->hd_helpers[slot].hs_status;
	h->hd_helpers[slot].hs_pid = 0;
	pthread_mutex_unlock(&h->hd_lock);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
