/*
 * tap.h: the smallest useful test harness (in the spirit of Redis's
 * src/unit/testhelp.h). Each test is a function; CHECK* record a failure
 * with file and line and return from it. Output is TAP, which meson and
 * tests/summary.py count.
 */
#ifndef BASALT_TESTS_TAP_H
#define BASALT_TESTS_TAP_H

#include <string.h>

void tap_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Run fn as the next test point; prints "ok N - name" or "not ok ...". */
void tap_run(const char *name, void (*fn)(void));
/* From now on, report every test as skipped with this reason. */
void tap_skip_rest(const char *why);
/* Print the plan; return the process exit status (1 if anything failed). */
int tap_done(void);
/* 1 when the current test has failed (to stop early inside loops). */
int tap_failed(void);

#define RUN(fn) tap_run(#fn, fn)

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			tap_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);      \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long va_ = (long long)(a), vb_ = (long long)(b);          \
		if (va_ != vb_) {                                              \
			tap_fail(__FILE__, __LINE__,                           \
				 "%s == %s: %lld (0x%llx) != %lld (0x%llx)",   \
				 #a, #b, va_, (unsigned long long)va_, vb_,    \
				 (unsigned long long)vb_);                     \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *sa_ = (a), *sb_ = (b);                             \
		if (sa_ == NULL || sb_ == NULL || strcmp(sa_, sb_) != 0) {     \
			tap_fail(__FILE__, __LINE__,                           \
				 "%s == %s: \"%s\" != \"%s\"", #a, #b,         \
				 sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");  \
			return;                                                \
		}                                                              \
	} while (0)

/* a contains b */
#define CHECK_CONTAINS(a, b)                                                   \
	do {                                                                   \
		const char *sa_ = (a), *sb_ = (b);                             \
		if (sa_ == NULL || strstr(sa_, sb_) == NULL) {                 \
			tap_fail(__FILE__, __LINE__,                           \
				 "\"%s\" does not contain \"%s\"",             \
				 sa_ ? sa_ : "(null)", sb_);                   \
			return;                                                \
		}                                                              \
	} while (0)

#endif
