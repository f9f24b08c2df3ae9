/*
 * tcpblast.c: move a number of bytes over one TCP connection and report
 * how many arrived and how long it took. Used by the end-to-end tests and
 * bench/ to check and measure guest networking; built static so it runs
 * in the tiny test-bed userlands.
 *
 *   tcpblast recv PORT            accept one connection, count to EOF,
 *                                 print "received BYTES SECONDS"
 *   tcpblast send ADDR PORT BYTES connect, send BYTES, close; print
 *                                 "sent BYTES SECONDS"
 *
 * The receiver answers with its count before closing, so the sender
 * only returns once every byte has arrived. For bench/, the receiver runs
 * the shell command in TCPBLAST_AT_START once the connection is accepted
 * and the one in TCPBLAST_AT_END after the last byte (to snapshot CPU use
 * over exactly the transfer).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_BYTES 65536

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_hook(const char *var)
{
	const char *cmd = getenv(var);

	if (cmd != NULL && system(cmd) != 0)
		fprintf(stderr, "tcpblast: %s failed\n", var);
}

static int do_recv(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	static char buf[CHUNK_BYTES];
	unsigned long long total = 0;
	int one = 1, ls, s;
	double t0, secs;
	ssize_t n;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = htons((uint16_t)port);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(ls, 1) < 0) {
		perror("tcpblast: listen");
		return 1;
	}
	printf("listening %d\n", port);
	fflush(stdout);
	s = accept(ls, NULL, NULL);
	if (s < 0) {
		perror("tcpblast: accept");
		return 1;
	}
	run_hook("TCPBLAST_AT_START");
	t0 = now();
	while ((n = read(s, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("tcpblast: read");
			return 1;
		}
		total += (unsigned long long)n;
	}
	secs = now() - t0;
	run_hook("TCPBLAST_AT_END");
	/* Tell the sender the count: it waits for this. */
	n = snprintf(buf, sizeof(buf), "%llu\n", total);
	if (write(s, buf, (size_t)n) != n)
		perror("tcpblast: reply");
	printf("received %llu %.3f\n", total, secs);
	close(s);
	close(ls);
	return 0;
}

static int do_send(const char *addr, int port, unsigned long long bytes)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	static char buf[CHUNK_BYTES];
	unsigned long long left = bytes;
	char reply[64] = "";
	double t0;
	ssize_t n;
	int s;

	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "tcpblast: bad address %s\n", addr);
		return 2;
	}
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("tcpblast: connect");
		return 1;
	}
	memset(buf, 0x5a, sizeof(buf));
	t0 = now();
	while (left > 0) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		n = write(s, buf, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("tcpblast: write");
			return 1;
		}
		left -= (unsigned long long)n;
	}
	shutdown(s, SHUT_WR);
	n = read(s, reply, sizeof(reply) - 1);
	reply[n > 0 ? n : 0] = '\0';
	printf("sent %llu %.3f acked %s", bytes, now() - t0,
	       n > 0 ? reply : "none\n");
	close(s);
	return strtoull(reply, NULL, 10) == bytes ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "recv") == 0)
		return do_recv(atoi(argv[2]));
	if (argc == 5 && strcmp(argv[1], "send") == 0)
		return do_send(argv[2], atoi(argv[3]),
			       strtoull(argv[4], NULL, 10));
	fprintf(stderr, "usage: tcpblast recv PORT | send ADDR PORT BYTES\n");
	return 2;
}
