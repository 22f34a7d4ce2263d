/* rctr run, create, start, attach: containers made and started under their monitor. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "cmd/containers.h"
#include "cmd/options.h"
#include "cmd/run-opts.h"
#include "engine/container-state.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

static int run_or_create(struct cmd_global *g, int argc, char **argv, bool create,
                         struct rctr_error *err)
{
        CLEANUP(cmd_run_opts_clear) struct cmd_run_opts o = {0};
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_clear) struct engine_container c = {0};
        int r = cmd_run_opts_parse(g, argc, argv, create, &o, err);

        if (r != 0)
                return r > 0 ? 0 : r;
        if (!create && o.detach && streq(o.log_driver ? o.log_driver : "", "passthrough"))
                return rctr_error_set(err, EINVAL,
                                      "--log-driver passthrough gives the container rctr's own "
                                      "stdio: it cannot be used with --detach");
        r = cmd_ctx_open(g, &ctx, err);
        if (r >= 0)
                r = cmd_container_create(g, &ctx, &o, !create, &c, err);
        if (r < 0)
                return r;
        if (create) {
                printf("%s\n", c.id);
                return 0;
        }
        if (o.detach) {
                r = cmd_container_start_attached(&ctx, &c, false, false, false, NULL, err);
                if (r >= 0)
                        printf("%s\n", c.id);
                return r;
        }
        return cmd_container_start_attached(&ctx, &c, true, o.f.interactive, o.sig_proxy,
                                            o.detach_keys, err);
}

int cmd_run(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return run_or_create(g, argc, argv, false, err);
}

int cmd_create(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return run_or_create(g, argc, argv, true, err);
}

enum {
        OPT_DETACH_KEYS = CMD_OPT_FIRST_FREE,
        OPT_SIG_PROXY,
        OPT_NO_STDIN
};

int cmd_start(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        static const struct cmd_opt opts[] = {
                {"attach", 'a', NULL, "attach to the container's output (and input with -i)"},
                {"detach-keys", OPT_DETACH_KEYS, "KEYS",
                 "keys that detach (default ctrl-p,ctrl-q)"},
                {"interactive", 'i', NULL, "forward stdin (with -a)"},
                {"sig-proxy", OPT_SIG_PROXY, "[=BOOL]",
                 "with -a: forward signals to the container (default: true)"},
                {0},
        };
        struct cmd_parser p = {
                .cmdname = "start",
                .usage = "rctr start [options] CONTAINER...",
                .summary = "Start created or exited containers. With -a, stay attached to one and "
                           "return its exit status.",
                .opts = opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        const char *value, *keys = NULL;
        bool attach = false, interactive = false, sig_proxy = true;
        int c, r, rc = 0;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                if (c == 'a')
                        attach = true;
                else if (c == 'i')
                        interactive = true;
                else if (c == OPT_DETACH_KEYS)
                        keys = value;
                else if (c == OPT_SIG_PROXY)
                        sig_proxy = !value || streq(value, "true");
        }
        if (c < 0)
                return c;
        if (p.optind >= argc)
                return rctr_error_set(err, EINVAL, "no container given (usage: %s)", p.usage);
        if (attach && argc - p.optind > 1)
                return rctr_error_set(err, EINVAL, "start -a takes one container");
        r = cmd_ctx_open(g, &ctx, err);
        if (r < 0)
                return r;
        for (int i = p.optind; i < argc; i++) {
                CLEANUP(engine_container_clear) struct engine_container ctr = {0};

                r = cmd_container_lookup(&ctx, argv[i], &ctr, err);
                if (r >= 0)
                        r = cmd_container_start_attached(&ctx, &ctr, attach, interactive, sig_proxy,
                                                         keys, err);
                if (r < 0 && argc - p.optind == 1)
                        return r;
                if (r < 0) {
                        fprintf(stderr, "rctr: start: %s\n", err->msg);
                        rctr_error_clear(err);
                        rc = 125;
                        continue;
                }
                if (attach)
                        return r;
                printf("%s\n", argv[i]);
        }
        return rc;
}
