/*
 * ucall.h: how a tiny guest reports to its test harness, as in the KVM
 * selftests' ucall_common.h. The guest fills a struct ucall in its own
 * memory and writes its address to UCALL_PORT; the harness reads it back
 * through the checked guest-memory accessor. Shared by both sides.
 */
#ifndef BASALT_GUEST_LIB_UCALL_H
#define BASALT_GUEST_LIB_UCALL_H

#include <stdint.h>

/* A port no machine device uses; only the test harness claims it. */
#define UCALL_PORT 0x0e0

enum ucall_cmd {
	UCALL_SYNC = 1,	  /* args[0] = stage; harness may check and reply */
	UCALL_ASSERT = 2, /* a GUEST_ASSERT failed: file, line, msg, args */
	UCALL_DONE = 3,	  /* the guest finished successfully */
};

#define UCALL_FILE_BYTES 64
#define UCALL_MSG_BYTES	 96

struct ucall {
	uint64_t uc_cmd;
	uint64_t uc_line;
	uint64_t uc_args[4];
	char uc_file[UCALL_FILE_BYTES];
	char uc_msg[UCALL_MSG_BYTES];
};
_Static_assert(sizeof(struct ucall) == 208, "ucall layout is shared");

#ifdef BASALT_GUEST
void ucall(uint64_t cmd, const char *file, uint64_t line, const char *msg,
	   uint64_t a0, uint64_t a1);

#define GUEST_SYNC(stage) ucall(UCALL_SYNC, __FILE__, __LINE__, "", (stage), 0)
#define GUEST_DONE()	  ucall(UCALL_DONE, __FILE__, __LINE__, "", 0, 0)
#define GUEST_ASSERT(cond)                                                     \
	do {                                                                   \
		if (!(cond))                                                   \
			ucall(UCALL_ASSERT, __FILE__, __LINE__, #cond, 0, 0);  \
	} while (0)
#define GUEST_ASSERT_EQ(a, b)                                                  \
	do {                                                                   \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);               \
		if (a_ != b_)                                                  \
			ucall(UCALL_ASSERT, __FILE__, __LINE__, #a " == " #b,  \
			      a_, b_);                                         \
	} while (0)
#endif

#endif
