/*
 * Go text/template, the subset podman's --format needs, evaluated over jansson values: `rctr ps`,
 * `rctr images` and `rctr inspect` accept the same --format strings as podman.
 *
 * Syntax: literal text and {{actions}} with the trim markers "{{- " and " -}}"; comment actions
 * as in Go; operands . .A.B $ $x $x.A (pipeline).A "str" `raw` 'c' 42 0x1f 1.5 true false nil;
 * pipelines {{.A | upper}}; {{$x := pipeline}} and {{$x = pipeline}}; {{if}} {{else if}} {{else}}
 * {{end}}; {{with}} {{else with}}; {{range .X}} {{range $v := .X}} {{range $i, $v := .X}} with
 * {{else}}, {{break}} and {{continue}}. Functions: and or not len index slice eq ne lt le gt ge
 * print printf println, and podman's json join lower upper title split truncate pad.
 *
 * Values behave as Go's map[string]interface{} decoded from JSON does, except as noted: a missing
 * key is "<no value>" (and stays missing along a chain .A.B); a field of a string, number, bool or
 * array is an error "can't evaluate field X in type T"; null prints "<nil>"; objects print as
 * map[k:v k2:v2] with sorted keys, and range visits them in key order; arrays print as [a b c];
 * reals print as Go's %v (1.5, 1e+06). eq/lt/... compare integers and reals numerically (Go
 * would refuse int against float64). upper/lower/title change ASCII letters only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "macros.h"

struct buf;
struct rctr_error;
struct tmpl;

/* Templates longer than this are refused (-EFBIG): a --format is a line, not a file. */
#define TMPL_MAX_TEXT (1024 * 1024)

/*
 * Parse text (len bytes, not necessarily NUL-terminated) into *ret (owned by the caller; free
 * with tmpl_free()). name (NULL: "") appears in messages as Go's does. Returns 0, -EINVAL with
 * err as one Go-style line such as `template: images:1: unexpected "}" in operand` or
 * `template: :1: function "foo" not defined`, or -EFBIG over TMPL_MAX_TEXT.
 */
int tmpl_parse(const char *name, const char *text, size_t len, struct tmpl **ret,
               struct rctr_error *err);

/*
 * Run t with dot (and $) = dot (borrowed; NULL renders as a missing value), appending to out
 * (initialized by the caller; its cap, if any, bounds the output). On failure out keeps what was
 * written before it. Returns 0; -EINVAL with err like `template: images:1:13: executing "images"
 * at <.Foo.Bar>: can't evaluate field Bar in type string`; or -EFBIG past out's cap.
 */
int tmpl_render(const struct tmpl *t, json_t *dot, struct buf *out, struct rctr_error *err);

void tmpl_free(struct tmpl *t);
DEFINE_FREEP(struct tmpl *, tmpl_free)

/*
 * podman's --format conventions (containers/common pkg/report), for commands that print a list
 * of items:
 *  - "json" or "{{json}}" alone means JSON output (tmpl_format_is_json(); "{{json .}}" is a
 *    template);
 *  - "table X" prints a header row, then X per item, aligned in columns (lib/tabwriter.h);
 *  - otherwise X per item, no header, no alignment;
 *  - the two-character escapes \t and \n in X become a tab and a newline; in a table every space
 *    becomes a tab (a column break), as podman's replacer does; a final newline is added when X
 *    lacks one.
 */

/* podman's report.IsJSON: "json" or {{json}} / {{json.}} alone (spaces allowed around both). */
bool tmpl_format_is_json(const char *format);

/* "table " prefix: a table with headers. The bare word "table" is the command's default. */
bool tmpl_format_is_table(const char *format);

/*
 * The per-item text for format as podman normalizes it (see above); *ret_table says whether it
 * was a table. Returns an owned string.
 */
char *tmpl_format_normalize(const char *format, bool *ret_table);

/*
 * Parse a user's --format as podman's report.Formatter.Parse(OriginUser, ...) does: the result
 * runs over the *array* of items (dot = the array; pass a one-element array holding the headers
 * object to render the header row of a table). The normalized text is wrapped in
 * {{range .}}...{{end -}} unless a non-table format already has its own {{range .}}...{{end}}.
 * When the normalized text does not parse, the text as given is tried instead, as podman does
 * (so {{printf "\n"}} works), and a failure is that parse's error. *ret_table (may be NULL) as
 * above. Returns 0 or the errors of tmpl_parse().
 */
int tmpl_parse_format(const char *name, const char *format, struct tmpl **ret, bool *ret_table,
                      struct rctr_error *err);

/*
 * Print items (a JSON array, borrowed) per a user's --format, as podman's report.Formatter does:
 * tmpl_parse_format(name, format); for a table, first the header row (the template run over
 * [headers]; headers is borrowed, NULL: no header row, as --noheading), then the whole output
 * aligned by tabwriter_format() with podman's settings. Appends to out. Returns 0, or the errors
 * of tmpl_parse_format(), tmpl_render() and tabwriter_format().
 */
int tmpl_format_render(const char *name, const char *format, json_t *items, json_t *headers,
                       struct buf *out, struct rctr_error *err);
