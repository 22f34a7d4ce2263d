/*
 * rctr oci VERB / rctr-oci VERB: rctr's OCI runtime with runc's command line, so that callers of
 * runc (podman/conmon, containerd, CRI-O, scripts) can drive it. Its global options are runc's,
 * not rctr's: here --root is the runtime's state directory.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include "cmd.h"
#include "engine/features.h"
#include "engine/run.h"
#include "engine/spec-default.h"
#include "engine/spec.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/xalloc.h"
#include "oci.h"
#include "options.h"

enum {
        OCI_OPT_ROOT = CMD_OPT_FIRST_FREE,
        OCI_OPT_LOG,
        OCI_OPT_LOG_FORMAT,
        OCI_OPT_DEBUG,
        OCI_OPT_SYSTEMD_CGROUP,
        OCI_OPT_ROOTLESS,
        OCI_OPT_PID_FILE,
        OCI_OPT_CONSOLE_SOCKET,
        OCI_OPT_NO_PIVOT,
        OCI_OPT_NO_NEW_KEYRING,
        OCI_OPT_PRESERVE_FDS,
        OCI_OPT_KEEP,
};

static const struct cmd_opt oci_opts[] = {
        {"debug", OCI_OPT_DEBUG, NULL, "log debug messages"},
        {"log", OCI_OPT_LOG, "FILE", "also write errors to FILE (callers like conmon read it)"},
        {"log-format", OCI_OPT_LOG_FORMAT, "FORMAT", "format of --log: text (default) or json"},
        {"root", OCI_OPT_ROOT, "DIR",
         "state directory (default /run/rctr-oci; rootless $XDG_RUNTIME_DIR/rctr-oci)"},
        {"systemd-cgroup", OCI_OPT_SYSTEMD_CGROUP, NULL, "manage cgroups through systemd"},
        {"version", 'v', NULL, "show the version and exit"},
        {0},
};

typedef int (*oci_verb_fn)(struct oci_global *og, int argc, char **argv, struct rctr_error *err);

struct oci_verb {
        const char *name;
        oci_verb_fn fn;
        const char *summary;
};

static int oci_spec(struct oci_global *og, int argc, char **argv, struct rctr_error *err);
static int oci_run(struct oci_global *og, int argc, char **argv, struct rctr_error *err);
static int oci_create(struct oci_global *og, int argc, char **argv, struct rctr_error *err);
static int oci_features(struct oci_global *og, int argc, char **argv, struct rctr_error *err);

static const struct oci_verb oci_verbs[] = {
        {"create", oci_create, "create a container, its command waiting for start"},
        {"delete", oci_delete, "remove a container's state (--force: kill it first)"},
        {"exec", oci_exec, "run another process in a running container"},
        {"features", oci_features, "print what this runtime implements (runtime-spec JSON)"},
        {"kill", oci_kill, "send a signal to a container"},
        {"list", oci_list, "list containers"},
        {"pause", oci_pause, "freeze every process of a container"},
        {"ps", oci_ps, "list the processes of a container"},
        {"resume", oci_resume, "thaw a paused container"},
        {"run", oci_run, "create and run a container in the foreground"},
        {"spec", oci_spec, "write a new config.json for a bundle"},
        {"start", oci_start, "run the command of a created container"},
        {"state", oci_state, "print a container's state (runtime-spec JSON)"},
        {"update", oci_update, "change a container's cgroup limits (refused: none applied)"},
        {NULL, NULL, NULL},
};

static const char oci_summary[] =
        "rctr's OCI runtime, with the command line of runc 1.1. Also installed as rctr-oci.";

static void oci_usage(const char *prog)
{
        printf("Usage: %s [options] VERB [ARG...]\n\n%s\n\nVerbs:\n", prog, oci_summary);
        for (const struct oci_verb *v = oci_verbs; v->name; v++)
                printf("  %-12s %s\n", v->name, v->summary);
        fputs("\nOptions:\n", stdout);
        cmd_opts_print(stdout, oci_opts);
        printf("  -h, --help               show this help and exit\n");
}

static int oci_spec(struct oci_global *og, int argc, char **argv, struct rctr_error *err)
{
        static const struct cmd_opt opts[] = {
                {"bundle", 'b', "DIR", "write DIR/config.json (default: the current directory)"},
                {"rootless", OCI_OPT_ROOTLESS, NULL,
                 "a spec for running without root: a user namespace mapping the caller to 0"},
                {0},
        };
        struct cmd_parser p = {
                .cmdname = "oci spec",
                .usage = "rctr oci spec [options]",
                .summary = "Write a default config.json (running `sh` in ./rootfs) to edit for "
                           "a bundle. Refuses to overwrite an existing one.",
                .opts = opts,
                .argc = argc,
                .argv = argv,
        };
        const char *bundle = ".", *value;
        cleanup_free char *text = NULL;
        cleanup_close int dirfd = -1, fd = -1;
        json_auto_t *spec = NULL;
        bool rootless = false;
        int c;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                if (c == 'b')
                        bundle = value;
                if (c == OCI_OPT_ROOTLESS)
                        rootless = true;
        }
        if (c < 0)
                return c;
        if (p.optind < argc)
                return rctr_error_set(err, EINVAL, "unexpected argument %s", argv[p.optind]);

        spec = engine_spec_default(rootless, geteuid(), getegid());
        text = json_dumps(spec, JSON_INDENT(8) | JSON_PRESERVE_ORDER);
        if (!text)
                xalloc_die();
        dirfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return rctr_error_sys(err, errno, "open bundle %s", bundle);
        fd = openat(dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    0644);
        if (fd < 0 && errno == EEXIST)
                return rctr_error_set(err, EEXIST, "%s/config.json exists (remove it first)",
                                      bundle);
        if (fd < 0 || fs_write_all(fd, text, strlen(text)) < 0 || fs_write_all(fd, "\n", 1) < 0)
                return rctr_error_sys(err, errno, "write %s/config.json", bundle);
        (void)og;
        return 0;
}

int oci_parse_preserve_fds(const char *value, unsigned *ret, struct rctr_error *err)
{
        uint64_t n;

        /* a sane bound: the fds must exist in the caller, and RLIMIT_NOFILE is far below */
        if (parse_u64_max(value, 1u << 20, &n) < 0)
                return rctr_error_set(err, EINVAL, "invalid --preserve-fds %s (a number of fds)",
                                      value);
        for (uint64_t fd = 3; fd < 3 + n; fd++)
                if (fcntl((int)fd, F_GETFD) < 0)
                        return rctr_error_set(err, EBADF, "--preserve-fds %s: fd %d is not open",
                                              value, (int)fd);
        *ret = (unsigned)n;
        return 0;
}

static int oci_create_or_run(struct oci_global *og, bool create, int argc, char **argv,
                             struct rctr_error *err)
{
        static const struct cmd_opt opts[] = {
                {"bundle", 'b', "DIR", "the bundle: config.json and the root (default: .)"},
                {"console-socket", OCI_OPT_CONSOLE_SOCKET, "PATH",
                 "send the terminal's master fd to this unix socket, by SCM_RIGHTS"},
                {"detach", 'd', NULL, "run: return once the command runs"},
                {"keep", OCI_OPT_KEEP, NULL, "run: keep the container's state after it exits"},
                {"no-new-keyring", OCI_OPT_NO_NEW_KEYRING, NULL,
                 "do not create a session keyring (rctr never does)"},
                {"no-pivot", OCI_OPT_NO_PIVOT, NULL,
                 "move the root onto / and chroot instead of pivot_root (less safe)"},
                {"pid-file", OCI_OPT_PID_FILE, "FILE", "write the container's pid to FILE"},
                {"preserve-fds", OCI_OPT_PRESERVE_FDS, "N",
                 "pass fds 3 .. 3+N-1 on to the container's command"},
                {0},
        };
        struct cmd_parser p = {
                .cmdname = create ? "oci create" : "oci run",
                .usage = create ? "rctr oci create [options] ID" : "rctr oci run [options] ID",
                .summary = create ? "Create the container ID from a bundle: namespaces, mounts and "
                                    "process set up, its command waiting for `start`."
                                  : "Create the container ID from a bundle, run it in the "
                                    "foreground and exit with its status (128+N when killed by "
                                    "signal N).",
                .opts = opts,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(engine_spec_freep) struct engine_spec *spec = NULL;
        struct engine_run_opts ro = {.create_only = create, .state_rootfd = -1, .console_fd = -1};
        cleanup_free char *bundle = NULL;
        cleanup_close int bundlefd = -1, rootfd = -1;
        const char *bundle_arg = ".", *value;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                switch (c) {
                case CMD_OPT_HELP:
                        return 0;
                case 'b':
                        bundle_arg = value;
                        break;
                case OCI_OPT_PID_FILE:
                        ro.pid_file = value;
                        break;
                case 'd':
                        ro.detach = !create; /* create always returns at once */
                        break;
                case OCI_OPT_KEEP:
                        ro.keep = true;
                        break;
                case OCI_OPT_CONSOLE_SOCKET:
                        ro.console_socket = value;
                        break;
                case OCI_OPT_NO_PIVOT:
                        ro.no_pivot = true;
                        break;
                case OCI_OPT_PRESERVE_FDS:
                        r = oci_parse_preserve_fds(value, &ro.preserve_fds, err);
                        if (r < 0)
                                return r;
                        break;
                default:
                        break; /* --keep, --no-new-keyring: nothing to do */
                }
        }
        if (c < 0)
                return c;
        ro.id = oci_id_operand(argc, argv, p.optind, p.usage, err);
        if (!ro.id)
                return -EINVAL;

        bundle = realpath(bundle_arg, NULL);
        if (!bundle)
                return rctr_error_sys(err, errno, "bundle %s", bundle_arg);
        bundlefd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (bundlefd < 0)
                return rctr_error_sys(err, errno, "open bundle %s", bundle);
        r = engine_spec_load(bundlefd, &spec, err);
        if (r < 0)
                return r;
        /*
         * rootless: run as root of the user's rctr namespace, where the subuids are mapped; the
         * hostIDs of the mappings are then the user's host ids. A caller already in a user
         * namespace of its own (podman) means ids of that one, as runc reads them.
         */
        r = cmd_enter_userns(og->g, err);
        if (r < 0)
                return r;
        ro.host_ids = r > 0;
        rootfd = oci_state_root_open(og, err);
        if (rootfd < 0)
                return rootfd;
        ro.bundle = bundle;
        ro.state_rootfd = rootfd;
        return engine_run(&ro, spec, err);
}

static int oci_run(struct oci_global *og, int argc, char **argv, struct rctr_error *err)
{
        return oci_create_or_run(og, false, argc, argv, err);
}

static int oci_create(struct oci_global *og, int argc, char **argv, struct rctr_error *err)
{
        return oci_create_or_run(og, true, argc, argv, err);
}

static int oci_features(struct oci_global *og, int argc, char **argv, struct rctr_error *err)
{
        static const struct cmd_opt opts[] = {{0}};
        struct cmd_parser p = {.cmdname = "oci features",
                               .usage = "rctr oci features",
                               .summary = "Print the runtime-spec features document: the spec "
                                          "versions, namespaces, capabilities and mount options "
                                          "this runtime implements.",
                               .opts = opts,
                               .argc = argc,
                               .argv = argv};
        json_auto_t *f = NULL;
        const char *value;
        int c;

        while ((c = cmd_parser_next(&p, &value, err)) > 0)
                if (c == CMD_OPT_HELP)
                        return 0;
        if (c < 0)
                return c;
        if (p.optind < argc)
                return rctr_error_set(err, EINVAL, "unexpected argument %s", argv[p.optind]);
        f = engine_features();
        json_dumpf(f, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        (void)og;
        return 0;
}

/* For callers that read --log (conmon, containerd's shim): one line per error. */
static void oci_log_error(const struct oci_global *og, const char *msg)
{
        cleanup_fclose FILE *f = NULL;
        char when[64];
        time_t now = time(NULL);
        struct tm tm;

        if (!og->log_path)
                return;
        f = fopen(og->log_path, "ae");
        if (!f)
                return;
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
        if (og->log_json) {
                json_auto_t *line =
                        json_pack("{s:s, s:s, s:s}", "level", "error", "msg", msg, "time", when);
                cleanup_free char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);

                fprintf(f, "%s\n", text ? text : "{}");
        } else {
                fprintf(f, "time=\"%s\" level=error msg=\"%s\"\n", when, msg);
        }
}

static void oci_version(void)
{
        const struct scmp_version *sv = seccomp_version();

        printf("rctr-oci version %s\nspec: 1.1.0\nlibseccomp: %u.%u.%u\n", PACKAGE_VERSION,
               sv->major, sv->minor, sv->micro);
}

static int oci_global_option(struct oci_global *og, int c, const char *value,
                             struct rctr_error *err)
{
        switch (c) {
        case OCI_OPT_ROOT:
                og->state_root = value;
                return 0;
        case OCI_OPT_LOG:
                og->log_path = value;
                return 0;
        case OCI_OPT_LOG_FORMAT:
                if (!streq(value, "text") && !streq(value, "json"))
                        return rctr_error_set(err, EINVAL,
                                              "invalid --log-format %s (use text or json)", value);
                og->log_json = streq(value, "json");
                return 0;
        case OCI_OPT_DEBUG:
                log_max_level = LOG_LEVEL_DEBUG;
                return 0;
        case OCI_OPT_SYSTEMD_CGROUP:
                og->systemd_cgroup = true;
                return 0;
        default:
                return 0;
        }
}

static int oci_dispatch(struct oci_global *og, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "oci",
                .usage = NULL, /* oci_usage() lists the verbs */
                .opts = oci_opts,
                .stop_at_operand = true,
                .argc = argc,
                .argv = argv,
        };
        const struct oci_verb *verb;
        const char *value;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP) {
                        oci_usage(argv[0]);
                        return 0;
                }
                if (c == 'v') {
                        oci_version();
                        return 0;
                }
                r = oci_global_option(og, c, value, err);
                if (r < 0)
                        return r;
        }
        if (c < 0)
                return c;
        if (p.optind >= argc)
                return rctr_error_set(err, EINVAL, "no verb given (see rctr oci --help)");
        for (verb = oci_verbs; verb->name; verb++)
                if (streq(verb->name, argv[p.optind]))
                        break;
        if (!verb->name)
                return rctr_error_set(err, EINVAL, "unknown verb \"%s\" (see rctr oci --help)",
                                      argv[p.optind]);
        r = verb->fn(og, argc - p.optind, argv + p.optind, err);
        return r < 0 ? rctr_error_prefix(err, "%s", verb->name) : r;
}

int cmd_oci(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct oci_global og = {.g = g};
        int r = oci_dispatch(&og, argc, argv, err);

        if (r < 0)
                oci_log_error(&og, err->msg);
        return r;
}
