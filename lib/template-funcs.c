/*
 * Go's builtin template functions: and or not len index slice eq ne lt le gt ge print printf
 * println (podman's additions are in template-funcs-podman.c). Messages are Go's, since podman
 * users search for them.
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

int tmpl_want(json_t *v, json_type type, const char *go_type, struct rctr_error *err)
{
        if (v && json_typeof(v) == type)
                return 0;
        if (!v)
                return rctr_error_set(err, EINVAL, "invalid value; expected %s", go_type);
        return rctr_error_set(err, EINVAL, "wrong type for value; expected %s; got %s", go_type,
                              tmpl_type_name(v));
}

static json_t *string_of(struct buf *b)
{
        return json_stringn_nocheck(b->data, b->len);
}

static int fn_not(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        *ret = json_boolean(!tmpl_truth(a[0]));
        return 0;
}

static int fn_len(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        size_t len;

        if (json_is_string(a[0]))
                len = json_string_length(a[0]);
        else if (json_is_array(a[0]) || json_is_object(a[0]))
                len = json_is_array(a[0]) ? json_array_size(a[0]) : json_object_size(a[0]);
        else if (!a[0] || json_is_null(a[0]))
                return rctr_error_set(err, EINVAL, "error calling len: len of %s",
                                      a[0] ? "nil pointer" : "untyped nil");
        else
                return rctr_error_set(err, EINVAL, "error calling len: len of type %s",
                                      tmpl_type_name(a[0]));
        *ret = json_integer((json_int_t)len);
        return 0;
}

/* An index into something of length len: an int in [0, len). */
static int want_index(const char *fn, json_t *i, size_t len, size_t *ret, struct rctr_error *err)
{
        json_int_t x;

        if (!json_is_integer(i))
                return rctr_error_set(err, EINVAL,
                                      "error calling %s: cannot index slice/array "
                                      "with type %s",
                                      fn, tmpl_type_name(i));
        x = json_integer_value(i);
        if (x < 0 || (uint64_t)x >= len)
                return rctr_error_set(err, EINVAL, "error calling %s: index out of range: %lld", fn,
                                      (long long)x);
        *ret = (size_t)x;
        return 0;
}

/* index x 1 "key" ...: a missing key gives a missing value, as a nil map entry would. */
static int fn_index(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        json_t *item = a[0];
        size_t x;
        int r;

        if (!item)
                return rctr_error_set(err, EINVAL, "error calling index: index of untyped nil");
        for (size_t i = 1; i < n; i++) {
                if (!item || json_is_null(item))
                        return rctr_error_set(err, EINVAL,
                                              "error calling index: index of nil pointer");
                if (json_is_object(item)) {
                        if (!json_is_string(a[i]))
                                return rctr_error_set(err, EINVAL,
                                                      "error calling index: value has type %s; "
                                                      "should be string",
                                                      tmpl_type_name(a[i]));
                        item = json_object_get(item, json_string_value(a[i]));
                        continue;
                }
                if (!json_is_array(item) && !json_is_string(item))
                        return rctr_error_set(err, EINVAL,
                                              "error calling index: can't index item of type %s",
                                              tmpl_type_name(item));
                r = want_index("index", a[i],
                               json_is_array(item) ? json_array_size(item)
                                                   : json_string_length(item),
                               &x, err);
                if (r < 0)
                        return r;
                if (json_is_string(item)) {
                        /* a byte, as Go's string indexing gives */
                        *ret = json_integer((unsigned char)json_string_value(item)[x]);
                        if (i + 1 == n)
                                return 0;
                        json_decref(*ret);
                        return rctr_error_set(err, EINVAL,
                                              "error calling index: can't index item of type "
                                              "uint8");
                }
                item = json_array_get(item, x);
        }
        *ret = json_incref(item);
        return 0;
}

/* slice x i j: x[i:j] of a string or an array. */
static int fn_slice(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        bool str = json_is_string(a[0]);
        size_t len = str ? json_string_length(a[0]) : json_array_size(a[0]), idx[2] = {0, len};
        int r;

        if (!str && !json_is_array(a[0]))
                return rctr_error_set(err, EINVAL,
                                      "error calling slice: can't slice item of "
                                      "type %s",
                                      tmpl_type_name(a[0]));
        if (n > 3)
                return rctr_error_set(err, EINVAL,
                                      "error calling slice: too many slice indexes: "
                                      "%zu",
                                      n - 1);
        for (size_t i = 1; i < n; i++) {
                /* an end index may equal the length */
                r = want_index("slice", a[i], len + 1, &idx[i - 1], err);
                if (r < 0)
                        return r;
        }
        if (idx[0] > idx[1])
                return rctr_error_set(err, EINVAL,
                                      "error calling slice: invalid slice index: "
                                      "%zu > %zu",
                                      idx[0], idx[1]);
        if (str) {
                *ret = json_stringn_nocheck(json_string_value(a[0]) + idx[0], idx[1] - idx[0]);
                return 0;
        }
        *ret = json_array();
        for (size_t i = idx[0]; i < idx[1]; i++)
                json_array_append(*ret, json_array_get(a[0], i));
        return 0;
}

/* ---- comparisons ---- */

enum kind {
        KIND_NIL,
        KIND_BOOL,
        KIND_NUMBER,
        KIND_STRING,
        KIND_OTHER,
};

static enum kind kind_of(json_t *v)
{
        if (!v || json_is_null(v))
                return KIND_NIL;
        if (json_is_boolean(v))
                return KIND_BOOL;
        if (json_is_number(v))
                return KIND_NUMBER;
        return json_is_string(v) ? KIND_STRING : KIND_OTHER;
}

/* <0, 0, >0 for numbers (ints exactly, otherwise as doubles), strings (bytewise) and bools. */
static int compare(json_t *x, json_t *y)
{
        if (json_is_integer(x) && json_is_integer(y))
                return (json_integer_value(x) > json_integer_value(y)) -
                       (json_integer_value(x) < json_integer_value(y));
        if (json_is_number(x))
                return (json_number_value(x) > json_number_value(y)) -
                       (json_number_value(x) < json_number_value(y));
        if (json_is_boolean(x))
                return json_is_true(x) - json_is_true(y);
        {
                size_t nx = json_string_length(x), ny = json_string_length(y);
                int c = memcmp(json_string_value(x), json_string_value(y), nx < ny ? nx : ny);

                return c ? c : (nx > ny) - (nx < ny);
        }
}

/* eq x y z...: whether x equals any of the others; nil equals only nil, as in Go 1.18. */
static int equal(const char *name, json_t **a, size_t n, bool *ret, struct rctr_error *err)
{
        enum kind k1 = kind_of(a[0]);

        if (n < 2)
                return rctr_error_set(err, EINVAL,
                                      "error calling %s: missing argument for comparison", name);
        for (size_t i = 1; i < n; i++) {
                enum kind k2 = kind_of(a[i]);

                if (k1 == KIND_NIL || k2 == KIND_NIL) {
                        if (k1 == k2)
                                return *ret = true, 0;
                        continue;
                }
                if (k1 != k2)
                        return rctr_error_set(err, EINVAL,
                                              "error calling %s: incompatible types for comparison",
                                              name);
                if (k1 == KIND_OTHER)
                        return rctr_error_set(err, EINVAL,
                                              "error calling %s: non-comparable type %s", name,
                                              tmpl_type_name(a[0]));
                if (compare(a[0], a[i]) == 0)
                        return *ret = true, 0;
        }
        *ret = false;
        return 0;
}

static int fn_eq(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        bool eq;
        int r = equal("eq", a, n, &eq, err);

        if (r >= 0)
                *ret = json_boolean(eq);
        return r;
}

static int fn_ne(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        bool eq;
        int r = equal("ne", a, n, &eq, err);

        if (r >= 0)
                *ret = json_boolean(!eq);
        return r;
}

/* lt, le, gt, ge: numbers and strings only. */
static int ordered(const char *name, json_t **a, int *ret, struct rctr_error *err)
{
        enum kind k1 = kind_of(a[0]), k2 = kind_of(a[1]);

        if (k1 == KIND_NIL || k1 == KIND_BOOL || k1 == KIND_OTHER || k2 == KIND_NIL ||
            k2 == KIND_BOOL || k2 == KIND_OTHER)
                return rctr_error_set(err, EINVAL, "error calling %s: invalid type for comparison",
                                      name);
        if (k1 != k2)
                return rctr_error_set(err, EINVAL,
                                      "error calling %s: incompatible types for comparison", name);
        *ret = compare(a[0], a[1]);
        return 0;
}

#define DEFINE_ORDERED(name, test)                                                       \
        static int fn_##name(json_t **a, size_t n, json_t **ret, struct rctr_error *err) \
        {                                                                                \
                int c, r = ordered(#name, a, &c, err);                                   \
                                                                                         \
                if (r < 0)                                                               \
                        return r;                                                        \
                *ret = json_boolean(test);                                               \
                return 0;                                                                \
        }
DEFINE_ORDERED(lt, c < 0)
DEFINE_ORDERED(le, c <= 0)
DEFINE_ORDERED(gt, c > 0)
DEFINE_ORDERED(ge, c >= 0)

/* ---- printing ---- */

static int fn_print(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        cleanup_buf struct buf b = {0};

        buf_init(&b, 0);
        tmpl_sprint(&b, a, n, false);
        *ret = string_of(&b);
        return 0;
}

static int fn_println(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        cleanup_buf struct buf b = {0};

        buf_init(&b, 0);
        tmpl_sprint(&b, a, n, true);
        *ret = string_of(&b);
        return 0;
}

static int fn_printf(json_t **a, size_t n, json_t **ret, struct rctr_error *err)
{
        cleanup_buf struct buf b = {0};
        int r = tmpl_want(a[0], JSON_STRING, "string", err);

        if (r < 0)
                return r;
        buf_init(&b, 0);
        tmpl_sprintf(&b, json_string_value(a[0]), json_string_length(a[0]), a + 1, n - 1);
        *ret = string_of(&b);
        return 0;
}

static const struct tmpl_func funcs[] = {
        {"and", 1, SIZE_MAX, NULL},
        {"eq", 1, SIZE_MAX, fn_eq},
        {"ge", 2, 2, fn_ge},
        {"gt", 2, 2, fn_gt},
        {"index", 1, SIZE_MAX, fn_index},
        {"le", 2, 2, fn_le},
        {"len", 1, 1, fn_len},
        {"lt", 2, 2, fn_lt},
        {"ne", 2, 2, fn_ne},
        {"not", 1, 1, fn_not},
        {"or", 1, SIZE_MAX, NULL},
        {"print", 0, SIZE_MAX, fn_print},
        {"printf", 1, SIZE_MAX, fn_printf},
        {"println", 0, SIZE_MAX, fn_println},
        {"slice", 1, SIZE_MAX, fn_slice},
};

const struct tmpl_func *tmpl_func_find(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
                if (streq(funcs[i].name, name))
                        return &funcs[i];
        return tmpl_podman_func_find(name);
}
