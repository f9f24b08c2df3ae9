/*
 * replay.c: runs a libFuzzer target over saved inputs without libFuzzer, so
 * `make test` replays every corpus and saved crash with the ordinary
 * sanitizer build (as SQLite's test/fuzzcheck.c does). Arguments are files
 * or directories; output is TAP, one test point per target.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/file.h"

#define REPLAY_INPUT_MAX_BYTES (16U << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path, unsigned *count)
{
	struct err e = {0};
	void *data;
	size_t len;

	if (file_read_all(path, REPLAY_INPUT_MAX_BYTES, &data, &len, &e) < 0) {
		printf("# %s\n", err_msg(&e));
		return -1;
	}
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	(*count)++;
	return 0;
}

static int replay_path(const char *path, unsigned *count)
{
	struct dirent **names;
	struct stat st;
	int n, i, rc = 0;

	if (stat(path, &st) < 0) {
		printf("# %s: missing\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, count);
	/* Sorted, so a failure always names the same first input. */
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		char child[4096];
		if (names[i]->d_name[0] != '.' &&
		    (size_t)snprintf(child, sizeof(child), "%s/%s", path,
				     names[i]->d_name) < sizeof(child) &&
		    replay_path(child, count) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int rc = 0;

	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], &count) < 0)
			rc = -1;
	if (count == 0)
		rc = -1; /* an empty corpus would make this test meaningless */
	printf("%s 1 - replayed %u saved inputs\n1..1\n", rc ? "not ok" : "ok",
	       count);
	return rc ? 1 : 0;
}
