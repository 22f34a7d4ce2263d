/* rctr help [COMMAND]: the same text as rctr --help or rctr COMMAND --help. */
#include <config.h>

#include <errno.h>

#include "cmd.h"
#include "lib/error.h"
#include "options.h"

static const struct cmd_opt help_opts[] = {
        {0},
};

int cmd_help(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "help",
                .usage = "rctr help [COMMAND]",
                .summary =
                        "Show the help of rctr, or of COMMAND (the same as rctr COMMAND --help).",
                .opts = help_opts,
                .stop_at_operand = true,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        char help_flag[] = "--help";
        char *help_argv[] = {NULL, help_flag, NULL};
        const struct cmd_def *cmd;
        const char *value;
        int c;

        while ((c = cmd_parser_next(&p, &value, err)) > 0)
                if (c == CMD_OPT_HELP)
                        return 0;
        if (c < 0)
                return c;
        if (p.optind >= argc) {
                cmd_main_usage();
                return 0;
        }
        if (p.optind + 1 < argc)
                return rctr_error_set(err, EINVAL, "unexpected argument %s (usage: %s)",
                                      argv[p.optind + 1], p.usage);
        cmd = cmd_find(argv[p.optind]);
        if (!cmd)
                return rctr_error_set(err, EINVAL, "unknown command \"%s\" (see rctr --help)",
                                      argv[p.optind]);
        help_argv[0] = argv[p.optind];
        return cmd->fn(g, 2, help_argv, err);
}
