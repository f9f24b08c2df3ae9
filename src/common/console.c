/*
 * console.c: terminal lines and shadow lookups for the console programs
 * (console.h).
 */
#include "common/console.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define SHADOW_LINE_MAX_BYTES 1024

int console_read_line(const char *prompt, char *buf, size_t size, int secret)
{
	struct termios old, quiet;
	int tty = tcgetattr(0, &old) == 0;
	char *r;

	/* Off before the prompt: nothing typed after it shows. */
	if (secret && tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSANOW, &quiet);
	}
	fputs(prompt, stdout);
	fflush(stdout);
	r = fgets(buf, (int)size, stdin);
	if (secret && tty) {
		tcsetattr(0, TCSANOW, &old);
		fputs("\n", stdout);
	}
	if (r == NULL)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int console_shadow_hash(const char *path, const char *user, char *hash,
			size_t size)
{
	char line[SHADOW_LINE_MAX_BYTES];
	size_t ulen = strlen(user);
	FILE *f = fopen(path, "r");
	int found = 0;

	while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, user, ulen) == 0 && line[ulen] == ':') {
			const char *h = line + ulen + 1;
			snprintf(hash, size, "%.*s", (int)strcspn(h, ":\n"), h);
			found = 1;
		}
	if (f != NULL)
		fclose(f);
	explicit_bzero(line, sizeof(line));
	return found;
}
