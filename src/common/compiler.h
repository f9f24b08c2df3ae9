/*
 * compiler.h: small macros every Basalt file may use.
 *
 * BASALT_MUST_CHECK marks functions whose int result (0 or -errno) must be
 * looked at; ALWAYS()/NEVER() are SQLite's "cannot happen" checks: they
 * abort in debug builds and are still tested in release builds.
 */
#ifndef BASALT_COMMON_COMPILER_H
#define BASALT_COMMON_COMPILER_H

#include <assert.h>
#include <stddef.h>

#define BASALT_MUST_CHECK     __attribute__((warn_unused_result))
#define BASALT_PRINTF(fi, va) __attribute__((format(printf, fi, va)))
#define BASALT_NORETURN	      __attribute__((noreturn))
#define BASALT_UNUSED	      __attribute__((unused))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifdef NDEBUG
#define ALWAYS(x) (x)
#define NEVER(x)  (x)
#else
#define ALWAYS(x) ((x) ? 1 : (assert(0), 0))
#define NEVER(x)  ((x) ? (assert(0), 1) : 0)
#endif

#endif
