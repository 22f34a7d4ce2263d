/*
 * `rctr` and `rctr-full` (cmd/commands.c): the lean rctr hands the commands that need the
 * registry client or the archive code to rctr-full, by exec, or (a pull for run) as a child.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/error.h"
#include "lib/helper-path.h"
#include "lib/macros.h"

char **cmd_main_argv;

static char *full_path(struct rctr_error *err)
{
        char *path = rctr_helper_path("rctr-full");

        if (!path)
                (void)rctr_error_set(err, ENOENT,
                                     "rctr-full (rctr's registry and archive half) not found next "
                                     "to rctr or in its libexec directory: reinstall rctr");
        return path;
}

int cmd_full(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        cleanup_free char *path = full_path(err);

        (void)g;
        (void)argc;
        (void)argv;
        if (!path)
                return -ENOENT;
        fflush(stdout);
        fflush(stderr);
        execv(path, cmd_main_argv);
        return rctr_error_sys(err, errno, "run %s", path);
}

int cmd_full_run(char *const *args, struct rctr_error *err)
{
        cleanup_free char *path = full_path(err);
        int status;
        pid_t pid;

        if (!path)
                return -ENOENT;
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0)
                return rctr_error_sys(err, errno, "fork");
        if (pid == 0) {
                /* what it prints on stdout (an image id) is not ours to print */
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC); /* dup2 clears it */

                if (null >= 0)
                        dup2(null, STDOUT_FILENO);
                execv(path, args);
                fprintf(stderr, "rctr: run %s: %m\n", path);
                _exit(125);
        }
        if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
                return rctr_error_sys(err, errno, "wait for %s", path);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        /* it said why on stderr already */
        err->code = EIO;
        err->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 125;
        err->reported = true;
        return -EIO;
}
