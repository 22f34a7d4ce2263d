/*
 * rctr port: a container's published ports. Containers publish none yet (run -p is refused), so
 * this prints nothing for a container that exists, as podman does for one without -p.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/containers.h"
#include "cmd/options.h"
#include "lib/error.h"
#include "lib/macros.h"

static const struct cmd_opt port_opts[] = {
        {"all", 'a', NULL, "the ports of every container"},
        {0},
};

int cmd_port(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "port",
                .usage = "rctr port [options] CONTAINER [PRIVATE_PORT[/PROTO]]",
                .summary = "List a container's published ports (containers publish none yet: "
                           "the list is empty).",
                .opts = port_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_clear) struct engine_container c = {0};
        const char *value;
        bool all = false;
        int o, r;

        while ((o = cmd_parser_next(&p, &value, err)) > 0) {
                if (o == CMD_OPT_HELP)
                        return 0;
                all = all || o == 'a';
        }
        if (o < 0)
                return o;
        if (all && p.optind < argc)
                return rctr_error_set(err, EINVAL, "--all and a container cannot be combined");
        if (!all && (p.optind >= argc || argc - p.optind > 2))
                return rctr_error_set(err, EINVAL, "%s (usage: %s)",
                                      p.optind >= argc ? "no container given"
                                                       : "one container at a time",
                                      p.usage);
        r = cmd_ctx_open(g, &ctx, err);
        if (r < 0 || all)
                return r < 0 ? r : 0;
        r = cmd_container_lookup(&ctx, argv[p.optind], &c, err);
        if (r < 0)
                return r;
        /* podman's words for a port the container does not publish */
        if (argc - p.optind == 2)
                return rctr_error_set(err, ENOENT, "failed to find published port \"%s\"",
                                      argv[p.optind + 1]);
        return 0;
}
