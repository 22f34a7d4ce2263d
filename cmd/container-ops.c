/* rctr stop, kill, wait, rm, restart, rename: one verb over one or more containers. */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "cmd/containers.h"
#include "cmd/options.h"
#include "engine/container-state.h"
#include "engine/container-users.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/signame.h"
#include "lib/xalloc.h"

struct ops_flags {
        bool all, force, ignore, time_given, volumes;
        unsigned time;
        int signal;
        const char *condition;
};

/* One container: returns what to print on success (NULL: nothing), or -errno. */
typedef int (*ops_fn)(const struct engine_ctx *ctx, const struct engine_container *c,
                      const struct ops_flags *f, struct rctr_error *err);

static int do_stop(const struct engine_ctx *ctx, const struct engine_container *c,
                   const struct ops_flags *f, struct rctr_error *err)
{
        return engine_container_stop(ctx, c, f->time_given ? f->time : c->stop_timeout, err);
}

static int do_kill(const struct engine_ctx *ctx, const struct engine_container *c,
                   const struct ops_flags *f, struct rctr_error *err)
{
        return engine_container_kill(ctx, c, f->signal, err);
}

static int do_wait(const struct engine_ctx *ctx, const struct engine_container *c,
                   const struct ops_flags *f, struct rctr_error *err)
{
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        int r;

        (void)f;
        r = engine_container_wait(ctx, c->id, -1, &s, err);
        if (r == -ENOENT) /* removed (--rm) while we waited: podman says the same */
                return rctr_error_set(err, ENOENT, "no container with name or ID \"%s\" found",
                                      c->name);
        if (r < 0)
                return r;
        printf("%d\n", s.exit_code);
        return 1; /* printed its own line */
}

/* Under the containers lock and its own (the order create and the monitor's --rm use too). */
static int remove_stopped(const struct engine_ctx *ctx, const struct engine_container *c,
                          struct rctr_error *err)
{
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        cleanup_close int all = engine_lock_at(ctx->ctrsfd, "lock", true, err), one = -1;
        int r = all;

        if (r >= 0)
                r = one = cmd_container_lock(ctx, c->id, err);
        /* checked again under the locks: a start in between is not undone under its feet */
        if (r >= 0)
                r = engine_container_state(ctx, c->id, &s, err);
        if (r >= 0 && engine_ctr_status_active(s.status))
                return rctr_error_set(err, EBUSY, "container %s was started while being removed",
                                      c->name);
        if (r >= 0)
                r = engine_container_remove(ctx, c, err);
        if (r == -ENOENT) { /* removed meanwhile: the monitor's --rm was quicker */
                rctr_error_clear(err);
                return 0;
        }
        return r;
}

int cmd_container_remove(const struct engine_ctx *ctx, const struct engine_container *c, bool force,
                         unsigned timeout, bool volumes, struct rctr_error *err)
{
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        int r = engine_container_state(ctx, c->id, &s, err);

        if (r < 0)
                return r;
        if (engine_ctr_status_active(s.status)) {
                if (!force)
                        return rctr_error_set(err, EBUSY,
                                              "cannot remove container %s as it is %s - running "
                                              "or paused containers cannot be removed without "
                                              "force",
                                              c->id, engine_ctr_status_name(s.status));
                r = engine_container_stop(ctx, c, timeout, err);
                if (r < 0)
                        return r;
        }
        r = remove_stopped(ctx, c, err);
        /* after the container's locks are dropped: volumes/.lock comes before them */
        if (r >= 0 && volumes)
                r = engine_container_remove_anonymous_volumes(ctx, c, err);
        return r;
}

static int do_rm(const struct engine_ctx *ctx, const struct engine_container *c,
                 const struct ops_flags *f, struct rctr_error *err)
{
        return cmd_container_remove(ctx, c, f->force, f->time_given ? f->time : 0, f->volumes, err);
}

static int do_restart(const struct engine_ctx *ctx, const struct engine_container *c,
                      const struct ops_flags *f, struct rctr_error *err)
{
        int r = do_stop(ctx, c, f, err);

        if (r >= 0)
                r = cmd_container_start_attached(ctx, c, false, false, false, NULL, err);
        return r;
}

struct verb {
        const char *name, *usage, *summary;
        ops_fn fn;
        const struct cmd_opt *opts;
        bool print_id; /* podman prints the name as given; rm prints ids */
};

enum {
        OPT_IGNORE = CMD_OPT_FIRST_FREE,
        OPT_CONDITION,
        OPT_TIME
};

static const struct cmd_opt stop_opts[] = {
        {"all", 'a', NULL, "stop every running container"},
        {"ignore", OPT_IGNORE, NULL, "ignore containers that do not exist"},
        {"time", 't', "SECONDS", "seconds to wait before SIGKILL (default: the container's)"},
        {0},
};
static const struct cmd_opt kill_opts[] = {
        {"all", 'a', NULL, "signal every running container"},
        {"signal", 's', "SIGNAL", "the signal to send (default: KILL)"},
        {0},
};
static const struct cmd_opt wait_opts[] = {
        {"condition", OPT_CONDITION, "STATE", "wait for this state: stopped or exited (default)"},
        {0},
};
static const struct cmd_opt rm_opts[] = {
        {"all", 'a', NULL, "remove every container"},
        {"force", 'f', NULL, "stop running containers first (SIGKILL)"},
        {"ignore", OPT_IGNORE, NULL, "ignore containers that do not exist"},
        {"time", 't', "SECONDS", "with -f: seconds to wait before SIGKILL (default: 0)"},
        {"volumes", 'v', NULL, "also remove the containers' anonymous volumes"},
        {0},
};
static const struct cmd_opt restart_opts[] = {
        {"all", 'a', NULL, "restart every container"},
        {"time", 't', "SECONDS", "seconds to wait before SIGKILL (default: the container's)"},
        {0},
};

static int ops_option(struct ops_flags *f, int c, const char *value, struct rctr_error *err)
{
        uint64_t n;

        switch (c) {
        case 'a':
                f->all = true;
                return 0;
        case 'f':
                f->force = true;
                return 0;
        case 'v':
                f->volumes = true;
                return 0;
        case OPT_IGNORE:
                f->ignore = true;
                return 0;
        case 't':
                if (parse_u64_max(value, INT32_MAX / 1000, &n) < 0)
                        return rctr_error_set(err, EINVAL, "invalid --time %s (seconds)", value);
                f->time = (unsigned)n;
                f->time_given = true;
                return 0;
        case 's':
                if (signame_parse(value, &f->signal) < 0)
                        return rctr_error_set(err, EINVAL, "invalid signal %s", value);
                return 0;
        case OPT_CONDITION:
                if (!streq(value, "stopped") && !streq(value, "exited"))
                        return rctr_error_set(err, ENOTSUP,
                                              "--condition %s is not supported (stopped or "
                                              "exited)",
                                              value);
                f->condition = value;
                return 0;
        default:
                return 0;
        }
}

/* Each container named (or all with -a); an error on one is printed and the rest go on. */
static int run_verb(struct cmd_global *g, const struct verb *v, int argc, char **argv,
                    struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = v->name,
                               .usage = v->usage,
                               .summary = v->summary,
                               .opts = v->opts,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_list_clear) struct engine_container_list l = {0};
        struct ops_flags f = {.signal = SIGKILL};
        const char *value;
        int c, r, rc = 0, done = 0;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                r = ops_option(&f, c, value, err);
                if (r < 0)
                        return r;
        }
        if (c < 0)
                return c;
        if (!f.all && p.optind >= argc)
                return rctr_error_set(err, EINVAL, "no container given (usage: %s)", v->usage);
        if (f.all && p.optind < argc)
                return rctr_error_set(err, EINVAL, "--all and container names cannot be combined");
        r = cmd_ctx_open(g, &ctx, err);
        if (r >= 0)
                r = engine_container_list(ctx.ctrsfd, &l, err);
        if (r < 0)
                return r;
        for (size_t i = 0; f.all && i < l.n; i++) {
                r = v->fn(&ctx, &l.v[i], &f, err);
                /* -a: containers that are not running are not an error for stop and kill */
                if (r == -ESRCH) {
                        rctr_error_clear(err);
                        continue;
                }
                if (r < 0) {
                        fprintf(stderr, "rctr: %s: %s\n", v->name, err->msg);
                        rctr_error_clear(err);
                        rc = 125;
                } else if (r == 0) {
                        printf("%s\n", l.v[i].id);
                }
        }
        for (int i = p.optind; i < argc; i++, done++) {
                const struct engine_container *ctr = NULL;

                r = engine_container_find(&l, argv[i], &ctr, err);
                if (r == -ENOENT && f.ignore) {
                        rctr_error_clear(err);
                        continue;
                }
                if (r >= 0)
                        r = v->fn(&ctx, ctr, &f, err);
                if (r < 0 && argc - p.optind == 1)
                        return r;
                if (r < 0) {
                        fprintf(stderr, "rctr: %s: %s\n", v->name, err->msg);
                        rc = r == -ENOENT ? 1 : 125;
                        rctr_error_clear(err);
                } else if (r == 0) {
                        printf("%s\n", v->print_id ? ctr->id : argv[i]);
                }
        }
        (void)done;
        return rc;
}

static const struct verb verbs[] = {
        {"stop", "rctr stop [options] CONTAINER...",
         "Stop running containers: their stop signal, then SIGKILL after the timeout.", do_stop,
         stop_opts, false},
        {"kill", "rctr kill [options] CONTAINER...",
         "Send a signal (default: KILL) to the main process of running containers.", do_kill,
         kill_opts, false},
        {"wait", "rctr wait [options] CONTAINER...",
         "Wait for containers to exit and print their exit codes.", do_wait, wait_opts, false},
        {"rm", "rctr rm [options] CONTAINER...",
         "Remove containers (running ones only with --force).", do_rm, rm_opts, true},
        {"restart", "rctr restart [options] CONTAINER...", "Stop containers, then start them.",
         do_restart, restart_opts, false},
};

static int verb(struct cmd_global *g, const char *name, int argc, char **argv,
                struct rctr_error *err)
{
        for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
                if (streq(verbs[i].name, name))
                        return run_verb(g, &verbs[i], argc, argv, err);
        return -EINVAL;
}

int cmd_stop(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return verb(g, "stop", argc, argv, err);
}

int cmd_kill(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return verb(g, "kill", argc, argv, err);
}

int cmd_wait(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return verb(g, "wait", argc, argv, err);
}

int cmd_rm(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return verb(g, "rm", argc, argv, err);
}

int cmd_restart(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return verb(g, "restart", argc, argv, err);
}
