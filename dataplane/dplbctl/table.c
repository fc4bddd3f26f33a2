/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

struct table {
	unsigned int ncols;
	unsigned int nrows;		/* including the header row */
	unsigned int cap;
	bool header;
	bool *right;
	size_t *width;
	char **cells;			/* nrows * ncols */
};

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL) {
		fputs("dplbctl: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static void
add_row(struct table *t, const char *const *cells, bool header)
{
	unsigned int i;
	const char *c;
	size_t len;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = realloc(t->cells, sizeof(char *) * t->cap * t->ncols);
		if (t->cells == NULL) {
			fputs("dplbctl: out of memory\n", stderr);
			exit(1);
		}
	}
	for (i = 0; i < t->ncols; i++) {
		c = cells[i] != NULL ? cells[i] : "-";
		if (header && c[0] == '>') {
			t->right[i] = true;
			c++;
		}
		t->cells[t->nrows * t->ncols + i] = strdup(c);
		len = strlen(c);
		if (len > t->width[i])
			t->width[i] = len;
	}
	t->nrows++;
}

struct table *
table_new(unsigned int ncols, const char *const *headers)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	t->right = xcalloc(ncols, sizeof(*t->right));
	t->width = xcalloc(ncols, sizeof(*t->width));
	if (headers != NULL) {
		add_row(t, headers, true);
		t->header = true;
	}
	return t;
}

void
table_row(struct table *t, const char *const *cells)
{
	add_row(t, cells, false);
}

void
table_print(struct table *t, FILE *f)
{
	unsigned int r, i;
	const char *c;
	int w;

	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			c = t->cells[r * t->ncols + i];
			c = c != NULL ? c : "?";
			w = (int)t->width[i];
			if (i == t->ncols - 1 && !t->right[i])
				fputs(c, f);	/* no trailing blanks */
			else if (t->right[i])
				fprintf(f, "%*s", w, c);
			else
				fprintf(f, "%-*s", w, c);
			if (i + 1 < t->ncols)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
	for (r = 0; r < t->nrows * t->ncols; r++)
		free(t->cells[r]);
	free(t->cells);
	free(t->right);
	free(t->width);
	free(t);
}
