/*
 * Literals of the template language as Go reads them: "quoted" strings with Go's escapes,
 * `raw` strings, 'c' character constants (ints), and numbers (0x1f, 0o17, 0b101, 017, 1_000,
 * 1.5, 1e3, 0x1p-2).
 */
#include <config.h>
#include "template-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "macros.h"
#include "xalloc.h"

/*
 * The escape after a backslash at s (n bytes left) of a literal quoted with quote, into b.
 * Returns its length, or 0 when it is not one of Go's escapes.
 */
static size_t unquote_escape(const char *s, size_t n, char quote, struct buf *b)
{
        static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\";
        size_t len = 3, start = 1;
        uint32_t cp = 0, base = 16;
        char u[4];

        if (n == 0)
                return 0;
        if (s[0] == quote) {
                (void)buf_append(b, &quote, 1); /* no cap: cannot fail */
                return 1;
        }
        for (const char *e = simple; *e; e += 2)
                if (*e == s[0]) {
                        (void)buf_append(b, e + 1, 1);
                        return 1;
                }
        if (s[0] == 'u' || s[0] == 'U') {
                len = s[0] == 'u' ? 5 : 9;
        } else if (s[0] >= '0' && s[0] <= '7') {
                start = 0;
                base = 8;
        } else if (s[0] != 'x') {
                return 0;
        }
        if (len > n)
                return 0;
        for (size_t i = start; i < len; i++) {
                const char *d = memchr("0123456789abcdef", s[i] | 0x20, 16);

                if (!d || (uint32_t)(d - "0123456789abcdef") >= base)
                        return 0;
                cp = cp * base + (uint32_t)(d - "0123456789abcdef");
        }
        if (s[0] == 'x' || base == 8) {
                char c = (char)cp;

                if (cp > 255)
                        return 0;
                (void)buf_append(b, &c, 1);
                return len;
        }
        if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
                return 0;
        (void)buf_append(b, u, tmpl_utf8_encode(cp, u));
        return len;
}

/* Go's strconv.Unquote of s (with its quotes) into b; false: invalid syntax. */
static bool unquote(const char *s, size_t len, struct buf *b)
{
        char quote = s[0];

        for (size_t i = 1; i + 1 < len;) {
                size_t k;

                if (quote == '`' || s[i] != '\\') {
                        /* raw strings lose their carriage returns, as in Go */
                        if (!(quote == '`' && s[i] == '\r'))
                                (void)buf_append(b, s + i, 1);
                        i++;
                        continue;
                }
                k = unquote_escape(s + i + 1, len - i - 2, quote, b);
                if (!k)
                        return false;
                i += 1 + k;
        }
        return true;
}

static json_t *char_const(const char *s, size_t len, char **ret_msg)
{
        cleanup_buf struct buf b = {0};
        uint32_t cp;

        buf_init(&b, 0);
        if (!unquote(s, len, &b) || b.len == 0 ||
            (b.len > 1 && tmpl_utf8_decode(b.data, b.len, &cp) != b.len)) {
                *ret_msg = xasprintf("malformed character constant: %.*s", (int)len, s);
                return NULL;
        }
        if (b.len == 1)
                cp = (unsigned char)b.data[0];
        return json_integer(cp);
}

/* Integers as int (decimal, 0x, 0o, 0b, leading-0 octal, with _), the rest as float64. */
static json_t *number(const char *src, size_t len, char **ret_msg)
{
        cleanup_free char *s = xmalloc(len + 1);
        const char *digits;
        size_t n = 0;
        int base = 10;
        char *end;
        double d;

        for (size_t i = 0; i < len; i++)
                if (src[i] != '_')
                        s[n++] = src[i];
        s[n] = '\0';
        digits = s + (s[0] == '-' || s[0] == '+');
        if (digits[0] == '0' && digits[1] && strchr("xX", digits[1]))
                base = 16;
        else if (digits[0] == '0' && digits[1] && strchr("oObB", digits[1]))
                base = strchr("oO", digits[1]) ? 8 : 2;
        if (n > 0 && s[n - 1] == 'i') {
                *ret_msg = xasprintf("complex numbers are not supported: %s", s);
                return NULL;
        }
        if (base == 16 ? !strpbrk(s, "pP") : !strpbrk(s, ".eE")) {
                long long v;

                errno = 0;
                v = strtoll(base == 8 || base == 2 ? digits + 2 : digits, &end,
                            base == 10 ? 0 : base);
                if (*end == '\0' && end != digits && errno == 0)
                        return json_integer(s[0] == '-' ? -v : v);
                if (errno != ERANGE || *end) {
                        *ret_msg = xasprintf("bad number syntax: \"%s\"", s);
                        return NULL;
                }
                /* too big for an int: a float64, as Go's parser would make it */
        }
        errno = 0;
        d = strtod(s, &end);
        if (*end || end == s || errno == ERANGE) {
                *ret_msg = xasprintf("bad number syntax: \"%s\"", s);
                return NULL;
        }
        return json_real(d);
}

json_t *tmpl_literal(enum tmpl_tok_type type, const char *s, size_t len, char **ret_msg)
{
        cleanup_buf struct buf b = {0};

        if (type == TMPL_TOK_NUMBER)
                return number(s, len, ret_msg);
        if (type == TMPL_TOK_CHAR_CONST)
                return char_const(s, len, ret_msg);
        buf_init(&b, 0);
        if (!unquote(s, len, &b)) {
                *ret_msg = xstrdup("invalid syntax");
                return NULL;
        }
        /* Go strings may hold any bytes ("\xff"): no UTF-8 check */
        return json_stringn_nocheck(b.data, b.len);
}
