#include <config.h>
#include "jsonutil.h"

#include <errno.h>

#include "error.h"
#include "macros.h"

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
