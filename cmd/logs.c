/* rctr logs and rctr attach: a container's output, from its log or live from its monitor. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "cmd/containers.h"
#include "cmd/options.h"
#include "engine/attach.h"
#include "engine/container-state.h"
#include "engine/log-format.h"
#include "engine/log-reader.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/xalloc.h"

enum {
        OPT_SINCE = CMD_OPT_FIRST_FREE,
        OPT_UNTIL,
        OPT_TAIL,
        OPT_NAMES
};

static const struct cmd_opt logs_opts[] = {
        {"follow", 'f', NULL, "keep printing what the container writes until it exits"},
        {"since", OPT_SINCE, "TIME", "only lines since TIME (RFC 3339, Unix time or 10m)"},
        {"tail", OPT_TAIL, "N", "only the last N lines (default: all)"},
        {"timestamps", 't', NULL, "show each line's time"},
        {"until", OPT_UNTIL, "TIME", "only lines until TIME"},
        {0},
};

struct follow {
        struct engine_log_fds fds; /* the sink's */
        const struct engine_ctx *ctx;
        const char *id;
};

static int sink(void *userdata, const struct engine_log_line *line, struct rctr_error *err)
{
        struct follow *fo = userdata;

        return engine_log_sink_fds(&fo->fds, line, err);
}

/* -f ends when the container does: not running any more, and its monitor gone. */
static bool container_done(void *userdata)
{
        const struct follow *fo = userdata;
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        cleanup_error struct rctr_error ignored = {0};

        if (engine_container_state(fo->ctx, fo->id, &s, &ignored) < 0)
                return true;
        return !engine_ctr_status_active(s.status) && !engine_ctr_monitor_alive(&s);
}

static int parse_time(const char *flag, const char *text, int64_t *ret, struct rctr_error *err)
{
        struct timespec now;

        clock_gettime(CLOCK_REALTIME, &now);
        if (engine_log_parse_time(text, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec, ret, err) <
            0)
                return rctr_error_prefix(err, "invalid --%s", flag);
        return 0;
}

static int logs_option(struct engine_log_read_options *o, int c, const char *value,
                       struct rctr_error *err)
{
        uint64_t n;

        switch (c) {
        case 'f':
                o->follow = true;
                return 0;
        case 't':
                o->timestamps = true;
                return 0;
        case OPT_SINCE:
                o->has_since = true;
                return parse_time("since", value, &o->since_ns, err);
        case OPT_UNTIL:
                o->has_until = true;
                return parse_time("until", value, &o->until_ns, err);
        case OPT_TAIL:
                if (streq(value, "-1") || streq(value, "all")) {
                        o->tail = -1;
                        return 0;
                }
                if (parse_u64_max(value, INT64_MAX, &n) < 0)
                        return rctr_error_set(err, EINVAL, "invalid --tail %s (a number)", value);
                o->tail = (int64_t)n;
                return 0;
        default:
                return 0;
        }
}

int cmd_logs(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "logs",
                .usage = "rctr logs [options] CONTAINER",
                .summary = "Print what a container wrote on stdout and stderr (its k8s-file log).",
                .opts = logs_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_clear) struct engine_container c = {0};
        struct follow fo = {.fds = {.out_fd = STDOUT_FILENO, .err_fd = STDERR_FILENO}, .ctx = &ctx};
        struct engine_log_read_options o = {
                .tail = -1, .line_fn = sink, .userdata = &fo, .exited = container_done};
        cleanup_close int dirfd = -1;
        const char *value;
        int ch, r;

        while ((ch = cmd_parser_next(&p, &value, err)) > 0) {
                if (ch == CMD_OPT_HELP)
                        return 0;
                r = logs_option(&o, ch, value, err);
                if (r < 0)
                        return r;
        }
        if (ch < 0)
                return ch;
        if (p.optind + 1 != argc)
                return rctr_error_set(err, EINVAL, "%s (usage: %s)",
                                      p.optind >= argc ? "no container given"
                                                       : "one container at a time",
                                      p.usage);
        r = cmd_ctx_open(g, &ctx, err);
        if (r >= 0)
                r = cmd_container_lookup(&ctx, argv[p.optind], &c, err);
        if (r < 0)
                return r;
        if (!streq(c.log_driver, "k8s-file"))
                return rctr_error_set(err, ENOTSUP,
                                      "container %s logs with the %s driver: there is no log to "
                                      "read",
                                      c.name, c.log_driver);
        fo.id = c.id;
        dirfd = openat(ctx.ctrsfd, c.id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return rctr_error_sys(err, errno, "open container %s", c.name);
        /* a container that never ran has no log yet */
        if (faccessat(dirfd, "ctr.log", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && !o.follow)
                return 0;
        r = engine_log_read(dirfd, "ctr.log", &o, NULL, err);
        return r == -ENOENT ? (rctr_error_clear(err), 0) : r;
}
