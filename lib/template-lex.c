/*
 * The template lexer: text and {{actions}} into tokens, with Go's rules for trim markers,
 * comments and what may follow a name, so that errors match what podman users see.
 */
#include <config.h>
#include "template-private.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "xalloc.h"

struct lexer {
        const char *text;
        size_t len;
        size_t pos;
        int paren_depth;
        struct tmpl_toks *toks;
        size_t cap;
        bool failed;
};

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum(char c)
{
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || (unsigned char)c >= 0x80;
}

static bool at(const struct lexer *l, size_t pos, const char *s)
{
        size_t n = strlen(s);

        return pos <= l->len && l->len - pos >= n && memcmp(l->text + pos, s, n) == 0;
}

/* " -}}": a space, a minus and the delimiter (Go's hasRightTrimMarker). */
static bool at_right_trim(const struct lexer *l, size_t pos)
{
        return pos < l->len && is_space(l->text[pos]) && at(l, pos + 1, "-}}");
}

static void emit(struct lexer *l, enum tmpl_tok_type type, size_t pos, size_t len)
{
        if (l->toks->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 32;
                l->toks->v = xreallocarray(l->toks->v, l->cap, sizeof(*l->toks->v));
        }
        l->toks->v[l->toks->n++] = (struct tmpl_tok){.type = type, .pos = pos, .len = len};
}

static void __attribute__((format(printf, 3, 4)))
emit_error(struct lexer *l, size_t pos, const char *fmt, ...)
{
        va_list ap;
        char *msg;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                xalloc_die();
        va_end(ap);
        emit(l, TMPL_TOK_ERROR, pos, 0);
        l->toks->v[l->toks->n - 1].msg = msg;
        l->failed = true;
}

/* Go's %#U of the character at pos: U+007D '}' */
static void emit_bad_char(struct lexer *l, const char *what, size_t pos)
{
        uint32_t cp;
        size_t n = tmpl_utf8_decode(l->text + pos, l->len - pos, &cp);

        if (cp >= 0x20 && cp != 0x7f && cp != 0xfffd)
                emit_error(l, pos, "%s U+%04X '%.*s'", what, cp, (int)n, l->text + pos);
        else
                emit_error(l, pos, "%s U+%04X", what, cp);
}

/*
 * What may follow a name: space, the end, . , | : ( ) or the closing delimiter's first character
 * (so that "{{.ID}" is `unexpected "}" in operand`, as in Go).
 */
static bool at_terminator(const struct lexer *l, size_t pos)
{
        if (pos >= l->len)
                return true;
        return is_space(l->text[pos]) || (l->text[pos] && strchr(".,|:()}", l->text[pos]));
}

static size_t scan_alnum(const struct lexer *l, size_t pos)
{
        while (pos < l->len && is_alnum(l->text[pos]))
                pos++;
        return pos;
}

/* A quoted literal from pos (at its opening quote); returns its end, or 0 with an error. */
static size_t lex_quote(struct lexer *l, size_t pos, char quote, const char *what)
{
        size_t i = pos + 1;

        for (; i < l->len && l->text[i] != quote; i++) {
                if (quote == '`')
                        continue;
                if (l->text[i] == '\n')
                        break;
                /* an escape may hide a quote, but not a newline */
                if (l->text[i] == '\\' && (++i >= l->len || l->text[i] == '\n'))
                        break;
        }
        if (i >= l->len || l->text[i] != quote) {
                emit_error(l, pos, "unterminated %s", what);
                return 0;
        }
        return i + 1;
}

/* Go's scanNumber: sign, base prefix, digits with _, fraction, exponent; then a terminator. */
static size_t lex_number(struct lexer *l, size_t pos)
{
        const char *digits = "0123456789_";
        bool hex = false;
        size_t i = pos;

        if (l->text[i] == '+' || l->text[i] == '-')
                i++;
        if (i + 1 < l->len && l->text[i] == '0' && l->text[i + 1] &&
            strchr("xXoObB", l->text[i + 1])) {
                hex = l->text[i + 1] == 'x' || l->text[i + 1] == 'X';
                digits = hex ? "0123456789abcdefABCDEF_" : "01234567_";
                i += 2;
        }
        while (i < l->len && l->text[i] && strchr(digits, l->text[i]))
                i++;
        if (i < l->len && l->text[i] == '.')
                for (i++; i < l->len && l->text[i] && strchr(digits, l->text[i]); i++)
                        ;
        if (i < l->len && l->text[i] && strchr(hex ? "pP" : "eEpP", l->text[i])) {
                i++;
                if (i < l->len && (l->text[i] == '+' || l->text[i] == '-'))
                        i++;
                while (i < l->len && l->text[i] >= '0' && l->text[i] <= '9')
                        i++;
        }
        if (i < l->len && l->text[i] == 'i')
                i++;
        if (i < l->len && is_alnum(l->text[i])) {
                i = scan_alnum(l, i);
                emit_error(l, pos, "bad number syntax: \"%.*s\"", (int)(i - pos), l->text + pos);
                return 0;
        }
        emit(l, TMPL_TOK_NUMBER, pos, i - pos);
        return i;
}

static enum tmpl_tok_type keyword(const char *s, size_t n)
{
        static const struct {
                const char *word;
                enum tmpl_tok_type type;
        } words[] = {
                {"true", TMPL_TOK_BOOL},     {"false", TMPL_TOK_BOOL},
                {"nil", TMPL_TOK_NIL},       {"if", TMPL_TOK_IF},
                {"else", TMPL_TOK_ELSE},     {"end", TMPL_TOK_END},
                {"range", TMPL_TOK_RANGE},   {"with", TMPL_TOK_WITH},
                {"break", TMPL_TOK_BREAK},   {"continue", TMPL_TOK_CONTINUE},
                {"define", TMPL_TOK_DEFINE}, {"template", TMPL_TOK_TEMPLATE},
                {"block", TMPL_TOK_BLOCK},
        };

        for (size_t i = 0; i < ARRAY_SIZE(words); i++)
                if (strlen(words[i].word) == n && memcmp(words[i].word, s, n) == 0)
                        return words[i].type;
        return TMPL_TOK_IDENT;
}

/* A name-like token: .Field, $var or an identifier; pos is at its first character. */
static size_t lex_name(struct lexer *l, size_t pos)
{
        char c = l->text[pos];
        size_t end = scan_alnum(l, c == '.' || c == '$' ? pos + 1 : pos);
        enum tmpl_tok_type type = c == '.'   ? TMPL_TOK_FIELD
                                  : c == '$' ? TMPL_TOK_VAR
                                             : keyword(l->text + pos, end - pos);

        if (c == '.' && end == pos + 1 && at_terminator(l, end))
                type = TMPL_TOK_DOT;
        if (!at_terminator(l, end)) {
                emit_bad_char(l, "bad character", end);
                return 0;
        }
        emit(l, type, pos, end - pos);
        return end;
}

/* "}}" or " -}}" at l->pos: the action ends (" -}}" also eats the spaces after it). */
static void lex_right_delim(struct lexer *l)
{
        size_t pos = l->pos, end = pos + (at(l, pos, "}}") ? 2 : 4);

        if (l->paren_depth > 0) {
                emit_error(l, pos, "unclosed left paren");
                return;
        }
        emit(l, TMPL_TOK_RIGHT, pos, end - pos);
        if (end - pos == 4)
                while (end < l->len && is_space(l->text[end]))
                        end++;
        l->pos = end;
}

/* A "string", `raw string` or 'c' at pos; returns its end, or 0 after an error. */
static size_t lex_literal(struct lexer *l, size_t pos, char c)
{
        size_t end = lex_quote(l, pos, c,
                               c == '"'   ? "quoted string"
                               : c == '`' ? "raw quoted string"
                                          : "character constant");

        if (end)
                emit(l,
                     c == '"'   ? TMPL_TOK_STRING
                     : c == '`' ? TMPL_TOK_RAW_STRING
                                : TMPL_TOK_CHAR_CONST,
                     pos, end - pos);
        return end;
}

/* One token inside an action at l->pos; returns false when the action ended or failed. */
static bool lex_in_action(struct lexer *l)
{
        size_t pos = l->pos, end = pos + 1;
        char c = pos < l->len ? l->text[pos] : '\0';

        if (at_right_trim(l, pos) || at(l, pos, "}}")) {
                lex_right_delim(l);
                return false;
        }
        if (pos >= l->len) {
                emit_error(l, pos, "unclosed action");
                return false;
        }
        if (is_space(c)) {
                /* a space followed by "-}}" is the trim marker, not a separator */
                while (end < l->len && is_space(l->text[end]) && !at_right_trim(l, end))
                        end++;
                emit(l, TMPL_TOK_SPACE, pos, end - pos);
        } else if (c == ')' && l->paren_depth == 0) {
                emit_error(l, pos, "unexpected right paren");
                end = 0;
        } else if (c == '=' || c == '|' || c == '(' || c == ')') {
                emit(l,
                     c == '='   ? TMPL_TOK_ASSIGN
                     : c == '|' ? TMPL_TOK_PIPE
                     : c == '(' ? TMPL_TOK_LPAREN
                                : TMPL_TOK_RPAREN,
                     pos, 1);
                l->paren_depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        } else if (c == ':') {
                end = at(l, pos, ":=") ? pos + 2 : 0;
                if (end)
                        emit(l, TMPL_TOK_DECLARE, pos, 2);
                else
                        emit_error(l, pos, "expected :=");
        } else if (c == '"' || c == '`' || c == '\'') {
                end = lex_literal(l, pos, c);
        } else if ((c == '.' && end < l->len && l->text[end] >= '0' && l->text[end] <= '9') ||
                   c == '+' || c == '-' || (c >= '0' && c <= '9')) {
                end = lex_number(l, pos);
        } else if (c == '.' || c == '$' || is_alnum(c)) {
                end = lex_name(l, pos);
        } else if (c > 0x20 && c < 0x7f) {
                emit(l, TMPL_TOK_CHAR, pos, 1);
        } else {
                emit_bad_char(l, "unrecognized character in action:", pos);
                end = 0;
        }
        l->pos = end;
        return end != 0;
}

/* A comment action from l->pos (at its opening slash-star); it must end at the delimiter. */
static void lex_comment(struct lexer *l)
{
        const char *close = memmem(l->text + l->pos + 2, l->len - l->pos - 2, "*/", 2);
        size_t end;

        if (!close) {
                emit_error(l, l->pos, "unclosed comment");
                return;
        }
        end = (size_t)(close - l->text) + 2;
        if (at(l, end, "}}")) {
                l->pos = end + 2;
        } else if (at_right_trim(l, end)) {
                for (l->pos = end + 4; l->pos < l->len && is_space(l->text[l->pos]); l->pos++)
                        ;
        } else {
                emit_error(l, end, "comment ends before closing delimiter");
        }
}

/* Text up to the next "{{" (trimmed before "{{- "), then the action's tokens. */
static void lex_text_and_action(struct lexer *l)
{
        const char *open = memmem(l->text + l->pos, l->len - l->pos, "{{", 2);
        size_t start = l->pos, stop = open ? (size_t)(open - l->text) : l->len, end = stop;
        bool trim =
                open && at(l, stop + 2, "-") && stop + 3 < l->len && is_space(l->text[stop + 3]);

        if (trim)
                while (end > start && is_space(l->text[end - 1]))
                        end--;
        if (end > start)
                emit(l, TMPL_TOK_TEXT, start, end - start);
        if (!open) {
                l->pos = l->len;
                return;
        }
        l->pos = stop + (trim ? 4 : 2);
        if (at(l, l->pos, "/*")) {
                lex_comment(l);
                return;
        }
        emit(l, TMPL_TOK_LEFT, stop, 2);
        l->paren_depth = 0;
        while (lex_in_action(l))
                ;
}

void tmpl_lex(const char *text, size_t len, struct tmpl_toks *ret)
{
        struct lexer l = {.text = text, .len = len, .toks = ret};

        ret->v = NULL;
        ret->n = 0;
        while (!l.failed && l.pos < l.len)
                lex_text_and_action(&l);
        if (!l.failed)
                emit(&l, TMPL_TOK_EOF, len, 0);
}

void tmpl_toks_clear(struct tmpl_toks *toks)
{
        for (size_t i = 0; i < toks->n; i++)
                free(toks->v[i].msg);
        free(toks->v);
        toks->v = NULL;
        toks->n = 0;
}
