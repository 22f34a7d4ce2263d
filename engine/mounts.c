#include <config.h>
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/fs-copy.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "mount-options.h"
#include "spec.h"

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

static const struct {
        const char *name, *target;
} dev_links[] = {
        {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
};

/* The flags a user namespace may not drop from a mount it did not make (mount_too_revealing). */
static unsigned long locked_flags(int fd)
{
        struct statvfs s;
        unsigned long f = 0;

        if (fstatvfs(fd, &s) < 0)
                return 0;
        if (s.f_flag & ST_NOSUID)
                f |= MS_NOSUID;
        if (s.f_flag & ST_NODEV)
                f |= MS_NODEV;
        if (s.f_flag & ST_NOEXEC)
                f |= MS_NOEXEC;
        if (s.f_flag & ST_RDONLY)
                f |= MS_RDONLY;
        return f;
}

/* Remount the bind mount now at dest (inside rootfd) with flags. */
static int remount_bind(int rootfd, const char *dest, unsigned long flags, struct rctr_error *err)
{
        cleanup_close int fd = fs_open_in_root(rootfd, dest, O_PATH, err);
        cleanup_free char *target = NULL;

        if (fd < 0)
                return fd;
        target = xasprintf("/proc/self/fd/%d", fd);
        if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags | locked_flags(fd), NULL) < 0)
                return rctr_error_sys(err, errno, "remount %s", dest);
        return 0;
}

static int set_propagation(int rootfd, const char *dest, unsigned long prop, struct rctr_error *err)
{
        cleanup_close int fd = fs_open_in_root(rootfd, dest, O_PATH, err);
        cleanup_free char *target = NULL;

        if (fd < 0)
                return fd;
        target = xasprintf("/proc/self/fd/%d", fd);
        if (mount(NULL, target, NULL, prop, NULL) < 0)
                return rctr_error_sys(err, errno, "set propagation of %s", dest);
        return 0;
}

int engine_mounts_bind_into(int rootfd, const char *src, const char *dest, bool recursive,
                            struct rctr_error *err)
{
        cleanup_close int fd = -1;
        cleanup_free char *target = NULL;
        struct stat st;

        if (stat(src, &st) < 0)
                return rctr_error_sys(err, errno, "bind mount source %s", src);
        fd = fs_mkpath_in_root(rootfd, dest, S_ISDIR(st.st_mode), err);
        if (fd < 0)
                return fd;
        /* Mount onto the fd resolved inside the root: a symlink cannot redirect it. */
        target = xasprintf("/proc/self/fd/%d", fd);
        if (mount(src, target, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0)
                return rctr_error_sys(err, errno, "bind mount %s on %s", src, dest);
        return 0;
}

/* rro & co.: MS_RDONLY on a bind applies to its top mount only; these cover every submount. */
static int set_recursive_attrs(int rootfd, const char *dest, const struct engine_mount_flags *f,
                               struct rctr_error *err)
{
        struct mount_attr attr = {.attr_set = f->attr_set, .attr_clr = f->attr_clr};
        cleanup_close int fd = fs_open_in_root(rootfd, dest, O_PATH, err);

        if (fd < 0)
                return fd;
        if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                return rctr_error_sys(err, errno, "set recursive mount options of %s", dest);
        return 0;
}

/* tmpcopyup: the new mount (at dest) starts with a copy of the directory it covers (under). */
static int copy_up(int rootfd, int under, const char *dest, struct rctr_error *err)
{
        cleanup_close int top = -1, dir = -1;
        cleanup_free char *path = NULL;

        if (under < 0)
                return rctr_error_sys(err, errno, "open %s to copy it up", dest);
        top = fs_open_in_root(rootfd, dest, O_PATH | O_DIRECTORY, err);
        if (top < 0)
                return top;
        path = xasprintf("/proc/self/fd/%d", top);
        dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return rctr_error_sys(err, errno, "open the new mount on %s", dest);
        return fs_copy_tree_at(under, dir, err) < 0 ? rctr_error_prefix(err, "copy up %s", dest)
                                                    : 0;
}

static int mount_one(int rootfd, const struct engine_mount *m, struct rctr_error *err)
{
        CLEANUP(engine_mount_flags_clear) struct engine_mount_flags f;
        const char *type = m->type;
        cleanup_close int fd = -1, under = -1;
        cleanup_free char *target = NULL;
        int r;

        engine_mount_flags_parse(m->options, &f);
        /*
         * A cgroup filesystem of our own needs a cgroup namespace the kernel lets us mount in;
         * as runc does rootless, show the host's hierarchy instead, read-only as asked.
         */
        if (type && streq(type, "cgroup")) {
                f.bind = f.recursive = true;
                /* every controller below it, as runc mounts each one: ro, nosuid, nodev, noexec */
                f.recursive_attrs = true;
                f.attr_set |= ((f.flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0) |
                              ((f.flags & MS_NOSUID) ? MOUNT_ATTR_NOSUID : 0) |
                              ((f.flags & MS_NODEV) ? MOUNT_ATTR_NODEV : 0) |
                              ((f.flags & MS_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0);
                r = engine_mounts_bind_into(rootfd, "/sys/fs/cgroup", m->destination, true, err);
        } else if (f.bind || (type && streq(type, "bind"))) {
                if (!m->source)
                        return rctr_error_set(err, EINVAL, "bind mount on %s without a source",
                                              m->destination);
                f.bind = true;
                r = engine_mounts_bind_into(rootfd, m->source, m->destination, f.recursive, err);
        } else {
                fd = fs_mkpath_in_root(rootfd, m->destination, true, err);
                if (fd < 0)
                        return fd;
                target = xasprintf("/proc/self/fd/%d", fd);
                /* what the mount will cover, still reachable through this fd afterwards */
                if (f.tmpcopyup)
                        under = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                r = mount(m->source ? m->source : type, target, type, f.flags, f.data);
                if (r < 0)
                        r = rctr_error_sys(err, errno, "mount %s on %s", type ? type : "?",
                                           m->destination);
                else if (f.tmpcopyup)
                        r = copy_up(rootfd, under, m->destination, err);
        }
        if (r >= 0 && f.bind && (f.flags & ~MS_REMOUNT))
                r = remount_bind(rootfd, m->destination, f.flags & ~MS_REMOUNT, err);
        if (r >= 0 && f.recursive_attrs)
                r = set_recursive_attrs(rootfd, m->destination, &f, err);
        if (r >= 0 && f.propagation)
                r = set_propagation(rootfd, m->destination, f.propagation, err);
        return r;
}

static bool has_dev_mount(const struct engine_spec *spec)
{
        for (size_t i = 0; i < spec->n_mounts; i++)
                if (streq(spec->mounts[i].destination, "/dev"))
                        return true;
        return false;
}

/*
 * The standard device nodes, bind-mounted from the host: creating nodes needs CAP_MKNOD in the
 * initial namespace, which a rootless container never has.
 */
static int populate_dev(int rootfd, struct rctr_error *err)
{
        cleanup_close int devfd = fs_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, err);
        int r;

        if (devfd < 0)
                return devfd;
        for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
                cleanup_free char *src = xasprintf("/dev/%s", dev_nodes[i]);

                if (access(src, F_OK) < 0)
                        continue;
                r = engine_mounts_bind_into(rootfd, src, src, false, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
                if (symlinkat(dev_links[i].target, devfd, dev_links[i].name) < 0 && errno != EEXIST)
                        return rctr_error_sys(err, errno, "create /dev/%s", dev_links[i].name);
        return 0;
}

/* Swap roots: the old root goes away entirely, so nothing of the host stays reachable. */
static int pivot(const char *rootfs, struct rctr_error *err)
{
        if (chdir(rootfs) < 0)
                return rctr_error_sys(err, errno, "enter %s", rootfs);
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return rctr_error_sys(err, errno, "pivot_root to %s", rootfs);
        /* the old root is now stacked under the new one at "/": detach it */
        if (umount2(".", MNT_DETACH) < 0)
                return rctr_error_sys(err, errno, "detach the old root");
        if (chdir("/") < 0)
                return rctr_error_sys(err, errno, "enter /");
        return 0;
}

/*
 * Without pivot_root (a root on ramfs/initramfs cannot be pivoted away from): move the rootfs
 * over / and chroot into it. The old root stays underneath, reachable to a process with
 * CAP_SYS_CHROOT that escapes the chroot: that is why pivot_root is the default.
 */
static int move_root(const char *rootfs, struct rctr_error *err)
{
        if (chdir(rootfs) < 0)
                return rctr_error_sys(err, errno, "enter %s", rootfs);
        if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
                return rctr_error_sys(err, errno, "move %s to /", rootfs);
        if (chroot(".") < 0)
                return rctr_error_sys(err, errno, "chroot to %s", rootfs);
        if (chdir("/") < 0)
                return rctr_error_sys(err, errno, "enter /");
        return 0;
}

static int mask_paths(char **paths, struct rctr_error *err)
{
        for (char **p = paths; p && *p; p++) {
                cleanup_error struct rctr_error ignored = {0};
                cleanup_close int fd = fs_open_in_root(AT_FDCWD, *p, O_PATH, &ignored);
                cleanup_free char *target = NULL;
                struct stat st;

                if (fd < 0)
                        continue; /* nothing there to hide */
                target = xasprintf("/proc/self/fd/%d", fd);
                if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
                        if (mount("tmpfs", target, "tmpfs", MS_RDONLY, "size=0k") < 0)
                                return rctr_error_sys(err, errno, "mask %s", *p);
                } else if (mount("/dev/null", target, NULL, MS_BIND, NULL) < 0) {
                        return rctr_error_sys(err, errno, "mask %s", *p);
                }
        }
        return 0;
}

static int readonly_paths(char **paths, struct rctr_error *err)
{
        for (char **p = paths; p && *p; p++) {
                cleanup_error struct rctr_error ignored = {0};
                cleanup_close int fd = fs_open_in_root(AT_FDCWD, *p, O_PATH, &ignored);
                cleanup_free char *target = NULL;
                int r;

                if (fd < 0)
                        continue;
                target = xasprintf("/proc/self/fd/%d", fd);
                if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
                        return rctr_error_sys(err, errno, "make %s read-only", *p);
                r = remount_bind(AT_FDCWD, *p, MS_RDONLY, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static unsigned long root_propagation(const struct engine_spec *spec)
{
        struct engine_mount_flags f;
        char *opts[] = {spec->rootfs_propagation, NULL};

        if (!spec->rootfs_propagation)
                return MS_REC | MS_PRIVATE;
        engine_mount_flags_parse(opts, &f);
        engine_mount_flags_clear(&f);
        return f.propagation;
}

int engine_mounts_prepare(const struct engine_spec *spec, const char *rootfs,
                          struct rctr_error *err)
{
        cleanup_close int rootfd = -1;
        int r;

        /* Our mounts must not leak back into rctr's namespace or the host. */
        if (mount(NULL, "/", NULL, root_propagation(spec), NULL) < 0)
                return rctr_error_sys(err, errno, "set root propagation");
        /* pivot_root needs the new root to be a mount point of its own. */
        if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return rctr_error_sys(err, errno, "bind mount rootfs %s", rootfs);
        rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return rctr_error_sys(err, errno, "open rootfs %s", rootfs);
        for (size_t i = 0; i < spec->n_mounts; i++) {
                r = mount_one(rootfd, &spec->mounts[i], err);
                if (r < 0)
                        return rctr_error_prefix(err, "mounts[%zu]", i);
        }
        if (has_dev_mount(spec)) {
                r = populate_dev(rootfd, err);
                if (r < 0)
                        return r;
        }
        r = engine_devices_create(rootfd, spec->devices, spec->n_devices, err);
        if (r < 0)
                return r;
        return 0;
}

int engine_mounts_enter(const char *rootfs, bool no_pivot, struct rctr_error *err)
{
        return no_pivot ? move_root(rootfs, err) : pivot(rootfs, err);
}

int engine_mounts_finish(const struct engine_spec *spec, struct rctr_error *err)
{
        int r = mask_paths(spec->masked_paths, err);

        if (r >= 0)
                r = readonly_paths(spec->readonly_paths, err);
        if (r >= 0 && spec->root_readonly)
                r = remount_bind(AT_FDCWD, "/", MS_RDONLY, err);
        return r;
}
