/*
 * shell.c: the support shell's login (shell.h). Root only, with root's
 * password; a blank password opens nothing (set it first). Each wrong
 * answer costs three seconds.
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/console.h"
#include "common/log.h"
#include "init/shell.h"

#define SHADOW	       "/etc/basalt/shadow"
#define LINE_MAX_BYTES 512
#define FAIL_DELAY_S   3

int shell_login_main(const char *tty)
{
	char user[64], pw[LINE_MAX_BYTES], hash[LINE_MAX_BYTES];
	struct crypt_data cd;

	log_procinit("shell");
	for (;;) {
		printf("\nBasalt %s technical support shell on %s\n",
		       BASALT_VERSION, tty);
		if (console_read_line("login: ", user, sizeof(user), 0) < 0)
			return 1;
		if (console_read_line("Password: ", pw, sizeof(pw), 1) < 0)
			return 1;
		memset(&cd, 0, sizeof(cd));
		int ok = strcmp(user, "root") == 0 &&
			 console_shadow_hash(SHADOW, "root", hash,
					     sizeof(hash)) &&
			 hash[0] != '\0' && hash[0] != '!' && hash[0] != '*';
		const char *c = ok ? crypt_r(pw, hash, &cd) : NULL;
		ok = c != NULL && c[0] != '*' && strcmp(c, hash) == 0;
		explicit_bzero(pw, sizeof(pw));
		explicit_bzero(&cd, sizeof(cd));
		if (ok)
			break;
		log_warnx("support shell on %s: login as '%.32s' refused", tty,
			  user);
		printf("Login incorrect (root only, with root's password; a "
		       "blank password must be set first)\n");
		sleep(FAIL_DELAY_S);
	}
	log_info("support shell on %s: root logged in", tty);
	setenv("HOME", "/", 1);
	setenv("PATH", "/bin:/sbin", 1);
	setenv("PS1", "[root@basalt \\w]# ", 1);
	execl("/bin/busybox", "sh", "-l", (char *)NULL);
	log_warn("/bin/busybox");
	return 1;
}
