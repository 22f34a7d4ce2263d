/*
 * Go's fmt for template values: %v for {{.X}} and print, and the verbs of printf, with their
 * flags, widths and precisions, and Go's way of reporting misuse: "%!d(string=x)",
 * "%!s(MISSING)", "%!(EXTRA int=1)".
 */
#include <config.h>
#include "template-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "macros.h"
#include "xalloc.h"

static size_t utf8_count(const char *s, size_t n)
{
        size_t runes = 0;
        uint32_t cp;

        for (size_t i = 0; i < n; runes++)
                i += tmpl_utf8_decode(s + i, n - i, &cp);
        return runes;
}

struct spec {
        bool minus, plus, sharp, space, zero;
        int width, prec; /* -1: none */
};

static const struct spec plain = {.width = -1, .prec = -1};

/* s padded to the width (in characters); numbers put zeros after their sign. */
static void pad(struct buf *b, const struct spec *sp, const char *s, size_t n, bool number)
{
        size_t runes = utf8_count(s, n),
               fill = sp->width > 0 && (size_t)sp->width > runes ? (size_t)sp->width - runes : 0;
        size_t sign = number && n && strchr("+- ", s[0]) ? 1 : 0;

        if (sp->minus) {
                tmpl_put(b, s, n);
                for (; fill; fill--)
                        tmpl_put(b, " ", 1);
                return;
        }
        if (sp->zero)
                tmpl_put(b, s, sign);
        for (; fill; fill--)
                tmpl_put(b, sp->zero ? "0" : " ", 1);
        tmpl_put(b, s + (sp->zero ? sign : 0), n - (sp->zero ? sign : 0));
}

/* strconv.Quote / QuoteRune: escapes for what is not printable, \" or \' for the quote. */
static void go_quote(struct buf *b, const char *s, size_t n, char quote)
{
        tmpl_put(b, &quote, 1);
        for (size_t i = 0; i < n;) {
                static const char ctl[] = "\aa\bb\ff\nn\rr\tt\vv";
                const char *e = s[i] ? memchr(ctl, s[i], sizeof(ctl) - 1) : NULL;
                uint32_t cp;
                size_t k = tmpl_utf8_decode(s + i, n - i, &cp);

                if (s[i] == quote || s[i] == '\\')
                        (void)buf_appendf(b, "\\%c", s[i]);
                else if (e && (e - ctl) % 2 == 0)
                        (void)buf_appendf(b, "\\%c", e[1]);
                else if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
                         (cp == 0xfffd && k == 1 && (unsigned char)s[i] >= 0x80))
                        (void)buf_appendf(b, "\\x%02x", (unsigned char)s[i]);
                else if ((cp >= 0x80 && cp < 0xa0) || cp == 0xad || cp == 0x2028 || cp == 0x2029 ||
                         cp == 0xfeff)
                        (void)buf_appendf(b, "\\u%04x", cp);
                else
                        tmpl_put(b, s + i, k);
                i += k;
        }
        tmpl_put(b, &quote, 1);
}

static void fmt_value(struct buf *b, const struct spec *sp, char verb, json_t *v);

/* %!d(string=x): Go's way of saying the verb does not fit the value. */
static void bad_verb(struct buf *b, char verb, json_t *v)
{
        (void)buf_appendf(b, "%%!%c(", verb);
        if (v && !json_is_null(v)) {
                (void)buf_appendf(b, "%s=", tmpl_type_name(v));
                fmt_value(b, &plain, 'v', v);
        } else {
                tmpl_puts(b, "<nil>");
        }
        tmpl_put(b, ")", 1);
}

/* %c, %q and %U of an integer: a character, a quoted character, U+0041. */
static void fmt_rune(struct buf *b, const struct spec *sp, char verb, json_int_t i)
{
        uint32_t cp = i < 0 || i > 0x10ffff || (i >= 0xd800 && i < 0xe000) ? 0xfffd : (uint32_t)i;
        cleanup_buf struct buf t = {0};
        char u8[4];
        size_t k = tmpl_utf8_encode(cp, u8);

        buf_init(&t, 0);
        if (verb == 'U')
                (void)buf_appendf(&t, "U+%04X", cp);
        else if (verb == 'q')
                go_quote(&t, u8, k, '\'');
        else
                tmpl_put(&t, u8, k);
        pad(b, sp, t.data, t.len, false);
}

static void fmt_int(struct buf *b, const struct spec *sp, char verb, json_t *v)
{
        json_int_t i = json_integer_value(v);
        unsigned long long u = i < 0 ? 0ULL - (unsigned long long)i : (unsigned long long)i;
        const char *digits = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
        unsigned base = verb == 'x' || verb == 'X'   ? 16
                        : verb == 'o' || verb == 'O' ? 8
                        : verb == 'b'                ? 2
                                                     : 10;
        const char *prefix = "";
        cleanup_buf struct buf t = {0};
        char rev[64];
        int n = 0;

        if (verb == 'c' || verb == 'q' || verb == 'U') {
                fmt_rune(b, sp, verb, i);
                return;
        }
        if (!strchr("vdxXobO", verb)) {
                bad_verb(b, verb, v);
                return;
        }
        do
                rev[n++] = digits[u % base];
        while ((u /= base) && n < (int)sizeof(rev));
        if (verb == 'O' || (sp->sharp && base != 10))
                prefix = verb == 'O'         ? "0o"
                         : base == 16        ? (verb == 'X' ? "0X" : "0x")
                         : base == 2         ? "0b"
                         : rev[n - 1] != '0' ? "0"
                                             : "";
        buf_init(&t, 0);
        if (i < 0 || sp->plus || sp->space)
                tmpl_put(&t, i < 0 ? "-" : sp->plus ? "+" : " ", 1);
        tmpl_puts(&t, prefix);
        for (int z = n; z < sp->prec; z++)
                tmpl_put(&t, "0", 1);
        while (n > 0)
                tmpl_put(&t, &rev[--n], 1);
        /* Go pads with zeros only when no precision was given */
        pad(b, sp, t.data, t.len, sp->prec < 0);
}

static void fmt_float(struct buf *b, const struct spec *sp, char verb, double d)
{
        cleanup_buf struct buf t = {0};
        double a = fabs(d);
        int prec = sp->prec;
        json_t *v;

        buf_init(&t, 0);
        if (signbit(d) || sp->plus || sp->space)
                tmpl_put(&t, signbit(d) ? "-" : sp->plus ? "+" : " ", 1);
        if ((verb == 'v' || verb == 'g' || verb == 'G') && prec < 0)
                tmpl_print_float(&t, a);
        else if (verb == 'g' || verb == 'G')
                (void)buf_appendf(&t, verb == 'g' ? "%.*g" : "%.*G", prec, a);
        else if (verb == 'e' || verb == 'E')
                (void)buf_appendf(&t, verb == 'e' ? "%.*e" : "%.*E", prec < 0 ? 6 : prec, a);
        else if (verb == 'f' || verb == 'F')
                (void)buf_appendf(&t, "%.*f", prec < 0 ? 6 : prec, a);
        else if (verb == 'x' || verb == 'X')
                (void)buf_appendf(&t, verb == 'x' ? "%a" : "%A", a);
        else {
                v = json_real(d);
                bad_verb(b, verb, v);
                json_decref(v);
                return;
        }
        pad(b, sp, t.data, t.len, true);
}

static void fmt_string(struct buf *b, const struct spec *sp, char verb, json_t *v)
{
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        cleanup_buf struct buf t = {0};

        buf_init(&t, 0);
        if (verb == 's' || verb == 'v') {
                /* the precision counts characters */
                size_t i = 0;
                uint32_t cp;

                for (int r = 0; i < n && (sp->prec < 0 || r < sp->prec); r++)
                        i += tmpl_utf8_decode(s + i, n - i, &cp);
                pad(b, sp, s, i, false);
                return;
        }
        if (verb == 'q')
                go_quote(&t, s, n, '"');
        else if (verb == 'x' || verb == 'X')
                for (size_t i = 0; i < n && (sp->prec < 0 || i < (size_t)sp->prec); i++)
                        (void)buf_appendf(&t, verb == 'x' ? "%02x" : "%02X", (unsigned char)s[i]);
        else {
                bad_verb(b, verb, v);
                return;
        }
        pad(b, sp, t.data, t.len, false);
}

static void fmt_value(struct buf *b, const struct spec *sp, char verb, json_t *v)
{
        json_t *item;
        size_t i, n;

        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_STRING:
                fmt_string(b, sp, verb, v);
                break;
        case JSON_INTEGER:
                fmt_int(b, sp, verb, v);
                break;
        case JSON_REAL:
                fmt_float(b, sp, verb, json_real_value(v));
                break;
        case JSON_TRUE:
        case JSON_FALSE:
                if (verb == 'v' || verb == 't')
                        pad(b, sp, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5,
                            false);
                else
                        bad_verb(b, verb, v);
                break;
        case JSON_ARRAY:
                tmpl_put(b, "[", 1);
                json_array_foreach(v, i, item) {
                        if (i)
                                tmpl_put(b, " ", 1);
                        fmt_value(b, sp, verb, item);
                }
                tmpl_put(b, "]", 1);
                break;
        case JSON_OBJECT: {
                cleanup_free const char **keys = tmpl_sorted_keys(v, &n);

                tmpl_puts(b, "map[");
                for (i = 0; i < n; i++) {
                        json_t *k = json_string_nocheck(keys[i]);

                        if (i)
                                tmpl_put(b, " ", 1);
                        fmt_value(b, sp, verb, k);
                        tmpl_put(b, ":", 1);
                        fmt_value(b, sp, verb, json_object_get(v, keys[i]));
                        json_decref(k);
                }
                tmpl_put(b, "]", 1);
                break;
        }
        default:
                if (verb == 'v')
                        pad(b, sp, "<nil>", 5, false);
                else
                        bad_verb(b, verb, NULL);
        }
}

void tmpl_print_value(struct buf *b, json_t *v)
{
        if (!v)
                tmpl_puts(b, "<no value>");
        else
                fmt_value(b, &plain, 'v', v);
}

/*
 * Flags, width and precision after a %, *i is left past them. false: a width or precision over
 * 1e6 or a '*' without an int argument (Go's %!(BADWIDTH)), and *sp is plain.
 */
static bool parse_spec(const char *f, size_t len, size_t *i, json_t **args, size_t n, size_t *argi,
                       struct spec *sp)
{
        bool ok = true;

        *sp = plain;
        for (; *i < len && f[*i] && strchr("+-# 0", f[*i]); (*i)++) {
                sp->plus |= f[*i] == '+';
                sp->minus |= f[*i] == '-';
                sp->sharp |= f[*i] == '#';
                sp->space |= f[*i] == ' ';
                sp->zero |= f[*i] == '0';
        }
        for (int which = 0; which < 2; which++) {
                int *dst = which ? &sp->prec : &sp->width;

                if (which) {
                        if (*i >= len || f[*i] != '.')
                                break;
                        (*i)++;
                        sp->prec = 0;
                }
                if (*i < len && f[*i] == '*') {
                        json_t *a = *argi < n ? args[(*argi)++] : NULL;

                        (*i)++;
                        if (!json_is_integer(a) || llabs(json_integer_value(a)) > 1000000) {
                                ok = false;
                                continue;
                        }
                        *dst = (int)json_integer_value(a);
                        if (*dst < 0 && !which) {
                                sp->minus = true;
                                *dst = -*dst;
                        }
                        continue;
                }
                for (; *i < len && f[*i] >= '0' && f[*i] <= '9'; (*i)++) {
                        if (*dst > 1000000)
                                ok = false;
                        else
                                *dst = (*dst < 0 ? 0 : *dst) * 10 + (f[*i] - '0');
                }
        }
        sp->zero &= !sp->minus;
        if (!ok)
                *sp = plain;
        return ok;
}

void tmpl_sprintf(struct buf *b, const char *f, size_t len, json_t **args, size_t n)
{
        size_t argi = 0, i = 0;

        while (i < len) {
                const char *pct = memchr(f + i, '%', len - i);
                size_t stop = pct ? (size_t)(pct - f) : len;
                struct spec sp;
                char verb;

                tmpl_put(b, f + i, stop - i);
                if (!pct)
                        break;
                i = stop + 1;
                if (!parse_spec(f, len, &i, args, n, &argi, &sp))
                        tmpl_puts(b, "%!(BADWIDTH)");
                if (i >= len) {
                        tmpl_puts(b, "%!(NOVERB)");
                        break;
                }
                verb = f[i++];
                if (verb == '%')
                        tmpl_put(b, "%", 1);
                else if (argi >= n)
                        (void)buf_appendf(b, "%%!%c(MISSING)", verb);
                else
                        fmt_value(b, &sp, verb, args[argi++]);
        }
        if (argi < n) {
                tmpl_puts(b, "%!(EXTRA ");
                for (size_t k = argi; k < n; k++) {
                        (void)buf_appendf(b, "%s%s", k > argi ? ", " : "", tmpl_type_name(args[k]));
                        if (args[k] && !json_is_null(args[k])) {
                                tmpl_put(b, "=", 1);
                                fmt_value(b, &plain, 'v', args[k]);
                        }
                }
                tmpl_put(b, ")", 1);
        }
}

void tmpl_sprint(struct buf *b, json_t **args, size_t n, bool ln)
{
        for (size_t i = 0; i < n; i++) {
                bool str = json_is_string(args[i]), prev = i > 0 && json_is_string(args[i - 1]);

                if (i > 0 && (ln || (!str && !prev)))
                        tmpl_put(b, " ", 1);
                fmt_value(b, &plain, 'v', args[i]);
        }
        if (ln)
                tmpl_put(b, "\n", 1);
}
