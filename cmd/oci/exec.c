/*
 * rctr oci exec: another process in a running container, with runc's options. The process is the
 * container's own config.json process with the flags applied (runc's rules), or --process FILE.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd/cmd.h"
#include "engine/exec.h"
#include "engine/seccomp.h"
#include "engine/spec-process.h"
#include "engine/spec.h"
#include "engine/state.h"
#include "lib/buf.h"
#include "lib/envlist.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/xalloc.h"
#include "cmd/oci.h"
#include "cmd/options.h"

enum {
        OPT_CONSOLE_SOCKET = CMD_OPT_FIRST_FREE + 40,
        OPT_CWD,
        OPT_NO_NEW_PRIVS,
        OPT_PID_FILE,
        OPT_PRESERVE_FDS,
        OPT_PROCESS_LABEL,
        OPT_APPARMOR,
        OPT_IGNORE_PAUSED,
        OPT_CGROUP,
};

static const struct cmd_opt exec_opts[] = {
        {"additional-gids", 'g', "GID", "an additional group (repeatable)"},
        {"apparmor", OPT_APPARMOR, "PROFILE", "the AppArmor profile of the process"},
        {"cap", 'c', "CAP", "add a capability, e.g. CAP_NET_ADMIN (repeatable)"},
        {"cgroup", OPT_CGROUP, "PATH", "accepted for runc compatibility; the container's cgroup"},
        {"console-socket", OPT_CONSOLE_SOCKET, "PATH",
         "send the terminal's master fd to this unix socket; with -t"},
        {"cwd", OPT_CWD, "DIR", "the working directory in the container"},
        {"detach", 'd', NULL, "return once the process runs"},
        {"env", 'e', "KEY=VALUE", "set an environment variable (repeatable)"},
        {"ignore-paused", OPT_IGNORE_PAUSED, NULL, "accepted for runc compatibility"},
        {"no-new-privs", OPT_NO_NEW_PRIVS, NULL, "set no_new_privs for the process"},
        {"pid-file", OPT_PID_FILE, "FILE", "write the process's pid to FILE"},
        {"preserve-fds", OPT_PRESERVE_FDS, "N", "pass fds 3 .. 3+N-1 on to the process"},
        {"process", 'p', "FILE", "the process as runtime-spec JSON (instead of ARGS and flags)"},
        {"process-label", OPT_PROCESS_LABEL, "LABEL", "the SELinux label of the process"},
        {"tty", 't', NULL, "allocate a terminal"},
        {"user", 'u', "UID[:GID]", "run as this user (numeric ids)"},
        {0},
};

struct exec_flags {
        const char *process_file, *cwd, *user, *apparmor, *label;
        char **env;  /* borrowed from argv */
        char **caps; /* borrowed from argv */
        gid_t *gids; /* owned */
        size_t n_env, n_caps, n_gids;
        bool tty, no_new_privs;
};

static void exec_flags_clear(struct exec_flags *f)
{
        free(f->env);
        free(f->caps);
        free(f->gids);
}

static int parse_user(const char *text, uint32_t *uid, uint32_t *gid, struct rctr_error *err)
{
        cleanup_free char *copy = xstrdup(text);
        char *colon = strchr(copy, ':');
        uint64_t v;

        if (colon)
                *colon = '\0';
        if (parse_u64_max(copy, UINT32_MAX - 1, &v) < 0)
                return rctr_error_set(err, EINVAL, "invalid --user %s (use UID[:GID], numeric)",
                                      text);
        *uid = (uint32_t)v;
        if (colon) {
                if (parse_u64_max(colon + 1, UINT32_MAX - 1, &v) < 0)
                        return rctr_error_set(err, EINVAL,
                                              "invalid --user %s (use UID[:GID], numeric)", text);
                *gid = (uint32_t)v;
        }
        return 0;
}

/* runc's rules: --cap adds to bounding, effective, permitted, and ambient if inheritable is set. */
static int add_caps(struct engine_process *p, char **caps, size_t n, struct rctr_error *err)
{
        for (size_t i = 0; i < n; i++) {
                uint64_t bit;
                int cap;

                if (engine_spec_cap_number(caps[i], &cap) < 0)
                        return rctr_error_set(err, EINVAL, "unknown capability %s (--cap)",
                                              caps[i]);
                bit = UINT64_C(1) << cap;
                p->caps[ENGINE_CAP_BOUNDING] |= bit;
                p->caps[ENGINE_CAP_EFFECTIVE] |= bit;
                p->caps[ENGINE_CAP_PERMITTED] |= bit;
                if (p->caps[ENGINE_CAP_INHERITABLE])
                        p->caps[ENGINE_CAP_AMBIENT] |= bit;
        }
        return 0;
}

static int apply_flags(struct engine_process *p, const struct exec_flags *f, char **args,
                       struct rctr_error *err)
{
        int r;

        strv_free(p->args);
        p->args = xmalloc(sizeof(char *));
        p->args[0] = NULL;
        for (size_t i = 0; args[i]; i++) {
                p->args = xrealloc(p->args, (i + 2) * sizeof(char *));
                p->args[i] = xstrdup(args[i]);
                p->args[i + 1] = NULL;
        }
        for (size_t i = 0; i < f->n_env; i++)
                envlist_set(&p->env, f->env[i]);
        if (f->cwd) {
                if (f->cwd[0] != '/')
                        return rctr_error_set(err, EINVAL, "--cwd %s: not an absolute path",
                                              f->cwd);
                free(p->cwd);
                p->cwd = xstrdup(f->cwd);
        }
        if (f->user) {
                r = parse_user(f->user, &p->uid, &p->gid, err);
                if (r < 0)
                        return r;
        }
        if (f->n_gids) {
                free(p->additional_gids);
                p->additional_gids = xreallocarray(NULL, f->n_gids, sizeof(gid_t));
                memcpy(p->additional_gids, f->gids, f->n_gids * sizeof(gid_t));
                p->n_additional_gids = f->n_gids;
        }
        p->terminal = f->tty;
        p->no_new_privileges = p->no_new_privileges || f->no_new_privs;
        if (f->apparmor) {
                free(p->apparmor_profile);
                p->apparmor_profile = xstrdup(f->apparmor);
        }
        if (f->label) {
                free(p->selinux_label);
                p->selinux_label = xstrdup(f->label);
        }
        return add_caps(p, f->caps, f->n_caps, err);
}

/* --process FILE: the whole process, as in config.json. */
static int load_process_file(const char *path, struct engine_process *p, struct rctr_error *err)
{
        cleanup_buf struct buf text = {0};
        json_auto_t *obj = NULL;
        int r;

        buf_init(&text, ENGINE_SPEC_MAX);
        r = fs_read_at(AT_FDCWD, path, &text, err);
        if (r >= 0)
                r = jsonutil_parse(text.data, text.len, ENGINE_SPEC_MAX, &obj, err);
        if (r < 0)
                return rctr_error_prefix(err, "--process %s", path);
        engine_spec_process_clear(p);
        r = engine_spec_process_parse(obj, p, err);
        return r < 0 ? rctr_error_prefix(err, "--process %s: process", path) : 0;
}

static int exec_option(struct exec_flags *f, struct engine_exec_opts *eo, int c, const char *value,
                       struct rctr_error *err)
{
        uint64_t gid;

        switch (c) {
        case 'g':
                if (parse_u64_max(value, UINT32_MAX - 1, &gid) < 0)
                        return rctr_error_set(err, EINVAL, "invalid --additional-gids %s", value);
                f->gids = xreallocarray(f->gids, f->n_gids + 1, sizeof(gid_t));
                f->gids[f->n_gids++] = (gid_t)gid;
                return 0;
        case 'c':
                f->caps = xreallocarray(f->caps, f->n_caps + 1, sizeof(char *));
                f->caps[f->n_caps++] = (char *)value;
                return 0;
        case 'e':
                if (!strchr(value, '='))
                        return rctr_error_set(err, EINVAL, "invalid --env %s (use KEY=VALUE)",
                                              value);
                f->env = xreallocarray(f->env, f->n_env + 1, sizeof(char *));
                f->env[f->n_env++] = (char *)value;
                return 0;
        case OPT_CONSOLE_SOCKET:
                eo->console_socket = value;
                return 0;
        case OPT_CWD:
                f->cwd = value;
                return 0;
        case 'd':
                eo->detach = true;
                return 0;
        case OPT_NO_NEW_PRIVS:
                f->no_new_privs = true;
                return 0;
        case OPT_PID_FILE:
                eo->pid_file = value;
                return 0;
        case OPT_PRESERVE_FDS:
                return oci_parse_preserve_fds(value, &eo->preserve_fds, err);
        case 'p':
                f->process_file = value;
                return 0;
        case 't':
                f->tty = true;
                return 0;
        case 'u':
                f->user = value;
                return 0;
        case OPT_APPARMOR:
                f->apparmor = value;
                return 0;
        case OPT_PROCESS_LABEL:
                f->label = value;
                return 0;
        default:
                return 0; /* --ignore-paused, --cgroup: nothing to do here */
        }
}

/* The process to run: config.json's own with the flags applied, or --process FILE. */
static int exec_process(int rootfd, const char *id, const struct exec_flags *f, char **args,
                        struct engine_spec **ret, struct rctr_error *err)
{
        CLEANUP(engine_spec_freep) struct engine_spec *spec = NULL;
        CLEANUP(engine_state_clear) struct engine_state st = {0};
        cleanup_close int bundlefd = -1;
        int r = engine_state_load(rootfd, id, &st, err);

        if (r < 0)
                return r;
        bundlefd = open(st.bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (bundlefd < 0)
                return rctr_error_sys(err, errno, "open bundle %s of %s", st.bundle, id);
        r = engine_spec_load(bundlefd, &spec, err);
        if (r < 0)
                return r;
        if (f->process_file)
                r = load_process_file(f->process_file, &spec->process, err);
        else if (!args[0])
                r = rctr_error_set(err, EINVAL, "no command given (usage: %s)",
                                   "rctr oci exec [options] ID COMMAND [ARG...]");
        else
                r = apply_flags(&spec->process, f, args, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(spec);
        return 0;
}

int oci_exec(struct oci_global *og, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "oci exec",
                .usage = "rctr oci exec [options] ID COMMAND [ARG...]",
                .summary = "Run COMMAND in the running container ID, in all its namespaces, as "
                           "its config.json's process with these options applied (or as "
                           "--process FILE). Exits with its status unless --detach.",
                .opts = exec_opts,
                .stop_at_operand = true,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(exec_flags_clear) struct exec_flags f = {0};
        CLEANUP(engine_spec_freep) struct engine_spec *spec = NULL;
        CLEANUP(engine_seccomp_freep) struct engine_seccomp *seccomp = NULL;
        struct engine_exec_opts eo = {.state_rootfd = -1};
        cleanup_close int rootfd = -1;
        const char *value;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                r = exec_option(&f, &eo, c, value, err);
                if (r < 0)
                        return r;
        }
        if (c < 0)
                return c;
        eo.id = oci_id_operand(p.optind < argc ? p.optind + 1 : argc, argv, p.optind, p.usage, err);
        if (!eo.id)
                return -EINVAL;
        r = cmd_enter_userns(og->g, err);
        if (r < 0)
                return r;
        rootfd = oci_state_root_open(og, err);
        if (rootfd < 0)
                return rootfd;
        r = exec_process(rootfd, eo.id, &f, argv + p.optind + 1, &spec, err);
        if (r < 0)
                return r;
        /* the container's own filter applies to every process in it */
        r = engine_seccomp_new(engine_spec_linux(spec, "seccomp"), &seccomp, err);
        if (r < 0)
                return r;
        eo.state_rootfd = rootfd;
        eo.seccomp = seccomp;
        return engine_exec(&eo, &spec->process, err);
}
