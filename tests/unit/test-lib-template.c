#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/tabwriter.h"
#include "lib/template.h"
#include "lib/xalloc.h"
#include "tap.h"

/* What {{...}} cases run over: one of each JSON type, and nesting. */
static const char data_text[] =
        "{\"S\": \"x\", \"N\": null, \"I\": 42, \"F\": 1.5, \"T\": true, \"E\": \"\", \"Z\": 0,"
        " \"L\": [\"a\", \"b\", \"c\"], \"EL\": [], \"M\": {\"b\": 2, \"a\": 1}, \"EM\": {},"
        " \"Nest\": {\"A\": {\"B\": \"deep\"}}, \"Big\": 1000000.0, \"Small\": 0.0001,"
        " \"Tiny\": 0.00001, \"Name\": \"root\", \"Mixed\": [1, \"two\", null, true, 2.5],"
        " \"Objs\": [{\"ID\": \"a\", \"V\": 1}, {\"ID\": \"bb\", \"V\": 2}]}";

static json_t *data;

/* "ERR: <message>" for a failure with err set and -EINVAL returned. Owned. */
static char *error_text(int r, struct rctr_error *err)
{
        char *msg = xasprintf("ERR%s: %s", r == -EINVAL && err->code == EINVAL ? "" : "(errno)",
                              err->msg);

        rctr_error_clear(err);
        return msg;
}

/* The output of t over dot, or "ERR: <message>". Owned. */
static char *render(const struct tmpl *t, json_t *dot)
{
        cleanup_buf struct buf out = {0};
        struct rctr_error err = {0};
        int r;

        buf_init(&out, 0);
        r = tmpl_render(t, dot, &out, &err);
        if (r < 0) {
                /* what was written before the failure, then the message */
                cleanup_free char *msg = error_text(r, &err);

                return xasprintf("%s%s", out.data, msg);
        }
        return buf_detach(&out);
}

static char *run(const char *text, json_t *dot)
{
        CLEANUP(tmpl_freep) struct tmpl *t = NULL;
        struct rctr_error err = {0};
        int r = tmpl_parse("t", text, strlen(text), &t, &err);

        return r < 0 ? error_text(r, &err) : render(t, dot);
}

/* text with its newlines and tabs escaped: a TAP description is one line. Owned. */
static char *one_line(const char *text)
{
        cleanup_buf struct buf b = {0};

        buf_init(&b, 0);
        for (const char *s = text; *s; s++) {
                if (*s == '\n' || *s == '\t')
                        (void)buf_append(&b, *s == '\n' ? "\\n" : "\\t", 2);
                else
                        (void)buf_append(&b, s, 1);
        }
        return buf_detach(&b);
}

static void check(const char *text, const char *want)
{
        cleanup_free char *got = run(text, data);
        cleanup_free char *name = one_line(text);

        is_str(got, want, "%s", name);
}

static void test_text_and_trim(void)
{
        check("", "");
        check("plain text", "plain text");
        check("a {{- \" b \" -}} c", "a b c");
        check("x  \n {{- 3}}", "x3");
        check("{{3 -}} \n\t y", "3y");
        check("{{-3}}", "-3");
        check("a{{/* a comment */}}b", "ab");
        check("a {{- /* trimmed */ -}} b", "ab");
        check("{{\n.S\n}}", "x");
}

static void test_fields(void)
{
        check("{{.S}}", "x");
        check("{{.I}} {{.F}} {{.T}} {{.Z}}", "42 1.5 true 0");
        check("{{.N}}", "<nil>");
        check("{{.Missing}}", "<no value>");
        check("{{.Missing.Deeper.Still}}", "<no value>");
        check("{{.Nest.A.B}}", "deep");
        check("{{.Nest.A}}", "map[B:deep]");
        check("{{.L}}", "[a b c]");
        check("{{.EL}} {{.EM}}", "[] map[]");
        check("{{.M}}", "map[a:1 b:2]");
        check("{{.Mixed}}", "[1 two <nil> true 2.5]");
        check("{{.Big}} {{.Small}} {{.Tiny}}", "1e+06 0.0001 1e-05");
        check("{{.Objs}}", "[map[ID:a V:1] map[ID:bb V:2]]");
        check("{{with .Nest}}{{.A.B}}{{end}}", "deep");
        check("{{$.S}}", "x");
        check("{{(.Nest).A.B}}", "deep");
}

static void test_literals(void)
{
        check("{{\"a\\tb\\u00e9\\x41\\101\"}}", "a\tbéAA");
        check("{{`raw\\n`}}", "raw\\n");
        check("{{'a'}} {{'\\n'}} {{'é'}}", "97 10 233");
        check("{{0x10}} {{0o17}} {{017}} {{0b101}} {{1_000}}", "16 15 15 5 1000");
        check("{{-3}} {{+4}} {{1.5}} {{1e3}} {{.5}} {{1.0}}", "-3 4 1.5 1000 0.5 1");
        check("{{true}} {{false}}", "true false");
        check("{{1234567.0}} {{123456.0}} {{0.000012}}", "1.234567e+06 123456 1.2e-05");
}

static void test_variables(void)
{
        check("{{$x := .S}}{{$x}}{{$x}}", "xx");
        check("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2");
        check("{{range .L}}{{$.Name}}:{{.}} {{end}}", "root:a root:b root:c ");
        check("{{$n := .Nest}}{{$n.A.B}}", "deep");
        check("{{if $v := .S}}{{$v}}{{end}}", "x");
        check("{{range $v := .L}}{{$v}}{{end}}", "abc");
        check("{{range $i, $v := .L}}{{$i}}={{$v}},{{end}}", "0=a,1=b,2=c,");
        check("{{range $k, $v := .M}}{{$k}}={{$v}};{{end}}", "a=1;b=2;");
        check("{{$i := 9}}{{range $i = .L}}{{end}}{{$i}}", "c");
}

static void test_range_if_with(void)
{
        check("{{range .L}}[{{.}}]{{end}}", "[a][b][c]");
        check("{{range .M}}{{.}}{{end}}", "12");
        check("{{range .EL}}x{{else}}empty{{end}}", "empty");
        check("{{range .Missing}}x{{else}}none{{end}}", "none");
        check("{{range .L}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}", "a");
        check("{{range .L}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}", "ac");
        check("{{range 3}}{{.}}{{end}}", "012");
        check("{{range .Objs}}{{.ID}}={{.V}} {{end}}", "a=1 bb=2 ");
        check("{{if .T}}yes{{else}}no{{end}}", "yes");
        check("{{if .Z}}a{{else if .E}}b{{else if .S}}c{{else}}d{{end}}", "c");
        check("{{if .Z}}a{{else if .E}}b{{else}}d{{end}}", "d");
        check("{{with .Missing}}a{{else}}b{{end}}", "b");
        check("{{with .E}}a{{else with .S}}{{.}}{{end}}", "x");
        check("{{with $x := .Nest.A}}{{$x.B}}/{{.B}}{{end}}", "deep/deep");
        check("{{range .L}}{{$x := .}}{{end}}{{$x := 1}}{{$x}}", "1");
        /* Go's truth */
        check("{{if .N}}1{{end}}{{if .E}}2{{end}}{{if .Z}}3{{end}}{{if .EL}}4{{end}}"
              "{{if .EM}}5{{end}}{{if false}}6{{end}}{{if .Missing}}7{{end}}{{if 0.0}}8{{end}}",
              "");
        check("{{if .L}}1{{end}}{{if .M}}2{{end}}{{if .F}}3{{end}}{{if .I}}4{{end}}", "1234");
        check("{{range $i, $v := .L}}{{if $i}},{{end}}{{$v}}{{end}}", "a,b,c");
}

static void test_logic_and_compare(void)
{
        check("{{not .T}} {{not .E}}", "false true");
        check("{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" \"x\"}} {{or 0 \"\"}}", "0 2 x ");
        check("{{or 1 (index .L 99)}}", "1");
        check("{{and 0 (index .L 99)}}", "0");
        check("{{.S | and 1}}", "x");
        check("{{eq .S \"x\"}} {{eq .I 42}} {{eq 1 2 3 1}} {{eq 1 1.0}}", "true true true true");
        check("{{ne .S \"y\"}} {{eq .N nil}} {{eq .Missing \"x\"}} {{eq .T true}}",
              "true true false true");
        check("{{lt 1 2}} {{le 2 2}} {{gt 1.5 1}} {{ge \"a\" \"b\"}} {{lt \"a\" \"ab\"}}",
              "true true true false true");
        check("{{lt 1 \"a\"}}", "ERR: template: t:1:2: executing \"t\" at <lt 1 \"a\">: error "
                                "calling lt: incompatible types for comparison");
        check("{{lt true false}}", "ERR: template: t:1:2: executing \"t\" at <lt true false>: "
                                   "error calling lt: invalid type for comparison");
        check("{{eq .L .L}}", "ERR: template: t:1:2: executing \"t\" at <eq .L .L>: error "
                              "calling eq: non-comparable type []interface {}");
        check("{{eq 1}}", "ERR: template: t:1:2: executing \"t\" at <eq 1>: error calling eq: "
                          "missing argument for comparison");
        check("{{eq \"1\" 1}}", "ERR: template: t:1:2: executing \"t\" at <eq \"1\" 1>: error "
                                "calling eq: incompatible types for comparison");
}

static void test_functions(void)
{
        check("{{json .M}} {{json .S}} {{json .Mixed}} {{json .N}} {{json .Missing}}",
              "{\"b\":2,\"a\":1} \"x\" [1,\"two\",null,true,2.5] null null");
        check("{{json .Nest}}", "{\"A\":{\"B\":\"deep\"}}");
        check("{{json \"<a&b>\\n\\u2028\\x01\"}}", "\"<a&b>\\n\\u2028\\u0001\"");
        check("{{json 1e21}} {{json 0.0000001}} {{json 1e20}}", "1e+21 1e-7 100000000000000000000");
        check("{{index .M \"a\"}} {{index .L 1}} {{index .Nest \"A\" \"B\"}} {{index .S 0}}",
              "1 b deep 120");
        check("{{index .M \"zz\"}}", "<no value>");
        check("{{index .L}}", "[a b c]");
        check("{{len .S}} {{len .L}} {{len .M}} {{len \"é\"}}", "1 3 2 2");
        check("{{slice .L 1}} {{slice .L 1 2}} {{slice \"hello\" 1 3}}", "[b c] [b] el");
        check("{{upper .S}} {{lower \"AbC\"}} {{title \"hello world-foo_bar 2x\"}}",
              "X abc Hello World-Foo_bar 2x");
        check("{{join .L \", \"}} {{join .EL \",\"}} {{join .Mixed \"/\"}}",
              "a, b, c  1/two/<nil>/true/2.5");
        check("{{split \"a,b,,c\" \",\"}} {{len (split \"\" \",\")}} {{split \"hé\" \"\"}}",
              "[a b  c] 1 [h é]");
        check("{{truncate \"abcdef\" 3}} {{truncate \"ab\" 5}} [{{truncate \"éa\" 1}}]",
              "abc ab []");
        check("[{{pad \"x\" 2 1}}] [{{pad \"\" 2 1}}]", "[  x ] []");
        check("{{print 1 2 \"a\" 3 \"b\" \"c\"}}", "1 2a3bc");
        check("{{println 1 \"a\"}}", "1 a\n");
        check("{{print .N .Missing}}", "<nil> <nil>");
}

static void test_printf(void)
{
        check("{{printf \"%s-%d\" .S .I}}", "x-42");
        check("{{printf \"%5s|%-5s|%05d|%x|%X|%o|%b\" \"a\" \"b\" 42 255 255 8 5}}",
              "    a|b    |00042|ff|FF|10|101");
        check("{{printf \"%q %v %d %t %%\" \"a\\\"b\" .L .Mixed .T}}",
              "\"a\\\"b\" [a b c] [1 %!d(string=two) %!d(<nil>) %!d(bool=true) "
              "%!d(float64=2.5)] true %");
        check("{{printf \"%.2f|%6.2f|%e|%g|%g|%v\" 3.14159 3.14159 1234.5678 1e6 0.5 .F}}",
              "3.14|  3.14|1.234568e+03|1e+06|0.5|1.5");
        check("{{printf \"%+d %x %c %U %q %#x %#o\" 5 \"hi\" 65 65 65 255 8}}",
              "+5 6869 A U+0041 'A' 0xff 010");
        check("{{printf \"%.3s|%-4s|%4s|\" \"abcdef\" \"é\" \"é\"}}", "abc|é   |   é|");
        check("{{printf \"%s %s\" \"a\"}}", "a %!s(MISSING)");
        check("{{printf \"%s\" \"a\" 1 .N}}", "a%!(EXTRA int=1, <nil>)");
        check("{{printf \"%d\" \"x\"}} {{printf \"%s\" 5}} {{printf \"%s\" .N}}",
              "%!d(string=x) %!s(int=5) %!s(<nil>)");
        check("{{printf \"%*d|%-*d|\" 4 1 3 2}}", "   1|2  |");
        check("{{printf \"%v\" .M}} {{printf \"%s\" .L}} {{printf \"%q\" .L}}",
              "map[a:1 b:2] [a b c] [\"a\" \"b\" \"c\"]");
        check("{{printf \"%\"}}", "%!(NOVERB)");
        check("{{printf \"%z\" 1}}", "%!z(int=1)");
        check("{{printf \"%q\" \"\\x01\\u00e9\\n\"}}", "\"\\x01é\\n\"");
}

static void test_pipelines(void)
{
        check("{{.S | printf \"%s!\"}}", "x!");
        check("{{.L | len}}", "3");
        check("{{\"a\" | printf \"%s-%s\" \"b\"}}", "b-a");
        check("{{(index .L 0) | upper}}", "A");
        check("{{(index .Objs 1).ID}}", "bb");
        check("{{.S | upper | printf \"<%s>\"}}", "<X>");
        check("{{printf \"%d\" (len .L)}}", "3");
        check("{{index .Objs 0 | json}}", "{\"ID\":\"a\",\"V\":1}");
}

static void test_parse_errors(void)
{
        static const struct {
                const char *text, *want;
        } cases[] = {
                {"{{.ID}", "template: t:1: unexpected \"}\" in operand"},
                {"{{.ID", "template: t:1: unclosed action"},
                {"{{end}}", "template: t:1: unexpected {{end}}"},
                {"{{else}}", "template: t:1: unexpected {{else}}"},
                {"{{if .A}}x", "template: t:1: unexpected EOF"},
                {"{{foo .A}}", "template: t:1: function \"foo\" not defined"},
                {"{{$x}}", "template: t:1: undefined variable \"$x\""},
                {"{{if 1}}{{$y := 1}}{{end}}{{$y}}", "template: t:1: undefined variable \"$y\""},
                {"{{}}", "template: t:1: missing value for command"},
                {"{{range}}{{end}}", "template: t:1: missing value for range"},
                {"{{if}}{{end}}", "template: t:1: missing value for if"},
                {"{{\"abc}}", "template: t:1: unterminated quoted string"},
                {"{{`abc}}", "template: t:1: unterminated raw quoted string"},
                {"{{.A | 3}}", "template: t:1: non executable command in pipeline stage 2"},
                {"{{break}}", "template: t:1: {{break}} outside {{range}}"},
                {"{{continue}}", "template: t:1: {{continue}} outside {{range}}"},
                {"a\nb\n{{.X}", "template: t:3: unexpected \"}\" in operand"},
                {"{{(.A}}", "template: t:1: unclosed left paren"},
                {"{{.A)}}", "template: t:1: unexpected right paren"},
                {"{{1x}}", "template: t:1: bad number syntax: \"1x\""},
                {"{{template \"x\"}}", "template: t:1: {{template}} is not supported"},
                {"{{define \"x\"}}{{end}}", "template: t:1: {{define}} is not supported"},
                {"{{range $i, $v, $w := .L}}{{end}}",
                 "template: t:1: too many declarations in range"},
                {"{{$x, $y := 1}}", "template: t:1: too many declarations in command"},
                {"{{\"\\q\"}}", "template: t:1: invalid syntax"},
                {"{{range .L}}{{else if .A}}{{end}}", "template: t:1: unexpected <if> in input"},
                {"{{/* x */ .A}}", "template: t:1: comment ends before closing delimiter"},
                {"{{/* x", "template: t:1: unclosed comment"},
                {"{{.A = 1}}", "template: t:1: unexpected \"=\" in operand"},
                {"{{.A:}}", "template: t:1: expected :="},
                {"{{.A#}}", "template: t:1: bad character U+0023 '#'"},
                {"{{\x01}}", "template: t:1: unrecognized character in action: U+0001"},
                {"{{'ab'}}", "template: t:1: malformed character constant: 'ab'"},
                {"{{3.A}}", "template: t:1: bad number syntax: \"3.A\""},
                {"{{\"a\".B}}", "template: t:1: unexpected . after term \"\"a\"\""},
                {"{{if 1}}{{else}}{{else}}{{end}}", "template: t:1: expected end; found {{else}}"},
                {"{{range .L}}{{end x}}", "template: t:1: unexpected \"x\" in end"},
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                cleanup_free char *want = xasprintf("ERR: %s", cases[i].want);

                check(cases[i].text, want);
        }
        {
                /* nesting is bounded: no stack overflow from a hostile format */
                cleanup_buf struct buf b = {0};

                buf_init(&b, 0);
                (void)buf_append(&b, "{{", 2);
                for (int i = 0; i < 500; i++)
                        (void)buf_append(&b, "(", 1);
                check(b.data, "ERR: template: t:1: max expression depth exceeded");
        }
}

static void test_exec_errors(void)
{
        check("{{.S.X}}", "ERR: template: t:1:2: executing \"t\" at <.S.X>: can't evaluate "
                          "field X in type string");
        check("{{.L.X}}", "ERR: template: t:1:2: executing \"t\" at <.L.X>: can't evaluate "
                          "field X in type []interface {}");
        check("{{.N.X}}", "ERR: template: t:1:2: executing \"t\" at <.N.X>: nil pointer "
                          "evaluating interface {}.X");
        check("x\n  {{.I.X}}", "x\n  ERR: template: t:2:4: executing \"t\" at <.I.X>: can't "
                               "evaluate field X in type int");
        check("{{index .L 5}}", "ERR: template: t:1:2: executing \"t\" at <index .L 5>: error "
                                "calling index: index out of range: 5");
        check("{{index .M 1}}", "ERR: template: t:1:2: executing \"t\" at <index .M 1>: error "
                                "calling index: value has type int; should be string");
        check("{{upper 1}}", "ERR: template: t:1:2: executing \"t\" at <upper 1>: wrong type "
                             "for value; expected string; got int");
        check("{{upper .Missing}}", "ERR: template: t:1:2: executing \"t\" at <upper .Missing>: "
                                    "invalid value; expected string");
        check("{{upper}}", "ERR: template: t:1:2: executing \"t\" at <upper>: wrong number of "
                           "args for upper: want 1 got 0");
        check("{{printf}}", "ERR: template: t:1:2: executing \"t\" at <printf>: wrong number of "
                            "args for printf: want at least 1 got 0");
        check("{{nil}}", "ERR: template: t:1:2: executing \"t\" at <nil>: nil is not a command");
        check("{{.S 1}}", "ERR: template: t:1:2: executing \"t\" at <.S>: can't give argument "
                          "to non-function .S");
        check("{{.L | len}}{{.S | .S}}", "3ERR: template: t:1:19: executing \"t\" at <.S>: "
                                         "can't give argument to non-function .S");
        check("{{len 3}}", "ERR: template: t:1:2: executing \"t\" at <len 3>: error calling len: "
                           "len of type int");
        check("{{range .S}}{{end}}", "ERR: template: t:1:2: executing \"t\" at <>: range can't "
                                     "iterate over x");
        check("{{.Nest.A.B.C.D.E.F.G.H}}", "ERR: template: t:1:2: executing \"t\" at "
                                           "<.Nest.A.B.C.D.E.F.G....>: can't evaluate field C "
                                           "in type string");
        check("{{truncate .S -1}}", "ERR: template: t:1:2: executing \"t\" at <truncate .S -1>: "
                                    "error calling truncate: length out of range: -1");
}

static void test_output_cap(void)
{
        CLEANUP(tmpl_freep) struct tmpl *t = NULL;
        cleanup_buf struct buf out = {0};
        struct rctr_error err = {0};
        static const char text[] = "{{range .L}}0123456789{{end}}";
        int r;

        buf_init(&out, 25);
        r = tmpl_parse(NULL, text, strlen(text), &t, &err);
        ok(r == 0, "parse with a NULL name");
        r = tmpl_render(t, data, &out, &err);
        ok(r == -EFBIG && err.code == EFBIG, "output past the cap is -EFBIG");
        is_str(out.data, "01234567890123456789", "what fit stays");
        rctr_error_clear(&err);
        ok(tmpl_parse("t", "x", TMPL_MAX_TEXT + 1, &t, &err) == -EFBIG, "template over the cap");
        rctr_error_clear(&err);
}

static void test_embedded_nul(void)
{
        CLEANUP(tmpl_freep) struct tmpl *t = NULL;
        cleanup_buf struct buf out = {0};
        struct rctr_error err = {0};
        int r;

        buf_init(&out, 0);
        r = tmpl_parse("t", "a\0b{{.S}}", 9, &t, &err);
        if (r >= 0)
                r = tmpl_render(t, data, &out, &err);
        ok(r == 0 && out.len == 4 && memcmp(out.data, "a\0bx", 4) == 0, "NUL bytes in text");
        rctr_error_clear(&err);
}

static void check_format(const char *format, const char *items, bool want_table, const char *want)
{
        CLEANUP(tmpl_freep) struct tmpl *t = NULL;
        json_auto_t *dot = json_loads(items, JSON_DECODE_ANY, NULL);
        cleanup_free char *got = NULL;
        struct rctr_error err = {0};
        bool table = !want_table;

        if (tmpl_parse_format("images", format, &t, &table, &err) < 0) {
                got = xasprintf("ERR: %s", err.msg);
                rctr_error_clear(&err);
        } else {
                got = render(t, dot);
        }
        is_str(got, want, "format %s", format);
        ok(table == want_table || strncmp(want, "ERR", 3) == 0, "format %s: table=%d", format,
           want_table);
}

static void test_format(void)
{
        static const char items[] =
                "[{\"ID\": \"a\", \"V\": \"one\"}, {\"ID\": \"bb\", \"V\": \"two\"}]";
        static const char headers[] = "[{\"ID\": \"IMAGE ID\", \"V\": \"VALUE\"}]";
        bool table = false;
        char *n;

        ok(tmpl_format_is_json("json") && tmpl_format_is_json(" json\n") &&
                   tmpl_format_is_json("{{json}}") && tmpl_format_is_json("{{ json. }}") &&
                   tmpl_format_is_json(" {{json }} "),
           "json formats");
        ok(!tmpl_format_is_json("{{json .}}") && !tmpl_format_is_json("{{ json . }}") &&
                   !tmpl_format_is_json("jsonx") && !tmpl_format_is_json("table") &&
                   !tmpl_format_is_json("{{json}"),
           "not json formats");
        ok(tmpl_format_is_table("table {{.ID}}") && !tmpl_format_is_table("table") &&
                   !tmpl_format_is_table("tablex {{.ID}}") &&
                   !tmpl_format_is_table(" table {{.ID}}"),
           "table formats");

        n = tmpl_format_normalize("table {{.ID}} {{.V}}", &table);
        is_str(n, "{{.ID}}\t{{.V}}\n", "table: spaces become tabs");
        ok(table, "table: said so");
        free(n);
        n = tmpl_format_normalize("{{.ID}}\\t{{.V}}\\n", &table);
        is_str(n, "{{.ID}}\t{{.V}}\n", "escapes; no second newline");
        ok(!table, "not a table");
        free(n);
        n = tmpl_format_normalize("{{.ID}} {{.V}}", NULL);
        is_str(n, "{{.ID}} {{.V}}\n", "spaces stay outside tables");
        free(n);
        n = tmpl_format_normalize("table {{.ID}}\\t{{if .V}}x{{end}}", NULL);
        is_str(n, "{{.ID}}\t{{if\t.V}}x{{end}}\n", "as podman: in actions too");
        free(n);

        check_format("{{.ID}}", items, false, "a\nbb\n");
        check_format("{{.ID}}\\t{{.V}}", items, false, "a\tone\nbb\ttwo\n");
        check_format("table {{.ID}} {{.V}}", items, true, "a\tone\nbb\ttwo\n");
        check_format("table {{.ID}} {{.V}}", headers, true, "IMAGE ID\tVALUE\n");
        check_format("table {{.ID}}\\t{{.V}}\\n", items, true, "a\tone\nbb\ttwo\n");
        check_format("{{range .}}{{.ID}},{{end}}", items, false, "a,bb,\n");
        /* the newline podman adds is trimmed by the -}} */
        check_format("{{range . }}{{.ID}}{{ end -}}", items, false, "abb");
        check_format("{{printf \"\\n\"}}", items, false, "\n\n");
        check_format("{{json .}}", items, false,
                     "{\"ID\":\"a\",\"V\":\"one\"}\n"
                     "{\"ID\":\"bb\",\"V\":\"two\"}\n");
        /* podman reports the error of the text as given, after the normalized one failed */
        check_format("{{.ID", items, false, "ERR: template: images:1: bad character U+007B '{'");
        check_format("{{.Nope}}", items, false, "<no value>\n<no value>\n");
        check_format("{{.ID.X}}", items, false,
                     "ERR: template: images:1:13: executing \"images\" at <.ID.X>: can't "
                     "evaluate field X in type string");
}

static void test_format_render(void)
{
        json_auto_t *items = json_loads("[{\"ID\": \"a\", \"V\": \"one\"}, "
                                        "{\"ID\": \"bbbbbbbbbbbbbbb\", \"V\": \"two\"}]",
                                        0, NULL);
        json_auto_t *headers = json_pack("{s:s, s:s}", "ID", "IMAGE ID", "V", "VALUE");
        static const struct {
                const char *format;
                bool headers;
                const char *want;
        } cases[] = {
                {"table {{.ID}} {{.V}}", true,
                 "IMAGE ID         VALUE\na                one\nbbbbbbbbbbbbbbb  two\n"},
                {"table {{.ID}} {{.V}}", false, "a                one\nbbbbbbbbbbbbbbb  two\n"},
                {"table {{.ID}}", true, "IMAGE ID\na\nbbbbbbbbbbbbbbb\n"},
                {"{{.ID}}\\t{{.V}}", true, "a\tone\nbbbbbbbbbbbbbbb\ttwo\n"},
                {"{{.ID", true, "ERR: template: x:1: bad character U+007B '{'"},
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                cleanup_buf struct buf out = {0};
                cleanup_free char *got = NULL;
                struct rctr_error err = {0};
                int r;

                buf_init(&out, 0);
                r = tmpl_format_render("x", cases[i].format, items,
                                       cases[i].headers ? headers : NULL, &out, &err);
                got = r < 0 ? error_text(r, &err) : buf_detach(&out);
                is_str(got, cases[i].want, "render %s%s", cases[i].format,
                       cases[i].headers ? "" : " (no headers)");
        }
}

static void check_tab(const char *text, size_t minwidth, size_t padding, const char *want)
{
        cleanup_buf struct buf out = {0};
        cleanup_free char *name = one_line(text);
        struct rctr_error err = {0};
        int r;

        buf_init(&out, 0);
        r = tabwriter_format(text, strlen(text), minwidth, padding, &out, &err);
        ok(r == 0, "tabwriter %s", name);
        is_str(out.data, want, "tabwriter %s", name);
}

static void test_tabwriter(void)
{
        cleanup_buf struct buf out = {0};
        struct rctr_error err = {0};

        /* containers/common's report tests */
        check_tab("Identity\tValue\nc061a0839e\tone\nf10fc2e11057\ttwo\n"
                  "1eb6fab5aa8f4b5cbfd3e66aa35e9b2a\tthree\n",
                  TABWRITER_PODMAN_MINWIDTH, TABWRITER_PODMAN_PADDING,
                  "Identity                          Value\n"
                  "c061a0839e                        one\n"
                  "f10fc2e11057                      two\n"
                  "1eb6fab5aa8f4b5cbfd3e66aa35e9b2a  three\n");
        check_tab("a46001bfea3a4172b46c173101208244\tRandom\tuuid", 12, 2,
                  "a46001bfea3a4172b46c173101208244  Random      uuid");
        /* a line without the column ends its block: widths start again below it */
        check_tab("aaaaaaaaaaaaaaaa\tb\nc\nd\te\n", 12, 2,
                  "aaaaaaaaaaaaaaaa  b\nc\nd           e\n");
        /* nested blocks: column 2 only where lines have it */
        check_tab("a\tb\tc\nabcd\tb\nx\tlonger\ty\n", 0, 1, "a    b c\nabcd b\nx    longer y\n");
        check_tab("é\tx\nab\ty\n", 0, 1, "é  x\nab y\n");
        check_tab("", 12, 2, "");
        check_tab("no tabs\nat all\n", 12, 2, "no tabs\nat all\n");
        check_tab("trailing\t\n", 0, 2, "trailing  \n");
        buf_init(&out, 5);
        ok(tabwriter_format("abc\tdef\n", 8, 2, 2, &out, &err) == -EFBIG && err.code == EFBIG,
           "tabwriter output over the cap");
        rctr_error_clear(&err);
}

int main(void)
{
        json_error_t jerr;

        data = json_loads(data_text, 0, &jerr);
        if (!data) {
                printf("Bail out! fixture: %s\n", jerr.text);
                return 1;
        }
        test_text_and_trim();
        test_fields();
        test_literals();
        test_variables();
        test_range_if_with();
        test_logic_and_compare();
        test_functions();
        test_printf();
        test_pipelines();
        test_parse_errors();
        test_exec_errors();
        test_output_cap();
        test_embedded_nul();
        test_format();
        test_format_render();
        test_tabwriter();
        json_decref(data);
        return tap_done();
}
