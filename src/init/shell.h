/*
 * shell.h: the technical-support shell, off unless the boot option
 * basalt.shell=TTY turns it on for that terminal: a login as root
 * (checked against /etc/shadow), then busybox's sh.
 */
#ifndef BASALT_INIT_SHELL_H
#define BASALT_INIT_SHELL_H

/* Ask for root's password on tty until it is right, then run the shell
 * (never returns on success). */
int shell_login_main(const char *tty);

#endif
