/*
 * test_accounts.c: hostd's passwd, shadow and group files (accounts.c):
 * parsing with clear errors, changes that keep the files standard, and
 * the lock every writer takes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hostd/accounts.h"
#include "lib/tap.h"

static const char passwd[] = "root:x:0:0:root:/:/bin/sh\n"
			     "dcui:x:100:100:DCUI User:/:/sbin/nologin\n"
			     "alice:x:1000:100:Alice:/:/bin/sh\n";
static const char shadow[] = "root:$y$j9T$salt$hash:20000:0:99999:7:::\n"
			     "alice:$6$salt$hash:20001:1:2:3:4:5:\n"
			     "ghost:!:1::::::\n";
static const char group[] = "root:x:0:\n"
			    "users:x:100:\n"
			    "localadmin:x:1001:alice,dcui\n";

static int parse(struct acct_db *db, const char *p, const char *s,
		 const char *g, struct err *e)
{
	return acct_parse(db, p, strlen(p), s, strlen(s), g, strlen(g), e);
}

static void parses_and_formats_back_the_same(void)
{
	struct acct_db db;
	struct err e = {0};
	char *p, *s, *g;

	CHECK_EQ(parse(&db, passwd, shadow, group, &e), 0);
	CHECK_EQ(db.ad_nusers, 3);
	CHECK_STR(acct_user_find(&db, "alice")->au_hash, "$6$salt$hash");
	/* No shadow line: no password. */
	CHECK_STR(acct_user_find(&db, "dcui")->au_hash, "!");
	CHECK(acct_in_group(&db, "alice", "localadmin"));
	CHECK(acct_in_group(&db, "alice", "users")); /* primary */
	CHECK(!acct_in_group(&db, "root", "localadmin"));
	p = acct_format_passwd(&db);
	s = acct_format_shadow(&db);
	g = acct_format_group(&db);
	CHECK_STR(p, passwd);
	/* The orphan shadow line is gone, aging fields kept as they were. */
	CHECK_STR(s, "root:$y$j9T$salt$hash:20000:0:99999:7:::\n"
		     "dcui:!:::::::\n"
		     "alice:$6$salt$hash:20001:1:2:3:4:5:\n");
	CHECK_STR(g, group);
	free(p);
	free(s);
	free(g);
	acct_free(&db);
}

static void bad_lines_say_file_and_line(void)
{
	static const struct {
		const char *p, *s, *g, *why;
	} cases[] = {
		{"root:x:0:0::/\n", "", "", "passwd:1: expected 7 fields"},
		{"root:x:0:0::/:/bin/sh\nBob:x:1:1::/:/bin/sh\n", "", "",
		 "passwd:2: 'Bob' is not a user name"},
		{"a:x:0:0::/:/bin/sh\na:x:1:1::/:/bin/sh\n", "", "",
		 "passwd:2: user a again"},
		{"a:x:-1:0::/:/bin/sh\n", "", "", "passwd:1: bad uid or gid"},
		{"a:x:4294967295:0::/:/bin/sh\n", "", "",
		 "passwd:1: bad uid or gid"},
		{"a:x:1:1::/:/bin/sh\n", "a:h\x01:::::::\n", "",
		 "shadow:1: bad password field"},
		{"", "", "g:x:1:ok,Not\n", "group:1: 'Not' is not a member"},
		{"", "", "g:x:1:\ng:x:2:\n", "group:2: group g again"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct acct_db db;
		struct err e = {0};
		CHECK_EQ(parse(&db, cases[i].p, cases[i].s, cases[i].g, &e),
			 -EINVAL);
		CHECK_CONTAINS(err_msg(&e), cases[i].why);
		CHECK_EQ(db.ad_nusers + db.ad_ngroups, 0);
	}
}

static void changes_check_first_and_keep_ids_apart(void)
{
	struct acct_db db;
	struct err e = {0};
	char *g;

	CHECK_EQ(parse(&db, passwd, shadow, group, &e), 0);
	CHECK_EQ(acct_user_add(&db, "bob", "Bob", "$y$x", &e), 0);
	CHECK_EQ(acct_user_find(&db, "bob")->au_uid, 1001);
	CHECK_EQ(acct_user_find(&db, "bob")->au_gid, ACCT_GID_USERS);
	CHECK_EQ(acct_user_add(&db, "bob", "", "$y$x", &e), -EEXIST);
	CHECK_EQ(acct_user_add(&db, "9lives", "", "$y$x", &e), -EINVAL);
	CHECK_EQ(acct_user_add(&db, "eve", "a:b", "$y$x", &e), -EINVAL);
	CHECK_EQ(acct_user_add(&db, "eve", "", "$y$a:b", &e), -EINVAL);
	CHECK_EQ(db.ad_nusers, 4);
	/* A new group never takes a gid some user has as primary. */
	acct_user_find(&db, "bob")->au_gid = 1002;
	CHECK_EQ(acct_group_add(&db, "ops", &e), 0);
	CHECK_EQ(acct_group_find(&db, "ops")->ag_gid, 1003);
	CHECK_EQ(acct_member_add(&db, "ops", "bob", &e), 0);
	CHECK_EQ(acct_member_add(&db, "ops", "bob", &e), -EEXIST);
	CHECK_EQ(acct_member_add(&db, "ops", "nobody", &e), -ENOENT);
	CHECK_EQ(acct_group_remove(&db, "users", &e), -EBUSY);
	CHECK_CONTAINS(err_msg(&e), "primary group");
	/* A removed user leaves every group. */
	CHECK_EQ(acct_user_remove(&db, "alice", &e), 0);
	g = acct_format_group(&db);
	CHECK_STR(g, "root:x:0:\nusers:x:100:\nlocaladmin:x:1001:dcui\n"
		     "ops:x:1003:bob\n");
	free(g);
	CHECK_EQ(acct_user_set(&db, "bob", NULL, "$6$new", &e), 0);
	CHECK_STR(acct_user_find(&db, "bob")->au_hash, "$6$new");
	CHECK_EQ(acct_member_remove(&db, "ops", "bob", &e), 0);
	CHECK_EQ(acct_member_remove(&db, "ops", "bob", &e), -ENOENT);
	CHECK_EQ(acct_group_remove(&db, "ops", &e), 0);
	acct_free(&db);
}

static void save_load_and_modes(void)
{
	char dir[] = "/tmp/basalt-accounts-XXXXXX", path[256];
	struct acct_db db, back;
	struct err e = {0};
	struct stat st;
	char *p;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	CHECK_EQ(acct_load(dir, &db, &e), 0); /* no files: empty */
	CHECK_EQ(db.ad_nusers, 0);
	CHECK_EQ(acct_lock(dir, &fd, &e), 0);
	CHECK_EQ(acct_user_add(&db, "root", "root", "$y$abc", &e), 0);
	CHECK_EQ(acct_group_add(&db, "users", &e), 0);
	CHECK_EQ(acct_save(dir, &db, &e), 0);
	acct_unlock(fd);
	snprintf(path, sizeof(path), "%s/shadow", dir);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/passwd", dir);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0644);
	CHECK_EQ(acct_load(dir, &back, &e), 0);
	p = acct_format_shadow(&back);
	CHECK_CONTAINS(p, "root:$y$abc:");
	free(p);
	acct_free(&back);
	acct_free(&db);
	/* A file an administrator broke: the load says where. */
	snprintf(path, sizeof(path), "%s/group", dir);
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "users:x:100\n", 12), 12);
	close(fd);
	CHECK_EQ(acct_load(dir, &back, &e), -EINVAL);
	CHECK_STR(err_msg(&e), "group:1: expected 4 fields");
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	CHECK_EQ(system(path), 0);
}

/* A second writer waits for the first: the child holds the lock for a
 * while and writes a mark on leaving; the parent, locking meanwhile, must
 * find the mark there once it has the lock. */
static void the_lock_serializes_writers(void)
{
	char dir[] = "/tmp/basalt-accounts-XXXXXX", mark[256];
	struct err e = {0};
	struct timespec pause = {0, 200 * 1000 * 1000};
	int fd, pipefd[2], status;
	pid_t pid;
	char c;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(mark, sizeof(mark), "%s/mark", dir);
	CHECK_EQ(pipe(pipefd), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int cfd;
		if (acct_lock(dir, &cfd, &e) < 0)
			_exit(1);
		(void)write(pipefd[1], "l", 1); /* locked */
		nanosleep(&pause, NULL);
		close(open(mark, O_WRONLY | O_CREAT, 0600));
		acct_unlock(cfd);
		_exit(0);
	}
	CHECK_EQ(read(pipefd[0], &c, 1), 1);
	CHECK_EQ(acct_lock(dir, &fd, &e), 0);
	CHECK_EQ(access(mark, F_OK), 0);
	acct_unlock(fd);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(pipefd[0]);
	close(pipefd[1]);
	snprintf(mark, sizeof(mark), "rm -rf %s", dir);
	CHECK_EQ(system(mark), 0);
}

int main(void)
{
	RUN(parses_and_formats_back_the_same);
	RUN(bad_lines_say_file_and_line);
	RUN(changes_check_first_and_keep_ids_apart);
	RUN(save_load_and_modes);
	RUN(the_lock_serializes_writers);
	return tap_done();
}
