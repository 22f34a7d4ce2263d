#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/toml.h"
#include "lib/xalloc.h"
#include "tap.h"

static struct toml_value *parse(const char *text)
{
        struct toml_value *root = NULL;
        struct rctr_error err = {0};

        if (toml_parse(text, strlen(text), "t.toml", &root, &err) < 0) {
                printf("# unexpected error: %s\n", err.msg);
                rctr_error_clear(&err);
                return NULL;
        }
        return root;
}

/* The error message for text, or "(parsed)". Owned. */
static char *error_of_len(const char *text, size_t len)
{
        struct toml_value *root = NULL;
        struct rctr_error err = {0};
        char *msg;
        int r = toml_parse(text, len, "t.toml", &root, &err);

        if (r == 0) {
                toml_free(root);
                return xstrdup("(parsed)");
        }
        msg = xasprintf("%s%s", r == -EBADMSG && err.code == EBADMSG ? "" : "(wrong errno) ",
                        err.msg);
        rctr_error_clear(&err);
        return msg;
}

static char *error_of(const char *text)
{
        return error_of_len(text, strlen(text));
}

static const struct toml_value *get(const struct toml_value *t, const char *key,
                                    enum toml_type type)
{
        const struct toml_value *v = toml_get(t, key);

        return v && v->type == type ? v : NULL;
}

static void test_values(void)
{
        static const char doc[] =
                "# a comment line\n"
                "\n"
                "   plain = \"text\"   # trailing comment\n"
                "escaped = \"a\\tb\\\"c\\\\d\\u00e9\\U0001F600\\n\"\n"
                "literal = 'C:\\path\\#not-a-comment'\n"
                "\"quoted key\" = true\n"
                "'literal key' = false\n"
                "empty = \"\"\n"
                "number = 42\n"
                "negative = -1_000\n"
                "float = 6.5e-3\n"
                "date = 1979-05-27T07:32:00Z\n"
                "localdate = 1979-05-27 07:32:00\n"
                "list = [\n"
                "  \"one\",   # first\n"
                "  'two'\n"
                "  ,\n"
                "  # a comment between items\n"
                "  \"three\",\n"
                "]\n"
                "empty_list = []\n"
                "nested = [[1, 2], [\"a\"]]\n"
                "inline = { location = \"x.io\", insecure = true, deep.key = 'v' }\n"
                "dotted.a.b = \"c\"\n"
                "crlf = 1\r\n"
                "with-dash_and_underscore = 'ok'";
        struct toml_value *root = parse(doc);
        const struct toml_value *v, *list, *in;

        if (!ok(root != NULL, "a document with every supported value parses"))
                return;
        ok(root->type == TOML_TABLE, "the root is a table");
        v = get(root, "plain", TOML_STRING);
        is_str(v ? v->s : NULL, "text", "basic string");
        ok(v && v->line == 3, "line of a value");
        v = get(root, "escaped", TOML_STRING);
        is_str(v ? v->s : NULL, "a\tb\"c\\d\xc3\xa9\xf0\x9f\x98\x80\n", "escapes, \\u and \\U");
        v = get(root, "literal", TOML_STRING);
        is_str(v ? v->s : NULL, "C:\\path\\#not-a-comment", "literal string keeps backslashes");
        v = get(root, "quoted key", TOML_BOOL);
        ok(v && v->b, "quoted key, true");
        v = get(root, "literal key", TOML_BOOL);
        ok(v && !v->b, "literal key, false");
        v = get(root, "empty", TOML_STRING);
        is_str(v ? v->s : NULL, "", "empty string");
        v = get(root, "number", TOML_OTHER);
        is_str(v ? v->s : NULL, "42", "integer kept as text");
        v = get(root, "negative", TOML_OTHER);
        is_str(v ? v->s : NULL, "-1_000", "negative integer");
        v = get(root, "float", TOML_OTHER);
        is_str(v ? v->s : NULL, "6.5e-3", "float");
        v = get(root, "date", TOML_OTHER);
        is_str(v ? v->s : NULL, "1979-05-27T07:32:00Z", "date-time");
        v = get(root, "localdate", TOML_OTHER);
        is_str(v ? v->s : NULL, "1979-05-27 07:32:00", "date-time with a space");

        list = get(root, "list", TOML_ARRAY);
        ok(list && list->n_items == 3 && list->items[0]->type == TOML_STRING &&
                   streq(list->items[0]->s, "one") && streq(list->items[1]->s, "two") &&
                   streq(list->items[2]->s, "three"),
           "array over several lines, comments, trailing comma");
        ok(list && list->items[2]->line == 19, "line of an array item");
        v = get(root, "empty_list", TOML_ARRAY);
        ok(v && v->n_items == 0, "empty array");
        v = get(root, "nested", TOML_ARRAY);
        ok(v && v->n_items == 2 && v->items[0]->type == TOML_ARRAY && v->items[0]->n_items == 2 &&
                   v->items[1]->items[0]->type == TOML_STRING,
           "nested arrays");

        in = get(root, "inline", TOML_TABLE);
        v = get(in, "location", TOML_STRING);
        is_str(v ? v->s : NULL, "x.io", "inline table string");
        v = get(in, "insecure", TOML_BOOL);
        ok(v && v->b, "inline table boolean");
        v = get(get(in, "deep", TOML_TABLE), "key", TOML_STRING);
        is_str(v ? v->s : NULL, "v", "dotted key in an inline table");

        v = get(get(get(root, "dotted", TOML_TABLE), "a", TOML_TABLE), "b", TOML_STRING);
        is_str(v ? v->s : NULL, "c", "dotted key");
        v = get(root, "crlf", TOML_OTHER);
        ok(v != NULL, "CRLF line ending");
        v = get(root, "with-dash_and_underscore", TOML_STRING);
        is_str(v ? v->s : NULL, "ok", "bare key with - and _, no final newline");
        ok(toml_get(root, "missing") == NULL, "absent key");
        ok(toml_get(v, "x") == NULL, "toml_get on a string");
        ok(toml_get(NULL, "x") == NULL, "toml_get on NULL");
        toml_free(root);
}

static void test_tables(void)
{
        static const char doc[] = "top = 1\n"
                                  "[[registry]]\n"
                                  "location = \"a\"\n"
                                  "[[registry.mirror]]\n"
                                  "location = \"a-mirror\"\n"
                                  "\n"
                                  "[[registry]]\n"
                                  "location = \"b\"\n"
                                  "[[registry.mirror]]\n"
                                  "location = \"b-mirror-1\"\n"
                                  "[[registry.mirror]]\n"
                                  "location = \"b-mirror-2\"\n"
                                  "[registry.extra]\n"
                                  "x = true\n"
                                  "[ aliases ]\n"
                                  "\"fedora\" = \"registry.fedoraproject.org/fedora\"\n"
                                  "[a.b.c]\n"
                                  "d = 1\n"
                                  "[a]\n"
                                  "e = 2\n"
                                  "[a.\"quoted.part\"]\n";
        struct toml_value *root = parse(doc);
        const struct toml_value *regs, *r1, *m, *v, *a;

        if (!ok(root != NULL, "tables and arrays of tables parse"))
                return;
        regs = get(root, "registry", TOML_ARRAY);
        ok(regs && regs->n_items == 2, "two [[registry]] tables");
        if (!regs || regs->n_items != 2)
                goto out;
        ok(regs->items[0]->line == 2 && regs->items[1]->line == 7, "table lines are their headers");
        m = get(regs->items[0], "mirror", TOML_ARRAY);
        ok(m && m->n_items == 1, "[[registry.mirror]] goes into the last [[registry]]");
        r1 = regs->items[1];
        m = get(r1, "mirror", TOML_ARRAY);
        ok(m && m->n_items == 2 &&
                   streq(get(m->items[1], "location", TOML_STRING)->s, "b-mirror-2"),
           "second registry has two mirrors");
        v = get(get(r1, "extra", TOML_TABLE), "x", TOML_BOOL);
        ok(v && v->b, "[registry.extra] goes into the last [[registry]]");
        v = get(get(root, "aliases", TOML_TABLE), "fedora", TOML_STRING);
        is_str(v ? v->s : NULL, "registry.fedoraproject.org/fedora", "[ aliases ] with blanks");
        a = get(root, "a", TOML_TABLE);
        v = get(get(get(a, "b", TOML_TABLE), "c", TOML_TABLE), "d", TOML_OTHER);
        ok(v != NULL, "[a.b.c] creates a and a.b");
        ok(get(a, "e", TOML_OTHER) != NULL, "[a] may be defined after [a.b.c]");
        ok(get(a, "quoted.part", TOML_TABLE) != NULL, "quoted part in a header");
        ok(get(root, "top", TOML_OTHER) != NULL, "keys before the first header are the root's");
out:
        toml_free(root);
}

struct error_case {
        const char *text;
        const char *message;
};

static const struct error_case errors[] = {
        {"key =", "t.toml:1: expected a value"},
        {"key = # nothing\n", "t.toml:1: expected a value"},
        {"a = 1\nkey = yes\n", "t.toml:2: invalid value \"yes\" (a string needs quotes)"},
        {"a = 1\n\nkey = \"abc\n", "t.toml:3: unterminated string"},
        {"key = 'abc", "t.toml:1: unterminated string"},
        {"a = 1\na = 2\n", "t.toml:2: duplicate key \"a\" (first on line 1)"},
        {"[t]\nx = 1\n[t]\n", "t.toml:3: table [t] is defined twice (first on line 1)"},
        {"[t\n", "t.toml:1: expected ']' to close [t"},
        {"[[t]\n", "t.toml:1: expected ']]' to close [[t"},
        {"[]\n", "t.toml:1: unexpected ']' where a key should be"},
        {"a = 1 b\n", "t.toml:1: unexpected 'b' after a value"},
        {"a = 1\tb\n", "t.toml:1: unexpected 'b' after a value"},
        {"a = \"\\\x01\"\n", "t.toml:1: invalid escape \\ and 0x01 in string"},
        {"[t] x = 1\n", "t.toml:1: unexpected 'x' after a table header"},
        {"a = [1, 2\n", "t.toml:2: unterminated array"},
        {"a = [1 2]\n", "t.toml:1: expected ',' or ']' in array, not '2'"},
        {"a = \"\"\"x\"\"\"\n", "t.toml:1: multi-line strings are not supported"},
        {"a = '''x'''\n", "t.toml:1: multi-line strings are not supported"},
        {"a = \"\\q\"\n", "t.toml:1: invalid escape \\ and 'q' in string"},
        {"a = \"\\u0000\"\n", "t.toml:1: \\u escape is not a usable Unicode scalar value"},
        {"a = \"\\ud800\"\n", "t.toml:1: \\u escape is not a usable Unicode scalar value"},
        {"a = \"\\u12\"\n", "t.toml:1: invalid hex digit '\"' in \\u escape"},
        {"a = \"x\x01y\"\n", "t.toml:1: control character 0x01 in string"},
        {"= 1\n", "t.toml:1: unexpected '=' where a key should be"},
        {"a 1\n", "t.toml:1: expected '=' after key \"a\""},
        {"a = 1\n[[a]]\n", "t.toml:2: [[a]]: key is already a number or date (line 1)"},
        {"[[a]]\n[a]\n", "t.toml:2: [a]: key is already a array (line 1)"},
        {"a = 1\n[a.b]\n", "t.toml:2: key \"a\" is already a number or date (line 1)"},
        {"a = {b = 1}\n[a]\n", "t.toml:2: table [a] is defined twice (first on line 1)"},
        {"a = {b = 1}\na.c = 2\n", "t.toml:2: key \"a\" is already a table (line 1)"},
        {"a = [1]\n[[a]]\n", "t.toml:2: [[a]]: key is already a array (line 1)"},
        {"[x]\na.b = 1\n[x.a]\n", "t.toml:3: table [x.a] is defined twice (first on line 2)"},
        {"a = {b = 1\n", "t.toml:1: expected ',' or '}' in inline table (it must fit on one line)"},
        {"a = {b = 1, b = 2}\n", "t.toml:1: duplicate key \"b\" (first on line 1)"},
        {"a = \"x\"\r\rb = 1\n", "t.toml:1: unexpected 0x0d after a value"},
};

static void test_errors(void)
{
        static const char nul_doc[] = "a = 1\nb = 2\nc = \"x\0y\"\n";
        cleanup_free char *deep = NULL, *long_key = NULL, *nul = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
                cleanup_free char *got = error_of(errors[i].text);

                is_str(got, errors[i].message, "error case %zu", i);
        }
        nul = error_of_len(nul_doc, sizeof(nul_doc) - 1);
        is_str(nul, "t.toml:3: NUL byte in file", "a NUL byte is refused with its line");

        /* 40 nested arrays: more than TOML_MAX_DEPTH. */
        deep = xasprintf("a = %s", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
        {
                cleanup_free char *got = error_of(deep);

                is_str(got, "t.toml:1: values nested more than 32 deep", "nesting is capped");
        }
        long_key = xstrdup("[a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a]");
        {
                cleanup_free char *got = error_of(long_key);

                is_str(got, "t.toml:1: key has more than 32 parts", "key parts are capped");
        }
}

static void test_caps(void)
{
        cleanup_buf struct buf doc = {0};

        /* One table with more keys than TOML_MAX_KEYS. */
        buf_init(&doc, 0);
        for (int i = 0; i <= TOML_MAX_KEYS; i++)
                buf_appendf(&doc, "k%d=1\n", i);
        {
                cleanup_free char *got = error_of(doc.data);

                ok(strstr(got, "t.toml:4097: more than 4096 keys in one table") != NULL,
                   "keys are capped: %s", got);
        }
        /* And an array with more items than TOML_MAX_ITEMS. */
        buf_free(&doc);
        buf_appendf(&doc, "a = [");
        for (int i = 0; i <= TOML_MAX_ITEMS; i++)
                buf_appendf(&doc, "1,");
        buf_appendf(&doc, "]");
        {
                cleanup_free char *got = error_of(doc.data);

                ok(strstr(got, "more than 4096 items in one array") != NULL,
                   "array items are capped: %s", got);
        }
}

int main(void)
{
        test_values();
        test_tables();
        test_errors();
        test_caps();
        return tap_done();
}
