/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * table: aligned text columns in the style of ipvsadm.  Cells are
 * copied.  A header starting with '>' names a right-aligned column (the
 * '>' is not printed); numbers read best that way.  A NULL header list
 * prints no header row.
 */
#ifndef DPLBCTL_TABLE_H
#define DPLBCTL_TABLE_H

#include <stdio.h>

struct table;

/** headers: ncols strings; NULL for no header row. */
struct table *table_new(unsigned int ncols, const char *const *headers);

/** Append a row of ncols cells (NULL prints "-"). */
void table_row(struct table *t, const char *const *cells);

/** Print with two spaces between columns, then free the table. */
void table_print(struct table *t, FILE *f);

#endif /* DPLBCTL_TABLE_H */
