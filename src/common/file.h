/*
 * file.h: whole-file reads with a size cap, for configs and boot images.
 */
#ifndef BASALT_COMMON_FILE_H
#define BASALT_COMMON_FILE_H

#include <stddef.h>

#include "common/compiler.h"
#include "common/err.h"

/*
 * Read all of path into a fresh malloc'd buffer (*datap, *lenp; the caller
 * frees it). A file larger than max_bytes is refused with -EFBIG. The
 * out-parameters are written only on success.
 */
BASALT_MUST_CHECK int file_read_all(const char *path, size_t max_bytes,
				    void **datap, size_t *lenp, struct err *e);

#endif
