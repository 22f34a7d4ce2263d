/* rctr exec: another process in a running container, as its config.json's process amended. */
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
#include "engine/container-spec.h"
#include "engine/container-state.h"
#include "engine/exec.h"
#include "engine/seccomp.h"
#include "engine/spec-process.h"
#include "engine/spec.h"
#include "lib/buf.h"
#include "lib/envlist.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

enum {
        OPT_ENV_FILE = CMD_OPT_FIRST_FREE,
        OPT_PRIVILEGED,
        OPT_DETACH_KEYS
};

static const struct cmd_opt exec_opts[] = {
        {"detach", 'd', NULL, "run the command in the background"},
        {"detach-keys", OPT_DETACH_KEYS, "KEYS", "accepted for podman compatibility"},
        {"env", 'e', "KEY[=VALUE]", "set an environment variable"},
        {"env-file", OPT_ENV_FILE, "FILE", "read environment variables from FILE"},
        {"interactive", 'i', NULL, "keep stdin open"},
        {"privileged", OPT_PRIVILEGED, NULL, "give the process all capabilities"},
        {"tty", 't', NULL, "give the process a terminal"},
        {"user", 'u', "USER[:GROUP]", "run as this user (names from the container's files)"},
        {"workdir", 'w', "DIR", "the working directory"},
        {0},
};

struct exec_flags {
        bool detach, interactive, privileged, tty;
        const char *user, *workdir;
        char **env; /* owned: KEY=VALUE, in order */
};

static void exec_flags_clear(struct exec_flags *f)
{
        strv_free(f->env);
}

/* -e KEY takes the host's value (none: skipped), as podman. */
static void env_add(struct exec_flags *f, const char *kv)
{
        const char *host;
        cleanup_free char *joined = NULL;

        if (strchr(kv, '=')) {
                envlist_set(&f->env, kv);
                return;
        }
        host = getenv(kv);
        if (!host)
                return;
        joined = xasprintf("%s=%s", kv, host);
        envlist_set(&f->env, joined);
}

static int env_file(struct exec_flags *f, const char *path, struct rctr_error *err)
{
        cleanup_buf struct buf text = {0};
        char *line, *save = NULL;
        int r;

        buf_init(&text, 16 * 1024 * 1024);
        r = fs_read_at(AT_FDCWD, path, &text, err);
        if (r < 0)
                return rctr_error_prefix(err, "--env-file %s", path);
        for (line = strtok_r(text.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (line[strspn(line, " \t")] && line[strspn(line, " \t")] != '#')
                        env_add(f, line);
        return 0;
}

/* The container's process with exec's changes. */
static int amend_process(struct engine_process *p, const struct exec_flags *f, char **args,
                         const char *rootfs, struct rctr_error *err)
{
        CLEANUP(engine_container_user_clear) struct engine_container_user u = {0};
        cleanup_close int rootfd = -1;
        size_t n = 0;
        int r;

        while (args[n])
                n++;
        strv_free(p->args);
        p->args = xreallocarray(NULL, n + 1, sizeof(char *));
        for (size_t i = 0; i <= n; i++)
                p->args[i] = args[i] ? xstrdup(args[i]) : NULL;
        for (char **e = f->env; e && *e; e++)
                envlist_set(&p->env, *e);
        if (f->workdir) {
                if (f->workdir[0] != '/')
                        return rctr_error_set(err, EINVAL, "--workdir %s: not an absolute path",
                                              f->workdir);
                free(p->cwd);
                p->cwd = xstrdup(f->workdir);
        }
        if (f->user) {
                rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (rootfd < 0)
                        return rctr_error_sys(err, errno, "open %s", rootfs);
                r = engine_container_user_resolve(rootfd, f->user, NULL, &u, err);
                if (r < 0)
                        return r;
                p->uid = u.uid;
                p->gid = u.gid;
                free(p->additional_gids);
                p->additional_gids = xreallocarray(NULL, u.n_gids + 1, sizeof(gid_t));
                for (size_t i = 0; i < u.n_gids; i++)
                        p->additional_gids[i] = u.gids[i];
                p->n_additional_gids = u.n_gids;
        }
        if (f->privileged)
                for (int s = 0; s < ENGINE_CAP_SET_COUNT; s++)
                        if (s != ENGINE_CAP_AMBIENT)
                                p->caps[s] = p->caps[ENGINE_CAP_BOUNDING];
        p->terminal = f->tty;
        return 0;
}

static int exec_option(struct exec_flags *f, int c, const char *value, struct rctr_error *err)
{
        switch (c) {
        case 'd':
                f->detach = true;
                return 0;
        case 'e':
                env_add(f, value);
                return 0;
        case OPT_ENV_FILE:
                return env_file(f, value, err);
        case 'i':
                f->interactive = true;
                return 0;
        case OPT_PRIVILEGED:
                f->privileged = true;
                return 0;
        case 't':
                f->tty = true;
                return 0;
        case 'u':
                f->user = value;
                return 0;
        case 'w':
                f->workdir = value;
                return 0;
        default:
                return 0;
        }
}

int cmd_exec(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "exec",
                .usage = "rctr exec [options] CONTAINER COMMAND [ARG...]",
                .summary = "Run COMMAND in a running container: in all of its namespaces, with its "
                           "capabilities, seccomp filter, user and environment.",
                .opts = exec_opts,
                .stop_at_operand = true,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_clear) struct engine_container c = {0};
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        CLEANUP(exec_flags_clear) struct exec_flags f = {0};
        CLEANUP(engine_spec_freep) struct engine_spec *spec = NULL;
        CLEANUP(engine_seccomp_freep) struct engine_seccomp *seccomp = NULL;
        cleanup_close int bundlefd = -1, nullfd = -1;
        struct engine_exec_opts eo = {0};
        const char *value;
        int ch, r;

        while ((ch = cmd_parser_next(&p, &value, err)) > 0) {
                if (ch == CMD_OPT_HELP)
                        return 0;
                r = exec_option(&f, ch, value, err);
                if (r < 0)
                        return r;
        }
        if (ch < 0)
                return ch;
        if (argc - p.optind < 2)
                return rctr_error_set(err, EINVAL, "%s (usage: %s)",
                                      p.optind >= argc ? "no container given" : "no command given",
                                      p.usage);
        if (f.detach && f.tty)
                return rctr_error_set(err, ENOTSUP,
                                      "exec -d -t is not supported yet: leave out -t or -d");
        r = cmd_container_open(g, &ctx, argv[p.optind], &c, &s, err);
        if (r < 0)
                return r;
        if (s.status != ENGINE_CTR_RUNNING || !s.rootfs)
                return rctr_error_set(err, EINVAL,
                                      "can only create exec sessions on running containers: "
                                      "container %s is %s",
                                      c.name, engine_ctr_status_name(s.status));
        bundlefd = openat(ctx.ctrsfd, c.id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (bundlefd < 0)
                return rctr_error_sys(err, errno, "open container %s", c.name);
        r = engine_spec_load(bundlefd, &spec, err);
        if (r >= 0)
                r = amend_process(&spec->process, &f, argv + p.optind + 1, s.rootfs, err);
        if (r >= 0)
                r = engine_seccomp_new(engine_spec_linux(spec, "seccomp"), &seccomp, err);
        if (r < 0)
                return r;
        /* without -i the process reads nothing, as podman: /dev/null, not our terminal */
        if (!f.interactive && !f.tty) {
                nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (nullfd >= 0)
                        (void)dup2(nullfd, STDIN_FILENO);
        }
        eo.state_rootfd = ctx.ocifd;
        eo.id = c.id;
        eo.detach = f.detach;
        eo.seccomp = seccomp;
        return engine_exec(&eo, &spec->process, err);
}
