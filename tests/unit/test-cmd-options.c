#include <config.h>

/* getopt takes char **argv; literal test argv vectors are never written to. */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "lib/error.h"
#include "tap.h"

enum {
        OPT_FORMAT = CMD_OPT_FIRST_FREE
};

static const struct cmd_opt opts[] = {
        {"all", 'a', NULL, "all"},
        {"format", OPT_FORMAT, "FORMAT", "format"},
        {0},
};

struct result {
        int last;
        bool all;
        const char *format;
        int optind;
};

static struct result parse(struct cmd_global *g, bool stop, int argc, char **argv,
                           struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = "demo",
                               .usage = "rctr demo",
                               .summary = "demo",
                               .opts = opts,
                               .stop_at_operand = stop,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        struct result res = {0};
        const char *value;
        int c;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == 'a')
                        res.all = true;
                if (c == OPT_FORMAT)
                        res.format = value;
        }
        res.last = c;
        res.optind = p.optind;
        return res;
}

int main(void)
{
        struct cmd_global g = {0};
        struct rctr_error err = {0};
        struct result r;

        {
                char *argv[] = {"demo", "-a", "--format", "json", "--root", "/s", "x", NULL};

                r = parse(&g, false, 7, argv, &err);
                ok(r.last == 0 && r.all && r.format && streq(r.format, "json"), "own options");
                ok(g.root && streq(g.root, "/s"), "a global option after the command name");
                ok(r.optind == 6, "operand index");
        }
        {
                char *argv[] = {"demo", "id", "-u", NULL};

                r = parse(&g, true, 3, argv, &err);
                ok(r.last == 0 && r.optind == 1 && !r.all,
                   "stop at the first operand: its flags are left alone");
        }
        {
                char *argv[] = {"demo", "--bogus", NULL};

                r = parse(&g, false, 2, argv, &err);
                ok(r.last == -EINVAL, "unknown long flag");
                is_str(err.msg, "unknown flag --bogus (see rctr demo --help)", "its message");
                rctr_error_clear(&err);
        }
        {
                char *argv[] = {"demo", "-z", NULL};

                r = parse(&g, false, 2, argv, &err);
                is_str(err.msg, "unknown flag -z (see rctr demo --help)", "unknown short flag");
                rctr_error_clear(&err);
        }
        {
                char *argv[] = {"demo", "--format", NULL};

                r = parse(&g, false, 2, argv, &err);
                ok(r.last == -EINVAL, "missing value");
                is_str(err.msg, "flag --format needs a value (see rctr demo --help)",
                       "its message");
                rctr_error_clear(&err);
        }
        {
                char *argv[] = {"demo", "--log-level", "loud", NULL};

                r = parse(&g, false, 3, argv, &err);
                ok(r.last == -EINVAL && strstr(err.msg, "invalid --log-level loud"),
                   "bad log level");
                rctr_error_clear(&err);
        }
        free(g.root);
        free(g.runroot);
        return tap_done();
}
