/*
 * The functions podman's report package adds to Go's (containers/common pkg/report
 * DefaultFuncs): json join lower upper title split truncate pad.
 */
#include <config.h>
#include "template-private.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "macros.h"
#include "xalloc.h"

static json_t *string_of(struct buf *b)
{
        return json_stringn_nocheck(b->data, b->len);
}

/* json v: compact, as podman's encoder (no HTML escaping, no final newline) */
static int fn_json(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        cleanup_buf struct buf b = {0};

        buf_init(&b, 0);
        tmpl_print_json(&b, a[0]);
        *ret = string_of(&b);
        return 0;
}

static bool ascii_alnum(char c)
{
        return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
}

/* lower, upper, title: ASCII letters only (Go maps all of Unicode). */
static int change_case(json_t **a, json_t **ret, char mode, struct rctr_error *err)
{
        cleanup_free char *s = NULL;
        size_t n;
        bool word_start = true;
        int r = tmpl_want(a[0], JSON_STRING, "string", err);

        if (r < 0)
                return r;
        n = json_string_length(a[0]);
        s = xmalloc(n + 1);
        memcpy(s, json_string_value(a[0]), n + 1);
        for (size_t i = 0; i < n; i++) {
                bool letter = (s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z';

                if (letter && (mode == 'u' || (mode == 't' && word_start)))
                        s[i] = (char)(s[i] & ~0x20);
                else if (letter && mode == 'l')
                        s[i] = (char)(s[i] | 0x20);
                /* strings.Title: a word starts after ASCII other than letters, digits and _ */
                word_start = (unsigned char)s[i] < 0x80 && !ascii_alnum(s[i]);
        }
        *ret = json_stringn_nocheck(s, n);
        return 0;
}

static int fn_lower(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        return change_case(a, ret, 'l', err);
}

static int fn_upper(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        return change_case(a, ret, 'u', err);
}

static int fn_title(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        return change_case(a, ret, 't', err);
}

/* join list sep: Go wants a []string; other elements print as %v rather than failing. */
static int fn_join(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        cleanup_buf struct buf b = {0};
        json_t *item;
        size_t i;
        int r = tmpl_want(a[1], JSON_STRING, "string", err);

        if (r < 0)
                return r;
        if (a[0] && !json_is_null(a[0]) && !json_is_array(a[0]))
                return rctr_error_set(err, EINVAL,
                                      "wrong type for value; expected []string; got %s",
                                      tmpl_type_name(a[0]));
        buf_init(&b, 0);
        json_array_foreach(a[0], i, item) {
                if (i)
                        (void)buf_append(&b, json_string_value(a[1]), json_string_length(a[1]));
                if (json_is_string(item))
                        (void)buf_append(&b, json_string_value(item), json_string_length(item));
                else
                        tmpl_print_value(&b, item);
        }
        *ret = string_of(&b);
        return 0;
}

/* split s sep: strings.Split; an empty sep splits into characters. */
static int fn_split(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        const char *s, *sep;
        size_t len, seplen;
        int r = tmpl_want(a[0], JSON_STRING, "string", err);

        if (r >= 0)
                r = tmpl_want(a[1], JSON_STRING, "string", err);
        if (r < 0)
                return r;
        s = json_string_value(a[0]);
        len = json_string_length(a[0]);
        sep = json_string_value(a[1]);
        seplen = json_string_length(a[1]);
        *ret = json_array();
        for (;;) {
                const char *hit = NULL;
                uint32_t cp;
                size_t k;

                if (seplen)
                        hit = memmem(s, len, sep, seplen);
                else if (len == 0)
                        break;
                k = seplen ? (hit ? (size_t)(hit - s) : len) : tmpl_utf8_decode(s, len, &cp);
                json_array_append_new(*ret, json_stringn_nocheck(s, k));
                if (seplen && !hit)
                        break;
                s += k + seplen;
                len -= k + seplen;
        }
        return 0;
}

static int want_count(json_t *v, const char *fn, json_int_t *ret, struct rctr_error *err)
{
        int r = tmpl_want(v, JSON_INTEGER, "int", err);

        if (r < 0)
                return r;
        *ret = json_integer_value(v);
        if (*ret < 0 || *ret > 1000000)
                return rctr_error_set(err, EINVAL, "error calling %s: length out of range: %lld",
                                      fn, (long long)*ret);
        return 0;
}

/* truncate s n: the first n bytes, backing up so as not to split a character. */
static int fn_truncate(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        const char *s;
        json_int_t max;
        size_t len;
        int r = tmpl_want(a[0], JSON_STRING, "string", err);

        if (r >= 0)
                r = want_count(a[1], "truncate", &max, err);
        if (r < 0)
                return r;
        s = json_string_value(a[0]);
        len = json_string_length(a[0]);
        if ((size_t)max < len) {
                len = (size_t)max;
                while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
                        len--;
        }
        *ret = json_stringn_nocheck(s, len);
        return 0;
}

/* pad s before after: spaces around s unless it is empty. */
static int fn_pad(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        cleanup_buf struct buf b = {0};
        json_int_t before, after;
        int r = tmpl_want(a[0], JSON_STRING, "string", err);

        if (r >= 0)
                r = want_count(a[1], "pad", &before, err);
        if (r >= 0)
                r = want_count(a[2], "pad", &after, err);
        if (r < 0)
                return r;
        if (json_string_length(a[0]) == 0) {
                *ret = json_incref(a[0]);
                return 0;
        }
        buf_init(&b, 0);
        for (json_int_t i = 0; i < before; i++)
                (void)buf_append(&b, " ", 1);
        (void)buf_append(&b, json_string_value(a[0]), json_string_length(a[0]));
        for (json_int_t i = 0; i < after; i++)
                (void)buf_append(&b, " ", 1);
        *ret = string_of(&b);
        return 0;
}

static const struct tmpl_func funcs[] = {
        {"join", 2, 2, fn_join},         {"json", 1, 1, fn_json},   {"lower", 1, 1, fn_lower},
        {"pad", 3, 3, fn_pad},           {"split", 2, 2, fn_split}, {"title", 1, 1, fn_title},
        {"truncate", 2, 2, fn_truncate}, {"upper", 1, 1, fn_upper},
};

const struct tmpl_func *tmpl_podman_func_find(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
                if (streq(funcs[i].name, name))
                        return &funcs[i];
        return NULL;
}
