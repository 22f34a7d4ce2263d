/* rctr top: the processes of a running container, in podman's columns or the ones asked for. */
#include <config.h>

#include <errno.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/containers.h"
#include "cmd/options.h"
#include "engine/container-state.h"
#include "engine/top.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/tabwriter.h"

enum {
        OPT_LIST = CMD_OPT_FIRST_FREE,
};

/* The table is ours, but bounded all the same: a container may run very many processes. */
#define TOP_MAX (64u * 1024 * 1024)

static const struct cmd_opt top_opts[] = {
        {"list-descriptors", OPT_LIST, NULL, "list the descriptors top knows and exit"},
        {0},
};

static int print_table(pid_t init, char *const *descs, struct rctr_error *err)
{
        cleanup_buf struct buf text = {0}, out = {0};
        int r;

        buf_init(&text, TOP_MAX);
        buf_init(&out, 0);
        r = engine_top_table(init, descs, &text, err);
        /* podman's table: Go's tabwriter, min width 12, padding 2 */
        if (r >= 0)
                r = tabwriter_format(text.data, text.len, TABWRITER_PODMAN_MINWIDTH,
                                     TABWRITER_PODMAN_PADDING, &out, err);
        if (r >= 0)
                fwrite(out.data, 1, out.len, stdout);
        return r;
}

int cmd_top(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "top",
                .usage = "rctr top [options] CONTAINER [DESCRIPTOR...]",
                .summary = "Show the processes of a running container: USER PID PPID %CPU ELAPSED "
                           "TTY TIME COMMAND, or the columns the descriptors name (pid, args, "
                           "user, comm, ...; see --list-descriptors).",
                .opts = top_opts,
                .stop_at_operand = true,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_clear) struct engine_container c = {0};
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        cleanup_strv char **descs = NULL;
        const char *value;
        int o, r = 0;

        while ((o = cmd_parser_next(&p, &value, err)) > 0) {
                if (o == CMD_OPT_HELP)
                        return 0;
                if (o == OPT_LIST) {
                        for (const char *const *d = engine_top_descriptors; *d; d++)
                                printf("%s\n", *d);
                        return 0;
                }
        }
        if (o < 0)
                return o;
        if (p.optind >= argc)
                return rctr_error_set(err, EINVAL, "no container given (usage: %s)", p.usage);
        if (argc - p.optind > 1) {
                r = engine_top_parse((const char *const *)argv + p.optind + 1,
                                     (size_t)(argc - p.optind - 1), &descs, err);
        } else {
                size_t n = 0;

                while (engine_top_default[n])
                        n++;
                r = engine_top_parse(engine_top_default, n, &descs, err);
        }
        if (r >= 0 && !descs[0])
                r = rctr_error_set(err, EINVAL, "no descriptors given");
        if (r >= 0)
                r = cmd_container_open(g, &ctx, argv[p.optind], &c, &s, err);
        if (r < 0)
                return r;
        if (!engine_ctr_status_active(s.status))
                return rctr_error_set(err, ESRCH,
                                      "top can only be used on running containers "
                                      "(%s is %s)",
                                      c.name, engine_ctr_status_name(s.status));
        return print_table(s.pid, descs, err);
}
