/*
 * The template parser: tokens into the tree of template-private.h. It follows the structure of
 * Go's text/template/parse (list, action, control, pipeline, command, operand, term) so that the
 * same templates parse and the same mistakes give the same one-line messages.
 */
#include <config.h>
#include "template.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "macros.h"
#include "template-private.h"
#include "xalloc.h"

enum stop {
        STOP_NONE,
        STOP_END,  /* {{end}} */
        STOP_ELSE, /* {{else}}, or {{else if / else with with the keyword left to read */
};

struct scope_var {
        const char *name; /* borrowed from the source */
        size_t len;
};

struct parser {
        const struct tmpl *t;
        struct tmpl_toks toks;
        size_t i;    /* the next token; tokens past the end read as the last (EOF or ERROR) */
        size_t last; /* the token read last: messages give its line, as Go's do */
        struct scope_var *vars;
        size_t n_vars, cap_vars;
        int range_depth, depth;
        struct rctr_error *err;
};

static int parse_pipeline(struct parser *p, const char *context, enum tmpl_tok_type end,
                          struct tmpl_pipe **ret);
static int parse_list(struct parser *p, struct tmpl_list *list, enum stop *ret_stop);

static const struct tmpl_tok *tok_at(const struct parser *p, size_t i)
{
        return &p->toks.v[i < p->toks.n ? i : p->toks.n - 1];
}

static const struct tmpl_tok *next(struct parser *p)
{
        p->last = p->i < p->toks.n ? p->i : p->toks.n - 1;
        return tok_at(p, p->i++);
}

static void backup(struct parser *p)
{
        p->i--;
}

static const struct tmpl_tok *next_nonspace(struct parser *p)
{
        const struct tmpl_tok *t;

        do
                t = next(p);
        while (t->type == TMPL_TOK_SPACE);
        return t;
}

static const struct tmpl_tok *peek_nonspace(struct parser *p)
{
        const struct tmpl_tok *t = next_nonspace(p);

        backup(p);
        return t;
}

static const struct tmpl_tok *peek(struct parser *p)
{
        const struct tmpl_tok *t = next(p);

        backup(p);
        return t;
}

/* Text may hold NUL bytes, which Go templates allow. */
static char *memdup_nul(const char *s, size_t len)
{
        char *d = xmalloc(len + 1);

        memcpy(d, s, len);
        d[len] = '\0';
        return d;
}

static int line_of(const char *text, size_t pos)
{
        int line = 1;

        for (size_t i = 0; i < pos; i++)
                line += text[i] == '\n';
        return line;
}

static int __attribute__((format(printf, 2, 3))) perr(struct parser *p, const char *fmt, ...)
{
        cleanup_free char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                xalloc_die();
        va_end(ap);
        return rctr_error_set(p->err, EINVAL, "template: %s:%d: %s", p->t->name,
                              line_of(p->t->text, tok_at(p, p->last)->pos), msg);
}

/* A token as Go's item.String() shows it: EOF, <keyword>, or quoted and cut at 10 characters. */
static char *tok_describe(const struct parser *p, const struct tmpl_tok *t)
{
        const char *s = p->t->text + t->pos;
        size_t n = t->len > 10 ? 10 : t->len;
        cleanup_buf struct buf b = {0};

        if (t->type == TMPL_TOK_EOF)
                return xstrdup("EOF");
        if (t->type >= TMPL_TOK_KEYWORD)
                return xasprintf("<%.*s>", (int)t->len, s);
        buf_init(&b, 0);
        (void)buf_append(&b, "\"", 1); /* no cap: cannot fail */
        for (size_t i = 0; i < n; i++)
                (void)buf_appendf(&b, "%s%c", s[i] == '"' || s[i] == '\\' ? "\\" : "", s[i]);
        (void)buf_appendf(&b, "\"%s", t->len > 10 ? "..." : "");
        return buf_detach(&b);
}

static int unexpected(struct parser *p, const struct tmpl_tok *t, const char *context)
{
        cleanup_free char *what = NULL;

        if (t->type == TMPL_TOK_ERROR)
                return perr(p, "%s", t->msg);
        what = tok_describe(p, t);
        return perr(p, "unexpected %s in %s", what, context);
}

static int expect(struct parser *p, enum tmpl_tok_type type, const char *context)
{
        const struct tmpl_tok *t = next_nonspace(p);

        return t->type == type ? 0 : unexpected(p, t, context);
}

static int enter(struct parser *p)
{
        if (++p->depth > TMPL_MAX_DEPTH)
                return perr(p, "max expression depth exceeded");
        return 0;
}

/* ---- variables in scope: Go refuses a use of $x before its declaration ---- */

static void scope_push(struct parser *p, const char *name, size_t len)
{
        if (p->n_vars == p->cap_vars) {
                p->cap_vars = p->cap_vars ? p->cap_vars * 2 : 8;
                p->vars = xreallocarray(p->vars, p->cap_vars, sizeof(*p->vars));
        }
        p->vars[p->n_vars++] = (struct scope_var){name, len};
}

static bool scope_has(const struct parser *p, const char *name, size_t len)
{
        for (size_t i = p->n_vars; i-- > 0;)
                if (p->vars[i].len == len && memcmp(p->vars[i].name, name, len) == 0)
                        return true;
        return false;
}

/* ---- operands, commands, pipelines ---- */

static void pipe_freep(struct tmpl_pipe **pipe)
{
        tmpl_pipe_free(*pipe);
}

static int parse_term(struct parser *p, struct tmpl_arg *a, bool *have)
{
        const struct tmpl_tok *t = next_nonspace(p);
        const char *s = p->t->text + t->pos;
        cleanup_free char *msg = NULL;
        int r = 0;

        *have = true;
        *a = (struct tmpl_arg){.pos = t->pos, .end = t->pos + t->len};
        switch (t->type) {
        case TMPL_TOK_IDENT:
                a->type = TMPL_ARG_FUNC;
                a->name = xstrndup(s, t->len);
                a->func = tmpl_func_find(a->name);
                return a->func ? 0 : perr(p, "function \"%s\" not defined", a->name);
        case TMPL_TOK_DOT:
        case TMPL_TOK_NIL:
                a->type = t->type == TMPL_TOK_DOT ? TMPL_ARG_DOT : TMPL_ARG_NIL;
                return 0;
        case TMPL_TOK_VAR:
                a->type = TMPL_ARG_VAR;
                a->name = xstrndup(s, t->len);
                return scope_has(p, s, t->len) ? 0 : perr(p, "undefined variable \"%s\"", a->name);
        case TMPL_TOK_FIELD:
                a->type = TMPL_ARG_FIELD;
                a->fields = xzalloc(2 * sizeof(char *));
                a->fields[a->n_fields++] = xstrndup(s + 1, t->len - 1);
                return 0;
        case TMPL_TOK_BOOL:
                a->type = TMPL_ARG_CONST;
                a->value = json_boolean(t->len == 4);
                return 0;
        case TMPL_TOK_CHAR_CONST:
        case TMPL_TOK_NUMBER:
        case TMPL_TOK_STRING:
        case TMPL_TOK_RAW_STRING:
                a->type = TMPL_ARG_CONST;
                a->value = tmpl_literal(t->type, s, t->len, &msg);
                return a->value ? 0 : perr(p, "%s", msg);
        case TMPL_TOK_LPAREN:
                a->type = TMPL_ARG_PIPE;
                r = enter(p);
                if (r >= 0)
                        r = parse_pipeline(p, "parenthesized pipeline", TMPL_TOK_RPAREN, &a->pipe);
                p->depth--;
                a->end = tok_at(p, p->last)->pos + 1;
                return r;
        default:
                backup(p);
                *have = false;
                return 0;
        }
}

/* A term and the fields after it: .A.B, $x.A, (pipeline).A, fn.A */
static int parse_operand(struct parser *p, struct tmpl_arg *a, bool *have)
{
        int r = parse_term(p, a, have);

        if (r < 0 || !*have || peek(p)->type != TMPL_TOK_FIELD)
                return r;
        if (a->type == TMPL_ARG_DOT || a->type == TMPL_ARG_NIL || a->type == TMPL_ARG_CONST)
                return perr(p, "unexpected . after term \"%.*s\"", (int)(a->end - a->pos),
                            p->t->text + a->pos);
        if (a->type == TMPL_ARG_FUNC) {
                /* fn.A: the function's result, then its fields */
                struct tmpl_pipe *pipe = xzalloc(sizeof(*pipe));

                pipe->cmds = xzalloc(sizeof(*pipe->cmds));
                pipe->n_cmds = 1;
                pipe->cmds[0] = (struct tmpl_cmd){xmalloc(sizeof(*a)), 1, a->pos, a->end};
                pipe->cmds[0].args[0] = *a;
                *a = (struct tmpl_arg){.type = TMPL_ARG_PIPE, .pos = a->pos, .pipe = pipe};
        }
        while (peek(p)->type == TMPL_TOK_FIELD) {
                const struct tmpl_tok *t = next(p);

                a->fields = xreallocarray(a->fields, a->n_fields + 2, sizeof(char *));
                a->fields[a->n_fields++] = xstrndup(p->t->text + t->pos + 1, t->len - 1);
                a->fields[a->n_fields] = NULL;
                a->end = t->pos + t->len;
        }
        return 0;
}

static int parse_command(struct parser *p, struct tmpl_cmd *cmd)
{
        cmd->pos = peek_nonspace(p)->pos;
        for (;;) {
                struct tmpl_arg a = {0};
                const struct tmpl_tok *t;
                bool have;
                int r = parse_operand(p, &a, &have);

                if (r < 0) {
                        tmpl_arg_clear(&a);
                        return r;
                }
                if (have) {
                        cmd->args = xreallocarray(cmd->args, cmd->n_args + 1, sizeof(a));
                        cmd->args[cmd->n_args++] = a;
                        cmd->end = a.end;
                }
                t = next(p);
                if (t->type == TMPL_TOK_SPACE)
                        continue;
                if (t->type == TMPL_TOK_RIGHT || t->type == TMPL_TOK_RPAREN)
                        backup(p);
                else if (t->type != TMPL_TOK_PIPE)
                        return unexpected(p, t, "operand");
                break;
        }
        return cmd->n_args ? 0 : perr(p, "empty command");
}

static int check_pipeline(struct parser *p, const struct tmpl_pipe *pipe, const char *context)
{
        if (pipe->n_cmds == 0)
                return perr(p, "missing value for %s", context);
        /* A|B|C: only A may be a plain value; the others receive the value piped to them */
        for (size_t i = 1; i < pipe->n_cmds; i++) {
                enum tmpl_arg_type type = pipe->cmds[i].args[0].type;

                if (type == TMPL_ARG_DOT || type == TMPL_ARG_NIL || type == TMPL_ARG_CONST)
                        return perr(p, "non executable command in pipeline stage %zu", i + 1);
        }
        return 0;
}

/* $x :=, $x =, and in a range $i, $v := */
static int parse_decls(struct parser *p, struct tmpl_pipe *pipe, const char *context)
{
        for (;;) {
                size_t start = p->i;
                const struct tmpl_tok *v = next_nonspace(p), *t;

                if (v->type != TMPL_TOK_VAR) {
                        p->i = start;
                        return 0;
                }
                t = next_nonspace(p);
                if (t->type != TMPL_TOK_DECLARE && t->type != TMPL_TOK_ASSIGN &&
                    !(t->type == TMPL_TOK_CHAR && p->t->text[t->pos] == ',')) {
                        p->i = start; /* $x is an operand */
                        return 0;
                }
                if (pipe->n_decl == 2)
                        return perr(p, "too many declarations in %s", context);
                pipe->decl[pipe->n_decl++] = xstrndup(p->t->text + v->pos, v->len);
                scope_push(p, p->t->text + v->pos, v->len);
                if (t->type != TMPL_TOK_CHAR) {
                        pipe->assign = t->type == TMPL_TOK_ASSIGN;
                        return 0;
                }
                if (!streq(context, "range") || pipe->n_decl > 1)
                        return perr(p, "too many declarations in %s", context);
                t = peek_nonspace(p);
                if (t->type != TMPL_TOK_VAR && t->type != TMPL_TOK_RIGHT &&
                    t->type != TMPL_TOK_RPAREN)
                        return perr(p, "range can only initialize variables");
        }
}

static int parse_pipeline(struct parser *p, const char *context, enum tmpl_tok_type end,
                          struct tmpl_pipe **ret)
{
        CLEANUP(pipe_freep) struct tmpl_pipe *pipe = xzalloc(sizeof(*pipe));
        int r = parse_decls(p, pipe, context);

        if (r < 0)
                return r;
        for (;;) {
                const struct tmpl_tok *t = next_nonspace(p);

                if (t->type == end) {
                        r = check_pipeline(p, pipe, context);
                        if (r < 0)
                                return r;
                        *ret = TAKE_PTR(pipe);
                        return 0;
                }
                switch (t->type) {
                case TMPL_TOK_BOOL:
                case TMPL_TOK_CHAR_CONST:
                case TMPL_TOK_DOT:
                case TMPL_TOK_FIELD:
                case TMPL_TOK_IDENT:
                case TMPL_TOK_NUMBER:
                case TMPL_TOK_NIL:
                case TMPL_TOK_RAW_STRING:
                case TMPL_TOK_STRING:
                case TMPL_TOK_VAR:
                case TMPL_TOK_LPAREN:
                        backup(p);
                        pipe->cmds =
                                xreallocarray(pipe->cmds, pipe->n_cmds + 1, sizeof(*pipe->cmds));
                        pipe->cmds[pipe->n_cmds++] = (struct tmpl_cmd){0};
                        r = parse_command(p, &pipe->cmds[pipe->n_cmds - 1]);
                        if (r < 0)
                                return r;
                        break;
                default:
                        return unexpected(p, t, context);
                }
        }
}

/* ---- actions and control structures ---- */

/* {{if}}, {{range}}, {{with}}: the pipeline, the list, the else list; variables end with it. */
static int parse_control(struct parser *p, enum tmpl_node_type type, struct tmpl_node *node)
{
        const char *context = type == TMPL_NODE_IF      ? "if"
                              : type == TMPL_NODE_RANGE ? "range"
                                                        : "with";
        size_t mark = p->n_vars;
        enum stop stop;
        int r;

        node->type = type;
        r = enter(p);
        if (r >= 0)
                r = parse_pipeline(p, context, TMPL_TOK_RIGHT, &node->pipe);
        if (r < 0)
                return r;
        p->range_depth += type == TMPL_NODE_RANGE;
        r = parse_list(p, &node->list, &stop);
        p->range_depth -= type == TMPL_NODE_RANGE;
        if (r >= 0 && stop == STOP_ELSE) {
                enum tmpl_tok_type chain = type == TMPL_NODE_IF     ? TMPL_TOK_IF
                                           : type == TMPL_NODE_WITH ? TMPL_TOK_WITH
                                                                    : TMPL_TOK_EOF;

                if (chain != TMPL_TOK_EOF && peek_nonspace(p)->type == chain) {
                        /* {{else if b}} is {{else}}{{if b}}...{{end}} sharing our {{end}} */
                        (void)next_nonspace(p);
                        node->else_list.v = xzalloc(sizeof(struct tmpl_node));
                        node->else_list.n = 1;
                        r = parse_control(p, type, &node->else_list.v[0]);
                } else {
                        r = parse_list(p, &node->else_list, &stop);
                        if (r >= 0 && stop != STOP_END)
                                r = perr(p, "expected end; found {{else}}");
                }
        }
        p->n_vars = mark;
        p->depth--;
        return r;
}

static int parse_action(struct parser *p, struct tmpl_node *node, enum stop *stop)
{
        const struct tmpl_tok *t = next_nonspace(p);
        const char *word = p->t->text + t->pos;

        node->pos = t->pos;
        switch (t->type) {
        case TMPL_TOK_BREAK:
        case TMPL_TOK_CONTINUE:
                node->type = t->type == TMPL_TOK_BREAK ? TMPL_NODE_BREAK : TMPL_NODE_CONTINUE;
                t = next_nonspace(p);
                if (t->type != TMPL_TOK_RIGHT)
                        return unexpected(
                                p, t, node->type == TMPL_NODE_BREAK ? "{{break}}" : "{{continue}}");
                if (p->range_depth == 0)
                        return perr(p, "{{%s}} outside {{range}}",
                                    node->type == TMPL_NODE_BREAK ? "break" : "continue");
                return 0;
        case TMPL_TOK_ELSE:
                *stop = STOP_ELSE;
                t = peek_nonspace(p);
                return t->type == TMPL_TOK_IF || t->type == TMPL_TOK_WITH
                               ? 0
                               : expect(p, TMPL_TOK_RIGHT, "else");
        case TMPL_TOK_END:
                *stop = STOP_END;
                return expect(p, TMPL_TOK_RIGHT, "end");
        case TMPL_TOK_IF:
        case TMPL_TOK_RANGE:
        case TMPL_TOK_WITH:
                return parse_control(p,
                                     t->type == TMPL_TOK_IF      ? TMPL_NODE_IF
                                     : t->type == TMPL_TOK_RANGE ? TMPL_NODE_RANGE
                                                                 : TMPL_NODE_WITH,
                                     node);
        case TMPL_TOK_DEFINE:
        case TMPL_TOK_TEMPLATE:
        case TMPL_TOK_BLOCK:
                return perr(p, "{{%.*s}} is not supported", (int)t->len, word);
        default:
                backup(p);
                node->type = TMPL_NODE_ACTION;
                return parse_pipeline(p, "command", TMPL_TOK_RIGHT, &node->pipe);
        }
}

/*
 * Nodes until EOF (*ret_stop NULL: the top level, where {{end}} and {{else}} are errors) or
 * until {{end}} / {{else}} (in a control structure, where EOF is an error).
 */
static int parse_list(struct parser *p, struct tmpl_list *list, enum stop *ret_stop)
{
        for (;;) {
                const struct tmpl_tok *t = next_nonspace(p);
                struct tmpl_node node = {.pos = t->pos};
                enum stop stop = STOP_NONE;
                int r = 0;

                if (t->type == TMPL_TOK_EOF)
                        return ret_stop ? perr(p, "unexpected EOF") : 0;
                if (t->type == TMPL_TOK_TEXT) {
                        node.type = TMPL_NODE_TEXT;
                        node.text = memdup_nul(p->t->text + t->pos, t->len);
                        node.len = t->len;
                } else if (t->type == TMPL_TOK_LEFT) {
                        r = parse_action(p, &node, &stop);
                } else {
                        r = unexpected(p, t, "input");
                }
                if (r >= 0 && stop != STOP_NONE && !ret_stop)
                        r = perr(p, "unexpected {{%s}}", stop == STOP_END ? "end" : "else");
                if (r < 0 || stop != STOP_NONE) {
                        tmpl_node_clear(&node);
                        if (ret_stop)
                                *ret_stop = stop;
                        return r;
                }
                list->v = xreallocarray(list->v, list->n + 1, sizeof(node));
                list->v[list->n++] = node;
        }
}

int tmpl_parse(const char *name, const char *text, size_t len, struct tmpl **ret,
               struct rctr_error *err)
{
        CLEANUP(tmpl_freep) struct tmpl *t = NULL;
        struct parser p = {.err = err};
        int r;

        if (len > TMPL_MAX_TEXT)
                return rctr_error_set(err, EFBIG, "template: longer than %d bytes", TMPL_MAX_TEXT);
        t = xzalloc(sizeof(*t));
        t->name = xstrdup(name ? name : "");
        t->text = memdup_nul(text, len);
        t->len = len;
        p.t = t;
        tmpl_lex(t->text, len, &p.toks);
        scope_push(&p, "$", 1);
        r = parse_list(&p, &t->root, NULL);
        tmpl_toks_clear(&p.toks);
        free(p.vars);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}
