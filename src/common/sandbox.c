/*
 * sandbox.c: what every process that drops privileges does the same way:
 * the identity it becomes (--user), no_new_privs, and the change of
 * identity with every capability gone. Each process keeps its own
 * seccomp list beside its code.
 */
#include "common/sandbox.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int sandbox_parse_user(const char *s, struct sandbox_id *id, struct err *e)
{
	unsigned long u, g;
	struct passwd *pw;
	char *end;

	if (s[0] >= '0' && s[0] <= '9') {
		errno = 0;
		u = strtoul(s, &end, 10);
		g = u;
		if (errno == 0 && *end == ':')
			g = strtoul(end + 1, &end, 10);
		if (errno != 0 || *end != '\0' || u > 0xfffffffeUL ||
		    g > 0xfffffffeUL)
			return err_set(e, -EINVAL,
				       "--user '%s': expected NAME or "
				       "UID[:GID]",
				       s);
		id->sb_uid = (uid_t)u;
		id->sb_gid = (gid_t)g;
		return 0;
	}
	pw = getpwnam(s);
	if (pw == NULL)
		return err_set(e, -ENOENT, "--user '%s': no such user", s);
	id->sb_uid = pw->pw_uid;
	id->sb_gid = pw->pw_gid;
	return 0;
}

int sandbox_no_new_privs(struct err *e)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_set(e, -errno, "no_new_privs: %s", strerror(errno));
	return 0;
}

static int drop_capabilities(struct err *e)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	/* The bounding set first (needs CAP_SETPCAP, which we still have
	 * as root); without it, later execs could regain nothing anyway
	 * thanks to no_new_privs. */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
		    errno != EINVAL && errno != EPERM)
			return err_set(e, -errno, "PR_CAPBSET_DROP: %s",
				       strerror(errno));
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return err_set(e, -errno, "capset: %s", strerror(errno));
	return 0;
}

int sandbox_drop_identity(const struct sandbox_id *id, struct err *e)
{
	if (geteuid() == 0 && id->sb_uid != 0) {
		/* glibc applies these to every thread (SIGSETXID). */
		if (setgroups(0, NULL) < 0 ||
		    setresgid(id->sb_gid, id->sb_gid, id->sb_gid) < 0 ||
		    setresuid(id->sb_uid, id->sb_uid, id->sb_uid) < 0)
			return err_set(e, -errno,
				       "cannot become uid %u gid %u: %s",
				       (unsigned)id->sb_uid,
				       (unsigned)id->sb_gid, strerror(errno));
		/* Changing away from uid 0 cleared the capabilities. */
		return 0;
	}
	return drop_capabilities(e);
}
