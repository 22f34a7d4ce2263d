/*
 * Go's text/tabwriter without its flags: cells end at tabs, and a column's width is set per
 * block of consecutive lines that have that column. Go finds the blocks recursively, column
 * by column inside the previous column's block; a line that has column j also has every column
 * before it, so the block of column j around a line is simply the longest run of lines around
 * it that have column j. That lets us compute widths in a loop, with no recursion that a line
 * of many tabs could make deep.
 */
#include <config.h>
#include "tabwriter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "macros.h"
#include "xalloc.h"

struct cell {
        size_t pos, len; /* bytes of the text */
        size_t width;    /* characters of the text */
        size_t column;   /* padded width: tab-terminated cells only */
};

struct line {
        struct cell *cells; /* owned; the last one is the text after the last tab */
        size_t n;
};

static size_t char_count(const char *s, size_t n)
{
        size_t count = 0;

        /* UTF-8 continuation bytes do not start a character (Go counts runes) */
        for (size_t i = 0; i < n; i++)
                count += ((unsigned char)s[i] & 0xc0) != 0x80;
        return count;
}

static void split_line(const char *text, size_t start, size_t end, struct line *l)
{
        size_t n = 1;

        for (size_t i = start; i < end; i++)
                n += text[i] == '\t';
        l->cells = xreallocarray(NULL, n, sizeof(*l->cells));
        l->n = 0;
        for (size_t i = start;; i++) {
                if (i == end || text[i] == '\t') {
                        l->cells[l->n++] = (struct cell){start, i - start,
                                                         char_count(text + start, i - start), 0};
                        start = i + 1;
                }
                if (i == end)
                        break;
        }
}

/* The padded width of column j in every line: the widest cell of its run of lines, plus padding. */
static void set_widths(struct line *lines, size_t n_lines, size_t minwidth, size_t padding)
{
        size_t max_cols = 0;

        for (size_t i = 0; i < n_lines; i++)
                if (lines[i].n > max_cols)
                        max_cols = lines[i].n;
        for (size_t j = 0; j + 1 < max_cols; j++) {
                for (size_t i = 0; i < n_lines;) {
                        size_t start = i, width = minwidth;

                        if (lines[i].n <= j + 1) {
                                i++;
                                continue;
                        }
                        for (; i < n_lines && lines[i].n > j + 1; i++)
                                if (lines[i].cells[j].width + padding > width)
                                        width = lines[i].cells[j].width + padding;
                        for (size_t k = start; k < i; k++)
                                lines[k].cells[j].column = width;
                }
        }
}

static int write_lines(const char *text, const struct line *lines, size_t n_lines, struct buf *out)
{
        static const char spaces[] = "                                ";
        int r = 0;

        for (size_t i = 0; i < n_lines && r >= 0; i++) {
                for (size_t j = 0; j < lines[i].n && r >= 0; j++) {
                        const struct cell *c = &lines[i].cells[j];
                        size_t fill = c->column > c->width ? c->column - c->width : 0;

                        r = buf_append(out, text + c->pos, c->len);
                        for (; fill > 0 && r >= 0; fill -= fill < 32 ? fill : 32)
                                r = buf_append(out, spaces, fill < 32 ? fill : 32);
                }
                if (i + 1 < n_lines && r >= 0)
                        r = buf_append(out, "\n", 1);
        }
        return r;
}

int tabwriter_format(const char *text, size_t len, size_t minwidth, size_t padding, struct buf *out,
                     struct rctr_error *err)
{
        struct line *lines;
        size_t n_lines = 1, start = 0, k = 0;
        int r;

        for (size_t i = 0; i < len; i++)
                n_lines += text[i] == '\n';
        lines = xreallocarray(NULL, n_lines, sizeof(*lines));
        for (size_t i = 0; i <= len; i++)
                if (i == len || text[i] == '\n') {
                        split_line(text, start, i, &lines[k++]);
                        start = i + 1;
                }
        set_widths(lines, n_lines, minwidth, padding);
        r = write_lines(text, lines, n_lines, out);
        for (size_t i = 0; i < n_lines; i++)
                free(lines[i].cells);
        free(lines);
        if (r < 0)
                return rctr_error_set(err, EFBIG, "table output longer than %zu bytes", out->max);
        return 0;
}
