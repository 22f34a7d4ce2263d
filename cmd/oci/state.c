/* rctr oci start, state, kill, delete, list, ps, pause, resume: containers through their state. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd/cmd.h"
#include "engine/freezer.h"
#include "engine/hook-points.h"
#include "engine/procs.h"
#include "engine/run.h"
#include "engine/state.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/signame.h"
#include "lib/parse.h"
#include "lib/xalloc.h"
#include "cmd/oci.h"
#include "cmd/options.h"

enum {
        OPT_ALL = CMD_OPT_FIRST_FREE + 20,
        OPT_FORCE,
        OPT_FORMAT,
};

int oci_state_root_open(const struct oci_global *og, struct rctr_error *err)
{
        cleanup_free char *path = og->state_root    ? xstrdup(og->state_root)
                                  : og->g->rootless ? xasprintf("%s/rctr-oci", og->g->runtime_dir)
                                                    : xstrdup("/run/rctr-oci");

        return engine_state_root_open(path, err);
}

const char *oci_id_operand(int argc, char **argv, int optind, const char *usage,
                           struct rctr_error *err)
{
        if (optind >= argc) {
                (void)rctr_error_set(err, EINVAL, "no container id given (usage: %s)", usage);
                return NULL;
        }
        if (optind + 1 < argc) {
                (void)rctr_error_set(err, EINVAL, "unexpected argument %s", argv[optind + 1]);
                return NULL;
        }
        if (!engine_state_id_valid(argv[optind])) {
                (void)rctr_error_set(err, EINVAL, "invalid container id %s (letters, digits, _+.-)",
                                     argv[optind]);
                return NULL;
        }
        return argv[optind];
}

/* Parse the options of a verb taking only flags and one id. Returns 1 after --help. */
static int parse_id_verb(struct cmd_parser *p, const char **ret_id, int *flags_seen,
                         struct rctr_error *err)
{
        const char *value;
        int c;

        while ((c = cmd_parser_next(p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 1;
                if (c == OPT_ALL || c == 'a')
                        *flags_seen |= 1;
                if (c == OPT_FORCE || c == 'f')
                        *flags_seen |= 2;
        }
        if (c < 0)
                return c;
        *ret_id = oci_id_operand(p->argc, p->argv, p->optind, p->usage, err);
        return *ret_id ? 0 : -EINVAL;
}

/*
 * The common start of a verb on one container: options and id, the state directory, the state.
 * Returns 1 after --help, 0 with *rootfd and *st filled, or -errno.
 */
static int parse_and_load(struct oci_global *og, struct cmd_parser *p, int *rootfd,
                          struct engine_state *st, struct rctr_error *err)
{
        const char *id = NULL;
        int flags = 0, r = parse_id_verb(p, &id, &flags, err);

        if (r != 0)
                return r;
        *rootfd = oci_state_root_open(og, err);
        if (*rootfd < 0)
                return *rootfd;
        return engine_state_load(*rootfd, id, st, err);
}

int oci_start(struct oci_global *og, int argc, char **argv, struct rctr_error *err)
{
        static const struct cmd_opt opts[] = {{0}};
        struct cmd_parser p = {.cmdname = "oci start",
                               .usage = "rctr oci start ID",
                               .summary = "Run the command of the created container ID.",
                               .opts = opts,
                               .argc = argc,
                               .argv = argv};
        cleanup_close int rootfd = -1;
        const char *id = NULL;
        int flags = 0, r = parse_id_verb(&p, &id, &flags, err);

        if (r != 0)
                return r < 0 ? r : 0;
        rootfd = oci_state_root_open(og, err);
        if (rootfd < 0)
                return rootfd;
        return engine_start(rootfd, id, err);
}

static int pause_or_resume(struct oci_global *og, bool pause, int argc, char **argv,
                           struct rctr_error *err)
{
        static const struct cmd_opt opts[] = {{0}};
        struct cmd_parser p = {
                .cmdname = pause ? "oci pause" : "oci resume",
                .usage = pause ? "rctr oci pause ID" : "rctr oci resume ID",
                .summary = pause ? "Freeze every process of container ID (its cgroup's freezer)."
                                 : "Thaw the processes of the paused container ID.",
                .opts = opts,
                .argc = argc,
                .argv = argv};
        CLEANUP(engine_state_clear) struct engine_state st = {0};
        cleanup_close int rootfd = -1;
        enum engine_status status;
        int r = parse_and_load(og, &p, &rootfd, &st, err);

        if (r != 0)
                return r < 0 ? r : 0;
        status = engine_state_status(rootfd, &st);
        if (status != (pause ? ENGINE_STATUS_RUNNING : ENGINE_STATUS_PAUSED))
                return rctr_error_set(err, EBUSY, "container %s is %s, not %s", st.id,
                                      engine_status_name(status), pause ? "running" : "paused");
        return engine_freezer_set(st.pid, pause, err);
}

int oci_pause(struct oci_global *og, int argc, char **argv, struct rctr_error *err)
{
        return pause_or_resume(og, true, argc, argv, err);
}

int oci_resume(struct oci_global *og, int argc, char **argv, struct rctr_error *err)
{
        return pause_or_resume(og, false, argc, argv, err);
}

int oci_update(struct oci_global *og, int argc, char **argv, struct rctr_error *err)
{
        static const struct cmd_opt opts[] = {
                {"resources", 'r', "FILE", "the new linux.resources (JSON; - for stdin)"},
                {0},
        };
        struct cmd_parser p = {.cmdname = "oci update",
                               .usage = "rctr oci update [options] ID",
                               .summary = "Change the cgroup limits of container ID: refused, "
                                          "as this release applies no cgroup limits.",
                               .opts = opts,
                               .argc = argc,
                               .argv = argv};
        CLEANUP(engine_state_clear) struct engine_state st = {0};
        cleanup_close int rootfd = -1;
        int r = parse_and_load(og, &p, &rootfd, &st, err);

        if (r != 0)
                return r < 0 ? r : 0;
        return rctr_error_set(err, EOPNOTSUPP,
                              "container %s: cgroup limits are not applied by this release, so "
                              "they cannot be updated",
                              st.id);
}

int oci_state(struct oci_global *og, int argc, char **argv, struct rctr_error *err)
{
        static const struct cmd_opt opts[] = {{0}};
        struct cmd_parser p = {.cmdname = "oci state",
                               .usage = "rctr oci state ID",
                               .summary = "Print the state of container ID as the runtime spec "
                                          "defines it (JSON).",
                               .opts = opts,
                               .argc = argc,
                               .argv = argv};
        CLEANUP(engine_state_clear) struct engine_state st = {0};
        cleanup_close int rootfd = -1;
        json_auto_t *j = NULL;
        int r = parse_and_load(og, &p, &rootfd, &st, err);

        if (r != 0)
                return r < 0 ? r : 0;
        j = engine_state_json(rootfd, &st);
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        return 0;
}

int oci_kill(struct oci_global *og, int argc, char **argv, struct rctr_error *err)
{
        static const struct cmd_opt opts[] = {
                {"all", 'a', NULL, "signal every process of the container (its pid namespace)"},
                {0},
        };
        struct cmd_parser p = {.cmdname = "oci kill",
                               .usage = "rctr oci kill [options] ID [SIGNAL]",
                               .summary = "Send SIGNAL (a name or number; default TERM) to the "
                                          "init of container ID.",
                               .opts = opts,
                               .argc = argc,
                               .argv = argv};
        CLEANUP(engine_state_clear) struct engine_state st = {0};
        cleanup_close int rootfd = -1;
        const char *value;
        int c, sig = SIGTERM, r;
        bool all = false;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                if (c == 'a')
                        all = true;
        }
        if (c < 0)
                return c;
        /* runc's syntax: ID, then an optional signal */
        if (p.optind + 1 < argc && signame_parse(argv[p.optind + 1], &sig) < 0)
                return rctr_error_set(err, EINVAL, "unknown signal %s", argv[p.optind + 1]);
        if (!oci_id_operand(p.optind + 1 < argc ? p.optind + 1 : argc, argv, p.optind, p.usage,
                            err))
                return -EINVAL;
        rootfd = oci_state_root_open(og, err);
        if (rootfd < 0)
                return rootfd;
        r = engine_state_load(rootfd, argv[p.optind], &st, err);
        if (r < 0)
                return r;
        if (engine_state_status(rootfd, &st) == ENGINE_STATUS_STOPPED)
                return rctr_error_set(err, ESRCH, "container %s is not running", st.id);
        if (all)
                return engine_procs_kill_all(st.pid, sig, err);
        /* with its own pid namespace, every process dies with the init on SIGKILL */
        if (kill(st.pid, sig) < 0)
                return rctr_error_sys(err, errno, "send signal %d to %s", sig, st.id);
        return 0;
}

static void wait_gone(const struct engine_state *st)
{
        for (int i = 0; i < 100 && engine_proc_starttime(st->pid) != 0; i++) {
                struct timespec ts = {0, 20 * 1000 * 1000};

                nanosleep(&ts, NULL);
        }
}

int oci_delete(struct oci_global *og, int argc, char **argv, struct rctr_error *err)
{
        static const struct cmd_opt opts[] = {
                {"force", 'f', NULL, "kill a created or running container first"},
                {0},
        };
        struct cmd_parser p = {.cmdname = "oci delete",
                               .usage = "rctr oci delete [options] ID",
                               .summary = "Remove the state of container ID.",
                               .opts = opts,
                               .argc = argc,
                               .argv = argv};
        CLEANUP(engine_state_clear) struct engine_state st = {0};
        cleanup_close int rootfd = -1;
        const char *id = NULL;
        int flags = 0, r = parse_id_verb(&p, &id, &flags, err);
        bool force = flags & 2;

        if (r != 0)
                return r < 0 ? r : 0;
        rootfd = oci_state_root_open(og, err);
        if (rootfd < 0)
                return rootfd;
        r = engine_state_load(rootfd, id, &st, err);
        if (r == -ENOENT && force) {
                rctr_error_clear(err);
                return 0; /* runc: deleting what is gone is done (containerd relies on it) */
        }
        if (r < 0)
                return r;
        if (engine_state_status(rootfd, &st) != ENGINE_STATUS_STOPPED) {
                if (!force)
                        return rctr_error_set(err, EBUSY,
                                              "container %s is %s (stop it, or use --force)", id,
                                              engine_status_name(engine_state_status(rootfd, &st)));
                (void)kill(st.pid, SIGKILL);
                wait_gone(&st);
        }
        r = engine_state_remove(rootfd, id, err);
        if (r >= 0)
                engine_hook_run_from_bundle(&st, ENGINE_HOOK_POSTSTOP, ENGINE_STATUS_STOPPED);
        return r;
}

int oci_list(struct oci_global *og, int argc, char **argv, struct rctr_error *err)
{
        static const struct cmd_opt opts[] = {
                {"format", OPT_FORMAT, "FORMAT", "table (default) or json"},
                {"quiet", 'q', NULL, "print the ids only"},
                {0},
        };
        struct cmd_parser p = {.cmdname = "oci list",
                               .usage = "rctr oci list [options]",
                               .summary = "List the containers in the state directory.",
                               .opts = opts,
                               .argc = argc,
                               .argv = argv};
        cleanup_close int rootfd = -1;
        cleanup_dir DIR *d = NULL;
        json_auto_t *all = json_array();
        const char *value, *format = "table";
        struct dirent *de;
        bool quiet = false;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                if (c == OPT_FORMAT)
                        format = value;
                if (c == 'q')
                        quiet = true;
        }
        if (c < 0)
                return c;
        r = cmd_check_table_format(format, err);
        if (r < 0)
                return r;
        rootfd = oci_state_root_open(og, err);
        if (rootfd < 0)
                return rootfd;
        d = fdopendir(fcntl(rootfd, F_DUPFD_CLOEXEC, 0));
        if (!d)
                return rctr_error_sys(err, errno, "read state directory");
        if (streq(format, "table") && !quiet)
                printf("%-20s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
        while ((de = readdir(d))) {
                CLEANUP(engine_state_clear) struct engine_state st = {0};
                cleanup_error struct rctr_error ignored = {0};
                json_t *j;

                if (de->d_name[0] == '.' ||
                    engine_state_load(rootfd, de->d_name, &st, &ignored) < 0)
                        continue; /* not a container, or half made */
                j = engine_state_json(rootfd, &st);
                if (quiet)
                        printf("%s\n", st.id);
                else if (streq(format, "table"))
                        printf("%-20s %-8d %-10s %-40s %s\n", st.id,
                               (int)json_integer_value(json_object_get(j, "pid")),
                               json_string_value(json_object_get(j, "status")), st.bundle,
                               st.created);
                json_array_append_new(all, j);
        }
        if (streq(format, "json") && !quiet) {
                json_dumpf(all, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
                fputc('\n', stdout);
        }
        return 0;
}

/* The command line of pid, NULs turned into spaces, or its [comm]. */
static char *proc_cmdline(pid_t pid)
{
        cleanup_error struct rctr_error ignored = {0};
        cleanup_free char *path = xasprintf("/proc/%d/cmdline", (int)pid);
        cleanup_buf struct buf text = {0};

        buf_init(&text, 4096);
        (void)fs_read_at(AT_FDCWD, path, &text, &ignored);
        for (size_t i = 0; i + 1 < text.len; i++)
                if (text.data[i] == '\0')
                        text.data[i] = ' ';
        return text.len ? buf_detach(&text) : xstrdup("?");
}

int oci_ps(struct oci_global *og, int argc, char **argv, struct rctr_error *err)
{
        static const struct cmd_opt opts[] = {
                {"format", OPT_FORMAT, "FORMAT", "table (default) or json (the pids)"},
                {0},
        };
        struct cmd_parser p = {.cmdname = "oci ps",
                               .usage = "rctr oci ps [options] ID",
                               .summary = "List the processes of container ID (host pids).",
                               .opts = opts,
                               .argc = argc,
                               .argv = argv};
        CLEANUP(engine_state_clear) struct engine_state st = {0};
        cleanup_close int rootfd = -1;
        json_auto_t *pids = NULL;
        const char *value, *format = "table", *id;
        json_t *pid;
        size_t i;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                if (c == OPT_FORMAT)
                        format = value;
        }
        if (c < 0)
                return c;
        r = cmd_check_table_format(format, err);
        if (r < 0)
                return r;
        id = oci_id_operand(argc, argv, p.optind, p.usage, err);
        if (!id)
                return -EINVAL;
        rootfd = oci_state_root_open(og, err);
        if (rootfd < 0)
                return rootfd;
        r = engine_state_load(rootfd, id, &st, err);
        if (r < 0)
                return r;
        if (engine_state_status(rootfd, &st) == ENGINE_STATUS_STOPPED)
                return rctr_error_set(err, ESRCH, "container %s is not running", id);
        pids = engine_procs_list(st.pid);
        if (streq(format, "json")) {
                json_dumpf(pids, stdout, JSON_COMPACT);
                fputc('\n', stdout);
                return 0;
        }
        printf("%-8s %s\n", "PID", "CMD");
        json_array_foreach(pids, i, pid) {
                cleanup_free char *cmd = proc_cmdline((pid_t)json_integer_value(pid));

                printf("%-8d %s\n", (int)json_integer_value(pid), cmd);
        }
        return 0;
}
