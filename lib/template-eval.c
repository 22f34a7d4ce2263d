/*
 * Running a parsed template: control structures, pipelines, fields and variables, following Go's
 * text/template exec.go (scoping of variables, range over sorted keys, missing values, and the
 * "executing ... at <...>" messages).
 */
#include <config.h>
#include "template.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "macros.h"
#include "template-private.h"
#include "xalloc.h"

struct var {
        const char *name; /* borrowed from the tree */
        json_t *value;    /* owned; NULL: missing */
};

enum flow {
        FLOW_NEXT,
        FLOW_BREAK,
        FLOW_CONTINUE,
};

struct exec {
        const struct tmpl *t;
        struct buf *out;
        struct var *vars; /* the variable stack: control structures pop what they pushed */
        size_t n_vars, cap_vars;
        enum flow flow;
        struct rctr_error *err;
};

static int eval_pipe(struct exec *e, json_t *dot, const struct tmpl_pipe *pipe, json_t **ret);
static int walk_list(struct exec *e, json_t *dot, const struct tmpl_list *list);

int tmpl_error_at(const struct tmpl *t, size_t pos, size_t end, struct rctr_error *err)
{
        size_t line_start = 0, n = end > pos ? end - pos : 0;
        int line = 1;

        for (size_t i = 0; i < pos && i < t->len; i++)
                if (t->text[i] == '\n') {
                        line++;
                        line_start = i + 1;
                }
        /* Go cuts the context at 20 bytes */
        return rctr_error_prefix(err, "template: %s:%d:%zu: executing \"%s\" at <%.*s%s>", t->name,
                                 line, pos - line_start, t->name, (int)(n > 20 ? 20 : n),
                                 t->text + pos, n > 20 ? "..." : "");
}

static int __attribute__((format(printf, 4, 5)))
xerr(struct exec *e, size_t pos, size_t end, const char *fmt, ...)
{
        cleanup_free char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                xalloc_die();
        va_end(ap);
        rctr_error_set(e->err, EINVAL, "%s", msg);
        return tmpl_error_at(e->t, pos, end, e->err);
}

static int out_append(struct exec *e, const char *s, size_t len)
{
        if (buf_append(e->out, s, len) < 0)
                return rctr_error_set(e->err, EFBIG, "template: output longer than %zu bytes",
                                      e->out->max);
        return 0;
}

/* ---- variables ---- */

static void push_var(struct exec *e, const char *name, json_t *value)
{
        if (e->n_vars == e->cap_vars) {
                e->cap_vars = e->cap_vars ? e->cap_vars * 2 : 8;
                e->vars = xreallocarray(e->vars, e->cap_vars, sizeof(*e->vars));
        }
        e->vars[e->n_vars++] = (struct var){name, value};
}

static void pop_vars(struct exec *e, size_t mark)
{
        while (e->n_vars > mark)
                json_decref(e->vars[--e->n_vars].value);
}

static struct var *find_var(struct exec *e, const char *name)
{
        for (size_t i = e->n_vars; i-- > 0;)
                if (streq(e->vars[i].name, name))
                        return &e->vars[i];
        return NULL;
}

/* {{$x = value}}: value is taken. */
static int set_var(struct exec *e, const char *name, json_t *value, size_t pos)
{
        struct var *v = find_var(e, name);

        if (!v) {
                json_decref(value);
                return xerr(e, pos, pos, "undefined variable: %s", name);
        }
        json_decref(v->value);
        v->value = value;
        return 0;
}

/* ---- operands and commands ---- */

/* Apply arg's field chain to recv (taken); a missing value stays missing along the chain. */
static int eval_fields(struct exec *e, const struct tmpl_arg *arg, json_t *recv, json_t **ret)
{
        for (size_t i = 0; i < arg->n_fields && recv; i++) {
                json_t *next;

                if (!json_is_object(recv)) {
                        const char *type = tmpl_type_name(recv);
                        bool null = json_is_null(recv);

                        json_decref(recv);
                        if (null)
                                return xerr(e, arg->pos, arg->end,
                                            "nil pointer evaluating interface {}.%s",
                                            arg->fields[i]);
                        return xerr(e, arg->pos, arg->end, "can't evaluate field %s in type %s",
                                    arg->fields[i], type);
                }
                next = json_incref(json_object_get(recv, arg->fields[i]));
                json_decref(recv);
                recv = next;
        }
        *ret = recv;
        return 0;
}

static int call_func(struct exec *e, json_t *dot, const struct tmpl_arg *fn,
                     const struct tmpl_arg *args, size_t n_args, json_t *final, bool has_final,
                     size_t pos, size_t end, json_t **ret);

static int eval_arg(struct exec *e, json_t *dot, const struct tmpl_arg *arg, json_t **ret)
{
        json_t *v = NULL;
        struct var *var;
        int r = 0;

        switch (arg->type) {
        case TMPL_ARG_DOT:
        case TMPL_ARG_FIELD:
                v = json_incref(dot);
                break;
        case TMPL_ARG_NIL:
                v = json_null();
                break;
        case TMPL_ARG_CONST:
                v = json_incref(arg->value);
                break;
        case TMPL_ARG_VAR:
                var = find_var(e, arg->name);
                if (!var)
                        return xerr(e, arg->pos, arg->end, "undefined variable: %s", arg->name);
                v = json_incref(var->value);
                break;
        case TMPL_ARG_PIPE:
                r = eval_pipe(e, dot, arg->pipe, &v);
                break;
        case TMPL_ARG_FUNC:
                /* a function as an argument is called without arguments */
                r = call_func(e, dot, arg, NULL, 0, NULL, false, arg->pos, arg->end, &v);
                break;
        }
        if (r < 0)
                return r;
        return eval_fields(e, arg, v, ret);
}

static void values_free(json_t **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                json_decref(v[i]);
        free(v);
}

/* and/or: Go evaluates the arguments only until the result is known, and returns that value. */
static int call_and_or(struct exec *e, json_t *dot, bool is_or, const struct tmpl_arg *args,
                       size_t n_args, json_t *final, bool has_final, json_t **ret)
{
        json_t *v = NULL;

        for (size_t i = 0; i < n_args; i++) {
                int r;

                json_decref(v);
                r = eval_arg(e, dot, &args[i], &v);
                if (r < 0)
                        return r;
                if (tmpl_truth(v) == is_or) {
                        *ret = v;
                        return 0;
                }
        }
        if (has_final) {
                json_decref(v);
                v = json_incref(final);
        }
        *ret = v;
        return 0;
}

static int call_func(struct exec *e, json_t *dot, const struct tmpl_arg *fn,
                     const struct tmpl_arg *args, size_t n_args, json_t *final, bool has_final,
                     size_t pos, size_t end, json_t **ret)
{
        const struct tmpl_func *f = fn->func;
        size_t n = n_args + has_final;
        json_t **vals;
        int r = 0;

        if (n < f->min_args || n > f->max_args) {
                if (f->max_args == f->min_args)
                        return xerr(e, fn->pos, fn->end,
                                    "wrong number of args for %s: want %zu got %zu", f->name,
                                    f->min_args, n);
                return xerr(e, fn->pos, fn->end,
                            "wrong number of args for %s: want at least %zu got %zu", f->name,
                            f->min_args, n);
        }
        if (!f->call)
                return call_and_or(e, dot, streq(f->name, "or"), args, n_args, final, has_final,
                                   ret);
        vals = xzalloc((n + 1) * sizeof(*vals));
        for (size_t i = 0; i < n_args && r >= 0; i++)
                r = eval_arg(e, dot, &args[i], &vals[i]);
        if (r >= 0 && has_final)
                vals[n_args] = json_incref(final);
        if (r >= 0) {
                r = f->call(vals, n, ret, e->err);
                if (r < 0)
                        tmpl_error_at(e->t, pos, end, e->err);
        }
        values_free(vals, n);
        return r;
}

/* One stage of a pipeline; final is the previous stage's value, passed as the last argument. */
static int eval_cmd(struct exec *e, json_t *dot, const struct tmpl_cmd *cmd, json_t *final,
                    bool has_final, json_t **ret)
{
        const struct tmpl_arg *a = &cmd->args[0];

        if (a->type == TMPL_ARG_FUNC)
                return call_func(e, dot, a, cmd->args + 1, cmd->n_args - 1, final, has_final,
                                 cmd->pos, cmd->end, ret);
        if (a->type == TMPL_ARG_NIL)
                return xerr(e, a->pos, a->end, "nil is not a command");
        if (cmd->n_args > 1 || has_final)
                return xerr(e, a->pos, a->end, "can't give argument to non-function %.*s",
                            (int)(a->end - a->pos), e->t->text + a->pos);
        return eval_arg(e, dot, a, ret);
}

/* The pipeline's value (a new reference, NULL: missing); declares or sets its variables. */
static int eval_pipe(struct exec *e, json_t *dot, const struct tmpl_pipe *pipe, json_t **ret)
{
        json_t *v = NULL;

        for (size_t i = 0; i < pipe->n_cmds; i++) {
                json_t *next = NULL;
                int r = eval_cmd(e, dot, &pipe->cmds[i], v, i > 0, &next);

                json_decref(v);
                if (r < 0)
                        return r;
                v = next;
        }
        for (size_t i = 0; i < pipe->n_decl; i++) {
                if (pipe->assign) {
                        int r = set_var(e, pipe->decl[i], json_incref(v), pipe->cmds[0].pos);

                        if (r < 0) {
                                json_decref(v);
                                return r;
                        }
                } else {
                        push_var(e, pipe->decl[i], json_incref(v));
                }
        }
        *ret = v;
        return 0;
}

/* ---- control structures ---- */

static int walk_if_with(struct exec *e, json_t *dot, const struct tmpl_node *node)
{
        size_t mark = e->n_vars;
        json_t *v = NULL;
        int r = eval_pipe(e, dot, node->pipe, &v);

        if (r >= 0 && tmpl_truth(v))
                r = walk_list(e, node->type == TMPL_NODE_WITH ? v : dot, &node->list);
        else if (r >= 0)
                r = walk_list(e, dot, &node->else_list);
        json_decref(v);
        pop_vars(e, mark);
        return r;
}

/* One pass of a range body: $v (and $i) set, the body's own variables dropped after it. */
static int range_once(struct exec *e, const struct tmpl_node *node, json_t *index, json_t *elem)
{
        const struct tmpl_pipe *pipe = node->pipe;
        size_t mark = e->n_vars;
        int r = 0;

        if (pipe->assign) {
                if (pipe->n_decl > 0)
                        r = set_var(e, pipe->decl[0], json_incref(pipe->n_decl > 1 ? index : elem),
                                    node->pos);
                if (r >= 0 && pipe->n_decl > 1)
                        r = set_var(e, pipe->decl[1], json_incref(elem), node->pos);
        } else if (pipe->n_decl > 0) {
                /* declared by the pipeline: the last is the element, the first the index */
                json_decref(e->vars[mark - 1].value);
                e->vars[mark - 1].value = json_incref(elem);
                if (pipe->n_decl > 1) {
                        json_decref(e->vars[mark - 2].value);
                        e->vars[mark - 2].value = json_incref(index);
                }
        }
        if (r >= 0)
                r = walk_list(e, elem, &node->list);
        pop_vars(e, mark);
        if (e->flow == FLOW_CONTINUE)
                e->flow = FLOW_NEXT;
        return r;
}

static int range_value(struct exec *e, const struct tmpl_node *node, json_t *v, size_t *ret_n)
{
        size_t n = json_is_array(v) ? json_array_size(v) : 0;
        int r = 0;

        if (json_is_integer(v))
                n = json_integer_value(v) > 0 ? (size_t)json_integer_value(v) : 0;
        if (json_is_object(v)) {
                cleanup_free const char **keys = tmpl_sorted_keys(v, &n);

                for (size_t i = 0; i < n && r >= 0 && e->flow == FLOW_NEXT; i++) {
                        json_t *k = json_string_nocheck(keys[i]);

                        r = range_once(e, node, k, json_object_get(v, keys[i]));
                        json_decref(k);
                }
        } else if (json_is_array(v) || json_is_integer(v)) {
                /* Go 1.22 ranges over an integer n as 0..n-1 */
                for (size_t i = 0; i < n && r >= 0 && e->flow == FLOW_NEXT; i++) {
                        json_t *k = json_integer((json_int_t)i);

                        r = range_once(e, node, k, json_is_array(v) ? json_array_get(v, i) : k);
                        json_decref(k);
                }
        } else if (v) {
                cleanup_buf struct buf b = {0};

                buf_init(&b, 0);
                tmpl_print_value(&b, v);
                return xerr(e, node->pos, node->pos, "range can't iterate over %s", b.data);
        }
        e->flow = FLOW_NEXT;
        *ret_n = n;
        return r;
}

static int walk_range(struct exec *e, json_t *dot, const struct tmpl_node *node)
{
        size_t mark = e->n_vars, n = 0;
        json_t *v = NULL;
        int r = eval_pipe(e, dot, node->pipe, &v);

        if (r >= 0)
                r = range_value(e, node, v, &n);
        if (r >= 0 && n == 0)
                r = walk_list(e, dot, &node->else_list);
        json_decref(v);
        pop_vars(e, mark);
        return r;
}

static int walk_node(struct exec *e, json_t *dot, const struct tmpl_node *node)
{
        cleanup_buf struct buf b = {0};
        json_t *v = NULL;
        int r;

        switch (node->type) {
        case TMPL_NODE_TEXT:
                return out_append(e, node->text, node->len);
        case TMPL_NODE_ACTION:
                r = eval_pipe(e, dot, node->pipe, &v);
                if (r < 0 || node->pipe->n_decl > 0) {
                        json_decref(v);
                        return r;
                }
                buf_init(&b, 0);
                tmpl_print_value(&b, v);
                json_decref(v);
                return out_append(e, b.data, b.len);
        case TMPL_NODE_IF:
        case TMPL_NODE_WITH:
                return walk_if_with(e, dot, node);
        case TMPL_NODE_RANGE:
                return walk_range(e, dot, node);
        case TMPL_NODE_BREAK:
                e->flow = FLOW_BREAK;
                return 0;
        case TMPL_NODE_CONTINUE:
                e->flow = FLOW_CONTINUE;
                return 0;
        }
        return 0;
}

static int walk_list(struct exec *e, json_t *dot, const struct tmpl_list *list)
{
        for (size_t i = 0; i < list->n && e->flow == FLOW_NEXT; i++) {
                int r = walk_node(e, dot, &list->v[i]);

                if (r < 0)
                        return r;
        }
        return 0;
}

int tmpl_render(const struct tmpl *t, json_t *dot, struct buf *out, struct rctr_error *err)
{
        struct exec e = {.t = t, .out = out, .err = err};
        int r;

        push_var(&e, "$", json_incref(dot));
        r = walk_list(&e, dot, &t->root);
        pop_vars(&e, 0);
        free(e.vars);
        return r;
}
