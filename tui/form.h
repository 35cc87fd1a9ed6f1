/*
 * Forms inside: the fields and their values (form.c), and the screen that
 * shows and edits them (scr_form.c).  Other files use tui.h only.
 */
#ifndef OF_TUI_FORM_H
#define OF_TUI_FORM_H

#include "tui.h"

#define FORM_MAX_FIELDS	32
#define FORM_MAX_TEXT	IPC_MAX_STR
#define FORM_MAX_WIDTH	60	/* an entry at most */

struct field {
	char		*key;
	char		*label;
	enum field_type	 type;
	char		*choices;	/* "a|b|c" */
	char		*help;
	char		*value;
	char		*initial;
	char		*shown;		/* initial as the entry shows it */
	char		 error[512];
	CDKENTRY	*entry;		/* while built and shown */
	int		 row;		/* screen row, -1 not shown */
};

struct form {
	char		 title[256];
	form_save_fn	*save;
	void		*arg;
	void		(*free_arg)(void *);
	form_done_fn	*done;
	struct field	 f[FORM_MAX_FIELDS];
	int		 n;
	int		 focus;		/* a field, or n: the Save button */
	int		 top;		/* first field shown */
	int		 button_row;	/* -1: not shown */
	int		 labelw, x, width;
	char		 error[512];	/* about the whole form */
	int		 busy;		/* a call is out */
	char		 button[32];	/* "Save" */
};

/* form.c, for scr_form.c. */
/* Replace a field's value (the old one wiped: it may be a password). */
void	form_set(struct field *, const char *);
void	form_free(struct form *);
/* The entries' text into the fields. */
void	form_sync(struct form *);
/* Check and send (the form's save function); closes it when it says so. */
void	form_save(struct form *);
/* A choice field's next (dir 1) or previous (-1) choice. */
void	form_step(struct field *, int dir);

#endif
