/*
 * logview.c: a log on the whole screen (logview.h). Up/Down, PgUp/PgDn,
 * Home/End (or g/G) move; '/' searches forward from the top line, 'n'
 * goes to the next match, 'N' to the one before; 'r' reads it again; q
 * or Esc go back. Lines longer than the screen are cut; Left/Right
 * shift the view sideways.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcui/host.h"
#include "dcui/logview.h"
#include "dcui/ui.h"

#define PAGE_LINES 1000 /* per call: hostd's cap */

struct lines {
	char **ln_text;
	long ln_n, ln_cap;
};

static void add_line(void *ctx, const char *text)
{
	struct lines *l = ctx;

	if (l->ln_n == l->ln_cap) {
		long cap = l->ln_cap ? l->ln_cap * 2 : 256;
		char **nt = realloc(l->ln_text, (size_t)cap * sizeof(*nt));
		if (nt == NULL)
			return;
		l->ln_text = nt;
		l->ln_cap = cap;
	}
	l->ln_text[l->ln_n] = strdup(text);
	if (l->ln_text[l->ln_n] != NULL)
		l->ln_n++;
}

static void free_lines(struct lines *l)
{
	for (long i = 0; i < l->ln_n; i++)
		free(l->ln_text[i]);
	free(l->ln_text);
	memset(l, 0, sizeof(*l));
}

/* The log's last LOGVIEW_LINES_MAX lines; the number of the first in
 * *base. */
static int load(struct api *a, const char *key, struct lines *l, long *base,
		struct err *e)
{
	long first, last, start;

	free_lines(l);
	/* Beyond the end: the log's length, no lines. */
	if (host_log_page(a, key, 1L << 30, 1, NULL, NULL, &first, &last, e) <
	    0)
		return -1;
	start = last - LOGVIEW_LINES_MAX + 1;
	if (start < 1)
		start = 1;
	*base = start;
	while (start <= last) {
		long f, t;
		if (host_log_page(a, key, start, PAGE_LINES, add_line, l, &f,
				  &t, e) < 0)
			return -1;
		if (t < start)
			break;
		start = t + 1;
	}
	return 0;
}

/* The next line from `from` in direction dir holding needle, or -1. */
static long find(const struct lines *l, long from, int dir, const char *needle)
{
	for (long i = from; i >= 0 && i < l->ln_n; i += dir)
		if (strstr(l->ln_text[i], needle) != NULL)
			return i;
	return -1;
}

int logview_show(struct api *a, const char *key, const char *label)
{
	struct lines l = {0};
	struct err e = {0};
	char title[128], search[128] = "", status[160] = "";
	long top = 0, base = 1, hit = -1;
	int shift = 0, rc = 0;

	if (load(a, key, &l, &base, &e) < 0) {
		ui_message("View System Logs", err_msg(&e));
		return strcmp(a->ap_fault, "NotAuthenticated") == 0 ? -1 : 0;
	}
	top = l.ln_n - (LINES - 2);
	for (;;) {
		int rows = LINES - 2, ch;
		if (top > l.ln_n - rows)
			top = l.ln_n - rows;
		if (top < 0)
			top = 0;
		if (!ui_too_small()) {
			snprintf(title, sizeof(title),
				 "%s: lines %ld-%ld of %ld%s%s", label,
				 base + top,
				 base + top +
					 (rows < l.ln_n - top ? rows
							      : l.ln_n - top) -
					 1,
				 base + l.ln_n - 1, status[0] ? "  " : "",
				 status);
			ui_frame(title, "<Up/Down/PgUp/PgDn> Scroll  </> "
					"Search  <n/N> Next/Previous  <r> "
					"Reload  <q> Back");
			for (int r = 0; r < rows && top + r < l.ln_n; r++) {
				const char *t = l.ln_text[top + r];
				int len = (int)strlen(t);
				mvprintw(1 + r, 0, "%.*s", COLS,
					 shift < len ? t + shift : "");
				if (top + r == hit)
					mvchgat(1 + r, 0, -1, A_REVERSE, 0,
						NULL);
			}
			refresh();
		}
		ch = ui_key(-1);
		status[0] = '\0';
		switch (ch) {
		case UI_KEY_EOF:
		case UI_KEY_ESC:
		case 'q':
		case 'Q':
			goto out;
		case KEY_UP:
		case 'k':
			top--;
			break;
		case KEY_DOWN:
		case 'j':
			top++;
			break;
		case KEY_PPAGE:
			top -= rows;
			break;
		case KEY_NPAGE:
		case ' ':
			top += rows;
			break;
		case KEY_HOME:
		case 'g':
			top = 0;
			break;
		case KEY_END:
		case 'G':
			top = l.ln_n;
			break;
		case KEY_LEFT:
			shift = shift >= 20 ? shift - 20 : 0;
			break;
		case KEY_RIGHT:
			shift += 20;
			break;
		case 'r':
		case 'R':
			if (load(a, key, &l, &base, &e) < 0) {
				ui_message("View System Logs", err_msg(&e));
				if (strcmp(a->ap_fault, "NotAuthenticated") ==
				    0) {
					rc = -1;
					goto out;
				}
			}
			top = l.ln_n;
			hit = -1;
			break;
		case '/':
			search[0] = '\0';
			if (!ui_prompt("Search for: ", search,
				       sizeof(search)) ||
			    search[0] == '\0')
				break;
			hit = find(&l, top, 1, search);
			if (hit < 0)
				hit = find(&l, 0, 1, search);
			goto moved;
		case 'n':
		case 'N':
			if (search[0] == '\0')
				break;
			hit = find(&l,
				   (hit >= 0 ? hit : top) +
					   (ch == 'n' ? 1 : -1),
				   ch == 'n' ? 1 : -1, search);
		moved:
			if (hit < 0)
				snprintf(status, sizeof(status),
					 "\"%.100s\" not found", search);
			else if (hit < top || hit >= top + rows)
				top = hit - rows / 2;
			break;
		default:
			break;
		}
	}
out:
	free_lines(&l);
	return rc;
}
