/*
 * The rootfs drivers on real layer directories built by hand: overlay, fuse-overlayfs and vfs
 * must all show the same merged tree (whiteouts, opaque directories, replaced files), overlay
 * must take more layers than fit in a page of mount options, and the rootless path (a user
 * namespace, userxattr, user.overlay.opaque) is tried in a child that maps root to an
 * unprivileged range, as rctr's pause process does. Mount tests need root; CI runs as root.
 * Run inside rctr's own namespace (`rctr unshare tests/unit/test-storage-driver` as a user), it
 * tests the rootless path there instead: userxattr and user.overlay.opaque throughout.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/error.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include "rootless/rootless.h"
#include "storage/driver-private.h"
#include "storage/driver.h"
#include "storage/probe.h"
#include "storage/whiteout.h"
#include "tap.h"

/* The range the rootless child maps its root to (rctrtest's subuids on the CI machine). */
#define USERNS_BASE 100000
#define MANY_LAYERS 128

static char *tmp_dir; /* this run's directory, removed at the end */
static bool as_root;  /* uid 0, here or in a user namespace: mounts are allowed */
static bool rootless; /* not root of the initial user namespace: user.* xattrs, userxattr */
static bool fuse_usable;

static void bail(const char *what)
{
        printf("Bail out! %s: %s\n", what, strerror(errno));
        exit(1);
}

/* ---- layer directories made by hand, as the unpacker would leave them ---- */

struct node {
        const char *path;
        char type;        /* 'f' file (default), 'd' dir, 'o' opaque dir, 'w' whiteout, 'l' symlink,
                             'h' hard link to data */
        const char *data; /* file content, symlink target or hard link target */
        mode_t mode;
        const char *xattr, *xvalue;
        uid_t uid;
        gid_t gid;
};

static int make_parents(int fd, const char *path)
{
        cleanup_free char *copy = xstrdup(path);

        for (char *p = strchr(copy, '/'); p; p = strchr(p + 1, '/')) {
                *p = '\0';
                if (mkdirat(fd, copy, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        return 0;
}

static int make_node(int fd, const struct node *n, const char *opaque_xattr)
{
        cleanup_close int f = -1;

        if (make_parents(fd, n->path) < 0)
                return -errno;
        switch (n->type) {
        case 'd':
        case 'o':
                if (mkdirat(fd, n->path, 0755) < 0 && errno != EEXIST)
                        return -errno;
                f = openat(fd, n->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (f < 0 || (n->type == 'o' && fsetxattr(f, opaque_xattr, "y", 1, 0) < 0))
                        return -errno;
                break;
        case 'w':
                return mknodat(fd, n->path, S_IFCHR, makedev(0, 0)) < 0 ? -errno : 0;
        case 'l':
                return symlinkat(n->data, fd, n->path) < 0 ? -errno : 0;
        case 'h':
                return linkat(fd, n->data, fd, n->path, 0) < 0 ? -errno : 0;
        default:
                f = openat(fd, n->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (f < 0 || fs_write_all(f, n->data, strlen(n->data)) < 0 ||
                    (n->mode && fchmod(f, n->mode) < 0))
                        return -errno;
                break;
        }
        if (n->xattr && fsetxattr(f, n->xattr, n->xvalue, strlen(n->xvalue), 0) < 0)
                return -errno;
        /* not root, or the id is not mapped in this user namespace: the file stays ours */
        if ((n->uid || n->gid) && fchown(f, n->uid, n->gid) < 0 && errno != EPERM &&
            errno != EINVAL)
                return -errno;
        return 0;
}

/* Make dir (and its parents) and the nodes in it. Returns 0 or -errno. */
static int make_layer(const char *dir, const struct node *nodes, const char *opaque_xattr)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_close int fd = -1;
        int r = fs_mkdir_p(dir, 0755, &err);

        if (r < 0)
                return r;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (const struct node *n = nodes; n && n->path; n++) {
                r = make_node(fd, n, opaque_xattr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- the three-layer image every driver must merge alike ---- */

static const struct node layer0[] = {
        {.path = "a", .data = "a0"},
        {.path = "b", .data = "b0"},
        {.path = "c", .data = "c0"},
        {.path = "dir/x", .data = "x0"},
        {.path = "dir/y", .data = "y0"},
        {.path = "keep/k", .data = "k0"},
        {.path = "gone/f", .data = "f0"},
        {.path = "link", .type = 'l', .data = "a"},
        {.path = "secret", .data = "s0", .mode = 0600},
        {.path = "owned", .data = "o0", .uid = 1234, .gid = 5678},
        {.path = NULL},
};
static const struct node layer1[] = {
        {.path = "a", .data = "a1"},
        {.path = "b", .type = 'w'},
        {.path = "dir", .type = 'o'},
        {.path = "dir/n", .data = "n1"},
        {.path = "gone", .type = 'w'},
        {.path = "hl1", .data = "h1"},
        {.path = "hl2", .type = 'h', .data = "hl1"},
        {.path = "caps", .data = "cap", .xattr = "user.rctrtest", .xvalue = "v1"},
        {.path = NULL},
};
static const struct node layer2[] = {
        {.path = "b", .data = "b2"},      {.path = "c", .type = 'w'},
        {.path = "dir/x", .data = "x2"},  {.path = "keep/k2", .data = "k2"},
        {.path = "gone/g", .data = "g2"}, {.path = NULL},
};

struct expect {
        const char *path;
        char type; /* 'f' file holding data, 'l' symlink to data, 'd' directory, '-' absent */
        const char *data;
};

static const struct expect expect3[] = {
        {.path = "a", .type = 'f', .data = "a1"},
        {.path = "b", .type = 'f', .data = "b2"},
        {.path = "c", .type = '-'},
        {.path = "dir", .type = 'd'},
        {.path = "dir/x", .type = 'f', .data = "x2"},
        {.path = "dir/y", .type = '-'},
        {.path = "dir/n", .type = 'f', .data = "n1"},
        {.path = "keep/k", .type = 'f', .data = "k0"},
        {.path = "keep/k2", .type = 'f', .data = "k2"},
        {.path = "gone/f", .type = '-'},
        {.path = "gone/g", .type = 'f', .data = "g2"},
        {.path = "link", .type = 'l', .data = "a"},
        {.path = "secret", .type = 'f', .data = "s0"},
        {.path = "hl1", .type = 'f', .data = "h1"},
        {.path = "hl2", .type = 'f', .data = "h1"},
        {.path = "caps", .type = 'f', .data = "cap"},
        {.path = NULL},
};

/* Results go to TAP in this process, or are collected in a forked child and sent back. */
struct reporter {
        bool collect;
        const char *prefix;
        int passed, failed;
        char first_failure[400];
};

static void __attribute__((format(printf, 3, 4)))
report(struct reporter *rep, bool pass, const char *fmt, ...)
{
        char text[400];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        if (!rep->collect) {
                ok(pass, "%s: %s", rep->prefix, text);
                return;
        }
        if (pass) {
                rep->passed++;
        } else if (rep->failed++ == 0) {
                snprintf(rep->first_failure, sizeof(rep->first_failure), "%s", text);
        }
}

static char *read_file_at(int dirfd, const char *path)
{
        cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
        char buf[256];
        ssize_t n;

        if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) < 0)
                return NULL;
        buf[n] = '\0';
        return xstrdup(buf);
}

/* Whiteout devices found below dirfd: a merged tree must show none. */
static int count_whiteouts(int dirfd, int depth)
{
        cleanup_dir DIR *d = fdopendir(fcntl(dirfd, F_DUPFD_CLOEXEC, 3));
        struct dirent *de;
        int n = 0;

        while (d && depth < 32 && (de = readdir(d))) {
                struct stat st;
                cleanup_close int sub = -1;

                if (streq(de->d_name, ".") || streq(de->d_name, "..") ||
                    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (storage_whiteout_is_device(&st))
                        n++;
                if (S_ISDIR(st.st_mode) &&
                    (sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
                        n += count_whiteouts(sub, depth + 1);
        }
        return n;
}

/* The first difference between the tree at root and want, or NULL (static text). */
static const char *tree_differs(const char *root, const struct expect *want, char *msg, size_t size)
{
        cleanup_close int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return "cannot open the rootfs";
        for (const struct expect *e = want; e->path; e++) {
                struct stat st;
                cleanup_free char *got = NULL;
                char link[256];
                ssize_t n;
                bool there = fstatat(fd, e->path, &st, AT_SYMLINK_NOFOLLOW) == 0;

                if (e->type == '-' && there)
                        snprintf(msg, size, "%s shows through", e->path);
                else if (e->type != '-' && !there)
                        snprintf(msg, size, "%s is missing", e->path);
                else if (e->type == 'd' && !S_ISDIR(st.st_mode))
                        snprintf(msg, size, "%s is not a directory", e->path);
                else if (e->type == 'f' &&
                         (!S_ISREG(st.st_mode) || !(got = read_file_at(fd, e->path)) ||
                          !streq(got, e->data)))
                        snprintf(msg, size, "%s holds \"%s\", not \"%s\"", e->path, got ? got : "?",
                                 e->data);
                else if (e->type == 'l' &&
                         ((n = readlinkat(fd, e->path, link, sizeof(link) - 1)) < 0 ||
                          (link[n] = '\0', !streq(link, e->data))))
                        snprintf(msg, size, "%s is not a link to %s", e->path, e->data);
                else
                        continue;
                return msg;
        }
        if (count_whiteouts(fd, 0) != 0)
                return "a whiteout device is visible";
        return NULL;
}

static bool xattr_is(const char *path, const char *name, const char *value)
{
        char buf[64];
        ssize_t n = lgetxattr(path, name, buf, sizeof(buf) - 1);

        if (n < 0)
                return value == NULL;
        buf[n] = '\0';
        return value && streq(buf, value);
}

static bool is_mount_point(const char *dir, const char *name)
{
        cleanup_free char *sub = xasprintf("%s/%s", dir, name);
        struct stat a, b;

        return stat(dir, &a) == 0 && stat(sub, &b) == 0 && a.st_dev != b.st_dev;
}

/* Modes, owners, xattrs and links of the merged tree. */
static void check_attrs(struct reporter *rep, enum storage_driver_kind kind,
                        const char *const *lowers, const char *rootfs, bool userns)
{
        cleanup_free char *secret = xasprintf("%s/secret", rootfs);
        cleanup_free char *caps = xasprintf("%s/caps", rootfs);
        cleanup_free char *owned = xasprintf("%s/owned", rootfs);
        cleanup_free char *owned_below = xasprintf("%s/owned", lowers[0]);
        cleanup_free char *dir = xasprintf("%s/dir", rootfs);
        cleanup_free char *hl1 = xasprintf("%s/hl1", rootfs);
        cleanup_free char *hl2 = xasprintf("%s/hl2", rootfs);
        struct stat st, st2;
        bool same;

        report(rep, stat(secret, &st) == 0 && (st.st_mode & 07777) == 0600, "mode 0600 kept");
        report(rep, xattr_is(caps, "user.rctrtest", "v1"), "user.* xattr kept");
        same = stat(owned, &st) == 0 && stat(owned_below, &st2) == 0 && st.st_uid == st2.st_uid &&
               st.st_gid == st2.st_gid;
        report(rep, same, "owner kept (%u:%u)", same ? (unsigned)st.st_uid : 0,
               same ? (unsigned)st.st_gid : 0);
        report(rep,
               xattr_is(dir, "user.overlay.opaque", NULL) &&
                       (userns || xattr_is(dir, "trusted.overlay.opaque", NULL)),
               "no opaque marker visible in the rootfs");
        if (kind == STORAGE_DRIVER_VFS)
                report(rep, stat(hl1, &st) == 0 && stat(hl2, &st2) == 0 && st.st_ino == st2.st_ino,
                       "a hard link in a layer stays one");
}

/* Mount the three layers with one driver, check what the container sees, unmount. */
static void three_layer_scenario(struct reporter *rep, enum storage_driver_kind kind,
                                 const char *const *lowers, const char *cdir, bool userns)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *rootfs = NULL, *again = NULL, *created = NULL, *in_upper = NULL;
        cleanup_free char *upper = storage_driver_upper_dir(kind, cdir);
        char msg[300];
        const char *diff;
        int r, fd;

        r = storage_driver_mount(kind, lowers, 3, cdir, userns, &rootfs, &err);
        report(rep, r == 0, "mount 3 layers: %s", err.msg ? err.msg : "ok");
        if (r < 0)
                return;
        diff = tree_differs(rootfs, expect3, msg, sizeof(msg));
        report(rep, !diff, "merged tree as overlay shows it%s%s", diff ? ": " : "",
               diff ? diff : "");
        check_attrs(rep, kind, lowers, rootfs, userns);

        /* the container writes: overlay keeps it in upper/, vfs in its copy */
        created = xasprintf("%s/new", rootfs);
        fd = open(created, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        report(rep, fd >= 0, "write into the rootfs");
        if (fd >= 0)
                close(fd);
        in_upper = upper ? xasprintf("%s/new", upper) : NULL;
        report(rep, upper ? access(in_upper, F_OK) == 0 : kind == STORAGE_DRIVER_VFS,
               "the change is in upper/ (vfs: has none)");

        r = storage_driver_mount(kind, lowers, 3, cdir, userns, &again, &err);
        report(rep, r == 0 && streq(again, rootfs), "mounting again gives the same rootfs: %s",
               err.msg ? err.msg : "ok");
        rctr_error_clear(&err);
        report(rep, access(created, F_OK) == 0, "mounting again keeps the container's changes");

        r = storage_driver_unmount(kind, cdir, &err);
        report(rep, r == 0, "unmount: %s", err.msg ? err.msg : "ok");
        rctr_error_clear(&err);
        if (kind != STORAGE_DRIVER_VFS)
                report(rep, !is_mount_point(cdir, "merged"),
                       "nothing left mounted on merged/ (no stacked mount)");
        r = storage_driver_unmount(kind, cdir, &err);
        report(rep, r == 0, "unmounting again is fine: %s", err.msg ? err.msg : "ok");
}

static char **three_layers(const char *base, const char *opaque_xattr)
{
        const struct node *nodes[] = {layer0, layer1, layer2};
        char **lowers = xzalloc(4 * sizeof(char *));

        for (size_t i = 0; i < 3; i++) {
                lowers[i] = xasprintf("%s/layers/%zu/diff", base, i);
                if (make_layer(lowers[i], nodes[i], opaque_xattr) < 0) {
                        strv_free(lowers);
                        return NULL;
                }
        }
        return lowers;
}

static void test_three_layers(enum storage_driver_kind kind, char **lowers)
{
        const char *name = storage_driver_name(kind);
        cleanup_free char *prefix = xasprintf("%s%s", rootless ? "rootless " : "", name);
        cleanup_free char *cdir = xasprintf("%s/c-%s", tmp_dir, name);
        struct reporter rep = {.prefix = prefix};

        if (kind != STORAGE_DRIVER_VFS && !as_root) {
                ok(true, "%s: mount # SKIP not root", prefix);
                return;
        }
        if (kind == STORAGE_DRIVER_FUSE_OVERLAYFS && !fuse_usable) {
                ok(true, "%s: mount # SKIP fuse-overlayfs or /dev/fuse not usable", prefix);
                return;
        }
        if (mkdir(cdir, 0700) < 0)
                bail("mkdir container dir");
        three_layer_scenario(&rep, kind, (const char *const *)lowers, cdir, rootless);
}

/* ---- many layers: more than a page of lowerdir= ---- */

static char **many_layers(size_t *ret_total)
{
        cleanup_free char *store = NULL;
        char **lowers = xzalloc((MANY_LAYERS + 1) * sizeof(char *));
        char longname[201];
        size_t total = 0;

        memset(longname, 's', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        store = xasprintf("%s/%s", tmp_dir, longname);
        for (size_t i = 0; i < MANY_LAYERS; i++) {
                char name[16], value[16], gone[16];
                struct node nodes[4] = {{name, .data = value}, {.path = "top", .data = value}};

                snprintf(name, sizeof(name), "f%03zu", i);
                snprintf(value, sizeof(value), "%zu", i);
                /* every tenth layer deletes the previous layer's file */
                snprintf(gone, sizeof(gone), "f%03zu", i - 1);
                if (i > 0 && i % 10 == 0)
                        nodes[2] = (struct node){.path = gone, .type = 'w'};
                lowers[i] = xasprintf("%s/layers/%064zx/diff", store, i);
                if (make_layer(lowers[i], nodes, NULL) < 0)
                        bail("make layer");
                total += strlen(lowers[i]) + 1;
        }
        *ret_total = total;
        return lowers;
}

static const char *many_differs(const char *rootfs, char *msg, size_t size)
{
        cleanup_close int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_free char *top = fd >= 0 ? read_file_at(fd, "top") : NULL;
        char want[16];

        snprintf(want, sizeof(want), "%d", MANY_LAYERS - 1);
        if (!top || !streq(top, want)) {
                snprintf(msg, size, "top holds %s, not %s", top ? top : "nothing", want);
                return msg;
        }
        for (size_t i = 0; i < MANY_LAYERS; i++) {
                char name[16];
                bool deleted = (i + 1) % 10 == 0, there;

                snprintf(name, sizeof(name), "f%03zu", i);
                there = faccessat(fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
                if (there == deleted) {
                        snprintf(msg, size, "%s %s", name, deleted ? "shows through" : "missing");
                        return msg;
                }
        }
        return NULL;
}

static bool mountinfo_has(const char *needle)
{
        cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
        cleanup_free char *line = NULL;
        size_t cap = 0;

        while (f && getline(&line, &cap, f) > 0)
                if (strstr(line, needle))
                        return true;
        return false;
}

static void many_one(const char *what, enum storage_driver_kind kind, enum storage_overlay_api api,
                     char **lowers)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *cdir = xasprintf("%s/many-%s", tmp_dir, what);
        cleanup_free char *rootfs = NULL;
        cleanup_close int cfd = -1;
        char msg[200];
        const char *diff;
        int r;

        if (mkdir(cdir, 0700) < 0 || (cfd = open(cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                bail("mkdir container dir");
        if (kind == STORAGE_DRIVER_OVERLAY) {
                r = storage_driver_overlay_mount((const char *const *)lowers, MANY_LAYERS, cdir,
                                                 cfd, rootless, false, api, &err);
                rootfs = xasprintf("%s/merged", cdir);
        } else {
                r = storage_driver_mount(kind, (const char *const *)lowers, MANY_LAYERS, cdir,
                                         rootless, &rootfs, &err);
        }
        ok(r == 0, "%d layers, %s: mount: %s", MANY_LAYERS, what, err.msg ? err.msg : "ok");
        if (r < 0)
                return;
        diff = many_differs(rootfs, msg, sizeof(msg));
        ok(!diff, "%d layers, %s: every layer in its place%s%s", MANY_LAYERS, what,
           diff ? ": " : "", diff ? diff : "");
        if (api == STORAGE_OVERLAY_API_LEGACY)
                ok(mountinfo_has("lowerdir=l/127:l/126:"),
                   "%d layers, %s: mounted with short links", MANY_LAYERS, what);
        if (api == STORAGE_OVERLAY_API_FSCONFIG)
                ok(mountinfo_has("lowerdir+=/proc/self/fd/") && !mountinfo_has("lowerdir=l/"),
                   "%d layers, %s: mounted with one fsconfig per layer", MANY_LAYERS, what);
        r = storage_driver_unmount(kind, cdir, &err);
        ok(r == 0 && !is_mount_point(cdir, "merged"), "%d layers, %s: unmount: %s", MANY_LAYERS,
           what, err.msg ? err.msg : "ok");
}

static bool kernel_at_least(unsigned want_major, unsigned want_minor)
{
        struct utsname u;
        unsigned major = 0, minor = 0;

        if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
                return false;
        return major > want_major || (major == want_major && minor >= want_minor);
}

static void test_many_layers(void)
{
        size_t total = 0;
        char **lowers = many_layers(&total);

        ok(total > 4096, "the lower paths take %zu bytes, more than a page", total);
        many_one("vfs", STORAGE_DRIVER_VFS, STORAGE_OVERLAY_API_AUTO, lowers);
        if (!as_root) {
                ok(true, "%d layers on overlay # SKIP not root", MANY_LAYERS);
        } else {
                if (kernel_at_least(6, 8))
                        many_one("overlay via fsconfig lowerdir+", STORAGE_DRIVER_OVERLAY,
                                 STORAGE_OVERLAY_API_FSCONFIG, lowers);
                else
                        ok(true, "%d layers, overlay via fsconfig lowerdir+ # SKIP Linux < 6.8",
                           MANY_LAYERS);
                many_one("overlay via short links", STORAGE_DRIVER_OVERLAY,
                         STORAGE_OVERLAY_API_LEGACY, lowers);
                many_one("overlay (automatic)", STORAGE_DRIVER_OVERLAY, STORAGE_OVERLAY_API_AUTO,
                         lowers);
        }
        if (!as_root || !fuse_usable)
                ok(true, "%d layers on fuse-overlayfs # SKIP not root or no fuse", MANY_LAYERS);
        else
                many_one("fuse-overlayfs", STORAGE_DRIVER_FUSE_OVERLAYFS, STORAGE_OVERLAY_API_AUTO,
                         lowers);
        strv_free(lowers);
}

/* ---- names, choice and its record ---- */

static void write_text(const char *dir, const char *name, const char *text)
{
        cleanup_free char *path = xasprintf("%s/%s", dir, name);
        cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0 || fs_write_all(fd, text, strlen(text)) < 0)
                bail("write file");
}

static void test_names(void)
{
        cleanup_error struct rctr_error err = {0};
        enum storage_driver_kind kind = STORAGE_DRIVER_OVERLAY;
        bool all = true;

        for (int k = STORAGE_DRIVER_OVERLAY; k <= STORAGE_DRIVER_VFS; k++)
                all = all && storage_driver_parse(storage_driver_name(k), &kind, &err) == 0 &&
                      (int)kind == k;
        ok(all, "every driver name parses back to its driver");
        ok(storage_driver_parse("zfs", &kind, &err) == -EINVAL, "an unknown driver is refused");
        is_str(err.msg, "unknown storage driver \"zfs\" (overlay, fuse-overlayfs or vfs)",
               "... with the valid choices");
}

static void test_choose(void)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *store = xasprintf("%s/store-auto", tmp_dir);
        cleanup_free char *store2 = xasprintf("%s/store-forced", tmp_dir);
        json_t *probe = storage_probe(store, rootless);
        const char *probed = json_string_value(json_object_get(probe, "driver"));
        enum storage_driver_kind kind = STORAGE_DRIVER_VFS, cached = STORAGE_DRIVER_VFS;
        int r;

        ok(storage_driver_read_cache(store2, &kind, &err) == 0, "no record in a new store");
        r = storage_driver_choose(store, rootless, NULL, &kind, &err);
        ok(r == 0 && probed && streq(storage_driver_name(kind), probed),
           "automatic choice is what `rctr info` shows (%s): %s", probed ? probed : "?",
           err.msg ? err.msg : "ok");
        if (as_root)
                ok(kind == STORAGE_DRIVER_OVERLAY, "root on this host: overlay");
        else
                ok(true, "root on this host: overlay # SKIP not root");
        r = storage_driver_read_cache(store, &cached, &err);
        ok(r == 1 && cached == kind, "the choice is recorded in driver.json");

        write_text(store, "driver.json", "{\"driver\": \"vfs\"}\n");
        r = storage_driver_choose(store, rootless, NULL, &kind, &err);
        ok(r == 0 && kind == STORAGE_DRIVER_VFS, "a recorded choice is used without probing");
        r = storage_driver_choose(store, rootless, "fuse-overlayfs", &kind, &err);
        ok(r == 0 && kind == STORAGE_DRIVER_FUSE_OVERLAYFS, "--storage-driver wins");
        ok(storage_driver_read_cache(store, &cached, &err) == 1 && cached == STORAGE_DRIVER_VFS,
           "... without changing the store's record");
        r = storage_driver_choose(store, rootless, "zfs", &kind, &err);
        ok(r == -EINVAL && err.msg && strstr(err.msg, "zfs"), "a bad --storage-driver: %s",
           err.msg ? err.msg : "accepted");
        rctr_error_clear(&err);

        r = storage_driver_choose(store2, rootless, "vfs", &kind, &err);
        ok(r == 0 && kind == STORAGE_DRIVER_VFS &&
                   storage_driver_read_cache(store2, &cached, &err) == 1 &&
                   cached == STORAGE_DRIVER_VFS,
           "the first use of a store records a forced driver");

        write_text(store, "driver.json", "{\"driver\": \"zfs\"}");
        r = storage_driver_read_cache(store, &cached, &err);
        ok(r == -EBADMSG && err.msg && strstr(err.msg, "driver.json"),
           "a broken record is reported: %s", err.msg ? err.msg : "accepted");
        rctr_error_clear(&err);
        r = storage_driver_choose(store, rootless, NULL, &kind, &err);
        ok(r == 0 && storage_driver_read_cache(store, &cached, &err) == 1 && cached == kind,
           "... and replaced by a new probe");
        json_decref(probe);
}

static void test_errors(char **lowers)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *cdir = xasprintf("%s/c-errors", tmp_dir);
        cleanup_free char *missing = xasprintf("%s/no-such-layer", tmp_dir);
        cleanup_free char *rootfs = NULL;
        const char *bad[] = {lowers[0], missing};
        const char **too_many = xzalloc((STORAGE_DRIVER_MAX_LAYERS + 1) * sizeof(char *));
        int r;

        if (mkdir(cdir, 0700) < 0)
                bail("mkdir");
        r = storage_driver_mount(STORAGE_DRIVER_VFS, bad, 2, cdir, false, &rootfs, &err);
        ok(r == -ENOENT && err.msg && strstr(err.msg, "vfs driver: lower layer 2 (") &&
                   strstr(err.msg, "no-such-layer): No such file or directory"),
           "a missing layer is named: %s", err.msg ? err.msg : "accepted");
        rctr_error_clear(&err);

        for (size_t i = 0; i <= STORAGE_DRIVER_MAX_LAYERS; i++)
                too_many[i] = lowers[0];
        r = storage_driver_mount(STORAGE_DRIVER_OVERLAY, too_many, STORAGE_DRIVER_MAX_LAYERS + 1,
                                 cdir, false, &rootfs, &err);
        ok(r == -EFBIG && err.msg && strstr(err.msg, "501 layers"),
           "more layers than overlay stacks: %s", err.msg ? err.msg : "accepted");
        rctr_error_clear(&err);
        free(too_many);

        r = storage_driver_mount(STORAGE_DRIVER_VFS, NULL, 0, cdir, false, &rootfs, &err);
        ok(r == 0 && rootfs, "an image without layers: %s", err.msg ? err.msg : "ok");
        rctr_error_clear(&err);
        free(TAKE_PTR(rootfs));
        if (as_root) {
                r = storage_driver_mount(STORAGE_DRIVER_OVERLAY, NULL, 0, cdir, rootless, &rootfs,
                                         &err);
                ok(r == 0, "an image without layers on overlay: %s", err.msg ? err.msg : "ok");
                rctr_error_clear(&err);
                r = storage_driver_unmount(STORAGE_DRIVER_OVERLAY, cdir, &err);
                ok(r == 0, "... unmounted: %s", err.msg ? err.msg : "ok");
                rctr_error_clear(&err);
        } else {
                ok(true, "an image without layers on overlay # SKIP not root");
                ok(true, "... unmounted # SKIP not root");
        }
}

/* The pid of the fuse-overlayfs serving merged/ in cdir (it was started by our driver). */
static pid_t find_fuse_daemon(const char *cdir)
{
        cleanup_dir DIR *d = opendir("/proc");
        cleanup_free char *needle = xasprintf("%s/merged", cdir);
        struct dirent *de;

        while (d && (de = readdir(d))) {
                cleanup_free char *path = NULL;
                cleanup_close int fd = -1;
                char cmdline[8192];
                ssize_t n;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                path = xasprintf("/proc/%s/cmdline", de->d_name);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || (n = read(fd, cmdline, sizeof(cmdline) - 1)) <= 0)
                        continue;
                cmdline[n] = '\0';
                /* argv[0] is the program; the mount point is the last argument */
                for (ssize_t i = 0; i < n; i++)
                        if (cmdline[i] == '\0')
                                cmdline[i] = ' ';
                if (strstr(cmdline, "fuse-overlayfs") && strstr(cmdline, needle))
                        return (pid_t)strtol(de->d_name, NULL, 10);
        }
        return -1;
}

/* The daemon dies (its cgroup went away): mounting again must notice and start a new one. */
static void test_fuse_dead_daemon(char **lowers)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *cdir = xasprintf("%s/c-fuse-dead", tmp_dir);
        cleanup_free char *rootfs = NULL, *again = NULL, *a = NULL;
        struct stat st;
        pid_t pid;
        int r, tries;

        if (!as_root || !fuse_usable) {
                ok(true, "fuse-overlayfs: a dead daemon is replaced # SKIP not root or no fuse");
                return;
        }
        if (mkdir(cdir, 0700) < 0)
                bail("mkdir");
        r = storage_driver_mount(STORAGE_DRIVER_FUSE_OVERLAYFS, (const char *const *)lowers, 3,
                                 cdir, rootless, &rootfs, &err);
        pid = r == 0 ? find_fuse_daemon(cdir) : -1;
        ok(pid > 0, "fuse-overlayfs: the daemon runs (pid %d): %s", (int)pid,
           err.msg ? err.msg : "ok");
        if (pid <= 0)
                return;
        kill(pid, SIGKILL);
        a = xasprintf("%s/a", rootfs);
        for (tries = 0; tries < 100 && !(stat(a, &st) < 0 && errno == ENOTCONN); tries++)
                usleep(20000);
        r = storage_driver_mount(STORAGE_DRIVER_FUSE_OVERLAYFS, (const char *const *)lowers, 3,
                                 cdir, rootless, &again, &err);
        ok(r == 0 && stat(a, &st) == 0, "fuse-overlayfs: a dead daemon is replaced: %s",
           err.msg ? err.msg : "ok");
        rctr_error_clear(&err);
        r = storage_driver_unmount(STORAGE_DRIVER_FUSE_OVERLAYFS, cdir, &err);
        ok(r == 0 && !is_mount_point(cdir, "merged"), "fuse-overlayfs: unmounted: %s",
           err.msg ? err.msg : "ok");
}

static void test_fuse_colon(char **lowers)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *cdir = xasprintf("%s/c-fuse-colon", tmp_dir);
        cleanup_free char *odd = xasprintf("%s/odd:layer", tmp_dir);
        cleanup_free char *rootfs = NULL;
        const char *list[] = {lowers[0], odd};
        int r;

        if (!fuse_usable) {
                ok(true, "fuse-overlayfs: ':' in a layer path # SKIP no fuse-overlayfs");
                return;
        }
        if (mkdir(cdir, 0700) < 0 || mkdir(odd, 0755) < 0)
                bail("mkdir");
        r = storage_driver_mount(STORAGE_DRIVER_FUSE_OVERLAYFS, list, 2, cdir, false, &rootfs,
                                 &err);
        ok(r == -EINVAL && err.msg && strstr(err.msg, "contains ':'"),
           "fuse-overlayfs: ':' in a layer path is refused: %s", err.msg ? err.msg : "accepted");
}

/* ---- rootless: root of a user namespace mapped to an unprivileged range ---- */

enum {
        USERNS_OVERLAY,
        USERNS_VFS,
        USERNS_FUSE,
        USERNS_N
};

struct userns_result {
        int stage; /* 0, or the setup step that failed */
        int code;  /* its errno */
        bool ran[USERNS_N];
        struct reporter rep[USERNS_N];
};

static const enum storage_driver_kind userns_kinds[USERNS_N] = {
        [USERNS_OVERLAY] = STORAGE_DRIVER_OVERLAY,
        [USERNS_VFS] = STORAGE_DRIVER_VFS,
        [USERNS_FUSE] = STORAGE_DRIVER_FUSE_OVERLAYFS,
};

static void __attribute__((noreturn))
userns_send(struct userns_result *res, int out, int stage, int code)
{
        res->stage = stage;
        res->code = code;
        _exit(write(out, res, sizeof(*res)) == (ssize_t)sizeof(*res) ? 0 : 1);
}

static void __attribute__((noreturn)) userns_child(int up, int down, int out, const char *work)
{
        static struct userns_result res;
        char **lowers;
        char c;

        /* as rctr's pause process: a user namespace with a mount namespace it owns */
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
                userns_send(&res, out, 1, errno);
        if (write(up, "u", 1) != 1 || read(down, &c, 1) != 1)
                userns_send(&res, out, 2, errno);
        /* the parent mapped 0 to USERNS_BASE: become that root, unprivileged on the host */
        if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
                userns_send(&res, out, 3, errno);
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                userns_send(&res, out, 4, errno);
        /* layers unpacked rootless: opaque directories marked with user.overlay.opaque */
        lowers = three_layers(work, "user.overlay.opaque");
        if (!lowers)
                userns_send(&res, out, 5, errno);
        for (int i = 0; i < USERNS_N; i++) {
                const char *name = storage_driver_name(userns_kinds[i]);
                cleanup_free char *cdir = xasprintf("%s/c-%s", work, name);

                if (userns_kinds[i] == STORAGE_DRIVER_FUSE_OVERLAYFS && !fuse_usable)
                        continue;
                if (mkdir(cdir, 0700) < 0)
                        userns_send(&res, out, 6, errno);
                res.ran[i] = true;
                res.rep[i].collect = true;
                three_layer_scenario(&res.rep[i], userns_kinds[i], (const char *const *)lowers,
                                     cdir, true);
        }
        userns_send(&res, out, 0, 0);
}

static int write_map(pid_t pid, const char *file)
{
        cleanup_free char *path = xasprintf("/proc/%d/%s", (int)pid, file);
        cleanup_free char *map = xasprintf("0 %d 65536\n", USERNS_BASE);
        cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);

        return fd >= 0 && fs_write_all(fd, map, strlen(map)) == 0 ? 0 : -1;
}

static void test_rootless(void)
{
        cleanup_free char *work = xasprintf("%s/userns", tmp_dir);
        struct userns_result res = {.stage = -1};
        int up[2], down[2], out[2], status = 0;
        char c;
        pid_t pid;

        if (!as_root || rootless) {
                ok(true, "rootless: overlay, vfs, fuse-overlayfs # SKIP needs root of the host to "
                         "map ids");
                return;
        }
        /* the child is uid USERNS_BASE on the host: it needs a way in and a directory of its own */
        if (chmod(tmp_dir, 0711) < 0 || mkdir(work, 0700) < 0 ||
            chown(work, USERNS_BASE, USERNS_BASE) < 0)
                bail("prepare the rootless directory");
        if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
                bail("pipe");
        fflush(stdout);
        pid = fork();
        if (pid < 0)
                bail("fork");
        if (pid == 0)
                userns_child(up[1], down[0], out[1], work);
        close(up[1]);
        close(down[0]);
        close(out[1]);
        /* writing another process's maps needs CAP_SETUID/CAP_SETGID here: we are root */
        if (read(up[0], &c, 1) == 1 && write_map(pid, "uid_map") == 0 &&
            write_map(pid, "gid_map") == 0)
                (void)!write(down[1], "g", 1);
        close(up[0]);
        close(down[1]);
        if (read(out[0], &res, sizeof(res)) != (ssize_t)sizeof(res))
                res.stage = -1;
        close(out[0]);
        waitpid(pid, &status, 0);
        ok(res.stage == 0, "rootless: child in a user namespace (0 -> %d) set up (step %d: %s)",
           USERNS_BASE, res.stage, res.stage ? strerror(res.code) : "ok");
        for (int i = 0; i < USERNS_N; i++) {
                const char *name = storage_driver_name(userns_kinds[i]);

                if (!res.ran[i]) {
                        ok(true, "rootless %s # SKIP not run", name);
                        continue;
                }
                ok(res.rep[i].failed == 0 && res.rep[i].passed > 0,
                   "rootless %s: %d checks passed%s%s", name, res.rep[i].passed,
                   res.rep[i].failed ? ", first failure: " : "", res.rep[i].first_failure);
        }
}

/* Whatever a failed test left mounted goes before the tree is removed. */
static void unmount_leftovers(void)
{
        cleanup_dir DIR *d = opendir(tmp_dir);
        struct dirent *de;

        while (d && (de = readdir(d))) {
                cleanup_free char *merged = xasprintf("%s/%s/merged", tmp_dir, de->d_name);

                (void)umount2(merged, MNT_DETACH | UMOUNT_NOFOLLOW);
        }
}

static int count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        int n = 0;

        while (d && readdir(d))
                n++;
        if (d)
                closedir(d);
        return n;
}

int main(void)
{
        const char *base = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *fuse = spawn_find_in_path("fuse-overlayfs");
        cleanup_free char *img = NULL;
        char **lowers;
        int fds;

        as_root = geteuid() == 0;
        rootless = rootless_is_rootless();
        fuse_usable = fuse && access("/dev/fuse", R_OK | W_OK) == 0;
        /* "kernel overlay is not usable" and the like are expected; keep the TAP output clean */
        log_max_level = LOG_LEVEL_ERROR;
        umask(022);
        tmp_dir = xasprintf("%s/rctr-driver-XXXXXX", base);
        if (!mkdtemp(tmp_dir))
                bail("mkdtemp");
        fds = count_fds();

        test_names();
        test_choose();
        img = xasprintf("%s/img", tmp_dir);
        lowers = three_layers(img, storage_whiteout_opaque_xattr(rootless));
        if (!lowers)
                bail("make the three layers");
        test_three_layers(STORAGE_DRIVER_VFS, lowers);
        test_three_layers(STORAGE_DRIVER_OVERLAY, lowers);
        test_three_layers(STORAGE_DRIVER_FUSE_OVERLAYFS, lowers);
        test_errors(lowers);
        test_fuse_colon(lowers);
        test_fuse_dead_daemon(lowers);
        test_many_layers();
        test_rootless();
        strv_free(lowers);
        ok(count_fds() == fds, "no file descriptor leaked (%d before, %d after)", fds, count_fds());

        unmount_leftovers();
        if (fs_remove_tree_at(AT_FDCWD, tmp_dir, &err) < 0)
                printf("# cleanup: %s\n", err.msg);
        free(tmp_dir);
        return tap_done();
}
