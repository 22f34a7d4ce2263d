/* rctr: parse the global options, pick the command, print its error, map it to an exit code. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "options.h"
#include "common.h"
#include "rootless/rootless.h"
#include "rootless/runtime-dir.h"

const struct cmd_def *cmd_find(const char *name)
{
        for (const struct cmd_def *c = cmd_table; c->name; c++)
                if (streq(c->name, name))
                        return c;
        return NULL;
}

/* rctr's own options; -h/--help comes with every parser and is listed beside them. */
static const struct cmd_opt main_opts[] = {
        {"version", 'v', NULL, "show the version and exit"},
        {0},
};
static const struct cmd_opt main_help_opts[] = {
        {"help", CMD_OPT_HELP, NULL, "show this help and exit"},
        {0},
};

static const char main_summary[] =
        "rctr runs OCI containers as an ordinary user: no root, no daemon.\n\nCommands:";

void cmd_main_usage(void)
{
        printf("Usage: rctr [options] COMMAND [ARG...]\n\n%s\n", main_summary);
        for (const struct cmd_def *c = cmd_table; c->name; c++)
                printf("  %-12s %s\n", c->name, c->summary);
        fputs("\nOptions:\n", stdout);
        cmd_opts_print(stdout, main_help_opts);
        cmd_opts_print(stdout, main_opts);
        fputs("\nGlobal options (also accepted after the command name):\n", stdout);
        cmd_opts_print(stdout, cmd_global_opts);
        printf("\nRun 'rctr COMMAND --help' or 'man rctr-COMMAND' for more about a command.\n");
}

static int main_dispatch(struct cmd_global *g, int argc, char **argv, const char **ret_cmd,
                         struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = "",
                               .usage = NULL, /* cmd_main_usage() lists the commands */
                               .opts = main_opts,
                               .stop_at_operand = true,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        const struct cmd_def *cmd;
        const char *value;
        int c;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP) {
                        cmd_main_usage();
                        return 0;
                }
                if (c == 'v') {
                        printf("rctr version %s\n", PACKAGE_VERSION);
                        return 0;
                }
        }
        if (c < 0)
                return c;
        if (p.optind >= argc) {
                cmd_main_usage();
                return rctr_error_set(err, EINVAL, "no command given (see rctr --help)");
        }
        cmd = cmd_find(argv[p.optind]);
        if (!cmd)
                return rctr_error_set(err, EINVAL, "unknown command \"%s\" (see rctr --help)",
                                      argv[p.optind]);
        *ret_cmd = cmd->name;
        c = cmd_global_defaults(g, err);
        if (c < 0)
                return c;
        return cmd->fn(g, argc - p.optind, argv + p.optind, err);
}

int main(int argc, char **argv)
{
        CLEANUP(cmd_global_clear) struct cmd_global g = {0};
        cleanup_error struct rctr_error err = {0};
        const char *cmd = NULL, *msg;
        int r;

        cmd_startup();
        cmd_main_argv = argv;
        r = main_dispatch(&g, argc, argv, &cmd, &err);
        fflush(stdout);
        if (r >= 0)
                return r;
        if (err.reported)
                return cmd_exit_code(&err);
        msg = err.msg ? err.msg : strerror(-r);
        /* "pull docker.io/x: ..." names its command already: no "pull: " before it */
        if (cmd && strncmp(msg, cmd, strlen(cmd)) == 0 && msg[strlen(cmd)] == ' ')
                cmd = NULL;
        fprintf(stderr, "rctr: %s%s%s\n", cmd ? cmd : "", cmd ? ": " : "", msg);
        return cmd_exit_code(&err);
}
