/*
 * The parsed form of a template and the pieces lib/template-*.c share: the lexer's tokens
 * (template-lex.c), the tree (template-parse.c builds it, template-eval.c walks it), the
 * functions (template-funcs*.c) and values (template-value.c, template-print.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"

struct rctr_error;

/* Nesting of parentheses and control structures: bounds the recursion of parse and eval. */
#define TMPL_MAX_DEPTH 100

/* ---- tokens ---- */

enum tmpl_tok_type {
        TMPL_TOK_EOF,
        TMPL_TOK_ERROR, /* msg says why; the lexer stops here */
        TMPL_TOK_TEXT,
        TMPL_TOK_LEFT,  /* {{ */
        TMPL_TOK_RIGHT, /* }} */
        TMPL_TOK_SPACE,
        TMPL_TOK_FIELD, /* .Name */
        TMPL_TOK_DOT,
        TMPL_TOK_VAR,   /* $ or $name */
        TMPL_TOK_IDENT, /* a function name */
        TMPL_TOK_STRING,
        TMPL_TOK_RAW_STRING,
        TMPL_TOK_CHAR_CONST,
        TMPL_TOK_NUMBER,
        TMPL_TOK_PIPE,
        TMPL_TOK_LPAREN,
        TMPL_TOK_RPAREN,
        TMPL_TOK_DECLARE, /* := */
        TMPL_TOK_ASSIGN,  /* = */
        TMPL_TOK_CHAR,    /* any other printable ASCII character, e.g. "," */
        /* keywords: printed as <name> in messages, as Go does */
        TMPL_TOK_KEYWORD,
        TMPL_TOK_BOOL = TMPL_TOK_KEYWORD,
        TMPL_TOK_NIL,
        TMPL_TOK_IF,
        TMPL_TOK_ELSE,
        TMPL_TOK_END,
        TMPL_TOK_RANGE,
        TMPL_TOK_WITH,
        TMPL_TOK_BREAK,
        TMPL_TOK_CONTINUE,
        TMPL_TOK_DEFINE,
        TMPL_TOK_TEMPLATE,
        TMPL_TOK_BLOCK,
};

struct tmpl_tok {
        enum tmpl_tok_type type;
        size_t pos, len; /* the token's bytes in the source (text: after trimming) */
        char *msg;       /* owned: ERROR's message */
};

struct tmpl_toks {
        struct tmpl_tok *v; /* owned */
        size_t n;
};

/* Tokenize text; the last token is EOF or ERROR. */
void tmpl_lex(const char *text, size_t len, struct tmpl_toks *ret);
void tmpl_toks_clear(struct tmpl_toks *toks);

/* A literal token's value (a new reference), or NULL with *ret_msg (owned) saying why. */
json_t *tmpl_literal(enum tmpl_tok_type type, const char *s, size_t len, char **ret_msg);

/* ---- tree ---- */

enum tmpl_arg_type {
        TMPL_ARG_DOT,   /* . */
        TMPL_ARG_NIL,   /* nil */
        TMPL_ARG_CONST, /* a string, number or bool literal */
        TMPL_ARG_FIELD, /* .A.B: fields of dot */
        TMPL_ARG_VAR,   /* $x.A.B (fields may be none) */
        TMPL_ARG_PIPE,  /* (pipeline).A.B (fields may be none) */
        TMPL_ARG_FUNC,  /* a function name */
};

struct tmpl_pipe;
struct tmpl_func;

struct tmpl_arg {
        enum tmpl_arg_type type;
        size_t pos, end;              /* source span: errors say "at <...>" with it */
        char *name;                   /* owned: VAR "$x"; FUNC the function */
        const struct tmpl_func *func; /* FUNC */
        json_t *value;                /* owned: CONST */
        struct tmpl_pipe *pipe;       /* owned: PIPE */
        char **fields;                /* owned: the chain .A.B of FIELD, VAR, PIPE */
        size_t n_fields;
};

struct tmpl_cmd {
        struct tmpl_arg *args; /* owned; n_args >= 1, args[0] is the function or the value */
        size_t n_args;
        size_t pos, end;
};

struct tmpl_pipe {
        char *decl[2]; /* owned: "$x" of {{$x := ...}}, or $i and $v of a range */
        size_t n_decl;
        bool assign; /* "=": set an existing variable instead of declaring one */
        struct tmpl_cmd *cmds;
        size_t n_cmds;
};

enum tmpl_node_type {
        TMPL_NODE_TEXT,
        TMPL_NODE_ACTION,
        TMPL_NODE_IF,
        TMPL_NODE_RANGE,
        TMPL_NODE_WITH,
        TMPL_NODE_BREAK,
        TMPL_NODE_CONTINUE,
};

struct tmpl_node;

struct tmpl_list {
        struct tmpl_node *v; /* owned */
        size_t n;
};

struct tmpl_node {
        enum tmpl_node_type type;
        size_t pos;
        char *text; /* owned: TEXT */
        size_t len;
        struct tmpl_pipe *pipe;           /* owned: ACTION, IF, RANGE, WITH */
        struct tmpl_list list, else_list; /* IF, RANGE, WITH */
};

struct tmpl {
        char *name; /* owned */
        char *text; /* owned copy of the source: error positions and contexts come from it */
        size_t len;
        struct tmpl_list root;
};

/* Destructors (template.c): each frees what the object owns and leaves it empty. */
void tmpl_arg_clear(struct tmpl_arg *a);
void tmpl_pipe_free(struct tmpl_pipe *p);
void tmpl_node_clear(struct tmpl_node *n);
void tmpl_list_clear(struct tmpl_list *l);

/* "template: NAME:LINE:COL: executing "NAME" at <span>: " as the prefix of err. Returns -code. */
int tmpl_error_at(const struct tmpl *t, size_t pos, size_t end, struct rctr_error *err);

/* ---- functions ---- */

/*
 * A function gets its arguments evaluated (NULL: a missing value), returns a new reference in
 * *ret (NULL: missing) or -EINVAL with err set to the cause ("error calling index: ...").
 */
typedef int (*tmpl_func_call)(json_t **args, size_t n, json_t **ret, struct rctr_error *err);

struct tmpl_func {
        const char *name;
        size_t min_args, max_args; /* max SIZE_MAX: variadic */
        tmpl_func_call call;       /* NULL for and/or, which evaluate their arguments lazily */
};

/* The function called name (Go's builtins, then podman's additions), or NULL. */
const struct tmpl_func *tmpl_func_find(const char *name);
const struct tmpl_func *tmpl_podman_func_find(const char *name);
/*
 * 0 when v has the JSON type a function wants, else -EINVAL with err in Go's words: "wrong type
 * for value; expected string; got int" (or "invalid value; expected string" when missing).
 */
int tmpl_want(json_t *v, json_type type, const char *go_type, struct rctr_error *err);

/* ---- values ---- */

/* Append to a buffer of ours without a cap, where appending cannot fail. */
static inline void tmpl_put(struct buf *b, const char *s, size_t len)
{
        (void)buf_append(b, s, len);
}

static inline void tmpl_puts(struct buf *b, const char *s)
{
        tmpl_put(b, s, strlen(s));
}

/* UTF-8 of cp (a valid code point) into out; returns its length, 1 to 4. */
size_t tmpl_utf8_encode(uint32_t cp, char out[4]);
/* The character at s (n > 0 bytes): its length, or 1 with *cp = U+FFFD for an invalid byte. */
size_t tmpl_utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Go's truth: false, 0, "", empty array or object, null and missing are false. */
bool tmpl_truth(json_t *v);
/* Go's name of v's type in messages: string, int, float64, bool, []interface {}, ... */
const char *tmpl_type_name(json_t *v);
/* The object's keys in Go's map order (sorted bytewise). Owned array of borrowed keys. */
const char **tmpl_sorted_keys(json_t *obj, size_t *ret_n);
/* Append d (>= 0) as Go's %v of a float64: shortest digits, exponent below 1e-4 or from 1e+06. */
void tmpl_print_float(struct buf *out, double d);
/* Append v as Go's fmt %v does (missing: "<no value>"). */
void tmpl_print_value(struct buf *out, json_t *v);
/* Append v as Go's json.Marshal does, compact, object keys in their order (missing: null). */
void tmpl_print_json(struct buf *out, json_t *v);
/* Append Go's fmt.Sprintf(format, args...) for the verbs %v %s %q %d %x %X %o %b %c %e %f %g %t. */
void tmpl_sprintf(struct buf *out, const char *format, size_t len, json_t **args, size_t n);
/* Go's fmt.Sprint (spaces only between non-string operands) and Sprintln (always, plus \n). */
void tmpl_sprint(struct buf *out, json_t **args, size_t n, bool ln);
