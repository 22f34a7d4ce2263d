/* rctr attach: the terminal or the stdio of a running container, through its monitor. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "cmd/containers.h"
#include "cmd/options.h"
#include "engine/attach.h"
#include "engine/container-state.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"

enum {
        OPT_DETACH_KEYS = CMD_OPT_FIRST_FREE,
        OPT_NO_STDIN,
        OPT_SIG_PROXY
};

static const struct cmd_opt attach_opts[] = {
        {"detach-keys", OPT_DETACH_KEYS, "KEYS", "keys that detach (default ctrl-p,ctrl-q)"},
        {"no-stdin", OPT_NO_STDIN, NULL, "do not forward stdin"},
        {"sig-proxy", OPT_SIG_PROXY, "[=BOOL]", "forward signals to the container (default: true)"},
        {0},
};

int cmd_attach(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "attach",
                .usage = "rctr attach [options] CONTAINER",
                .summary = "Attach to a running container's terminal or output (and input, if it "
                           "was started with -i). The detach keys leave it running.",
                .opts = attach_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_clear) struct engine_container c = {0};
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        struct engine_attach_opts ao = {.sig_proxy = true};
        cleanup_close int dirfd = -1, sock = -1;
        const char *value, *keys = "ctrl-p,ctrl-q";
        bool no_stdin = false, detached = false;
        char keybuf[16];
        int ch, r, code = -1;

        while ((ch = cmd_parser_next(&p, &value, err)) > 0) {
                if (ch == CMD_OPT_HELP)
                        return 0;
                if (ch == OPT_DETACH_KEYS)
                        keys = value;
                else if (ch == OPT_NO_STDIN)
                        no_stdin = true;
                else if (ch == OPT_SIG_PROXY)
                        ao.sig_proxy = !value || streq(value, "true");
        }
        if (ch < 0)
                return ch;
        if (p.optind + 1 != argc)
                return rctr_error_set(err, EINVAL, "%s (usage: %s)",
                                      p.optind >= argc ? "no container given"
                                                       : "one container at a time",
                                      p.usage);
        r = engine_attach_parse_keys(keys, keybuf, sizeof(keybuf), err);
        if (r < 0)
                return r;
        ao.detach_keys = keybuf;
        ao.detach_keys_len = (size_t)r;
        r = cmd_container_open(g, &ctx, argv[p.optind], &c, &s, err);
        if (r < 0)
                return r;
        if (s.status != ENGINE_CTR_RUNNING || !engine_ctr_monitor_alive(&s))
                return rctr_error_set(err, EINVAL,
                                      "you can only attach to running containers: %s is %s", c.name,
                                      engine_ctr_status_name(s.status));
        ao.stdin = c.interactive && !no_stdin;
        ao.tty = c.tty && isatty(STDIN_FILENO);
        ao.sig_proxy = ao.sig_proxy && !c.tty;
        dirfd = openat(ctx.runfd, c.id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return rctr_error_sys(err, errno, "open the run directory of %s", c.name);
        sock = engine_attach_connect(dirfd, err);
        if (sock < 0)
                return sock;
        r = engine_attach_relay(sock, &ao, &code, &detached, err);
        if (r < 0)
                return r;
        if (detached) {
                if (ao.tty)
                        fputs("\r\n", stderr);
                return 0;
        }
        return code < 0 ? 0 : code;
}
