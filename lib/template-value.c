/*
 * What every part of the template engine needs to know about values: UTF-8, Go's truth and type
 * names, map key order, and the text of numbers and JSON as Go writes them ("1e+06",
 * encoding/json's "1e-7"), since scripts compare podman's output byte for byte.
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

size_t tmpl_utf8_encode(uint32_t cp, char out[4])
{
        size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        static const unsigned char lead[] = {0, 0, 0xc0, 0xe0, 0xf0};

        for (size_t i = n; i-- > 1; cp >>= 6)
                out[i] = (char)(0x80 | (cp & 0x3f));
        out[0] = (char)(n == 1 ? cp : lead[n] | cp);
        return n;
}

size_t tmpl_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
        const unsigned char *u = (const unsigned char *)s;
        size_t len = u[0] < 0x80   ? 1
                     : u[0] < 0xc2 ? 0
                     : u[0] < 0xe0 ? 2
                     : u[0] < 0xf0 ? 3
                     : u[0] < 0xf5 ? 4
                                   : 0;
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        uint32_t c = len == 1 ? u[0] : len ? u[0] & (0x7f >> len) : 0;

        for (size_t i = 1; i < len; i++) {
                if (i >= n || (u[i] & 0xc0) != 0x80) {
                        len = 0;
                        break;
                }
                c = c << 6 | (u[i] & 0x3f);
        }
        if (len == 0 || c < min[len] || c > 0x10ffff || (c >= 0xd800 && c < 0xe000)) {
                *cp = 0xfffd; /* what Go's range over a string yields for a bad byte */
                return 1;
        }
        *cp = c;
        return len;
}

bool tmpl_truth(json_t *v)
{
        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_STRING:
                return json_string_length(v) > 0;
        case JSON_INTEGER:
                return json_integer_value(v) != 0;
        case JSON_REAL:
                return json_real_value(v) != 0;
        case JSON_TRUE:
                return true;
        case JSON_ARRAY:
                return json_array_size(v) > 0;
        case JSON_OBJECT:
                return json_object_size(v) > 0;
        default:
                return false;
        }
}

const char *tmpl_type_name(json_t *v)
{
        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_STRING:
                return "string";
        case JSON_INTEGER:
                return "int";
        case JSON_REAL:
                return "float64";
        case JSON_TRUE:
        case JSON_FALSE:
                return "bool";
        case JSON_ARRAY:
                return "[]interface {}";
        case JSON_OBJECT:
                return "map[string]interface {}";
        default:
                return "<nil>";
        }
}

static int cmp_keys(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **tmpl_sorted_keys(json_t *obj, size_t *ret_n)
{
        const char **keys = xreallocarray(NULL, json_object_size(obj) + 1, sizeof(*keys));
        const char *key;
        json_t *value;
        size_t n = 0;

        json_object_foreach(obj, key, value)
                keys[n++] = key;
        qsort(keys, n, sizeof(*keys), cmp_keys);
        *ret_n = n;
        return keys;
}

/* ---- numbers ---- */

/*
 * The fewest significant digits that read back as d (Go's shortest formatting), left in tmp as
 * %e text; returns their count and the decimal exponent.
 */
static int shortest(double d, char *tmp, size_t size, int *ret_exp)
{
        int p = 1;

        for (; p < 17; p++) {
                snprintf(tmp, size, "%.*e", p - 1, d);
                if (strtod(tmp, NULL) == d)
                        break;
        }
        snprintf(tmp, size, "%.*e", p - 1, d);
        *ret_exp = (int)strtol(strchr(tmp, 'e') + 1, NULL, 10);
        return p;
}

/* Go's %v (and %g) of a float64: shortest digits, exponent form below 1e-4 or from 1e+06. */
void tmpl_print_float(struct buf *b, double d)
{
        char tmp[64];
        int exp, p;

        /* no Inf or NaN: jansson cannot hold them */
        if (d == 0) {
                tmpl_puts(b, signbit(d) ? "-0" : "0");
                return;
        }
        p = shortest(d, tmp, sizeof(tmp), &exp);
        if (exp < -4 || exp >= 6) {
                tmpl_puts(b, tmp);
                return;
        }
        snprintf(tmp, sizeof(tmp), "%.*f", p - 1 - exp > 0 ? p - 1 - exp : 0, d);
        tmpl_puts(b, tmp);
}

/* encoding/json's float64: shortest %f, or %e (e-7, not e-07) outside [1e-6, 1e21). */
static void float_json(struct buf *b, double d)
{
        char tmp[400];
        int exp, p;

        if (d == 0) {
                tmpl_puts(b, "0");
                return;
        }
        p = shortest(d, tmp, sizeof(tmp), &exp);
        if (fabs(d) < 1e-6 || fabs(d) >= 1e21) {
                char *e = strchr(tmp, 'e');

                if (e[1] == '-' && e[2] == '0' && e[4] == '\0')
                        memmove(e + 2, e + 3, 2);
                tmpl_puts(b, tmp);
                return;
        }
        snprintf(tmp, sizeof(tmp), "%.*f", p - 1 - exp > 0 ? p - 1 - exp : 0, d);
        tmpl_puts(b, tmp);
}

/* ---- JSON ---- */

static void json_quote(struct buf *b, const char *s, size_t n)
{
        tmpl_put(b, "\"", 1);
        for (size_t i = 0; i < n;) {
                unsigned char c = (unsigned char)s[i];
                const char *esc = c == '"'    ? "\\\""
                                  : c == '\\' ? "\\\\"
                                  : c == '\n' ? "\\n"
                                  : c == '\r' ? "\\r"
                                  : c == '\t' ? "\\t"
                                  : c == '\b' ? "\\b"
                                  : c == '\f' ? "\\f"
                                              : NULL;
                uint32_t cp;
                size_t k;

                if (esc || c < 0x20) {
                        if (esc)
                                tmpl_puts(b, esc);
                        else
                                (void)buf_appendf(b, "\\u%04x", c);
                        i++;
                        continue;
                }
                k = tmpl_utf8_decode(s + i, n - i, &cp);
                /* Go writes bad bytes as U+FFFD and escapes the JavaScript line separators */
                if (cp == 0x2028 || cp == 0x2029 || (cp == 0xfffd && k == 1 && c >= 0x80))
                        (void)buf_appendf(b, "\\u%04x", cp);
                else
                        tmpl_put(b, s + i, k);
                i += k;
        }
        tmpl_put(b, "\"", 1);
}

void tmpl_print_json(struct buf *b, json_t *v)
{
        const char *key;
        json_t *item;
        size_t i;

        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_STRING:
                json_quote(b, json_string_value(v), json_string_length(v));
                break;
        case JSON_INTEGER:
                (void)buf_appendf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                break;
        case JSON_REAL:
                float_json(b, json_real_value(v));
                break;
        case JSON_TRUE:
        case JSON_FALSE:
                tmpl_puts(b, json_is_true(v) ? "true" : "false");
                break;
        case JSON_ARRAY:
                tmpl_put(b, "[", 1);
                json_array_foreach(v, i, item) {
                        if (i)
                                tmpl_put(b, ",", 1);
                        tmpl_print_json(b, item);
                }
                tmpl_put(b, "]", 1);
                break;
        case JSON_OBJECT:
                i = 0;
                tmpl_put(b, "{", 1);
                json_object_foreach(v, key, item) {
                        if (i++)
                                tmpl_put(b, ",", 1);
                        json_quote(b, key, strlen(key));
                        tmpl_put(b, ":", 1);
                        tmpl_print_json(b, item);
                }
                tmpl_put(b, "}", 1);
                break;
        default:
                tmpl_puts(b, "null");
        }
}
