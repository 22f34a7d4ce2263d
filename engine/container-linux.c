/*
 * The parts of a container's config.json that restrict or tune its kernel view: rlimits
 * (--ulimit), linux.sysctl, linux.devices, linux.seccomp and the masked and read-only paths.
 */
#include <config.h>
#include "container-spec-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "container-spec.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/xalloc.h"

/* podman's DefaultMaskedPaths and DefaultReadOnlyPaths (containers/common pkg/config). */
static const char *const masked_paths[] = {
        "/proc/acpi",        "/proc/kcore",
        "/proc/keys",        "/proc/latency_stats",
        "/proc/sched_debug", "/proc/scsi",
        "/proc/timer_list",  "/proc/timer_stats",
        "/sys/dev/block",    "/sys/devices/virtual/powercap",
        "/sys/firmware",     "/sys/fs/selinux",
};
static const char *const readonly_paths[] = {
        "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* podman's RLimitDefaultValue: the nofile and nproc a container gets unless --ulimit says. */
#define RLIMIT_DEFAULT 1048576
/* A seccomp profile is a few hundred KiB at most. */
#define SECCOMP_PROFILE_MAX (4u * 1024 * 1024)

static const char *const rlimit_names[] = {
        "as",   "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue",
        "nice", "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",
};

static json_t *strv_json(const char *const *list, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_string(list[i]));
        return a;
}

/* "1024", "unlimited" or "-1" (RLIM_INFINITY). */
static int rlimit_value(const char *s, uint64_t *ret)
{
        if (streq(s, "unlimited") || streq(s, "-1")) {
                *ret = UINT64_MAX;
                return 0;
        }
        return parse_u64(s, ret);
}

static void rlimit_set(json_t *rlimits, const char *type, uint64_t soft, uint64_t hard)
{
        json_t *rl = json_pack("{s:s, s:I, s:I}", "type", type, "soft", (json_int_t)soft, "hard",
                               (json_int_t)hard);
        size_t i;
        json_t *old;

        /* A later --ulimit of the same name replaces an earlier one (and our default). */
        json_array_foreach(rlimits, i, old) {
                if (streq(json_string_value(json_object_get(old, "type")), type)) {
                        json_array_set_new(rlimits, i, rl);
                        return;
                }
        }
        json_array_append_new(rlimits, rl);
}

/* --ulimit NAME=SOFT[:HARD] */
static int ulimit_parse(const char *spec, json_t *rlimits, struct rctr_error *err)
{
        cleanup_free char *copy = xstrdup(spec), *type = NULL;
        char *value = strchr(copy, '='), *hard_s;
        uint64_t soft, hard;
        size_t i;

        if (!value)
                return rctr_error_set(err, EINVAL, "invalid --ulimit %s: expected NAME=SOFT[:HARD]",
                                      spec);
        *value++ = '\0';
        for (i = 0; i < ARRAY_SIZE(rlimit_names); i++)
                if (streq(copy, rlimit_names[i]))
                        break;
        if (i == ARRAY_SIZE(rlimit_names))
                return rctr_error_set(err, EINVAL, "invalid --ulimit %s: unknown limit %s", spec,
                                      copy);
        hard_s = strchr(value, ':');
        if (hard_s)
                *hard_s++ = '\0';
        if (rlimit_value(value, &soft) < 0 || (hard_s && rlimit_value(hard_s, &hard) < 0))
                return rctr_error_set(err, EINVAL, "invalid --ulimit %s: not a number", spec);
        if (!hard_s)
                hard = soft;
        /* JSON numbers are signed 64-bit: RLIM_INFINITY does not fit, and means no limit. */
        if (soft > INT64_MAX)
                soft = (uint64_t)INT64_MAX;
        if (hard > INT64_MAX)
                hard = (uint64_t)INT64_MAX;
        if (soft > hard)
                return rctr_error_set(err, EINVAL,
                                      "invalid --ulimit %s: soft limit above the hard limit", spec);
        type = xasprintf("RLIMIT_%s", copy);
        for (char *c = type; *c; c++)
                *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
        rlimit_set(rlimits, type, soft, hard);
        return 0;
}

/*
 * podman's default nofile and nproc: 1048576, or where the hard limit cannot be raised
 * (rootless, or root without CAP_SYS_RESOURCE) our own hard limit if lower, soft raised to it as
 * podman raises its own at start.
 */
static void rlimit_default(json_t *rlimits, const char *type, int resource, bool rootless)
{
        uint64_t v = RLIMIT_DEFAULT;
        struct rlimit rl;

        if (getrlimit(resource, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < v) {
                struct rlimit raised = {.rlim_cur = rl.rlim_cur, .rlim_max = v};

                /* root raises ours first (as podman does): if it may, so may the container */
                if (rootless || setrlimit(resource, &raised) < 0)
                        v = rl.rlim_max;
        }
        rlimit_set(rlimits, type, v, v);
}

int engine_container_rlimits(const struct engine_run_flags *f, bool rootless, json_t *process,
                             struct rctr_error *err)
{
        json_t *rlimits = json_array();
        int r = 0;

        rlimit_default(rlimits, "RLIMIT_NOFILE", RLIMIT_NOFILE, rootless);
        rlimit_default(rlimits, "RLIMIT_NPROC", RLIMIT_NPROC, rootless);
        for (char **u = f->ulimits; r >= 0 && u && *u; u++)
                r = ulimit_parse(*u, rlimits, err);
        if (r < 0) {
                json_decref(rlimits);
                return r;
        }
        json_object_set_new(process, "rlimits", rlimits);
        return 0;
}

/* IPC-namespaced sysctls that are not under fs.mqueue. (podman's ValidateSysctls). */
static const char *const ipc_sysctls[] = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

static bool is_host(const char *mode)
{
        return mode && streq(mode, "host");
}

/*
 * Only parameters of a namespace the container has of its own: anything else would change the
 * host (or fail), and the runtime refuses it too (engine/sysctl.c).
 */
static int sysctl_check(const struct engine_run_flags *f, const char *spec, const char *key,
                        struct rctr_error *err)
{
        bool ipc = strncmp(key, "fs.mqueue.", 10) == 0, net = strncmp(key, "net.", 4) == 0;
        bool uts = streq(key, "kernel.domainname");

        for (size_t i = 0; i < ARRAY_SIZE(ipc_sysctls); i++)
                ipc = ipc || streq(key, ipc_sysctls[i]);
        if (!ipc && !net && !uts)
                return rctr_error_set(err, EINVAL,
                                      "invalid --sysctl %s: %s is not namespaced (only "
                                      "kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.* "
                                      "and kernel.domainname are)",
                                      spec, key);
        if ((ipc && is_host(f->ipc_mode)) || (net && is_host(f->network_mode)) ||
            (uts && is_host(f->uts_mode)))
                return rctr_error_set(err, EINVAL,
                                      "invalid --sysctl %s: not allowed in the host's %s namespace",
                                      spec,
                                      ipc   ? "IPC"
                                      : net ? "network"
                                            : "UTS");
        return 0;
}

static int sysctls_add(const struct engine_run_flags *f, json_t *linux_, struct rctr_error *err)
{
        json_t *sysctl = json_object();

        /* podman's default_sysctls: unprivileged ICMP echo (ping) for the container's root. */
        if (!is_host(f->network_mode))
                json_object_set_new(sysctl, "net.ipv4.ping_group_range", json_string("0 0"));
        for (char **s = f->sysctls; s && *s; s++) {
                cleanup_free char *key = xstrdup(*s);
                char *value = strchr(key, '=');
                int r;

                if (value)
                        *value++ = '\0';
                if (!value || !key[0] ||
                    strspn(key, "abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") != strlen(key)) {
                        json_decref(sysctl);
                        return rctr_error_set(err, EINVAL,
                                              "invalid --sysctl %s: expected NAME=VALUE", *s);
                }
                /* net/ipv4/ip_forward is net.ipv4.ip_forward */
                for (char *c = key; *c; c++)
                        if (*c == '/')
                                *c = '.';
                r = sysctl_check(f, *s, key, err);
                if (r < 0) {
                        json_decref(sysctl);
                        return r;
                }
                json_object_set_new(sysctl, key, json_string(value));
        }
        if (json_object_size(sysctl) > 0)
                json_object_set_new(linux_, "sysctl", sysctl);
        else
                json_decref(sysctl);
        return 0;
}

static bool is_perms(const char *s)
{
        return s[0] && strlen(s) <= 3 && strspn(s, "rwm") == strlen(s);
}

/*
 * --device HOST[:CONTAINER][:PERMS]. The permissions are checked but not enforced: that takes the
 * devices cgroup (or its BPF program), which rctr does not set up.
 */
static int device_parse(const char *spec, bool rootless, json_t *devices, struct rctr_error *err)
{
        cleanup_free char *copy = xstrdup(spec);
        char *host = copy, *ctr = strchr(copy, ':'), *perms = NULL;
        struct stat st;
        json_t *d;

        if (ctr) {
                *ctr++ = '\0';
                perms = strchr(ctr, ':');
                if (perms)
                        *perms++ = '\0';
                else if (ctr[0] != '/' && is_perms(ctr))
                        perms = TAKE_PTR(ctr);
        }
        if (!ctr)
                ctr = host;
        if (host[0] != '/' || ctr[0] != '/')
                return rctr_error_set(err, EINVAL, "invalid --device %s: not an absolute path",
                                      spec);
        if (perms && !is_perms(perms))
                return rctr_error_set(err, EINVAL,
                                      "invalid --device %s: permissions %s are not a subset of "
                                      "rwm",
                                      spec, perms);
        if (stat(host, &st) < 0)
                return rctr_error_sys(err, errno, "invalid --device %s: %s", spec, host);
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                return rctr_error_set(err, EINVAL, "invalid --device %s: %s is not a device", spec,
                                      host);
        d = json_pack("{s:s, s:s, s:I, s:I, s:i}", "path", ctr, "type",
                      S_ISCHR(st.st_mode) ? "c" : "b", "major", (json_int_t)major(st.st_rdev),
                      "minor", (json_int_t)minor(st.st_rdev), "fileMode",
                      (int)(st.st_mode & 07777));
        /* Rootless the runtime bind-mounts the host's node, which keeps the host's owner. */
        if (!rootless) {
                json_object_set_new(d, "uid", json_integer(st.st_uid));
                json_object_set_new(d, "gid", json_integer(st.st_gid));
        }
        json_array_append_new(devices, d);
        return 0;
}

static int devices_add(const struct engine_run_flags *f, bool rootless, json_t *linux_,
                       struct rctr_error *err)
{
        json_t *devices = json_array();
        int r = 0;

        for (char **d = f->devices; r >= 0 && d && *d; d++)
                r = device_parse(*d, rootless, devices, err);
        if (r < 0 || json_array_size(devices) == 0) {
                json_decref(devices);
                return r;
        }
        json_object_set_new(linux_, "devices", devices);
        return 0;
}

static int seccomp_add(const struct engine_run_flags *f, json_t *linux_, struct rctr_error *err)
{
        cleanup_buf struct buf b = {0};
        cleanup_close int fd = -1;
        json_t *profile = NULL;
        int r;

        /* NULL: rctr's default profile, added by engine_container_spec() once the caps are known */
        if (f->privileged || !f->seccomp_profile || streq(f->seccomp_profile, "unconfined"))
                return 0;
        fd = open(f->seccomp_profile, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return rctr_error_sys(err, errno, "invalid --security-opt seccomp=%s",
                                      f->seccomp_profile);
        buf_init(&b, SECCOMP_PROFILE_MAX);
        r = fs_read_fd(fd, &b, f->seccomp_profile, err);
        if (r >= 0)
                r = jsonutil_parse(b.data, b.len, SECCOMP_PROFILE_MAX, &profile, err);
        if (r >= 0 && !json_is_object(profile)) {
                json_decref(profile);
                r = rctr_error_set(err, EINVAL, "not a JSON object");
        }
        if (r < 0)
                return rctr_error_prefix(err, "invalid --security-opt seccomp=%s",
                                         f->seccomp_profile);
        json_object_set_new(linux_, "seccomp", profile);
        return 0;
}

int engine_container_linux(const struct engine_run_flags *f, bool rootless, json_t *linux_,
                           struct rctr_error *err)
{
        int r;

        r = sysctls_add(f, linux_, err);
        if (r >= 0)
                r = devices_add(f, rootless, linux_, err);
        if (r >= 0)
                r = seccomp_add(f, linux_, err);
        if (r < 0)
                return r;
        /* --privileged: the whole of /proc and /sys, as podman. */
        if (!f->privileged) {
                json_object_set_new(linux_, "maskedPaths",
                                    strv_json(masked_paths, ARRAY_SIZE(masked_paths)));
                json_object_set_new(linux_, "readonlyPaths",
                                    strv_json(readonly_paths, ARRAY_SIZE(readonly_paths)));
        }
        return 0;
}
