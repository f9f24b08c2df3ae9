/*
 * blkbench.c: block device throughput from inside a guest, for
 * bench/nested.py. O_DIRECT and one request at a time, so each figure
 * is the cost of the virtio-blk path (guest driver, monitor, backend)
 * rather than of the guest's page cache. Static: it runs in the tiny L2
 * userland.
 *
 *   blkbench DEV MODE MIB     MODE: seqread | seqwrite (1 MiB requests)
 *                             | randread | randwrite (4 KiB requests, at
 *                             random 4 KiB-aligned offsets, MIB in all)
 *
 * Prints "MODE MB_PER_S IOPS".
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>

#define SEQ_BYTES  (1u << 20)
#define RAND_BYTES 4096u

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64: reproducible offsets, no libc state. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(int argc, char **argv)
{
	uint64_t dev_bytes, total, seed = 0x9e3779b97f4a7c15ULL, done = 0;
	unsigned long ops = 0;
	int fd, write_mode, random_mode;
	unsigned req;
	double t0, secs;
	void *buf;

	if (argc != 4) {
		fprintf(stderr, "usage: blkbench DEV seqread|seqwrite|"
				"randread|randwrite MIB\n");
		return 2;
	}
	write_mode = strstr(argv[2], "write") != NULL;
	random_mode = strncmp(argv[2], "rand", 4) == 0;
	req = random_mode ? RAND_BYTES : SEQ_BYTES;
	total = strtoull(argv[3], NULL, 10) << 20;
	fd = open(argv[1], (write_mode ? O_RDWR : O_RDONLY) | O_DIRECT);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &dev_bytes) < 0) {
		perror(argv[1]);
		return 1;
	}
	if (dev_bytes < req || (!random_mode && total > dev_bytes)) {
		fprintf(stderr, "blkbench: %s is too small\n", argv[1]);
		return 1;
	}
	if (posix_memalign(&buf, 4096, req) != 0)
		return 1;
	memset(buf, 0x5a, req);
	t0 = now();
	while (done < total) {
		uint64_t off = random_mode ? next_random(&seed) %
						     (dev_bytes / req) * req
					   : done;
		ssize_t n = write_mode ? pwrite(fd, buf, req, (off_t)off)
				       : pread(fd, buf, req, (off_t)off);
		if (n != (ssize_t)req) {
			perror("blkbench: I/O");
			return 1;
		}
		done += req;
		ops++;
	}
	if (write_mode && fdatasync(fd) < 0) {
		perror("blkbench: fdatasync");
		return 1;
	}
	secs = now() - t0;
	printf("%s %.2f %.0f\n", argv[2], (double)done / 1e6 / secs,
	       (double)ops / secs);
	return 0;
}
