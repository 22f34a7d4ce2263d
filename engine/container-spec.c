/*
 * config.json for `rctr run`: the image's config merged with the user's flags the way podman
 * does it (pkg/specgen/generate in podman). Mounts, capabilities and the kernel-facing parts
 * live in container-mounts.c, container-caps.c and container-linux.c; users in
 * container-user.c.
 */
#include <config.h>
#include "container-spec.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container-spec-private.h"
#include "engine/seccomp-default.h"
#include "lib/error.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/xalloc.h"

extern char **environ;

#define OCI_VERSION  "1.1.0"
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* The kernel's limit for a UTS name (HOST_NAME_MAX). */
#define HOSTNAME_MAX 64

bool engine_container_strv_contains(char *const *list, const char *s)
{
        for (; list && *list; list++)
                if (streq(*list, s))
                        return true;
        return false;
}

static json_t *strv_to_json(char *const *v)
{
        json_t *a = json_array();

        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

/*
 * --entrypoint: a JSON array of strings is taken as the argv (podman and docker's exec form),
 * anything else as one word. "" gives [""], which clears the image's entrypoint.
 */
static json_t *entrypoint_parse(const char *text)
{
        json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
        size_t i;
        json_t *v;

        if (j && json_is_array(j)) {
                bool strings = true;

                json_array_foreach(j, i, v)
                        strings = strings && json_is_string(v);
                if (strings)
                        return j;
        }
        json_decref(j);
        return json_pack("[s]", text);
}

/* A string array of the image config ("Entrypoint", "Cmd"), borrowed; NULL when absent. */
static int image_strv(json_t *image, const char *key, json_t **ret, struct rctr_error *err)
{
        json_t *a = NULL;
        size_t i;
        json_t *v;
        int r = jsonutil_get_array(image, key, false, &a, err);

        if (r < 0)
                return rctr_error_prefix(err, "image config");
        json_array_foreach(a, i, v)
                if (!json_is_string(v))
                        return rctr_error_set(err, EBADMSG,
                                              "image config: %s[%zu]: expected a string", key, i);
        *ret = a;
        return 0;
}

/*
 * args = entrypoint + (command, or the image's Cmd when none is given). An --entrypoint drops the
 * image's Cmd even when no command is given, and an entrypoint of [""] adds nothing (podman's
 * makeCommand).
 */
static int build_args(json_t *image, const struct engine_run_flags *f, json_t **ret,
                      struct rctr_error *err)
{
        json_auto_t *user_ep = f->entrypoint ? entrypoint_parse(f->entrypoint) : NULL;
        json_t *image_ep = NULL, *cmd = NULL, *ep, *args = json_array();
        int r;

        r = image_strv(image, "Entrypoint", &image_ep, err);
        if (r >= 0)
                r = image_strv(image, "Cmd", &cmd, err);
        if (r < 0) {
                json_decref(args);
                return r;
        }
        ep = user_ep ? user_ep : image_ep;
        if (!(json_array_size(ep) == 1 && streq(json_string_value(json_array_get(ep, 0)), "")))
                json_array_extend(args, ep);
        if (f->command && f->command[0]) {
                json_auto_t *command = strv_to_json(f->command);

                json_array_extend(args, command);
        } else if (!user_ep && cmd)
                json_array_extend(args, cmd);
        if (json_array_size(args) == 0) {
                json_decref(args);
                return rctr_error_set(err, EINVAL,
                                      "no command or entrypoint provided, and no CMD or "
                                      "ENTRYPOINT from image");
        }
        if (f->init) {
                /* Our init reaps zombies and forwards signals; "--" ends its own options. */
                json_array_insert_new(args, 0, json_string("--"));
                json_array_insert_new(args, 0, json_string(ENGINE_CONTAINER_INIT_PATH));
        }
        *ret = args;
        return 0;
}

/* The environment being built: names in first-set order, later values winning. */
static int env_set(json_t *env, const char *flag, const char *entry, struct rctr_error *err)
{
        const char *eq = strchr(entry, '=');
        cleanup_free char *name = xstrndup(entry, eq ? (size_t)(eq - entry) : strlen(entry));
        const char *value = eq ? eq + 1 : NULL;

        if (!flag && (!name[0] || strpbrk(name, " \t\n")))
                return 0; /* the image's own mistake: dropped rather than failing every run */
        if (!name[0])
                return rctr_error_set(err, EINVAL, "invalid %s %s: empty variable name", flag,
                                      entry);
        if (strpbrk(name, " \t\n"))
                return rctr_error_set(err, EINVAL, "invalid %s %s: whitespace in a variable name",
                                      flag, entry);
        /* KEY alone takes the host's value, and nothing when the host has none (docker). */
        if (!value && flag) {
                value = getenv(name);
                if (!value)
                        return 0;
        }
        if (!value)
                return 0; /* an image Env entry without "=": meaningless, dropped */
        json_object_set_new(env, name, json_string(value));
        return 0;
}

static int env_add_lines(json_t *env, char *const *lines, struct rctr_error *err)
{
        int r = 0;

        for (; r >= 0 && lines && *lines; lines++) {
                const char *l = *lines + strspn(*lines, " \t");
                cleanup_free char *line = xstrdup(l);
                size_t n = strlen(line);

                while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
                        line[--n] = '\0';
                if (n == 0 || line[0] == '#')
                        continue;
                r = env_set(env, "--env-file", line, err);
        }
        return r;
}

static void env_default(json_t *env, const char *name, const char *value)
{
        if (!json_object_get(env, name))
                json_object_set_new(env, name, json_string(value));
}

/*
 * env: PATH, the host's (--env-host), the image's, --env-file, -e, later wins; then TERM (with a
 * tty), container=rctr (podman sets container=podman; systemd and others look at it), HOSTNAME and
 * HOME unless set.
 */
static int build_env(json_t *image, const struct engine_run_flags *f, const char *hostname,
                     const char *home, json_t **ret, struct rctr_error *err)
{
        json_auto_t *env = json_object();
        cleanup_strv char **image_env = NULL;
        const char *key;
        json_t *v, *out;
        int r;

        r = jsonutil_get_strv(image, "Env", false, &image_env, err);
        if (r < 0)
                return rctr_error_prefix(err, "image config");
        env_set(env, NULL, DEFAULT_PATH, err);
        for (char **e = f->env_host ? environ : NULL; e && *e; e++)
                if ((*e)[0] != '=')
                        env_set(env, NULL, *e, err);
        for (char **e = image_env; e && *e; e++)
                if ((*e)[0] != '=')
                        env_set(env, NULL, *e, err);
        r = env_add_lines(env, f->env_files_lines, err);
        for (char **e = f->env; r >= 0 && e && *e; e++)
                r = env_set(env, "--env", *e, err);
        if (r < 0)
                return r;
        if (f->tty)
                env_default(env, "TERM", "xterm");
        env_default(env, "container", "rctr");
        env_default(env, "HOSTNAME", hostname);
        env_default(env, "HOME", home ? home : "/");
        out = json_array();
        json_object_foreach(env, key, v) {
                cleanup_free char *entry = xasprintf("%s=%s", key, json_string_value(v));

                json_array_append_new(out, json_string(entry));
        }
        *ret = out;
        return 0;
}

static int build_cwd(json_t *image, const struct engine_run_flags *f, char **ret,
                     struct rctr_error *err)
{
        const char *wd = NULL;
        int r;

        if (f->workdir && f->workdir[0]) {
                if (f->workdir[0] != '/')
                        return rctr_error_set(err, EINVAL,
                                              "invalid --workdir %s: not an absolute path",
                                              f->workdir);
                *ret = xstrdup(f->workdir);
                return 0;
        }
        r = jsonutil_get_string(image, "WorkingDir", false, &wd, err);
        if (r < 0)
                return rctr_error_prefix(err, "image config");
        /* Docker has always taken a relative WorkingDir from "/". */
        if (!wd || !wd[0])
                *ret = xstrdup("/");
        else
                *ret = wd[0] == '/' ? xstrdup(wd) : xasprintf("/%s", wd);
        return 0;
}

static const char *const signal_names[] = {
        [SIGHUP] = "HUP",   [SIGINT] = "INT",       [SIGQUIT] = "QUIT", [SIGILL] = "ILL",
        [SIGTRAP] = "TRAP", [SIGABRT] = "ABRT",     [SIGBUS] = "BUS",   [SIGFPE] = "FPE",
        [SIGKILL] = "KILL", [SIGUSR1] = "USR1",     [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2",
        [SIGPIPE] = "PIPE", [SIGALRM] = "ALRM",     [SIGTERM] = "TERM", [SIGSTKFLT] = "STKFLT",
        [SIGCHLD] = "CHLD", [SIGCONT] = "CONT",     [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP",
        [SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU",     [SIGURG] = "URG",   [SIGXCPU] = "XCPU",
        [SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH",
        [SIGIO] = "IO",     [SIGPWR] = "PWR",       [SIGSYS] = "SYS",
};

/* "TERM", "SIGTERM", "sigterm", "15", "RTMIN+3" → "SIGTERM", "SIGRTMIN+3"; NULL if invalid. */
static char *signal_canonical(const char *s)
{
        const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
        uint64_t n;

        if (parse_u64_max(s, 64, &n) == 0 && n > 0) {
                if (n < ARRAY_SIZE(signal_names) && signal_names[n])
                        return xasprintf("SIG%s", signal_names[n]);
                return xasprintf("%d", (int)n);
        }
        for (size_t i = 1; i < ARRAY_SIZE(signal_names); i++)
                if (signal_names[i] && strcasecmp(name, signal_names[i]) == 0)
                        return xasprintf("SIG%s", signal_names[i]);
        if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
                bool min = strncasecmp(name, "RTMIN", 5) == 0;
                const char *off = name + 5;

                n = 0;
                if (*off && ((min && *off != '+') || (!min && *off != '-')))
                        return NULL;
                if (*off && parse_u64_max(off + 1, (uint64_t)(SIGRTMAX - SIGRTMIN), &n) < 0)
                        return NULL;
                return *off ? xasprintf("SIGRT%s%c%d", min ? "MIN" : "MAX", *off, (int)n)
                            : xasprintf("SIGRT%s", min ? "MIN" : "MAX");
        }
        return NULL;
}

static int stop_signal(json_t *image, const struct engine_run_flags *f, json_t *annotations,
                       struct rctr_error *err)
{
        const char *sig = f->stop_signal, *what = "--stop-signal";
        cleanup_free char *canon = NULL;
        int r;

        if (!sig) {
                r = jsonutil_get_string(image, "StopSignal", false, &sig, err);
                if (r < 0)
                        return rctr_error_prefix(err, "image config");
                what = "image StopSignal";
        }
        canon = signal_canonical(sig && sig[0] ? sig : "SIGTERM");
        if (!canon)
                return rctr_error_set(err, EINVAL, "invalid %s %s: unknown signal", what, sig);
        json_object_set_new(annotations, ENGINE_ANNOTATION_STOP, json_string(canon));
        return 0;
}

/* Image Labels, --label, --annotation, in that order of precedence (lowest first). */
static int build_annotations(json_t *image, const struct engine_run_flags *f, json_t **ret,
                             struct rctr_error *err)
{
        json_auto_t *a = json_object();
        json_t *labels = NULL, *v;
        const char *key;
        int r;

        r = jsonutil_get_object(image, "Labels", false, &labels, err);
        if (r < 0)
                return rctr_error_prefix(err, "image config");
        json_object_foreach(labels, key, v)
                if (json_is_string(v))
                        json_object_set(a, key, v);
        for (char **l = f->labels; l && *l; l++) {
                const char *eq = strchr(*l, '=');
                cleanup_free char *k = xstrndup(*l, eq ? (size_t)(eq - *l) : strlen(*l));

                if (!k[0])
                        return rctr_error_set(err, EINVAL, "invalid --label %s: empty name", *l);
                json_object_set_new(a, k, json_string(eq ? eq + 1 : ""));
        }
        for (char **l = f->annotations; l && *l; l++) {
                const char *eq = strchr(*l, '=');
                cleanup_free char *k = eq ? xstrndup(*l, (size_t)(eq - *l)) : NULL;

                if (!k || !k[0])
                        return rctr_error_set(err, EINVAL,
                                              "invalid --annotation %s: expected KEY=VALUE", *l);
                json_object_set_new(a, k, json_string(eq + 1));
        }
        /* Ours last: tools (podman's among them) tell who manages a container by it. */
        json_object_set_new(a, "io.container.manager", json_string("rctr"));
        r = stop_signal(image, f, a, err);
        if (r < 0)
                return r;
        *ret = json_incref(a);
        return 0;
}

/* NULL, "private" or "host" (plus extra, a synonym of private for that flag). */
static int mode_check(const char *flag, const char *mode, const char *extra, bool *ret_host,
                      struct rctr_error *err)
{
        *ret_host = mode && streq(mode, "host");
        if (!mode || *ret_host || streq(mode, "private") || (extra && streq(mode, extra)))
                return 0;
        return rctr_error_set(err, EINVAL, "invalid %s %s: only host and private are supported",
                              flag, mode);
}

static json_t *id_map(uint32_t container_id, uint32_t host_id, uint32_t size)
{
        return json_pack("{s:I, s:I, s:I}", "containerID", (json_int_t)container_id, "hostID",
                         (json_int_t)host_id, "size", (json_int_t)size);
}

/*
 * Mappings from the container's ids to ids of rctr's user namespace (0 = the user, 1..n-1 = the
 * subordinate ids), as podman's --userns=keep-id: the user keeps its own id, the ids below it
 * are the first subordinate ids and the ids above it map to themselves.
 */
static json_t *keep_id_map(uint32_t id, uint32_t n)
{
        json_t *m = json_array();
        uint32_t sub = n > 0 ? n - 1 : 0, lower = id < sub ? id : sub;

        if (lower > 0)
                json_array_append_new(m, id_map(0, 1, lower));
        json_array_append_new(m, id_map(id, 0, 1));
        if (sub > id)
                json_array_append_new(m, id_map(id + 1, id + 1, sub - id));
        return m;
}

/*
 * The user namespace. rctr already runs in the user's namespace, where the container's root is
 * the user, so by default (and for "host") the container stays in it and needs none of its own.
 * keep-id and nomap need one more, nested in ours, mapping within the ids ours has.
 */
static int userns_add(const struct engine_run_flags *f, bool rootless, uid_t host_uid,
                      gid_t host_gid, json_t *linux_, json_t *namespaces, struct rctr_error *err)
{
        const char *mode = f->userns_mode;
        bool keep_id = mode && streq(mode, "keep-id"), nomap = mode && streq(mode, "nomap");

        if (!mode || streq(mode, "host") || streq(mode, ""))
                return 0;
        if (!keep_id && !nomap)
                return rctr_error_set(err, EINVAL,
                                      "invalid --userns %s: only host, keep-id and nomap are "
                                      "supported",
                                      mode);
        if (!rootless)
                return rctr_error_set(err, EINVAL,
                                      "invalid --userns %s: only supported when running rootless",
                                      mode);
        json_array_append_new(namespaces, json_pack("{s:s}", "type", "user"));
        if (keep_id) {
                json_object_set_new(linux_, "uidMappings", keep_id_map(host_uid, f->userns_uids));
                json_object_set_new(linux_, "gidMappings", keep_id_map(host_gid, f->userns_gids));
                return 0;
        }
        /* nomap: the subordinate ids only; the user's own id is not in the container. */
        if (f->userns_uids < 2 || f->userns_gids < 2)
                return rctr_error_set(err, EINVAL,
                                      "invalid --userns nomap: no subordinate ids (see "
                                      "/etc/subuid and /etc/subgid)");
        json_object_set_new(linux_, "uidMappings",
                            json_pack("[o]", id_map(0, 1, f->userns_uids - 1)));
        json_object_set_new(linux_, "gidMappings",
                            json_pack("[o]", id_map(0, 1, f->userns_gids - 1)));
        return 0;
}

static int namespaces_add(const struct engine_run_flags *f, bool rootless, uid_t host_uid,
                          gid_t host_gid, json_t *linux_, struct rctr_error *err)
{
        json_t *ns = json_array();
        bool pid_host, ipc_host, uts_host;
        const char *net = f->network_mode;
        int r;

        json_object_set_new(linux_, "namespaces", ns);
        r = mode_check("--pid", f->pid_mode, NULL, &pid_host, err);
        if (r >= 0)
                r = mode_check("--ipc", f->ipc_mode, "shareable", &ipc_host, err);
        if (r >= 0)
                r = mode_check("--uts", f->uts_mode, NULL, &uts_host, err);
        if (r >= 0 && net && (strncmp(net, "container:", 10) == 0 || strncmp(net, "ns:", 3) == 0))
                r = rctr_error_set(err, EINVAL,
                                   "invalid --network %s: joining another namespace is not "
                                   "supported",
                                   net);
        if (r < 0)
                return r;
        if (!pid_host)
                json_array_append_new(ns, json_pack("{s:s}", "type", "pid"));
        /* Any network but the host's is a new namespace; the caller connects it (lo, slirp). */
        if (!(net && streq(net, "host")))
                json_array_append_new(ns, json_pack("{s:s}", "type", "network"));
        if (!ipc_host)
                json_array_append_new(ns, json_pack("{s:s}", "type", "ipc"));
        if (!uts_host)
                json_array_append_new(ns, json_pack("{s:s}", "type", "uts"));
        json_array_append_new(ns, json_pack("{s:s}", "type", "mount"));
        json_array_append_new(ns, json_pack("{s:s}", "type", "cgroup"));
        return userns_add(f, rootless, host_uid, host_gid, linux_, ns, err);
}

/* The container's hostname: --hostname, else the id's first 12 characters (podman, docker). */
static int build_hostname(const struct engine_run_flags *f, const char *id, char **ret,
                          struct rctr_error *err)
{
        char host[HOSTNAME_MAX + 1] = "";

        if (f->uts_mode && streq(f->uts_mode, "host")) {
                if (f->hostname)
                        return rctr_error_set(err, EINVAL,
                                              "invalid --hostname %s: cannot set the hostname "
                                              "in the host's UTS namespace",
                                              f->hostname);
                (void)gethostname(host, sizeof(host) - 1); /* empty if it fails: no HOSTNAME */
                *ret = xstrdup(host);
                return 0;
        }
        if (f->hostname) {
                if (!f->hostname[0] || strlen(f->hostname) > HOSTNAME_MAX ||
                    strpbrk(f->hostname, "/ \t\n"))
                        return rctr_error_set(err, EINVAL,
                                              "invalid --hostname %s: not a host name of 1 to %d "
                                              "characters",
                                              f->hostname, HOSTNAME_MAX);
                *ret = xstrdup(f->hostname);
                return 0;
        }
        *ret = xstrndup(id, 12);
        return 0;
}

/* Every string we were given must be UTF-8: jansson refuses anything else, silently. */
static int check_utf8_list(const char *flag, char *const *list, struct rctr_error *err)
{
        for (; list && *list; list++) {
                json_t *s = json_string(*list);

                if (!s)
                        return rctr_error_set(err, EINVAL, "invalid %s: not UTF-8 text", flag);
                json_decref(s);
        }
        return 0;
}

static int check_utf8(const struct engine_run_flags *f, const char *rootfs_path,
                      const char *container_id, struct rctr_error *err)
{
        const char *strings[] = {f->entrypoint,  f->workdir,  f->user,         f->hostname,
                                 f->init_path,   f->shm_size, f->network_mode, f->userns_mode,
                                 f->stop_signal, rootfs_path, container_id,    NULL};
        char **lists[] = {f->command,  f->env,     f->env_files_lines, f->group_add,  f->cap_add,
                          f->cap_drop, f->volumes, f->mounts,          f->tmpfs,      f->sysctls,
                          f->devices,  f->ulimits, f->labels,          f->annotations};
        int r = 0;

        for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
                const char *one[] = {strings[i], NULL};

                if (strings[i])
                        r = check_utf8_list("flag", (char **)one, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(lists); i++)
                r = check_utf8_list("flag", lists[i], err);
        return r;
}

struct build {
        json_t *image; /* borrowed; may be NULL */
        const struct engine_run_flags *f;
        int rootfsfd;
        bool rootless;
        uid_t host_uid;
        gid_t host_gid;
        char *hostname; /* owned */
};

/* -u, else the image's User, else for keep-id the user's own ids, else root. */
static int user_spec(const struct build *b, char **ret, struct rctr_error *err)
{
        const char *user = b->f->user;
        int r;

        if (!user || !user[0]) {
                r = jsonutil_get_string(b->image, "User", false, &user, err);
                if (r < 0)
                        return rctr_error_prefix(err, "image config");
        }
        if ((!user || !user[0]) && b->f->userns_mode && streq(b->f->userns_mode, "keep-id")) {
                *ret = xasprintf("%u:%u", (unsigned)b->host_uid, (unsigned)b->host_gid);
                return 0;
        }
        *ret = xstrdup(user ? user : "");
        return 0;
}

static json_t *user_json(const struct engine_container_user *u)
{
        json_t *gids = json_array();

        for (size_t i = 0; i < u->n_gids; i++)
                json_array_append_new(gids, json_integer(u->gids[i]));
        /* umask 0022: podman's default, and what a login shell would have. */
        return json_pack("{s:I, s:I, s:i, s:o}", "uid", (json_int_t)u->uid, "gid",
                         (json_int_t)u->gid, "umask", 022, "additionalGids", gids);
}

static int build_process(const struct build *b, json_t **ret, struct rctr_error *err)
{
        CLEANUP(engine_container_user_clear) struct engine_container_user u = {0};
        cleanup_free char *user = NULL, *cwd = NULL;
        json_t *args = NULL, *env = NULL, *process;
        int r;

        r = user_spec(b, &user, err);
        if (r >= 0)
                r = engine_container_user_resolve(b->rootfsfd, user, b->f->group_add, &u, err);
        if (r >= 0)
                r = build_args(b->image, b->f, &args, err);
        if (r >= 0)
                r = build_env(b->image, b->f, b->hostname, u.home, &env, err);
        if (r >= 0)
                r = build_cwd(b->image, b->f, &cwd, err);
        if (r < 0) {
                json_decref(args);
                json_decref(env);
                return r;
        }
        process = json_pack("{s:b, s:o, s:o, s:o, s:s, s:b}", "terminal", b->f->tty, "user",
                            user_json(&u), "args", args, "env", env, "cwd", cwd, "noNewPrivileges",
                            b->f->no_new_privileges);
        r = engine_container_caps(b->f, u.uid == 0, process, err);
        if (r >= 0)
                r = engine_container_rlimits(b->f, b->rootless, process, err);
        if (r < 0) {
                json_decref(process);
                return r;
        }
        *ret = process;
        return 0;
}

static int build_linux(const struct build *b, json_t **ret, struct rctr_error *err)
{
        json_t *linux_ = json_object();
        int r;

        r = namespaces_add(b->f, b->rootless, b->host_uid, b->host_gid, linux_, err);
        if (r >= 0)
                r = engine_container_linux(b->f, b->rootless, linux_, err);
        if (r < 0) {
                json_decref(linux_);
                return r;
        }
        *ret = linux_;
        return 0;
}

int engine_container_spec(json_t *image_config, const struct engine_run_flags *f, int rootfsfd,
                          const char *container_id, const char *rootfs_path, uid_t host_uid,
                          gid_t host_gid, json_t **ret, struct rctr_error *err)
{
        struct build b = {
                .image = json_is_object(image_config) ? image_config : NULL,
                .f = f,
                .rootfsfd = rootfsfd,
                .rootless = host_uid != 0,
                .host_uid = host_uid,
                .host_gid = host_gid,
        };
        cleanup_free char *hostname = NULL;
        json_t *process = NULL, *linux_ = NULL, *annotations = NULL;
        json_auto_t *spec = NULL;
        int r;

        r = check_utf8(f, rootfs_path, container_id, err);
        if (r >= 0)
                r = build_hostname(f, container_id, &hostname, err);
        b.hostname = hostname;
        if (r >= 0)
                r = build_process(&b, &process, err);
        if (r >= 0)
                r = build_linux(&b, &linux_, err);
        if (r >= 0)
                r = build_annotations(b.image, f, &annotations, err);
        if (r < 0) {
                json_decref(process);
                json_decref(linux_);
                return r;
        }
        spec = json_pack("{s:s, s:o, s:{s:s, s:b}, s:o, s:o}", "ociVersion", OCI_VERSION, "process",
                         process, "root", "path", rootfs_path, "readonly", f->read_only, "linux",
                         linux_, "annotations", annotations);
        if (!spec) /* json_pack dropped process, linux_ and annotations */
                return rctr_error_set(err, EINVAL, "no rootfs path");
        /* A hostname needs a UTS namespace of the container's own (runtime-spec). */
        if (!(f->uts_mode && streq(f->uts_mode, "host")))
                json_object_set_new(spec, "hostname", json_string(hostname));
        r = engine_container_mounts(f, b.rootless, spec, err);
        if (r < 0)
                return r;
        /* no --security-opt seccomp=: rctr's default profile, fitted to the capabilities */
        if (!f->privileged && !f->seccomp_profile)
                json_object_set_new(linux_, "seccomp",
                                    engine_seccomp_default_profile(json_object_get(
                                            json_object_get(process, "capabilities"), "bounding")));
        *ret = TAKE_PTR(spec);
        return 0;
}
