/*
 * ui.h: the console's drawing and input on ncurses: a screen of at
 * least UI_MIN_COLS x UI_MIN_LINES, monochrome (bold and reverse only,
 * so any terminal shows it), redrawn whole on every change, so a
 * terminal resized at any moment shows the same screen again. Every
 * dialog also takes plain keys where a terminal has no function keys
 * (a serial console as vt100): y/n beside F11/Esc.
 */
#ifndef BASALT_DCUI_UI_H
#define BASALT_DCUI_UI_H

#include <stddef.h>

#define UI_MIN_COLS  80
#define UI_MIN_LINES 25

/* Keys beyond ncurses' own. */
#define UI_KEY_ALT_F12 0x1f12
#define UI_KEY_NONE    (-1) /* the wait ended without a key */
#define UI_KEY_EOF     (-2) /* the terminal is gone */
#define UI_KEY_ESC     27

/* Take the terminal (TERM, else linux, else vt100): 0, or -1. */
int ui_start(void);
void ui_end(void);

/* The next key, waiting at most timeout_ms (-1: for ever). A resize
 * comes as KEY_RESIZE: the caller draws again. */
int ui_key(int timeout_ms);

/* Below the minimum size: a notice drawn, 1; else 0. */
int ui_too_small(void);

/* The screen's frame: a title bar and a hint line at the bottom. */
void ui_frame(const char *title, const char *hints);

/* text wrapped into width w from (y, x), at most max lines; the
 * number of lines it took. "\n" starts a line. */
int ui_wrap(int y, int x, int w, int max, const char *text, int attr);

/* A dialog box, centred, rows x cols inside; its inner origin in *y,
 * *x. */
void ui_box(const char *title, int rows, int cols, int *y, int *x);

/* Show text until Enter or Esc. */
void ui_message(const char *title, const char *text);

/* Ask: 1 when the action is confirmed (F11, or y), 0 on Esc or n. */
int ui_confirm(const char *title, const char *text, const char *action);

struct ui_field {
	const char *uf_label;
	char *uf_buf; /* the value, edited in place */
	size_t uf_size;
	int uf_secret; /* shown as '*' */
};

/* Fields to fill, from the first empty one: Up/Down/Tab (Home, End)
 * move, Enter
 * on the last (or F11) accepts: 1; Esc: 0 (the buffers then hold what
 * was typed). */
int ui_form(const char *title, const char *intro, struct ui_field *f, int n);

/* A line of text typed at the bottom of the screen after prompt: 1,
 * or 0 on Esc. */
int ui_prompt(const char *prompt, char *buf, size_t size);

#endif
