#include <config.h>
#include "toml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "macros.h"
#include "xalloc.h"

/* A table that has its own [header] or was made by a dotted key: no second [header] for it. */
#define F_DEFINED 1u
/* An array made by [[header]]: later [[header]]s append to it. */
#define F_TABLE_ARRAY 2u
/* An inline table or an array value: complete as written, closed to headers and dotted keys. */
#define F_SEALED 4u

struct parser {
        const char *p, *end;
        const char *name;
        unsigned line;
        struct toml_value *root, *current;
        struct rctr_error *err;
};

static int __attribute__((format(printf, 2, 3))) perr(struct parser *ps, const char *fmt, ...)
{
        cleanup_free char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                xalloc_die();
        va_end(ap);
        return rctr_error_set(ps->err, EBADMSG, "%s:%u: %s", ps->name, ps->line, msg);
}

/* A character for a message: 'x', or its code when it would not show (a tab, a CR, a byte). */
struct char_text {
        char s[8];
};

static struct char_text char_text(char c)
{
        struct char_text t;

        if (c > 0x20 && c < 0x7f)
                snprintf(t.s, sizeof(t.s), "'%c'", c);
        else
                snprintf(t.s, sizeof(t.s), "0x%02x", (unsigned char)c);
        return t;
}

const char *toml_type_name(enum toml_type type)
{
        switch (type) {
        case TOML_STRING:
                return "string";
        case TOML_BOOL:
                return "boolean";
        case TOML_OTHER:
                return "number or date";
        case TOML_ARRAY:
                return "array";
        case TOML_TABLE:
                return "table";
        }
        return "value";
}

static struct toml_value *value_new(enum toml_type type, unsigned line)
{
        struct toml_value *v = xzalloc(sizeof(*v));

        v->type = type;
        v->line = line;
        return v;
}

void toml_free(struct toml_value *v)
{
        if (!v)
                return;
        free(v->s);
        for (size_t i = 0; i < v->n_items; i++)
                toml_free(v->items[i]);
        free(v->items);
        for (size_t i = 0; i < v->n_keys; i++) {
                free(v->keys[i]);
                toml_free(v->values[i]);
        }
        free(v->keys);
        free(v->values);
        free(v);
}

struct toml_value *toml_get(const struct toml_value *table, const char *key)
{
        if (!table || table->type != TOML_TABLE)
                return NULL;
        for (size_t i = 0; i < table->n_keys; i++)
                if (streq(table->keys[i], key))
                        return table->values[i];
        return NULL;
}

/* Takes key and value. */
static int table_add(struct parser *ps, struct toml_value *t, char *key, struct toml_value *v)
{
        if (t->n_keys >= TOML_MAX_KEYS) {
                free(key);
                toml_free(v);
                return perr(ps, "more than %d keys in one table", TOML_MAX_KEYS);
        }
        t->keys = xreallocarray(t->keys, t->n_keys + 1, sizeof(*t->keys));
        t->values = xreallocarray(t->values, t->n_keys + 1, sizeof(*t->values));
        t->keys[t->n_keys] = key;
        t->values[t->n_keys] = v;
        t->n_keys++;
        return 0;
}

/* Takes v. */
static int array_add(struct parser *ps, struct toml_value *a, struct toml_value *v)
{
        if (a->n_items >= TOML_MAX_ITEMS) {
                toml_free(v);
                return perr(ps, "more than %d items in one array", TOML_MAX_ITEMS);
        }
        a->items = xreallocarray(a->items, a->n_items + 1, sizeof(*a->items));
        a->items[a->n_items++] = v;
        return 0;
}

static void skip_ws(struct parser *ps)
{
        while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
                ps->p++;
}

static void skip_comment(struct parser *ps)
{
        if (ps->p < ps->end && *ps->p == '#')
                while (ps->p < ps->end && *ps->p != '\n')
                        ps->p++;
}

/* Consume a newline ("\n" or "\r\n"); false when there is none at p. */
static bool eat_newline(struct parser *ps)
{
        if (ps->p < ps->end && *ps->p == '\n') {
                ps->p++;
        } else if (ps->end - ps->p >= 2 && ps->p[0] == '\r' && ps->p[1] == '\n') {
                ps->p += 2;
        } else {
                return false;
        }
        ps->line++;
        return true;
}

/* Whitespace, comments and newlines, as allowed between the items of an array. */
static void skip_blank(struct parser *ps)
{
        for (;;) {
                skip_ws(ps);
                skip_comment(ps);
                if (!eat_newline(ps))
                        return;
        }
}

/* After a key = value or a [header]: only a comment may follow on the line. */
static int expect_eol(struct parser *ps, const char *after)
{
        skip_ws(ps);
        skip_comment(ps);
        if (ps->p == ps->end || eat_newline(ps))
                return 0;
        return perr(ps, "unexpected %s after %s", char_text(*ps->p).s, after);
}

static void put_utf8(struct buf *b, uint32_t cp)
{
        char out[4];
        size_t n;

        if (cp < 0x80) {
                out[0] = (char)cp;
                n = 1;
        } else if (cp < 0x800) {
                out[0] = (char)(0xc0 | (cp >> 6));
                out[1] = (char)(0x80 | (cp & 0x3f));
                n = 2;
        } else if (cp < 0x10000) {
                out[0] = (char)(0xe0 | (cp >> 12));
                out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char)(0x80 | (cp & 0x3f));
                n = 3;
        } else {
                out[0] = (char)(0xf0 | (cp >> 18));
                out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
                out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
                out[3] = (char)(0x80 | (cp & 0x3f));
                n = 4;
        }
        buf_append(b, out, n);
}

/* \uXXXX or \UXXXXXXXX: p is at the first hex digit. NUL is refused: values are C strings. */
static int parse_unicode_escape(struct parser *ps, int digits, struct buf *b)
{
        uint32_t cp = 0;

        if (ps->end - ps->p < digits)
                return perr(ps, "truncated \\u escape");
        for (int i = 0; i < digits; i++) {
                char c = *ps->p++;
                uint32_t d;

                if (c >= '0' && c <= '9')
                        d = (uint32_t)(c - '0');
                else if (c >= 'a' && c <= 'f')
                        d = (uint32_t)(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        d = (uint32_t)(c - 'A' + 10);
                else
                        return perr(ps, "invalid hex digit %s in \\u escape", char_text(c).s);
                cp = cp << 4 | d;
        }
        if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return perr(ps, "\\u escape is not a usable Unicode scalar value");
        put_utf8(b, cp);
        return 0;
}

static int parse_escape(struct parser *ps, struct buf *b)
{
        static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
        const char *hit;
        char c;

        if (ps->p == ps->end)
                return perr(ps, "unterminated string");
        c = *ps->p++;
        if (c == 'u' || c == 'U')
                return parse_unicode_escape(ps, c == 'u' ? 4 : 8, b);
        hit = c ? strchr(from, c) : NULL;
        if (!hit)
                return perr(ps, "invalid escape \\ and %s in string", char_text(c).s);
        buf_append(b, &to[hit - from], 1);
        return 0;
}

/* "basic" (escapes) or 'literal' string on one line; p is at the opening quote. */
static int parse_string(struct parser *ps, char **ret)
{
        cleanup_buf struct buf b = {0};
        char quote = *ps->p;
        int r;

        buf_init(&b, 0);
        if (ps->end - ps->p >= 3 && ps->p[1] == quote && ps->p[2] == quote)
                return perr(ps, "multi-line strings are not supported");
        ps->p++;
        for (;;) {
                unsigned char c;

                if (ps->p == ps->end || *ps->p == '\n' || *ps->p == '\r')
                        return perr(ps, "unterminated string");
                c = (unsigned char)*ps->p++;
                if (c == (unsigned char)quote)
                        break;
                if (c == '\\' && quote == '"') {
                        r = parse_escape(ps, &b);
                        if (r < 0)
                                return r;
                        continue;
                }
                if ((c < 0x20 && c != '\t') || c == 0x7f)
                        return perr(ps, "control character 0x%02x in string", c);
                buf_append(&b, &c, 1);
        }
        *ret = buf_detach(&b);
        return 0;
}

static bool is_bare_key_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
}

struct key_path {
        char *parts[TOML_MAX_DEPTH];
        size_t n;
};

static void key_path_clear(struct key_path *k)
{
        for (size_t i = 0; i < k->n; i++)
                free(k->parts[i]);
        k->n = 0;
}

/* For messages: the parts joined with '.'. Owned. */
static char *key_path_text(const struct key_path *k, size_t n)
{
        struct buf b;

        buf_init(&b, 0);
        for (size_t i = 0; i < n; i++)
                buf_appendf(&b, "%s%s", i ? "." : "", k->parts[i]);
        return buf_detach(&b);
}

/* key or "quoted key" or a.b."c", with blanks around the dots. */
static int parse_key_path(struct parser *ps, struct key_path *ret)
{
        for (;;) {
                const char *start;
                int r;

                skip_ws(ps);
                if (ret->n == TOML_MAX_DEPTH)
                        return perr(ps, "key has more than %d parts", TOML_MAX_DEPTH);
                if (ps->p < ps->end && (*ps->p == '"' || *ps->p == '\'')) {
                        r = parse_string(ps, &ret->parts[ret->n]);
                        if (r < 0)
                                return r;
                } else {
                        start = ps->p;
                        while (ps->p < ps->end && is_bare_key_char(*ps->p))
                                ps->p++;
                        if (ps->p == start)
                                return ps->p == ps->end || *ps->p == '\n'
                                               ? perr(ps, "expected a key")
                                               : perr(ps, "unexpected %s where a key should be",
                                                      char_text(*ps->p).s);
                        ret->parts[ret->n] = xstrndup(start, (size_t)(ps->p - start));
                }
                ret->n++;
                skip_ws(ps);
                if (ps->p == ps->end || *ps->p != '.')
                        return 0;
                ps->p++;
        }
}

/* Walk from t along the first n parts of key, making missing tables. Returns the last table. */
static int walk_tables(struct parser *ps, struct toml_value *t, const struct key_path *key,
                       size_t n, unsigned new_flags, struct toml_value **ret)
{
        for (size_t i = 0; i < n; i++) {
                struct toml_value *v = toml_get(t, key->parts[i]);
                cleanup_free char *text = NULL;
                int r;

                if (!v) {
                        v = value_new(TOML_TABLE, ps->line);
                        v->flags = new_flags;
                        r = table_add(ps, t, xstrdup(key->parts[i]), v);
                        if (r < 0)
                                return r;
                } else if (v->type == TOML_ARRAY && (v->flags & F_TABLE_ARRAY) &&
                           !(new_flags & F_DEFINED)) {
                        /* [a.b] after [[a]] means b in the last table of a. */
                        v = v->items[v->n_items - 1];
                } else if (v->type != TOML_TABLE || (v->flags & F_SEALED)) {
                        text = key_path_text(key, i + 1);
                        return perr(ps, "key \"%s\" is already a %s (line %u)", text,
                                    toml_type_name(v->type), v->line);
                }
                t = v;
        }
        *ret = t;
        return 0;
}

static int parse_value(struct parser *ps, unsigned depth, struct toml_value **ret);

/* key = value into t. Takes value. */
static int set_key(struct parser *ps, struct toml_value *t, struct key_path *key,
                   struct toml_value *value)
{
        struct toml_value *old;
        cleanup_free char *text = NULL;
        int r;

        r = walk_tables(ps, t, key, key->n - 1, F_DEFINED, &t);
        if (r < 0) {
                toml_free(value);
                return r;
        }
        old = toml_get(t, key->parts[key->n - 1]);
        if (old) {
                toml_free(value);
                text = key_path_text(key, key->n);
                return perr(ps, "duplicate key \"%s\" (first on line %u)", text, old->line);
        }
        r = table_add(ps, t, key->parts[key->n - 1], value);
        key->parts[--key->n] = NULL; /* taken by table_add */
        return r;
}

static int parse_array(struct parser *ps, unsigned depth, struct toml_value **ret)
{
        struct toml_value *a = value_new(TOML_ARRAY, ps->line);
        CLEANUP(toml_freep) struct toml_value *owned = a;
        int r;

        a->flags = F_SEALED;
        ps->p++;
        for (;;) {
                struct toml_value *item = NULL;

                skip_blank(ps);
                if (ps->p < ps->end && *ps->p == ']')
                        break;
                r = parse_value(ps, depth + 1, &item);
                if (r < 0)
                        return r;
                r = array_add(ps, a, item);
                if (r < 0)
                        return r;
                skip_blank(ps);
                if (ps->p < ps->end && *ps->p == ',') {
                        ps->p++;
                        continue;
                }
                if (ps->p < ps->end && *ps->p == ']')
                        break;
                return ps->p == ps->end ? perr(ps, "unterminated array")
                                        : perr(ps, "expected ',' or ']' in array, not %s",
                                               char_text(*ps->p).s);
        }
        ps->p++;
        *ret = TAKE_PTR(owned);
        return 0;
}

/* { key = value, ... } on one line. */
static int parse_inline_table(struct parser *ps, unsigned depth, struct toml_value **ret)
{
        struct toml_value *t = value_new(TOML_TABLE, ps->line);
        CLEANUP(toml_freep) struct toml_value *owned = t;
        int r;

        t->flags = F_SEALED | F_DEFINED;
        ps->p++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == '}') {
                ps->p++;
                *ret = TAKE_PTR(owned);
                return 0;
        }
        for (;;) {
                CLEANUP(key_path_clear) struct key_path key = {0};
                struct toml_value *v = NULL;

                r = parse_key_path(ps, &key);
                if (r < 0)
                        return r;
                if (ps->p == ps->end || *ps->p != '=')
                        return perr(ps, "expected '=' after a key in an inline table");
                ps->p++;
                skip_ws(ps);
                r = parse_value(ps, depth + 1, &v);
                if (r < 0)
                        return r;
                r = set_key(ps, t, &key, v);
                if (r < 0)
                        return r;
                skip_ws(ps);
                if (ps->p < ps->end && *ps->p == ',') {
                        ps->p++;
                        continue;
                }
                if (ps->p < ps->end && *ps->p == '}')
                        break;
                return perr(ps, "expected ',' or '}' in inline table (it must fit on one line)");
        }
        ps->p++;
        *ret = TAKE_PTR(owned);
        return 0;
}

static bool is_scalar_char(char c)
{
        return is_bare_key_char(c) || c == '.' || c == ':' || c == '+';
}

/* true, false, or a number or date kept as text. */
static int parse_scalar(struct parser *ps, struct toml_value **ret)
{
        const char *start = ps->p;
        cleanup_free char *text = NULL;
        struct toml_value *v;

        while (ps->p < ps->end && is_scalar_char(*ps->p))
                ps->p++;
        /* A local date-time may separate date and time with a space: 1979-05-27 07:32:00. */
        if (ps->p - start == 10 && start[4] == '-' && start[7] == '-' && ps->end - ps->p >= 2 &&
            ps->p[0] == ' ' && ps->p[1] >= '0' && ps->p[1] <= '9')
                for (ps->p++; ps->p < ps->end && is_scalar_char(*ps->p);)
                        ps->p++;
        if (ps->p == start)
                return ps->p == ps->end || *ps->p == '\n' || *ps->p == '#'
                               ? perr(ps, "expected a value")
                               : perr(ps, "unexpected %s where a value should be",
                                      char_text(*ps->p).s);
        text = xstrndup(start, (size_t)(ps->p - start));
        if (streq(text, "true") || streq(text, "false")) {
                v = value_new(TOML_BOOL, ps->line);
                v->b = streq(text, "true");
        } else if ((*text >= '0' && *text <= '9') || *text == '+' || *text == '-' ||
                   streq(text, "inf") || streq(text, "nan")) {
                v = value_new(TOML_OTHER, ps->line);
                v->s = TAKE_PTR(text);
        } else {
                return perr(ps, "invalid value \"%s\" (a string needs quotes)", text);
        }
        *ret = v;
        return 0;
}

static int parse_value(struct parser *ps, unsigned depth, struct toml_value **ret)
{
        char *s = NULL;
        int r;

        if (depth > TOML_MAX_DEPTH)
                return perr(ps, "values nested more than %d deep", TOML_MAX_DEPTH);
        if (ps->p == ps->end)
                return perr(ps, "expected a value");
        switch (*ps->p) {
        case '"':
        case '\'':
                r = parse_string(ps, &s);
                if (r < 0)
                        return r;
                *ret = value_new(TOML_STRING, ps->line);
                (*ret)->s = s;
                return 0;
        case '[':
                return parse_array(ps, depth, ret);
        case '{':
                return parse_inline_table(ps, depth, ret);
        default:
                return parse_scalar(ps, ret);
        }
}

/* [a.b] or [[a.b]]; p is at the first '['. */
static int parse_header(struct parser *ps)
{
        CLEANUP(key_path_clear) struct key_path key = {0};
        cleanup_free char *text = NULL;
        bool array = ps->end - ps->p >= 2 && ps->p[1] == '[';
        const char *last;
        struct toml_value *t, *v;
        int r;

        ps->p += array ? 2 : 1;
        r = parse_key_path(ps, &key);
        if (r < 0)
                return r;
        text = key_path_text(&key, key.n);
        if (ps->end - ps->p < (array ? 2 : 1) || ps->p[0] != ']' || (array && ps->p[1] != ']'))
                return perr(ps, "expected '%s' to close %s%s", array ? "]]" : "]",
                            array ? "[[" : "[", text);
        ps->p += array ? 2 : 1;

        r = walk_tables(ps, ps->root, &key, key.n - 1, 0, &t);
        if (r < 0)
                return r;
        last = key.parts[key.n - 1];
        v = toml_get(t, last);
        if (array) {
                if (!v) {
                        v = value_new(TOML_ARRAY, ps->line);
                        v->flags = F_TABLE_ARRAY;
                        r = table_add(ps, t, xstrdup(last), v);
                        if (r < 0)
                                return r;
                } else if (v->type != TOML_ARRAY || !(v->flags & F_TABLE_ARRAY)) {
                        return perr(ps, "[[%s]]: key is already a %s (line %u)", text,
                                    toml_type_name(v->type), v->line);
                }
                t = value_new(TOML_TABLE, ps->line);
                t->flags = F_DEFINED;
                r = array_add(ps, v, t);
        } else if (!v) {
                v = value_new(TOML_TABLE, ps->line);
                v->flags = F_DEFINED;
                r = table_add(ps, t, xstrdup(last), v);
                t = v;
        } else if (v->type == TOML_TABLE && !(v->flags & (F_DEFINED | F_SEALED))) {
                /* Made on the way to an earlier [a.b.c]: this is its own header now. */
                v->flags |= F_DEFINED;
                v->line = ps->line;
                t = v;
                r = 0;
        } else if (v->type != TOML_TABLE) {
                return perr(ps, "[%s]: key is already a %s (line %u)", text,
                            toml_type_name(v->type), v->line);
        } else {
                return perr(ps, "table [%s] is defined twice (first on line %u)", text, v->line);
        }
        if (r < 0)
                return r;
        ps->current = t;
        return expect_eol(ps, "a table header");
}

/* key = value in the current table. */
static int parse_key_value(struct parser *ps)
{
        CLEANUP(key_path_clear) struct key_path key = {0};
        cleanup_free char *text = NULL;
        struct toml_value *v = NULL;
        int r;

        r = parse_key_path(ps, &key);
        if (r < 0)
                return r;
        if (ps->p == ps->end || *ps->p != '=') {
                text = key_path_text(&key, key.n);
                return perr(ps, "expected '=' after key \"%s\"", text);
        }
        ps->p++;
        skip_ws(ps);
        r = parse_value(ps, 1, &v);
        if (r < 0)
                return r;
        r = set_key(ps, ps->current, &key, v);
        if (r < 0)
                return r;
        return expect_eol(ps, "a value");
}

int toml_parse(const char *buf, size_t len, const char *name, struct toml_value **ret,
               struct rctr_error *err)
{
        CLEANUP(toml_freep) struct toml_value *root = value_new(TOML_TABLE, 1);
        struct parser ps = {
                .p = buf,
                .end = buf + len,
                .name = name,
                .line = 1,
                .root = root,
                .current = root,
                .err = err,
        };
        const char *nul = memchr(buf, '\0', len);
        int r;

        /* Values are C strings: a NUL would cut one short without anyone noticing. */
        if (nul) {
                for (const char *p = buf; p < nul; p++)
                        ps.line += *p == '\n';
                return perr(&ps, "NUL byte in file");
        }
        root->flags = F_DEFINED;
        while (ps.p < ps.end) {
                skip_ws(&ps);
                skip_comment(&ps);
                if (ps.p == ps.end || eat_newline(&ps))
                        continue;
                if (*ps.p == '[')
                        r = parse_header(&ps);
                else
                        r = parse_key_value(&ps);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(root);
        return 0;
}
