/*
 * Column alignment as Go's text/tabwriter does it for podman's tables (`podman ps`, `podman
 * images`, --format "table ..."), so that rctr's tables line up the same way.
 */
#pragma once

#include <stddef.h>

struct buf;
struct rctr_error;

/* What containers/common's report.Formatter passes to tabwriter.NewWriter (padchar ' '). */
#define TABWRITER_PODMAN_MINWIDTH 12
#define TABWRITER_PODMAN_PADDING  2

/*
 * Align text (len bytes): a tab ends a cell, a newline ends a line. A column is a run of
 * consecutive lines that have a tab-terminated cell at that position; each such cell is padded
 * with spaces to max(minwidth, widest cell of the run + padding), widths counted in characters.
 * The text after a line's last tab belongs to no column and is not padded; a last line without
 * a newline is written without one. Appends to out; returns 0, or -EFBIG with err set past
 * out's cap.
 */
int tabwriter_format(const char *text, size_t len, size_t minwidth, size_t padding, struct buf *out,
                     struct rctr_error *err);
