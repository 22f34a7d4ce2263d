/*
 * The mounts of a container's config.json: the usual /proc, /dev, /sys set, then -v, --mount,
 * --tmpfs, --read-only's tmpfs and --init's binary, with podman's defaults and checks
 * (pkg/specgen/generate/storage.go, pkg/util/mount_opts.go in podman).
 */
#include <config.h>
#include "container-spec-private.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "container-spec.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/xalloc.h"

/* What one -v, --mount or --tmpfs asked for, option by option. */
struct mount_opts {
        const char *rw, *exec, *suid, *dev, *propagation, *bind, *relabel, *copyup;
        bool chown;
        json_t *data; /* owned array: tmpfs size=, mode=, uid=, gid=, nr_inodes= */
        char *text;   /* owned: the option list the slots above point into */
};

static void mount_opts_clear(struct mount_opts *o)
{
        json_decref(o->data);
        free(o->text);
}

/* The flag being parsed, for messages: "invalid --volume a:/b:q: ...". */
struct mount_ctx {
        const char *flag, *spec;
        struct rctr_error *err;
};

static int __attribute__((format(printf, 2, 3)))
ctx_error(const struct mount_ctx *c, const char *fmt, ...)
{
        cleanup_free char *why = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&why, fmt, ap) < 0)
                xalloc_die();
        va_end(ap);
        return rctr_error_set(c->err, EINVAL, "invalid %s %s: %s", c->flag, c->spec, why);
}

static const char *const propagations[] = {
        "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable",
};
static const char *const tmpfs_data_prefixes[] = {"size=", "mode=", "uid=", "gid=", "nr_inodes="};

static bool in_list(const char *s, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (streq(s, list[i]))
                        return true;
        return false;
}

/* Record opt in its slot; two options of one kind ("ro" and "rw") conflict. */
static int set_slot(const struct mount_ctx *c, const char **slot, const char *opt)
{
        if (*slot)
                return streq(*slot, opt)
                               ? ctx_error(c, "option %s given twice", opt)
                               : ctx_error(c, "conflicting options %s and %s", *slot, opt);
        *slot = opt;
        return 0;
}

static int tmpfs_data(const struct mount_ctx *c, struct mount_opts *o, const char *opt)
{
        const char *value = strchr(opt, '=') + 1;
        uint64_t v;

        if (!value[0])
                return ctx_error(c, "option %s has no value", opt);
        if (strncmp(opt, "mode=", 5) == 0 &&
            (strspn(value, "01234567") != strlen(value) || strlen(value) > 4))
                return ctx_error(c, "option %s: mode is not octal", opt);
        if ((strncmp(opt, "uid=", 4) == 0 || strncmp(opt, "gid=", 4) == 0) &&
            parse_u64_max(value, UINT32_MAX - 1, &v) < 0)
                return ctx_error(c, "option %s: not an id", opt);
        if (!o->data)
                o->data = json_array();
        json_array_append_new(o->data, json_string(opt));
        return 0;
}

static int opt_add(const struct mount_ctx *c, struct mount_opts *o, const char *opt, bool tmpfs)
{
        if (streq(opt, "ro") || streq(opt, "rw"))
                return set_slot(c, &o->rw, opt);
        if (streq(opt, "exec") || streq(opt, "noexec"))
                return set_slot(c, &o->exec, opt);
        if (streq(opt, "suid") || streq(opt, "nosuid"))
                return set_slot(c, &o->suid, opt);
        if (streq(opt, "dev") || streq(opt, "nodev"))
                return set_slot(c, &o->dev, opt);
        if (in_list(opt, propagations, ARRAY_SIZE(propagations)))
                return set_slot(c, &o->propagation, opt);
        /* No SELinux in rctr: the relabel options are accepted so podman command lines work. */
        if (streq(opt, "z") || streq(opt, "Z"))
                return set_slot(c, &o->relabel, opt);
        if (streq(opt, "U")) {
                o->chown = true;
                return 0;
        }
        if (!tmpfs && (streq(opt, "bind") || streq(opt, "rbind")))
                return set_slot(c, &o->bind, opt);
        /* Only meaningful for named volumes, which the caller has already resolved. */
        if (!tmpfs && (streq(opt, "copy") || streq(opt, "nocopy")))
                return 0;
        if (tmpfs && (streq(opt, "tmpcopyup") || streq(opt, "notmpcopyup")))
                return set_slot(c, &o->copyup, opt);
        if (tmpfs)
                for (size_t i = 0; i < ARRAY_SIZE(tmpfs_data_prefixes); i++)
                        if (strncmp(opt, tmpfs_data_prefixes[i], strlen(tmpfs_data_prefixes[i])) ==
                            0)
                                return tmpfs_data(c, o, opt);
        if (streq(opt, "O") || streq(opt, "idmap") || strncmp(opt, "idmap=", 6) == 0)
                return ctx_error(c, "option %s is not supported", opt);
        return ctx_error(c, "unknown option %s", opt[0] ? opt : "\"\"");
}

/* Parse "a,b,c" into o. */
static int opts_parse(const struct mount_ctx *c, struct mount_opts *o, const char *list, bool tmpfs)
{
        char *p;
        int r;

        free(o->text);
        o->text = xstrdup(list);
        p = o->text;

        for (;;) {
                char *comma = strchr(p, ',');

                if (comma)
                        *comma = '\0';
                r = opt_add(c, o, p, tmpfs);
                if (r < 0 || !comma)
                        return r;
                p = comma + 1;
        }
}

/* Lexically clean an absolute path (Go's filepath.Clean): "//a/./b/../c/" → "/a/c". */
static char *path_clean(const char *p)
{
        size_t n = strlen(p);
        char *out = xmalloc(n + 2);
        size_t len = 0;

        while (*p) {
                size_t l;

                while (*p == '/')
                        p++;
                l = strcspn(p, "/");
                if (l == 0 || (l == 1 && p[0] == '.')) {
                        p += l;
                        continue;
                }
                if (l == 2 && p[0] == '.' && p[1] == '.') {
                        while (len > 0 && out[len - 1] != '/')
                                len--;
                        if (len > 0)
                                len--;
                        p += l;
                        continue;
                }
                out[len++] = '/';
                memcpy(out + len, p, l);
                len += l;
                p += l;
        }
        if (len == 0)
                out[len++] = '/';
        out[len] = '\0';
        return out;
}

static int check_dest(const struct mount_ctx *c, const char *dst, char **ret)
{
        if (!dst || !dst[0])
                return ctx_error(c, "no destination");
        if (dst[0] != '/')
                return ctx_error(c, "destination %s is not an absolute path", dst);
        *ret = path_clean(dst);
        if (streq(*ret, "/")) {
                free(TAKE_PTR(*ret));
                return ctx_error(c, "cannot mount on /");
        }
        return 0;
}

static void append_str(json_t *a, const char *s)
{
        if (s)
                json_array_append_new(a, json_string(s));
}

/*
 * A bind mount from the host. Like podman, rbind + rprivate by default, and the source's own
 * nosuid/nodev/noexec are carried over: in a user namespace the kernel locks those flags on the
 * source's mount, and a bind that tried to clear them (as a remount for "ro" would) fails EPERM.
 */
static int bind_mount(const struct mount_ctx *c, const char *src, const char *dst,
                      struct mount_opts *o, json_t **ret)
{
        struct statvfs sv;
        json_t *opts;

        if (!src || !src[0])
                return ctx_error(c, "no source");
        if (src[0] != '/')
                return ctx_error(c, "source %s is not an absolute path", src);
        if (statvfs(src, &sv) < 0)
                return rctr_error_sys(c->err, errno, "invalid %s %s: source %s", c->flag, c->spec,
                                      src);
        opts = json_array();
        append_str(opts, o->bind ? o->bind : "rbind");
        append_str(opts, o->rw ? o->rw : "rw");
        append_str(opts, o->propagation ? o->propagation : "rprivate");
        append_str(opts, o->suid ? o->suid : (sv.f_flag & ST_NOSUID) ? "nosuid" : NULL);
        append_str(opts, o->dev ? o->dev : (sv.f_flag & ST_NODEV) ? "nodev" : NULL);
        append_str(opts, o->exec ? o->exec : (sv.f_flag & ST_NOEXEC) ? "noexec" : NULL);
        *ret = json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", "bind", "source", src,
                         "options", opts);
        return 0;
}

/* A tmpfs: podman's --tmpfs defaults rw, noexec, nosuid, nodev and tmpcopyup. */
static json_t *tmpfs_mount(const char *dst, struct mount_opts *o)
{
        json_t *opts = json_array();

        append_str(opts, o->rw ? o->rw : "rw");
        append_str(opts, o->exec ? o->exec : "noexec");
        append_str(opts, o->suid ? o->suid : "nosuid");
        append_str(opts, o->dev ? o->dev : "nodev");
        append_str(opts, o->propagation);
        if (!o->copyup || streq(o->copyup, "tmpcopyup"))
                append_str(opts, "tmpcopyup");
        if (o->data)
                json_array_extend(opts, o->data);
        return json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", "tmpfs", "source",
                         "tmpfs", "options", opts);
}

/* The destinations of U volumes, for the caller to chown (ENGINE_ANNOTATION_CHOWN). */
struct user_mounts {
        json_t *list;  /* owned array of mount objects */
        json_t *chown; /* owned array of destinations */
};

static int add_user_mount(const struct mount_ctx *c, struct user_mounts *um, json_t *m, bool chown)
{
        const char *dst = json_string_value(json_object_get(m, "destination"));
        size_t i;
        json_t *v;

        json_array_foreach(um->list, i, v) {
                if (streq(json_string_value(json_object_get(v, "destination")), dst)) {
                        int r = ctx_error(c, "duplicate mount destination %s", dst);

                        json_decref(m); /* dst points into it */
                        return r;
                }
        }
        json_array_append_new(um->list, m);
        if (chown)
                json_array_append_new(um->chown, json_string(dst));
        return 0;
}

/* -v SRC:DST[:OPTS] */
static int parse_volume(const char *spec, struct user_mounts *um, struct rctr_error *err)
{
        struct mount_ctx c = {"--volume", spec, err};
        CLEANUP(mount_opts_clear) struct mount_opts o = {0};
        cleanup_free char *copy = xstrdup(spec), *dst = NULL;
        char *src = copy, *d, *opts;
        json_t *m = NULL;
        int r;

        d = strchr(copy, ':');
        if (!d)
                return ctx_error(&c, "expected SOURCE:DESTINATION[:OPTIONS] (named and anonymous "
                                     "volumes are resolved before)");
        *d++ = '\0';
        opts = strchr(d, ':');
        if (opts)
                *opts++ = '\0';
        r = check_dest(&c, d, &dst);
        if (r >= 0 && opts)
                r = opts_parse(&c, &o, opts, false);
        if (r >= 0)
                r = bind_mount(&c, src, dst, &o, &m);
        if (r < 0)
                return r;
        return add_user_mount(&c, um, m, o.chown);
}

/* --tmpfs DST[:OPTS] */
static int parse_tmpfs(const char *spec, struct user_mounts *um, struct rctr_error *err)
{
        struct mount_ctx c = {"--tmpfs", spec, err};
        CLEANUP(mount_opts_clear) struct mount_opts o = {0};
        cleanup_free char *copy = xstrdup(spec), *dst = NULL;
        char *opts = strchr(copy, ':');
        int r;

        if (opts)
                *opts++ = '\0';
        r = check_dest(&c, copy, &dst);
        if (r >= 0 && opts)
                r = opts_parse(&c, &o, opts, true);
        if (r < 0)
                return r;
        return add_user_mount(&c, um, tmpfs_mount(dst, &o), o.chown);
}

/* A --mount key whose value is true unless given as false/0. */
static int bool_value(const struct mount_ctx *c, const char *key, const char *value, bool *ret)
{
        if (!value || streq(value, "true") || streq(value, "1")) {
                *ret = true;
                return 0;
        }
        if (streq(value, "false") || streq(value, "0")) {
                *ret = false;
                return 0;
        }
        return ctx_error(c, "%s: expected true or false, not %s", key, value);
}

struct mount_fields {
        const char *type, *src, *dst;
};

/* One key[=value] of --mount: fields, or an option word for opt_add. */
static int mount_key(const struct mount_ctx *c, struct mount_fields *mf, struct mount_opts *o,
                     char *key, char **word)
{
        char *value = strchr(key, '=');
        bool b;
        int r;

        if (value)
                *value++ = '\0';
        if (streq(key, "type"))
                mf->type = value;
        else if (streq(key, "source") || streq(key, "src"))
                mf->src = value;
        else if (streq(key, "destination") || streq(key, "dst") || streq(key, "target"))
                mf->dst = value;
        else if (streq(key, "ro") || streq(key, "readonly")) {
                r = bool_value(c, key, value, &b);
                if (r < 0)
                        return r;
                *word = xstrdup(b ? "ro" : "rw");
        } else if (streq(key, "bind-propagation") && value)
                *word = xstrdup(value);
        else if (streq(key, "bind-nonrecursive")) {
                r = bool_value(c, key, value, &b);
                if (r < 0)
                        return r;
                *word = xstrdup(b ? "bind" : "rbind");
        } else if (streq(key, "relabel") && value)
                *word = xstrdup(streq(value, "shared") ? "z" : streq(value, "private") ? "Z" : "");
        else if (streq(key, "chown")) {
                r = bool_value(c, key, value, &o->chown);
                return r;
        } else if (streq(key, "tmpfs-size") && value)
                *word = xasprintf("size=%s", value);
        else if (streq(key, "tmpfs-mode") && value)
                *word = xasprintf("mode=%s", value);
        else if (streq(key, "consistency"))
                return 0; /* docker's macOS hint */
        else if (!value)
                *word = xstrdup(key);
        else
                return ctx_error(c, "unknown option %s", key);
        return 0;
}

/* --mount type=bind|tmpfs,source=...,destination=...,options */
static int parse_mount(const char *spec, struct user_mounts *um, struct rctr_error *err)
{
        struct mount_ctx c = {"--mount", spec, err};
        CLEANUP(mount_opts_clear) struct mount_opts o = {0};
        cleanup_free char *copy = xstrdup(spec), *dst = NULL;
        struct mount_fields mf = {0};
        cleanup_strv char **words = xzalloc(sizeof(char *));
        size_t n_words = 0;
        bool tmpfs = false;
        json_t *m = NULL;
        int r;

        for (char *p = copy; p;) {
                char *comma = strchr(p, ',');
                cleanup_free char *word = NULL;

                if (comma)
                        *comma++ = '\0';
                r = mount_key(&c, &mf, &o, p, &word);
                if (r < 0)
                        return r;
                if (word) {
                        words = xreallocarray(words, n_words + 2, sizeof(char *));
                        words[n_words++] = TAKE_PTR(word);
                        words[n_words] = NULL;
                }
                p = comma;
        }
        if (!mf.type)
                return ctx_error(&c, "no type (bind or tmpfs)");
        if (!streq(mf.type, "bind") && !streq(mf.type, "tmpfs"))
                return ctx_error(&c, "type %s is not supported (only bind and tmpfs)", mf.type);
        tmpfs = streq(mf.type, "tmpfs");
        r = check_dest(&c, mf.dst, &dst);
        for (size_t i = 0; r >= 0 && i < n_words; i++)
                r = opt_add(&c, &o, words[i], tmpfs);
        if (r < 0)
                return r;
        if (tmpfs && mf.src)
                return ctx_error(&c, "a tmpfs has no source");
        if (tmpfs)
                m = tmpfs_mount(dst, &o);
        else if ((r = bind_mount(&c, mf.src, dst, &o, &m)) < 0)
                return r;
        return add_user_mount(&c, um, m, o.chown);
}

int engine_container_parse_size(const char *s, uint64_t *ret)
{
        static const char units[] = "bkmgtp";
        size_t digits = strspn(s, "0123456789");
        cleanup_free char *num = xstrndup(s, digits);
        const char *unit = s + digits, *u;
        uint64_t v, mult = 1;
        int r;

        r = parse_u64(num, &v);
        if (r < 0)
                return r;
        if (*unit == ' ')
                unit++;
        /* docker's RAMInBytes: a binary unit, then an optional "i" and "b": 64m, 64MiB, 64mb */
        if (*unit && (u = strchr(units, (char)(*unit | 0x20))) != NULL && (*unit | 0x20) != 'b') {
                for (ptrdiff_t i = 0; i < u - units; i++)
                        mult *= 1024;
                unit++;
                if ((*unit | 0x20) == 'i')
                        unit++;
        }
        if ((*unit | 0x20) == 'b')
                unit++;
        if (*unit)
                return -EINVAL;
        if (__builtin_mul_overflow(v, mult, &v))
                return -ERANGE;
        *ret = v;
        return 0;
}

static json_t *mount_new(const char *dst, const char *type, const char *src, json_t *opts)
{
        return json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", type, "source", src,
                         "options", opts);
}

static bool mode_is(const char *mode, const char *want)
{
        return mode && streq(mode, want);
}

static int shm_mount(const struct engine_run_flags *f, json_t **ret, struct rctr_error *err)
{
        cleanup_free char *size = xstrdup("size=65536k"); /* podman's 64 MiB */
        uint64_t bytes;

        /* The host's IPC namespace goes with the host's POSIX shared memory. */
        if (mode_is(f->ipc_mode, "host")) {
                *ret = mount_new("/dev/shm", "bind", "/dev/shm",
                                 json_pack("[s,s,s,s]", "rbind", "nosuid", "noexec", "nodev"));
                return 0;
        }
        if (f->shm_size) {
                if (engine_container_parse_size(f->shm_size, &bytes) < 0 || bytes == 0)
                        return rctr_error_set(err, EINVAL,
                                              "invalid --shm-size %s: expected a size such as 64m",
                                              f->shm_size);
                free(size);
                size = xasprintf("size=%llu", (unsigned long long)bytes);
        }
        *ret = mount_new("/dev/shm", "tmpfs", "shm",
                         json_pack("[s,s,s,s,s]", "nosuid", "noexec", "nodev", "mode=1777", size));
        return 0;
}

/* /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys, /sys/fs/cgroup in that order. */
static int default_mounts(const struct engine_run_flags *f, bool rootless, json_t **ret,
                          struct rctr_error *err)
{
        json_t *list = json_array(), *shm = NULL;
        const char *ro = f->privileged ? "rw" : "ro";
        int r;

        r = shm_mount(f, &shm, err);
        if (r < 0) {
                json_decref(list);
                return r;
        }
        /*
         * A proc of the host's pid namespace can be mounted only from the user namespace owning
         * it: rootless, bind the host's /proc instead (podman does the same).
         */
        if (rootless && mode_is(f->pid_mode, "host"))
                json_array_append_new(list, mount_new("/proc", "bind", "/proc",
                                                      json_pack("[s,s,s,s]", "rbind", "nosuid",
                                                                "noexec", "nodev")));
        else
                json_array_append_new(list,
                                      mount_new("/proc", "proc", "proc",
                                                json_pack("[s,s,s]", "nosuid", "noexec", "nodev")));
        json_array_append_new(list, mount_new("/dev", "tmpfs", "tmpfs",
                                              json_pack("[s,s,s,s]", "nosuid", "strictatime",
                                                        "mode=755", "size=65536k")));
        /*
         * gid=5 makes new ptys group tty. Rootless, gid 5 exists only when rctr's user namespace
         * maps subordinate gids; mounting devpts with an unmapped gid fails.
         */
        json_array_append_new(list,
                              mount_new("/dev/pts", "devpts", "devpts",
                                        json_pack("[s,s,s,s,s]", "nosuid", "noexec", "newinstance",
                                                  "ptmxmode=0666", "mode=0620")));
        if (!rootless || f->userns_gids > 5)
                json_array_append_new(json_object_get(json_array_get(list, 2), "options"),
                                      json_string("gid=5"));
        json_array_append_new(list, shm);
        /* Likewise, mqueue belongs to the IPC namespace: share the host's with it. */
        if (mode_is(f->ipc_mode, "host"))
                json_array_append_new(list, mount_new("/dev/mqueue", "bind", "/dev/mqueue",
                                                      json_pack("[s,s,s,s]", "rbind", "nosuid",
                                                                "noexec", "nodev")));
        else
                json_array_append_new(list,
                                      mount_new("/dev/mqueue", "mqueue", "mqueue",
                                                json_pack("[s,s,s]", "nosuid", "noexec", "nodev")));
        /*
         * A new sysfs needs CAP_SYS_ADMIN over the network namespace's owner: rootless we have it
         * only in our own namespaces, so bind the host's /sys as `runc spec --rootless` does.
         */
        if (rootless)
                json_array_append_new(list, mount_new("/sys", "bind", "/sys",
                                                      json_pack("[s,s,s,s,s]", "rbind", "nosuid",
                                                                "noexec", "nodev", ro)));
        else
                json_array_append_new(
                        list, mount_new("/sys", "sysfs", "sysfs",
                                        json_pack("[s,s,s,s]", "nosuid", "noexec", "nodev", ro)));
        json_array_append_new(list, mount_new("/sys/fs/cgroup", "cgroup", "cgroup",
                                              json_pack("[s,s,s,s,s]", "nosuid", "noexec", "nodev",
                                                        "relatime", ro)));
        *ret = list;
        return 0;
}

/* dst is mount (or below it): a user mount there replaces our default. */
static bool covered_by(const char *dst, const char *mount)
{
        size_t n = strlen(mount);

        return strncmp(dst, mount, n) == 0 && (dst[n] == '\0' || dst[n] == '/');
}

static bool covered_by_any(const char *dst, json_t *mounts)
{
        size_t i;
        json_t *m;

        json_array_foreach(mounts, i, m)
                if (covered_by(dst, json_string_value(json_object_get(m, "destination"))))
                        return true;
        return false;
}

static size_t depth(json_t *m)
{
        const char *d = json_string_value(json_object_get(m, "destination"));
        size_t n = 0;

        for (; *d; d++)
                n += *d == '/';
        return n;
}

/* Parents before children (a stable insertion sort by depth), as podman's sortMounts. */
static void sort_by_depth(json_t *mounts)
{
        size_t n = json_array_size(mounts);

        for (size_t i = 1; i < n; i++) {
                json_t *m = json_incref(json_array_get(mounts, i));
                size_t j = i;

                while (j > 0 && depth(json_array_get(mounts, j - 1)) > depth(m))
                        j--;
                json_array_remove(mounts, i);
                json_array_insert_new(mounts, j, m);
        }
}

static int user_mounts_parse(const struct engine_run_flags *f, struct user_mounts *um,
                             struct rctr_error *err)
{
        int r = 0;

        for (char **v = f->volumes; r >= 0 && v && *v; v++)
                r = parse_volume(*v, um, err);
        for (char **v = f->mounts; r >= 0 && v && *v; v++)
                r = parse_mount(*v, um, err);
        for (char **v = f->tmpfs; r >= 0 && v && *v; v++)
                r = parse_tmpfs(*v, um, err);
        if (r < 0)
                return r;
        /* podman's --read-only-tmpfs: writable scratch space where programs expect it. */
        if (f->read_only && f->read_only_tmpfs) {
                static const char *const dirs[] = {"/run", "/tmp", "/var/tmp"};

                for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
                        if (!covered_by_any(dirs[i], um->list))
                                json_array_append_new(
                                        um->list,
                                        mount_new(dirs[i], "tmpfs", "tmpfs",
                                                  json_pack("[s,s,s,s,s]", "rw", "rprivate",
                                                            "nosuid", "nodev", "tmpcopyup")));
        }
        sort_by_depth(um->list);
        return 0;
}

static void set_chown_annotation(json_t *spec, json_t *chown)
{
        cleanup_free char *text = NULL;
        json_t *annotations = json_object_get(spec, "annotations");

        if (json_array_size(chown) == 0)
                return;
        text = json_dumps(chown, JSON_COMPACT);
        if (!annotations) {
                annotations = json_object();
                json_object_set_new(spec, "annotations", annotations);
        }
        json_object_set_new(annotations, ENGINE_ANNOTATION_CHOWN, json_string(text));
}

int engine_container_mounts(const struct engine_run_flags *f, bool rootless, json_t *spec,
                            struct rctr_error *err)
{
        struct user_mounts um = {json_array(), json_array()};
        json_t *defaults = NULL, *all = json_array(), *m;
        size_t i;
        int r;

        r = user_mounts_parse(f, &um, err);
        if (r >= 0)
                r = default_mounts(f, rootless, &defaults, err);
        if (r >= 0 && f->init && !f->init_path)
                r = rctr_error_set(err, EINVAL, "--init: no init binary to run");
        if (r < 0) {
                json_decref(defaults);
                json_decref(um.list);
                json_decref(um.chown);
                json_decref(all);
                return r;
        }
        json_array_foreach(defaults, i, m)
                if (!covered_by_any(json_string_value(json_object_get(m, "destination")), um.list))
                        json_array_append(all, m);
        json_array_extend(all, um.list);
        /* Our init, read-only: it is the container's pid 1 and nothing in it may replace it. */
        if (f->init)
                json_array_append_new(all,
                                      mount_new(ENGINE_CONTAINER_INIT_PATH, "bind", f->init_path,
                                                json_pack("[s,s,s]", "bind", "ro", "rprivate")));
        json_object_set_new(spec, "mounts", all);
        set_chown_annotation(spec, um.chown);
        json_decref(defaults);
        json_decref(um.list);
        json_decref(um.chown);
        return 0;
}
