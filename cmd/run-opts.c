/* rctr run / create: the option table and its parsing (cmd/run-opts.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "cmd/run-opts.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/xalloc.h"

enum {
        OPT_ANNOTATION = CMD_OPT_FIRST_FREE,
        OPT_CAP_ADD,
        OPT_CAP_DROP,
        OPT_CIDFILE,
        OPT_DETACH_KEYS,
        OPT_DEVICE,
        OPT_ENTRYPOINT,
        OPT_ENV_FILE,
        OPT_ENV_HOST,
        OPT_GROUP_ADD,
        OPT_HOSTNAME,
        OPT_INIT,
        OPT_IPC,
        OPT_LOG_DRIVER,
        OPT_LOG_OPT,
        OPT_MOUNT,
        OPT_NAME,
        OPT_NETWORK,
        OPT_PID,
        OPT_PLATFORM,
        OPT_PRIVILEGED,
        OPT_PULL,
        OPT_READ_ONLY,
        OPT_READ_ONLY_TMPFS,
        OPT_RESTART,
        OPT_RM,
        OPT_SECURITY_OPT,
        OPT_SHM_SIZE,
        OPT_SIG_PROXY,
        OPT_STOP_SIGNAL,
        OPT_STOP_TIMEOUT,
        OPT_SYSCTL,
        OPT_TLS_VERIFY,
        OPT_TMPFS,
        OPT_ULIMIT,
        OPT_USERNS,
        OPT_UTS,
        /* what a later release brings: refused, never silently ignored */
        OPT_LATER_PUBLISH_ALL,
        OPT_LATER_CPUS,
        OPT_LATER_PIDS,
        OPT_LATER_MEMORY_SWAP,
        OPT_LATER_CPU_SHARES,
        OPT_LATER_DNS,
        OPT_LATER_ADD_HOST,
};

static const struct cmd_opt run_opts[] = {
        {"annotation", OPT_ANNOTATION, "KEY=VALUE", "add an annotation to the container"},
        {"cap-add", OPT_CAP_ADD, "CAP", "add a capability (or ALL)"},
        {"cap-drop", OPT_CAP_DROP, "CAP", "drop a capability (or ALL)"},
        {"cidfile", OPT_CIDFILE, "FILE", "write the container id to FILE"},
        {"detach", 'd', NULL, "run in the background and print the container id"},
        {"detach-keys", OPT_DETACH_KEYS, "KEYS",
         "keys that detach from the container (default: ctrl-p,ctrl-q)"},
        {"device", OPT_DEVICE, "HOST[:CTR][:PERMS]", "add a host device"},
        {"entrypoint", OPT_ENTRYPOINT, "CMD", "override the image's entrypoint (string or JSON)"},
        {"env", 'e', "KEY[=VALUE]", "set an environment variable (KEY alone: the host's value)"},
        {"env-file", OPT_ENV_FILE, "FILE", "read environment variables from FILE"},
        {"env-host", OPT_ENV_HOST, NULL, "use the host's environment"},
        {"group-add", OPT_GROUP_ADD, "GROUP", "add a supplementary group"},
        {"hostname", OPT_HOSTNAME, "NAME", "the container's host name"},
        {"init", OPT_INIT, NULL, "run an init as pid 1 that forwards signals and reaps zombies"},
        {"interactive", 'i', NULL, "keep stdin open"},
        {"ipc", OPT_IPC, "MODE", "IPC namespace: private or host"},
        {"label", 'l', "KEY=VALUE", "set a label on the container"},
        {"log-driver", OPT_LOG_DRIVER, "DRIVER", "k8s-file (default), none or passthrough"},
        {"log-opt", OPT_LOG_OPT, "OPT", "log option: max-size=SIZE"},
        {"memory", 'm', "SIZE", "memory limit (not supported yet)"},
        {"mount", OPT_MOUNT, "type=TYPE,...", "add a mount (bind, tmpfs or volume)"},
        {"name", OPT_NAME, "NAME", "the container's name"},
        {"network", OPT_NETWORK, "MODE", "none (default for now) or host"},
        {"net", OPT_NETWORK, "MODE", "the same as --network"},
        {"pid", OPT_PID, "MODE", "PID namespace: private or host"},
        {"platform", OPT_PLATFORM, "OS/ARCH", "the platform of the image to pull"},
        {"privileged", OPT_PRIVILEGED, NULL, "give the container all capabilities and devices"},
        {"publish", 'p', "PORTS", "publish a port (not supported yet)"},
        {"publish-all", OPT_LATER_PUBLISH_ALL, NULL, "publish exposed ports (not supported yet)"},
        {"pull", OPT_PULL, "POLICY", "always, missing (default), never or newer"},
        {"quiet", 'q', NULL, "do not show pull progress"},
        {"read-only", OPT_READ_ONLY, NULL, "mount the root file system read-only"},
        {"read-only-tmpfs", OPT_READ_ONLY_TMPFS, "[=BOOL]",
         "with --read-only: tmpfs on /run, /tmp and /var/tmp (default: true)"},
        {"restart", OPT_RESTART, "POLICY", "restart policy: no (others not supported yet)"},
        {"rm", OPT_RM, NULL, "remove the container when it exits"},
        {"security-opt", OPT_SECURITY_OPT, "OPT",
         "no-new-privileges, seccomp=FILE|unconfined, mask=PATHS, unmask=PATHS"},
        {"shm-size", OPT_SHM_SIZE, "SIZE", "size of /dev/shm (default: 64m)"},
        {"sig-proxy", OPT_SIG_PROXY, "[=BOOL]", "forward signals to the container (default: true)"},
        {"stop-signal", OPT_STOP_SIGNAL, "SIGNAL", "signal that stops the container"},
        {"stop-timeout", OPT_STOP_TIMEOUT, "SECONDS",
         "seconds stop waits before SIGKILL (default: 10)"},
        {"sysctl", OPT_SYSCTL, "NAME=VALUE", "set a namespaced kernel parameter"},
        {"tls-verify", OPT_TLS_VERIFY, "BOOL", "require HTTPS and verified certificates to pull"},
        {"tmpfs", OPT_TMPFS, "DIR[:OPTS]", "mount a tmpfs on DIR"},
        {"tty", 't', NULL, "give the container a terminal"},
        {"ulimit", OPT_ULIMIT, "NAME=SOFT[:HARD]", "set a resource limit"},
        {"user", 'u', "USER[:GROUP]", "run as this user"},
        {"userns", OPT_USERNS, "MODE", "user namespace: host (default), keep-id or nomap"},
        {"uts", OPT_UTS, "MODE", "UTS namespace: private or host"},
        {"volume", 'v', "SRC:DST[:OPTS]", "bind-mount a host directory or a named volume"},
        {"workdir", 'w', "DIR", "the working directory in the container"},
        {"cpus", OPT_LATER_CPUS, "N", "CPU limit (not supported yet)"},
        {"pids-limit", OPT_LATER_PIDS, "N", "process limit (not supported yet)"},
        {"memory-swap", OPT_LATER_MEMORY_SWAP, "SIZE", "swap limit (not supported yet)"},
        {"cpu-shares", OPT_LATER_CPU_SHARES, "N", "CPU weight (not supported yet)"},
        {"dns", OPT_LATER_DNS, "IP", "DNS server (not supported yet)"},
        {"add-host", OPT_LATER_ADD_HOST, "HOST:IP", "add to /etc/hosts (not supported yet)"},
        {0},
};

static void strv_push(char ***v, const char *s)
{
        size_t n = 0;

        while (*v && (*v)[n])
                n++;
        *v = xreallocarray(*v, n + 2, sizeof(char *));
        (*v)[n] = xstrdup(s);
        (*v)[n + 1] = NULL;
}

void cmd_run_opts_clear(struct cmd_run_opts *o)
{
        struct engine_run_flags *f = &o->f;
        char **lists[] = {f->env,    f->group_add,   f->cap_add,   f->cap_drop,       f->volumes,
                          f->mounts, f->tmpfs,       f->sysctls,   f->devices,        f->ulimits,
                          f->labels, f->annotations, o->env_files, f->env_files_lines};

        for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
                strv_free(lists[i]);
        *o = (struct cmd_run_opts){0};
}

static int parse_bool(const char *flag, const char *value, bool *ret, struct rctr_error *err)
{
        if (!value || streq(value, "true"))
                *ret = true;
        else if (streq(value, "false"))
                *ret = false;
        else
                return rctr_error_set(err, EINVAL, "invalid --%s %s (true or false)", flag, value);
        return 0;
}

static int not_yet(const char *what, struct rctr_error *err)
{
        return rctr_error_set(err, ENOTSUP,
                              "%s is not supported yet (networking and resource limits come in "
                              "a later release): leave it out",
                              what);
}

static int ns_mode(const char *flag, const char *value, const char **ret, struct rctr_error *err)
{
        if (!streq(value, "private") && !streq(value, "host"))
                return rctr_error_set(err, EINVAL, "invalid --%s %s (private or host)", flag,
                                      value);
        *ret = value;
        return 0;
}

static int security_opt(struct cmd_run_opts *o, const char *value, struct rctr_error *err)
{
        if (streq(value, "no-new-privileges") || streq(value, "no-new-privileges:true") ||
            streq(value, "no-new-privileges=true")) {
                o->f.no_new_privileges = true;
                return 0;
        }
        if (strncmp(value, "seccomp=", 8) == 0 && value[8]) {
                o->f.seccomp_profile = value + 8;
                return 0;
        }
        if (strncmp(value, "mask=", 5) == 0 || strncmp(value, "unmask=", 7) == 0 ||
            strncmp(value, "label=", 6) == 0 || strncmp(value, "apparmor=", 9) == 0) {
                if (strncmp(value, "label=disable", 13) == 0 ||
                    strncmp(value, "apparmor=unconfined", 19) == 0)
                        return 0; /* neither is enforced by rctr: asking to disable is a no-op */
                return rctr_error_set(err, ENOTSUP,
                                      "--security-opt %s is not supported yet (supported: "
                                      "no-new-privileges, seccomp=FILE|unconfined)",
                                      value);
        }
        return rctr_error_set(err, EINVAL,
                              "invalid --security-opt %s (no-new-privileges, "
                              "seccomp=FILE|unconfined)",
                              value);
}

/*
 * A size as podman reads --log-opt max-size (go-units' FromHumanSize): decimal units, so "10k"
 * and "10KiB" are both 10000 bytes; an optional "b".
 */
static int parse_decimal_size(const char *s, uint64_t *ret)
{
        static const char units[] = "kmgtp";
        size_t digits = strspn(s, "0123456789");
        cleanup_free char *num = xstrndup(s, digits);
        const char *u = s + digits, *unit;
        uint64_t v;

        if (parse_u64(num, &v) < 0)
                return -EINVAL;
        if (*u == ' ')
                u++;
        if (*u && (unit = strchr(units, *u | 0x20)) != NULL) {
                for (const char *k = units; k <= unit; k++)
                        if (__builtin_mul_overflow(v, 1000, &v))
                                return -ERANGE;
                u++;
                if ((*u | 0x20) == 'i')
                        u++;
        }
        if ((*u | 0x20) == 'b')
                u++;
        if (*u)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* --log-opt KEY=VALUE: only max-size means something to the k8s-file log we write. */
static int log_opt(struct cmd_run_opts *o, const char *value, struct rctr_error *err)
{
        if (strncmp(value, "max-size=", 9) == 0) {
                if (parse_decimal_size(value + 9, &o->log_size_max) < 0)
                        return rctr_error_set(err, EINVAL,
                                              "invalid --log-opt %s: expected a size such as "
                                              "10mb",
                                              value);
                return 0;
        }
        if (strncmp(value, "path=", 5) == 0)
                return rctr_error_set(err, ENOTSUP,
                                      "--log-opt path is not supported: the log stays in the "
                                      "container's directory (rctr inspect shows its LogPath)");
        return rctr_error_set(err, EINVAL,
                              "invalid --log-opt %s: unknown option (supported: max-size=SIZE)",
                              value);
}

static int run_option(struct cmd_run_opts *o, int c, const char *value, struct rctr_error *err)
{
        struct engine_run_flags *f = &o->f;
        uint64_t n;

        switch (c) {
        case OPT_ANNOTATION:
                strv_push(&f->annotations, value);
                return 0;
        case OPT_CAP_ADD:
                strv_push(&f->cap_add, value);
                return 0;
        case OPT_CAP_DROP:
                strv_push(&f->cap_drop, value);
                return 0;
        case OPT_CIDFILE:
                o->cidfile = value;
                return 0;
        case 'd':
                o->detach = true;
                return 0;
        case OPT_DETACH_KEYS:
                o->detach_keys = value;
                return 0;
        case OPT_DEVICE:
                strv_push(&f->devices, value);
                return 0;
        case OPT_ENTRYPOINT:
                f->entrypoint = value;
                return 0;
        case 'e':
                strv_push(&f->env, value);
                return 0;
        case OPT_ENV_FILE:
                strv_push(&o->env_files, value);
                return 0;
        case OPT_ENV_HOST:
                f->env_host = true;
                return 0;
        case OPT_GROUP_ADD:
                strv_push(&f->group_add, value);
                return 0;
        case OPT_HOSTNAME:
                f->hostname = value;
                return 0;
        case OPT_INIT:
                f->init = true;
                return 0;
        case 'i':
                f->interactive = true;
                return 0;
        case OPT_IPC:
                return ns_mode("ipc", value, &f->ipc_mode, err);
        case 'l':
                strv_push(&f->labels, value);
                return 0;
        case OPT_LOG_DRIVER:
                if (!streq(value, "k8s-file") && !streq(value, "none") &&
                    !streq(value, "passthrough") && !streq(value, "journald"))
                        return rctr_error_set(err, EINVAL,
                                              "invalid --log-driver %s (k8s-file, none or "
                                              "passthrough)",
                                              value);
                if (streq(value, "journald"))
                        return rctr_error_set(err, ENOTSUP,
                                              "--log-driver journald: there is no journal here; "
                                              "use k8s-file");
                o->log_driver = value;
                return 0;
        case OPT_LOG_OPT:
                return log_opt(o, value, err);
        case OPT_MOUNT:
                strv_push(&f->mounts, value);
                return 0;
        case OPT_NAME:
                o->name = value;
                return 0;
        case OPT_NETWORK:
                if (!streq(value, "none") && !streq(value, "host") && !streq(value, "private"))
                        return rctr_error_set(err, ENOTSUP,
                                              "--network %s is not supported yet: use none (a "
                                              "network namespace with only lo) or host",
                                              value);
                o->network = value;
                f->network_mode = streq(value, "host") ? "host" : "private";
                return 0;
        case OPT_PID:
                return ns_mode("pid", value, &f->pid_mode, err);
        case OPT_PLATFORM:
                o->platform = value;
                return 0;
        case OPT_PRIVILEGED:
                f->privileged = true;
                return 0;
        case OPT_PULL:
                if (!streq(value, "always") && !streq(value, "missing") && !streq(value, "never") &&
                    !streq(value, "newer"))
                        return rctr_error_set(err, EINVAL,
                                              "invalid --pull %s (always, missing, never or "
                                              "newer)",
                                              value);
                o->pull = value;
                return 0;
        case 'q':
                o->quiet = true;
                return 0;
        case OPT_READ_ONLY:
                f->read_only = true;
                return 0;
        case OPT_READ_ONLY_TMPFS:
                o->read_only_tmpfs_given = true;
                return parse_bool("read-only-tmpfs", value, &f->read_only_tmpfs, err);
        case OPT_RESTART:
                if (!streq(value, "no"))
                        return rctr_error_set(err, ENOTSUP,
                                              "--restart %s is not supported yet (only no)", value);
                o->restart = value;
                return 0;
        case OPT_RM:
                o->rm = true;
                return 0;
        case OPT_SECURITY_OPT:
                return security_opt(o, value, err);
        case OPT_SHM_SIZE:
                f->shm_size = value;
                return 0;
        case OPT_SIG_PROXY:
                return parse_bool("sig-proxy", value, &o->sig_proxy, err);
        case OPT_STOP_SIGNAL:
                f->stop_signal = value;
                return 0;
        case OPT_STOP_TIMEOUT:
                if (parse_u64_max(value, INT32_MAX, &n) < 0)
                        return rctr_error_set(err, EINVAL, "invalid --stop-timeout %s", value);
                o->stop_timeout = (int)n;
                return 0;
        case OPT_SYSCTL:
                strv_push(&f->sysctls, value);
                return 0;
        case OPT_TLS_VERIFY:
                if (!streq(value, "true") && !streq(value, "false"))
                        return rctr_error_set(err, EINVAL,
                                              "invalid --tls-verify %s (true or false)", value);
                o->tls_verify = value;
                return 0;
        case OPT_TMPFS:
                strv_push(&f->tmpfs, value);
                return 0;
        case 't':
                f->tty = true;
                return 0;
        case OPT_ULIMIT:
                strv_push(&f->ulimits, value);
                return 0;
        case 'u':
                f->user = value;
                return 0;
        case OPT_USERNS:
                f->userns_mode = value;
                return 0;
        case OPT_UTS:
                return ns_mode("uts", value, &f->uts_mode, err);
        case 'v':
                strv_push(&f->volumes, value);
                return 0;
        case 'w':
                f->workdir = value;
                return 0;
        case 'p':
                return not_yet("-p/--publish", err);
        case OPT_LATER_PUBLISH_ALL:
                return not_yet("--publish-all", err);
        case 'm':
                return not_yet("--memory", err);
        case OPT_LATER_CPUS:
                return not_yet("--cpus", err);
        case OPT_LATER_PIDS:
                return not_yet("--pids-limit", err);
        case OPT_LATER_MEMORY_SWAP:
                return not_yet("--memory-swap", err);
        case OPT_LATER_CPU_SHARES:
                return not_yet("--cpu-shares", err);
        case OPT_LATER_DNS:
                return not_yet("--dns", err);
        case OPT_LATER_ADD_HOST:
                return not_yet("--add-host", err);
        default:
                return 0;
        }
}

int cmd_run_opts_parse(struct cmd_global *g, int argc, char **argv, bool create,
                       struct cmd_run_opts *o, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = create ? "create" : "run",
                .usage = create ? "rctr create [options] IMAGE [COMMAND [ARG...]]"
                                : "rctr run [options] IMAGE [COMMAND [ARG...]]",
                .summary = create ? "Create a container from IMAGE (pulled when missing) without "
                                    "starting it, and print its id."
                                  : "Run COMMAND in a new container from IMAGE (pulled when "
                                    "missing). In the foreground rctr returns the command's "
                                    "exit status; with -d it prints the container id.",
                .opts = run_opts,
                .stop_at_operand = true,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        const char *value;
        int c, r;

        *o = (struct cmd_run_opts){
                .sig_proxy = true, .stop_timeout = -1, .argc = argc, .argv = argv};
        o->f.read_only_tmpfs = true;
        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 1;
                r = run_option(o, c, value, err);
                if (r < 0)
                        return r;
        }
        if (c < 0)
                return c;
        if (p.optind >= argc)
                return rctr_error_set(err, EINVAL, "no image given (usage: %s)", p.usage);
        o->image = argv[p.optind];
        o->f.command = argv + p.optind + 1;
        if (!o->f.command[0])
                o->f.command = NULL;
        if (create && o->detach)
                return 0;
        if (o->rm && o->restart && !streq(o->restart, "no"))
                return rctr_error_set(err, EINVAL, "--rm and --restart cannot be combined");
        return 0;
}
