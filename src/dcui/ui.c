/*
 * ui.c: ncurses screens and dialogs for the console (ui.h).
 */
#include <curses.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <term.h>
#include <unistd.h>

#include "dcui/ui.h"

#define DIALOG_COLS	    66
#define ESC_DELAY_MS	    200
#define ESC_DELAY_SERIAL_MS 1000

int ui_start(void)
{
	static const char *const fallbacks[] = {"linux", "vt100"};
	const char *term = getenv("TERM");
	struct winsize ws;
	int err;

	/* A serial console says no size: take the console's 80x25. */
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 0) {
		ws.ws_row = UI_MIN_LINES;
		ws.ws_col = UI_MIN_COLS;
		(void)ioctl(STDIN_FILENO, TIOCSWINSZ, &ws);
	}
	if (term == NULL || setupterm(term, STDOUT_FILENO, &err) != OK) {
		size_t i;
		for (i = 0; i < 2; i++)
			if (setupterm(fallbacks[i], STDOUT_FILENO, &err) ==
			    OK) {
				setenv("TERM", fallbacks[i], 1);
				break;
			}
		if (i == 2)
			return -1;
	}
	del_curterm(cur_term);
	if (initscr() == NULL)
		return -1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	/* How long after Esc the rest of a key's sequence may come: a
	 * serial line (and an emulated one above all) delivers it slowly,
	 * and a sequence cut short reads as Esc, which leaves a screen. */
	{
		const char *tty = ttyname(STDIN_FILENO);
		set_escdelay(tty != NULL && strncmp(tty, "/dev/ttyS", 9) == 0
				     ? ESC_DELAY_SERIAL_MS
				     : ESC_DELAY_MS);
	}
	curs_set(0);
	/* Alt-F12 as xterm and tmux send it; the function keys the
	 * console uses as the common terminals send them, whatever TERM
	 * says (a serial console's far end is rarely what TERM names). */
	define_key("\033[24;3~", UI_KEY_ALT_F12);
	for (int i = 0; i < 4; i++) {
		char seq[8];
		snprintf(seq, sizeof(seq), "\033O%c", 'P' + i); /* xterm */
		define_key(seq, KEY_F(1 + i));
		snprintf(seq, sizeof(seq), "\033[[%c", 'A' + i); /* linux */
		define_key(seq, KEY_F(1 + i));
	}
	define_key("\033[12~", KEY_F(2)); /* vt220, rxvt */
	/* The arrows in both cursor modes: a terminal joined to a serial
	 * line after the console started never saw it ask for one. */
	static const int arrows[] = {KEY_UP, KEY_DOWN, KEY_RIGHT, KEY_LEFT};
	for (int i = 0; i < 4; i++) {
		char seq[8];
		snprintf(seq, sizeof(seq), "\033[%c", 'A' + i);
		define_key(seq, arrows[i]);
		snprintf(seq, sizeof(seq), "\033O%c", 'A' + i);
		define_key(seq, arrows[i]);
	}
	/* Home and End as tmux, screen, the linux console and xterm's
	 * two modes send them: an unknown sequence would read as Esc. */
	define_key("\033[1~", KEY_HOME);
	define_key("\033[H", KEY_HOME);
	define_key("\033OH", KEY_HOME);
	define_key("\033[4~", KEY_END);
	define_key("\033[F", KEY_END);
	define_key("\033OF", KEY_END);
	define_key("\033[23~", KEY_F(11));
	define_key("\033[24~", KEY_F(12));
	return 0;
}

void ui_end(void)
{
	endwin();
}

int ui_key(int timeout_ms)
{
	int ch;

	timeout(timeout_ms);
	ch = getch();
	if (ch == ERR) {
		/* The wait ended, or the terminal went away (hung up, or
		 * no terminal at all): tell them apart. */
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		if (timeout_ms < 0 || !isatty(STDIN_FILENO) ||
		    (poll(&p, 1, 0) == 1 &&
		     (p.revents & (POLLHUP | POLLERR | POLLNVAL))))
			return UI_KEY_EOF;
		return UI_KEY_NONE;
	}
	/* Ctrl-L: draw the whole screen again (a terminal attached late
	 * to a serial console has seen nothing of it). */
	if (ch == 12) {
		clearok(curscr, TRUE);
		return KEY_RESIZE;
	}
	/* Alt-F12 on terminals that send Esc before F12. */
	if (ch == UI_KEY_ESC) {
		timeout(get_escdelay());
		int next = getch();
		if (next == KEY_F(12))
			return UI_KEY_ALT_F12;
		if (next != ERR)
			ungetch(next);
	}
	return ch;
}

int ui_too_small(void)
{
	if (LINES >= UI_MIN_LINES && COLS >= UI_MIN_COLS)
		return 0;
	erase();
	mvprintw(0, 0, "The console needs %dx%d; this terminal is %dx%d.",
		 UI_MIN_COLS, UI_MIN_LINES, COLS, LINES);
	refresh();
	return 1;
}

void ui_frame(const char *title, const char *hints)
{
	erase();
	attron(A_REVERSE);
	mvhline(0, 0, ' ', COLS);
	mvprintw(0, 1, "%.*s", COLS - 2, title);
	mvhline(LINES - 1, 0, ' ', COLS);
	mvprintw(LINES - 1, 1, "%.*s", COLS - 2, hints);
	attroff(A_REVERSE);
}

/* The next line of text at width w: its length in *len; returns where
 * the line after it starts (past the space or newline it broke at). */
static const char *next_line(const char *text, int w, size_t *len)
{
	size_t n = strcspn(text, "\n"), cut = n;

	if ((int)n > w) {
		cut = (size_t)w;
		while (cut > 0 && text[cut] != ' ')
			cut--;
		if (cut == 0)
			cut = (size_t)w;
	}
	*len = cut;
	text += cut;
	if (*text == ' ' || (*text == '\n' && cut == n))
		text++;
	return text;
}

int ui_wrap(int y, int x, int w, int max, const char *text, int attr)
{
	int nlines = 0;

	attron(attr);
	while (*text != '\0' && nlines < max) {
		size_t len;
		const char *next = next_line(text, w, &len);
		mvprintw(y + nlines, x, "%.*s", (int)len, text);
		nlines++;
		text = next;
	}
	attroff(attr);
	return nlines;
}

void ui_box(const char *title, int rows, int cols, int *y, int *x)
{
	int top = (LINES - rows - 2) / 2, left = (COLS - cols - 4) / 2;

	if (top < 1)
		top = 1;
	if (left < 0)
		left = 0;
	/* A dialog stands alone between the title and hint bars: nothing
	 * of the screen below, or of a bigger dialog before, shows. */
	for (int r = 1; r < LINES - 1; r++)
		mvhline(r, 0, ' ', COLS);
	for (int r = 0; r < rows + 2; r++)
		mvhline(top + r, left, ' ', cols + 4);
	attron(A_BOLD);
	mvhline(top, left, ACS_HLINE, cols + 4);
	mvhline(top + rows + 1, left, ACS_HLINE, cols + 4);
	mvvline(top, left, ACS_VLINE, rows + 2);
	mvvline(top, left + cols + 3, ACS_VLINE, rows + 2);
	mvaddch(top, left, ACS_ULCORNER);
	mvaddch(top, left + cols + 3, ACS_URCORNER);
	mvaddch(top + rows + 1, left, ACS_LLCORNER);
	mvaddch(top + rows + 1, left + cols + 3, ACS_LRCORNER);
	mvprintw(top, left + 2, " %.*s ", cols - 2, title);
	attroff(A_BOLD);
	*y = top + 1;
	*x = left + 2;
}

/* How many lines text takes at width w. */
static int wrapped_lines(const char *text, int w)
{
	int nlines = 0;

	while (*text != '\0') {
		size_t len;
		text = next_line(text, w, &len);
		nlines++;
	}
	return nlines;
}

/* A dialog of text and a hint line; the key that ended it. */
static int dialog(const char *title, const char *text, const char *hint,
		  int (*done)(int key))
{
	for (;;) {
		int y, x, ch, rows;
		if (!ui_too_small()) {
			rows = wrapped_lines(text, DIALOG_COLS) + 2;
			if (rows > LINES - 4)
				rows = LINES - 4;
			ui_box(title, rows, DIALOG_COLS, &y, &x);
			ui_wrap(y, x, DIALOG_COLS, rows - 2, text, 0);
			mvprintw(y + rows - 1, x, "%s", hint);
			refresh();
		}
		ch = ui_key(-1);
		if (ch == UI_KEY_EOF || done(ch))
			return ch;
	}
}

static int message_done(int ch)
{
	return ch == '\r' || ch == '\n' || ch == KEY_ENTER || ch == UI_KEY_ESC;
}

void ui_message(const char *title, const char *text)
{
	dialog(title, text, "<Enter> OK", message_done);
	touchwin(stdscr);
}

static int confirm_done(int ch)
{
	return ch == KEY_F(11) || ch == 'y' || ch == 'Y' || ch == UI_KEY_ESC ||
	       ch == 'n' || ch == 'N';
}

int ui_confirm(const char *title, const char *text, const char *action)
{
	char hint[128];
	int ch;

	snprintf(hint, sizeof(hint), "<F11> or <y> %s     <Esc> or <n> Cancel",
		 action);
	ch = dialog(title, text, hint, confirm_done);
	return ch == KEY_F(11) || ch == 'y' || ch == 'Y';
}

/* Edit buf with key ch: 1 when it changed. */
static int edit(char *buf, size_t size, int ch)
{
	size_t len = strlen(buf);

	if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (len == 0)
			return 0;
		buf[len - 1] = '\0';
		return 1;
	}
	if (ch == 21) { /* Ctrl-U: the whole field */
		buf[0] = '\0';
		return 1;
	}
	if (ch >= 32 && ch < 127 && len + 1 < size) {
		buf[len] = (char)ch;
		buf[len + 1] = '\0';
		return 1;
	}
	return 0;
}

int ui_form(const char *title, const char *intro, struct ui_field *f, int n)
{
	int cur = 0;

	/* At the first empty field: after a failed login, the password. */
	while (cur < n - 1 && f[cur].uf_buf[0] != '\0')
		cur++;

	for (;;) {
		int y, x, ch, rows = 0;
		if (!ui_too_small()) {
			int introl = intro != NULL
					     ? wrapped_lines(intro, DIALOG_COLS)
					     : 0;
			rows = introl + (introl ? 1 : 0) + n + 2;
			ui_box(title, rows, DIALOG_COLS, &y, &x);
			if (intro != NULL)
				ui_wrap(y, x, DIALOG_COLS, introl, intro, 0);
			for (int i = 0; i < n; i++) {
				int fy = y + introl + (introl ? 1 : 0) + i;
				size_t len = strlen(f[i].uf_buf);
				int vw = DIALOG_COLS - 24;
				mvprintw(fy, x, "%-22.22s", f[i].uf_label);
				attron(i == cur ? A_REVERSE : A_UNDERLINE);
				mvhline(fy, x + 23, ' ', vw);
				if (f[i].uf_secret)
					for (size_t k = 0;
					     k < len && (int)k < vw; k++)
						mvaddch(fy, x + 23 + (int)k,
							'*');
				else
					mvprintw(fy, x + 23, "%.*s", vw,
						 len > (size_t)vw
							 ? f[i].uf_buf + len -
								   vw
							 : f[i].uf_buf);
				attroff(i == cur ? A_REVERSE : A_UNDERLINE);
			}
			mvprintw(y + rows - 1, x,
				 "<Enter> OK   <Up/Down> Field   <Esc> Cancel");
			refresh();
		}
		ch = ui_key(-1);
		if (ch == UI_KEY_EOF || ch == UI_KEY_ESC) {
			touchwin(stdscr);
			return 0;
		}
		if (ch == KEY_UP)
			cur = cur > 0 ? cur - 1 : n - 1;
		else if (ch == KEY_HOME)
			cur = 0;
		else if (ch == KEY_END)
			cur = n - 1;
		else if (ch == KEY_DOWN || ch == '\t')
			cur = (cur + 1) % n;
		else if (ch == '\r' || ch == '\n' || ch == KEY_ENTER ||
			 ch == KEY_F(11)) {
			if (cur == n - 1 || ch == KEY_F(11)) {
				touchwin(stdscr);
				return 1;
			}
			cur++;
		} else {
			edit(f[cur].uf_buf, f[cur].uf_size, ch);
		}
	}
}

int ui_prompt(const char *prompt, char *buf, size_t size)
{
	for (;;) {
		int ch;
		attron(A_REVERSE);
		mvhline(LINES - 1, 0, ' ', COLS);
		mvprintw(LINES - 1, 1, "%s%s", prompt, buf);
		attroff(A_REVERSE);
		refresh();
		ch = ui_key(-1);
		if (ch == UI_KEY_EOF || ch == UI_KEY_ESC)
			return 0;
		if (ch == '\r' || ch == '\n' || ch == KEY_ENTER)
			return 1;
		edit(buf, size, ch);
	}
}
