/* rctr unshare: run a host command inside the user's rootless namespace (podman unshare). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmd.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "options.h"

static const struct cmd_opt unshare_opts[] = {
        {0},
};

/* execvp's errno as podman reports it: 127 not found, 126 found but not executable. */
static int exec_failed(struct rctr_error *err, int code, const char *cmd)
{
        err->exit_status = (code == ENOENT || code == ENOTDIR) ? 127 : 126;
        return rctr_error_sys(err, code, "execute %s", cmd);
}

int cmd_unshare(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "unshare",
                .usage = "rctr unshare [options] [COMMAND [ARG...]]",
                .summary = "Run COMMAND (default: $SHELL) in the user namespace rctr uses for "
                           "containers: as uid 0 there, with the user's subordinate ids mapped, "
                           "in rctr's mount namespace. Useful to inspect or remove files in the "
                           "store that the user cannot touch on the host.",
                .opts = unshare_opts,
                .stop_at_operand = true,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        char default_shell[] = "/bin/sh";
        char *shell_argv[] = {NULL, NULL};
        char **cmd_argv;
        const char *value;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0)
                if (c == CMD_OPT_HELP)
                        return 0;
        if (c < 0)
                return c;

        r = cmd_enter_userns(g, err);
        if (r < 0)
                return r;

        if (p.optind < argc) {
                cmd_argv = argv + p.optind;
        } else {
                shell_argv[0] = getenv("SHELL");
                if (!shell_argv[0] || !shell_argv[0][0])
                        shell_argv[0] = default_shell;
                cmd_argv = shell_argv;
        }
        fflush(stdout);
        execvp(cmd_argv[0], cmd_argv);
        return exec_failed(err, errno, cmd_argv[0]);
}
