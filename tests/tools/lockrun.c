/*
 * lockrun.c: run a shell command holding an fcntl write lock on a file,
 * as hostd's account writer does on /etc/basalt/.pwd.lock, so that a
 * test's several-file change is one change for stated
 * (tests/e2e/test_state_powercut.py). Usage: lockrun FILE COMMAND.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int fd, st;
	pid_t pid;

	if (argc != 3) {
		fprintf(stderr, "usage: lockrun FILE COMMAND\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || fcntl(fd, F_SETLKW, &fl) < 0) {
		perror(argv[1]);
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", argv[2], (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
