/*
 * podman's --format conventions on top of the template engine (containers/common pkg/report:
 * IsJSON, NormalizeFormat, EnforceRange, Formatter.Parse and Execute), and freeing a parsed
 * template.
 */
#include <config.h>
#include "template.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "macros.h"
#include "tabwriter.h"
#include "template-private.h"
#include "xalloc.h"

/* ---- destructors ---- */

static void cmd_clear(struct tmpl_cmd *c)
{
        for (size_t i = 0; i < c->n_args; i++)
                tmpl_arg_clear(&c->args[i]);
        free(c->args);
        *c = (struct tmpl_cmd){0};
}

void tmpl_arg_clear(struct tmpl_arg *a)
{
        free(a->name);
        json_decref(a->value);
        tmpl_pipe_free(a->pipe);
        strv_free(a->fields);
        *a = (struct tmpl_arg){0};
}

void tmpl_pipe_free(struct tmpl_pipe *pipe)
{
        if (!pipe)
                return;
        for (size_t i = 0; i < pipe->n_cmds; i++)
                cmd_clear(&pipe->cmds[i]);
        free(pipe->cmds);
        free(pipe->decl[0]);
        free(pipe->decl[1]);
        free(pipe);
}

void tmpl_node_clear(struct tmpl_node *n)
{
        free(n->text);
        tmpl_pipe_free(n->pipe);
        tmpl_list_clear(&n->list);
        tmpl_list_clear(&n->else_list);
        *n = (struct tmpl_node){0};
}

void tmpl_list_clear(struct tmpl_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                tmpl_node_clear(&l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

void tmpl_free(struct tmpl *t)
{
        if (!t)
                return;
        tmpl_list_clear(&t->root);
        free(t->name);
        free(t->text);
        free(t);
}

/* ---- podman's --format ---- */

/* Go's regexp \s */
static const char *skip_space(const char *s)
{
        return s + strspn(s, " \t\n\f\r");
}

static const char *skip_word(const char *s, const char *word)
{
        size_t n = strlen(word);

        return s && strncmp(s, word, n) == 0 ? s + n : NULL;
}

bool tmpl_format_is_json(const char *format)
{
        const char *s = skip_space(format), *rest = skip_word(s, "json");

        /* ^\s*(json|{{\s*json\.?\s*}})\s*$ */
        if (!rest) {
                rest = skip_word(skip_word(s, "{{") ? skip_space(s + 2) : NULL, "json");
                if (rest && *rest == '.')
                        rest++;
                rest = rest ? skip_word(skip_space(rest), "}}") : NULL;
        }
        return rest && *skip_space(rest) == '\0';
}

bool tmpl_format_is_table(const char *format)
{
        return strncmp(format, "table ", 6) == 0;
}

char *tmpl_format_normalize(const char *format, bool *ret_table)
{
        bool table = tmpl_format_is_table(format);
        cleanup_buf struct buf b = {0};

        buf_init(&b, 0); /* no cap: appending cannot fail */
        for (const char *s = format; *s;) {
                /* podman's strings.Replacer: the first pair that matches here wins */
                if (table && strncmp(s, "table ", 6) == 0) {
                        s += 6;
                } else if (s[0] == '\\' && (s[1] == 't' || s[1] == 'n')) {
                        (void)buf_append(&b, s[1] == 't' ? "\t" : "\n", 1);
                        s += 2;
                } else {
                        /* in a table a space separates columns */
                        (void)buf_append(&b, table && *s == ' ' ? "\t" : s, 1);
                        s++;
                }
        }
        if (b.len == 0 || b.data[b.len - 1] != '\n')
                (void)buf_append(&b, "\n", 1);
        if (ret_table)
                *ret_table = table;
        return buf_detach(&b);
}

/* podman's EnforceRange: {{ range . }}...{{ end }} (or {{end -}}) somewhere in s. */
static bool has_range(const char *s)
{
        for (const char *open = strstr(s, "{{"); open; open = strstr(open + 2, "{{")) {
                const char *p = skip_word(skip_space(open + 2), "range");

                p = p ? skip_word(skip_space(p), ".") : NULL;
                p = p ? skip_word(skip_space(p), "}}") : NULL;
                for (const char *end = p ? strstr(p, "{{") : NULL; end;
                     end = strstr(end + 2, "{{")) {
                        const char *q = skip_word(skip_space(end + 2), "end");

                        if (q) {
                                q = skip_space(q);
                                q = skip_word(skip_space(*q == '-' ? q + 1 : q), "}}");
                        }
                        if (q)
                                return true;
                }
        }
        return false;
}

static char *wrap_in_range(const char *text, bool always)
{
        if (!always && has_range(text))
                return xstrdup(text);
        return xasprintf("{{range .}}%s{{end -}}", text);
}

int tmpl_parse_format(const char *name, const char *format, struct tmpl **ret, bool *ret_table,
                      struct rctr_error *err)
{
        bool table = tmpl_format_is_table(format);
        cleanup_free char *norm = tmpl_format_normalize(format, NULL);
        cleanup_free char *text = wrap_in_range(norm, table);
        cleanup_free char *raw = NULL;
        int r;

        r = tmpl_parse(name, text, strlen(text), ret, err);
        if (r == -EINVAL) {
                /*
                 * Normalizing breaks {{printf "\n"}} (a newline inside a string is a syntax
                 * error): podman then parses the text as given, and reports that parse's error.
                 */
                rctr_error_clear(err);
                raw = wrap_in_range(format + (table ? 6 : 0), table);
                r = tmpl_parse(name, raw, strlen(raw), ret, err);
        }
        if (r >= 0 && ret_table)
                *ret_table = table;
        return r;
}

int tmpl_format_render(const char *name, const char *format, json_t *items, json_t *headers,
                       struct buf *out, struct rctr_error *err)
{
        CLEANUP(tmpl_freep) struct tmpl *t = NULL;
        cleanup_buf struct buf text = {0};
        bool table = false;
        int r = tmpl_parse_format(name, format, &t, &table, err);

        if (r < 0)
                return r;
        if (!table)
                return tmpl_render(t, items, out, err);
        /* the table is aligned as a whole: render it all, then pad the columns */
        buf_init(&text, out->max);
        if (headers) {
                json_auto_t *head = json_pack("[O]", headers);

                r = tmpl_render(t, head, &text, err);
        }
        if (r >= 0)
                r = tmpl_render(t, items, &text, err);
        if (r >= 0)
                r = tabwriter_format(text.data, text.len, TABWRITER_PODMAN_MINWIDTH,
                                     TABWRITER_PODMAN_PADDING, out, err);
        return r;
}
