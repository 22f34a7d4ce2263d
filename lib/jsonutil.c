#include <config.h>
#include "jsonutil.h"

#include <errno.h>
#include <string.h>

#include "error.h"
#include "macros.h"
#include "xalloc.h"

static void print_scalar(FILE *f, json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_STRING:
                fputs(json_string_value(v), f);
                break;
        case JSON_INTEGER:
                fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                break;
        case JSON_REAL:
                fprintf(f, "%g", json_real_value(v));
                break;
        case JSON_TRUE:
                fputs("true", f);
                break;
        case JSON_FALSE:
                fputs("false", f);
                break;
        default:
                fputs("null", f);
                break;
        }
}

static bool is_container(json_t *v)
{
        return json_is_object(v) || json_is_array(v);
}

static void print_array(FILE *f, json_t *value, int indent)
{
        size_t i;
        json_t *item;

        json_array_foreach(value, i, item) {
                fprintf(f, "%*s- ", indent, "");
                if (json_is_object(item)) {
                        /* first key on the dash line, the rest aligned under it */
                        const char *key;
                        json_t *v;
                        bool first = true;

                        json_object_foreach(item, key, v) {
                                fprintf(f, "%*s%s:", first ? 0 : indent + 2, "", key);
                                if (is_container(v)) {
                                        fputc('\n', f);
                                        jsonutil_print_text(f, v, indent + 4);
                                } else {
                                        fputc(' ', f);
                                        print_scalar(f, v);
                                        fputc('\n', f);
                                }
                                first = false;
                        }
                        if (first)
                                fputs("{}\n", f);
                } else {
                        print_scalar(f, item);
                        fputc('\n', f);
                }
        }
}

void jsonutil_print_text(FILE *f, json_t *value, int indent)
{
        const char *key;
        json_t *v;

        if (json_is_array(value)) {
                print_array(f, value, indent);
                return;
        }
        if (!json_is_object(value)) {
                fprintf(f, "%*s", indent, "");
                print_scalar(f, value);
                fputc('\n', f);
                return;
        }
        json_object_foreach(value, key, v) {
                fprintf(f, "%*s%s:", indent, "", key);
                if (is_container(v) && json_array_size(v) + json_object_size(v) > 0) {
                        fputc('\n', f);
                        jsonutil_print_text(f, v, indent + 2);
                } else if (is_container(v)) {
                        fputs(json_is_array(v) ? " []\n" : " {}\n", f);
                } else {
                        fputc(' ', f);
                        print_scalar(f, v);
                        fputc('\n', f);
                }
        }
}

int jsonutil_print_format(json_t *value, const char *format, struct rctr_error *err)
{
        if (streq(format, "json")) {
                if (json_dumpf(value, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER) < 0)
                        return rctr_error_sys(err, errno, "write output");
                fputc('\n', stdout);
                return 0;
        }
        if (streq(format, "text") || streq(format, "")) {
                jsonutil_print_text(stdout, value, 0);
                return 0;
        }
        return rctr_error_set(err, EINVAL, "unknown --format %s (use text or json)", format);
}

static json_t *field(json_t *obj, const char *key)
{
        json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

        return json_is_null(v) ? NULL : v;
}

static int missing_or_absent(const char *key, bool required, struct rctr_error *err)
{
        return required ? rctr_error_set(err, EBADMSG, "%s: missing", key) : 0;
}

static int wrong_type(const char *key, const char *what, struct rctr_error *err)
{
        return rctr_error_set(err, EBADMSG, "%s: expected %s", key, what);
}

int jsonutil_get_string(json_t *obj, const char *key, bool required, const char **ret,
                        struct rctr_error *err)
{
        json_t *v = field(obj, key);

        if (!v)
                return missing_or_absent(key, required, err);
        /* "\u0000" is valid JSON: a C string would silently end there (a path cut short) */
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
                return wrong_type(key, "a string", err);
        *ret = json_string_value(v);
        return 0;
}

int jsonutil_get_bool(json_t *obj, const char *key, bool *ret, struct rctr_error *err)
{
        json_t *v = field(obj, key);

        if (!v)
                return 0;
        if (!json_is_boolean(v))
                return wrong_type(key, "true or false", err);
        *ret = json_is_true(v);
        return 0;
}

int jsonutil_get_int(json_t *obj, const char *key, bool required, json_int_t min, json_int_t max,
                     json_int_t *ret, struct rctr_error *err)
{
        json_t *v = field(obj, key);
        json_int_t i;

        if (!v)
                return missing_or_absent(key, required, err);
        if (!json_is_integer(v))
                return wrong_type(key, "an integer", err);
        i = json_integer_value(v);
        if (i < min || i > max)
                return rctr_error_set(err, EBADMSG,
                                      "%s: %" JSON_INTEGER_FORMAT " is out of range "
                                      "%" JSON_INTEGER_FORMAT "..%" JSON_INTEGER_FORMAT,
                                      key, i, min, max);
        *ret = i;
        return 0;
}

int jsonutil_get_object(json_t *obj, const char *key, bool required, json_t **ret,
                        struct rctr_error *err)
{
        json_t *v = field(obj, key);

        if (!v)
                return missing_or_absent(key, required, err);
        if (!json_is_object(v))
                return wrong_type(key, "an object", err);
        *ret = v;
        return 0;
}

int jsonutil_get_array(json_t *obj, const char *key, bool required, json_t **ret,
                       struct rctr_error *err)
{
        json_t *v = field(obj, key);

        if (!v)
                return missing_or_absent(key, required, err);
        if (!json_is_array(v))
                return wrong_type(key, "an array", err);
        *ret = v;
        return 0;
}

int jsonutil_get_strv(json_t *obj, const char *key, bool required, char ***ret,
                      struct rctr_error *err)
{
        json_t *arr = NULL, *item;
        char **v;
        size_t i;
        int r = jsonutil_get_array(obj, key, required, &arr, err);

        if (r < 0)
                return r;
        v = xreallocarray(NULL, json_array_size(arr) + 1, sizeof(char *));
        json_array_foreach(arr, i, item) {
                if (!json_is_string(item) ||
                    strlen(json_string_value(item)) != json_string_length(item)) {
                        v[i] = NULL;
                        strv_free(v);
                        return rctr_error_set(err, EBADMSG, "%s[%zu]: expected a string", key, i);
                }
                v[i] = xstrdup(json_string_value(item));
        }
        v[json_array_size(arr)] = NULL;
        *ret = v;
        return 0;
}

int jsonutil_parse(const char *buf, size_t len, size_t max, json_t **ret, struct rctr_error *err)
{
        json_error_t jerr;
        json_t *v;

        if (len > max)
                return rctr_error_set(err, EFBIG, "larger than %zu bytes", max);
        v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!v)
                return rctr_error_set(err, EBADMSG, "invalid JSON at line %d column %d: %s",
                                      jerr.line, jerr.column, jerr.text);
        *ret = v;
        return 0;
}
