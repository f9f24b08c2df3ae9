/*
 * console.h: what the host's console programs share (init's support-shell
 * login, the DCUI): a line from the terminal with echo off for secrets,
 * and a user's password hash from a shadow file (read only: hostd owns
 * the file).
 */
#ifndef BASALT_COMMON_CONSOLE_H
#define BASALT_COMMON_CONSOLE_H

#include <stddef.h>

/* Print prompt, read a line from stdin into buf without its newline;
 * with secret, echo is off from before the prompt shows until the line
 * ends. 0, or -1 at the end of input. */
int console_read_line(const char *prompt, char *buf, size_t size, int secret);

/* user's hash field in the shadow file at path into hash: 1 found ("" is
 * a blank password), 0 not (no file, no such user). */
int console_shadow_hash(const char *path, const char *user, char *hash,
			size_t size);

#endif
