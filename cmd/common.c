/* What every command shares, in rctr and rctr-oci: start-up, global defaults, exit codes. */
#include <config.h>
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "rootless/rootless.h"
#include "rootless/runtime-dir.h"

/* An exec'd process gets fds 0-2 as it expects them: never hand out 0-2 as our own fds. */
void cmd_startup_std_fds(void)
{
        for (int fd = 0; fd < 3; fd++) {
                if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
                        continue;
                /* no O_CLOEXEC: this is fd 0, 1 or 2, which must survive exec */
                if (open("/dev/null", O_RDWR) != fd)
                        abort();
        }
}

/* Defaults for the store and the state directory (DESIGN.md, "Persistent layout"). */
int cmd_global_defaults(struct cmd_global *g, struct rctr_error *err)
{
        const char *data = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
        int r;

        g->rootless = rootless_is_rootless();
        r = rootless_runtime_dir(g->rootless, &g->runtime_dir, err);
        if (r < 0)
                return r;
        if (!g->runroot)
                g->runroot = xasprintf("%s/rctr", g->runtime_dir);
        if (g->root)
                return 0;
        if (!g->rootless)
                g->root = xstrdup("/var/lib/rctr");
        else if (data && data[0] == '/')
                g->root = xasprintf("%s/rctr/storage", data);
        else if (home && home[0] == '/')
                g->root = xasprintf("%s/.local/share/rctr/storage", home);
        /* else none: commands that need the store say so (cmd_global_store()); the runtime,
         * started by conmon without HOME, never does */
        return 0;
}

int cmd_enter_userns(struct cmd_global *g, struct rctr_error *err)
{
        int r = rootless_enter(g->runtime_dir, err);

        return r < 0 ? rctr_error_prefix(err, "enter rootless user namespace") : r;
}

void cmd_global_clear(struct cmd_global *g)
{
        free(g->root);
        free(g->runroot);
        free(g->runtime_dir);
}

/* 125 for our own failures; 126/127 when the command to run could not be executed. */
int cmd_exit_code(const struct rctr_error *err)
{
        return err->exit_status ? err->exit_status : 125;
}

void cmd_startup(void)
{
        cmd_startup_std_fds();
        json_set_alloc_funcs(xmalloc, free);
}

const char *cmd_global_store(const struct cmd_global *g, struct rctr_error *err)
{
        if (!g->root)
                (void)rctr_error_set(
                        err, EINVAL,
                        "no store location: set HOME or XDG_DATA_HOME, or pass --root");
        return g->root;
}
