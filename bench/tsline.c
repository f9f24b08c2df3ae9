/*
 * tsline.c: copy stdin to stdout, each line prefixed with the seconds
 * since tsline started ("{  12.345} "), for bench/nested.py's phases
 * part: where in a guest's boot the time goes, on L1's clock. Static: it
 * runs in the test bed's busybox userland.
 */
#include <stdio.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void)
{
	double t0 = now();
	int start = 1, c;

	while ((c = getchar()) != EOF) {
		if (start)
			printf("{%8.3f} ", now() - t0);
		start = c == '\n';
		putchar(c);
		if (start)
			fflush(stdout);
	}
	printf("%s{%8.3f} EOF\n", start ? "" : "\n", now() - t0);
	return 0;
}
