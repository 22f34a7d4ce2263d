#include <config.h>
#include "unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/error.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/layer-path.h"
#include "storage/whiteout.h"

DEFINE_FREEP(struct archive *, archive_read_free)

#define READ_BLOCK          (64 * 1024)
#define MAX_SKIPPED_DEVICES 1024

/* The metadata applied after an entry's content; for directories only after all entries. */
struct meta {
        uid_t uid;
        gid_t gid;
        mode_t mode;
        struct timespec times[2]; /* atime, mtime, as utimensat() takes them */
};

struct dir_meta {
        char *path; /* owned, clean */
        size_t index;
        struct meta meta;
};

/* The stream libarchive reads from, through our callback so that a read errno is kept. */
struct source {
        int fd;
        int read_errno;
        char buf[READ_BLOCK];
};

struct unpack {
        int layer_fd; /* borrowed from the caller */
        const struct storage_unpack_opts *opts;
        const char *opaque_xattr;
        /* The parent directory of the previous entry: tars list a directory's files together. */
        char *cache_path; /* owned, clean; NULL = nothing cached */
        int cache_fd;     /* owned, O_PATH */
        struct dir_meta *dirs;
        size_t n_dirs;
        char **skipped_devices; /* owned: clean paths, so hard links to them are skipped too */
        size_t n_skipped_devices;
        bool warned_devices, warned_xattrs;
        struct storage_unpack_stats stats;
};

/* One tar entry being created. */
struct entry {
        struct archive_entry *ae; /* borrowed from libarchive, valid until the next header */
        const char *path;         /* clean */
        const char *name;         /* the last component of path */
        int parentfd;             /* borrowed from the cache */
        struct meta meta;
};

static void unpack_clear(struct unpack *u)
{
        free(u->cache_path);
        closep(&u->cache_fd);
        for (size_t i = 0; i < u->n_dirs; i++)
                free(u->dirs[i].path);
        free(u->dirs);
        for (size_t i = 0; i < u->n_skipped_devices; i++)
                free(u->skipped_devices[i]);
        free(u->skipped_devices);
}

bool storage_unpack_xattr_allowed(const char *name, bool rootless)
{
        if (strncmp(name, "user.", 5) == 0)
                return strncmp(name + 5, "overlay.", 8) != 0;
        /* File capabilities (ping, newuidmap); a user namespace root gets v3 caps for its ns. */
        if (streq(name, "security.capability"))
                return true;
        /* Needs CAP_SYS_ADMIN in the initial namespace. */
        if (strncmp(name, "trusted.", 8) == 0)
                return !rootless && strncmp(name + 8, "overlay.", 8) != 0;
        return false;
}

static void forget_cache(struct unpack *u)
{
        free(TAKE_PTR(u->cache_path));
        closep(&u->cache_fd);
        u->cache_fd = -1;
}

/* The directory dir (clean, "" = the layer root). Returns a fd borrowed from the cache. */
static int parent_fd(struct unpack *u, const char *dir, bool create, struct rctr_error *err)
{
        int start = u->layer_fd, fd;
        size_t skip = 0;

        if (u->cache_path) {
                size_t n = strlen(u->cache_path);

                if (streq(u->cache_path, dir))
                        return u->cache_fd;
                /* a subdirectory of the cached one: walk on from there */
                if (n > 0 && strncmp(dir, u->cache_path, n) == 0 && dir[n] == '/') {
                        start = u->cache_fd;
                        skip = n + 1;
                }
        }
        fd = storage_layer_path_open_dir(start, dir, skip, create, err);
        if (fd < 0)
                return fd;
        forget_cache(u);
        u->cache_path = xstrdup(dir);
        u->cache_fd = fd;
        return fd;
}

/*
 * A later entry replaces an earlier one of the same name, as with tar: remove what is at name
 * unless it is a non-empty directory. *ret_whiteout tells whether it was an overlay whiteout.
 */
static int make_room(struct unpack *u, const struct entry *e, bool *ret_whiteout,
                     struct rctr_error *err)
{
        int parentfd = e->parentfd;
        const char *name = e->name;
        size_t n = strlen(e->path);
        struct stat st;

        if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : rctr_error_sys(err, errno, "inspect the old entry");
        if (ret_whiteout)
                *ret_whiteout = storage_whiteout_is_device(&st);
        if (!S_ISDIR(st.st_mode)) {
                if (unlinkat(parentfd, name, 0) < 0)
                        return rctr_error_sys(err, errno, "replace the old entry");
                return 0;
        }
        if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0)
                return rctr_error_sys(err, errno, "replace the directory of the same name");
        /*
         * The cache may have held that directory or one below it. Not e's parent, which is
         * borrowed from the cache and stays valid.
         */
        if (u->cache_path && strncmp(u->cache_path, e->path, n) == 0 &&
            (u->cache_path[n] == '\0' || u->cache_path[n] == '/'))
                forget_cache(u);
        return 0;
}

static int entry_meta(struct archive_entry *ae, struct meta *ret, struct rctr_error *err)
{
        la_int64_t uid = archive_entry_uid(ae), gid = archive_entry_gid(ae);
        struct timespec mtime = {.tv_nsec = UTIME_OMIT}, atime;

        /* (uid_t)-1 would mean "leave unchanged" to chown(): refuse it with the rest */
        if (uid < 0 || uid >= UINT32_MAX || gid < 0 || gid >= UINT32_MAX)
                return rctr_error_set(err, EBADMSG, "owner %" PRId64 ":%" PRId64 " out of range",
                                      (int64_t)uid, (int64_t)gid);
        if (archive_entry_mtime_is_set(ae)) {
                mtime.tv_sec = (time_t)archive_entry_mtime(ae);
                mtime.tv_nsec = archive_entry_mtime_nsec(ae);
                if (mtime.tv_nsec < 0 || mtime.tv_nsec >= 1000000000)
                        mtime.tv_nsec = 0;
        }
        atime = mtime;
        if (archive_entry_atime_is_set(ae)) {
                atime.tv_sec = (time_t)archive_entry_atime(ae);
                atime.tv_nsec = archive_entry_atime_nsec(ae);
                if (atime.tv_nsec < 0 || atime.tv_nsec >= 1000000000)
                        atime.tv_nsec = 0;
        }
        *ret = (struct meta){
                .uid = (uid_t)uid,
                .gid = (gid_t)gid,
                .mode = archive_entry_perm(ae) & 07777,
                .times = {atime, mtime},
        };
        return 0;
}

/* chown fd itself (name NULL) or name in fd without following it. */
static int set_owner(struct unpack *u, int fd, const char *name, const struct meta *m,
                     struct rctr_error *err)
{
        int r = name ? fchownat(fd, name, m->uid, m->gid, AT_SYMLINK_NOFOLLOW)
                     : fchown(fd, m->uid, m->gid);

        if (r == 0)
                return 0;
        /* EINVAL: an id outside our user namespace's map; EPERM: no namespace at all */
        if ((errno == EINVAL || errno == EPERM) && u->opts->ignore_chown_errors)
                return 0;
        if (errno == EINVAL)
                return rctr_error_set(err, EINVAL,
                                      "set owner %u:%u: uid %u or gid %u is not mapped in the user "
                                      "namespace (the user needs subuid and subgid ranges, see "
                                      "subuid(5) and subgid(5))",
                                      (unsigned)m->uid, (unsigned)m->gid, (unsigned)m->uid,
                                      (unsigned)m->gid);
        return rctr_error_sys(err, errno, "set owner %u:%u", (unsigned)m->uid, (unsigned)m->gid);
}

/* Owner, then mode (chown clears setuid/setgid), then times, all through fd. */
static int set_meta_fd(struct unpack *u, int fd, const struct meta *m, struct rctr_error *err)
{
        int r = set_owner(u, fd, NULL, m, err);

        if (r < 0)
                return r;
        if (fchmod(fd, m->mode) < 0)
                return rctr_error_sys(err, errno, "set mode %04o", (unsigned)m->mode);
        if (futimens(fd, m->times) < 0)
                return rctr_error_sys(err, errno, "set times");
        return 0;
}

/*
 * Xattrs are best effort, as in every engine: a layer must stay usable on a file system or in a
 * namespace that refuses some of them (tmpfs before 6.6 has no user.*, a security.capability
 * can be refused in a user namespace). One warning per layer, the rest at debug level.
 */
static void set_xattrs(struct unpack *u, int fd, const struct entry *e)
{
        cleanup_free char *path = storage_layer_path_escape(e->path);
        const char *xname;
        const void *value;
        size_t size;

        archive_entry_xattr_reset(e->ae);
        while (archive_entry_xattr_next(e->ae, &xname, &value, &size) == ARCHIVE_OK) {
                cleanup_free char *shown = storage_layer_path_escape(xname ? xname : "");
                int error;

                if (!xname || !storage_unpack_xattr_allowed(xname, u->opts->rootless)) {
                        log_debug("layer entry %s: xattr %s not applied", path, shown);
                        continue;
                }
                if (fsetxattr(fd, xname, value, size, 0) == 0)
                        continue;
                error = errno;
                if (!u->warned_xattrs) {
                        u->warned_xattrs = true;
                        log_warn("layer entry %s: set xattr %s: %s, ignoring (further xattr "
                                 "failures in this layer only at debug level)",
                                 path, shown, strerror(error));
                } else {
                        log_debug("layer entry %s: set xattr %s: %s, ignoring", path, shown,
                                  strerror(error));
                }
        }
}

static int pwrite_all(int fd, const char *p, size_t len, off_t off)
{
        while (len > 0) {
                ssize_t n = RETRY_EINTR(pwrite(fd, p, len, off));

                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                p += n;
                len -= (size_t)n;
                off += n;
        }
        return 0;
}

static int archive_failure(struct archive *a, const struct source *src, const char *what,
                           struct rctr_error *err)
{
        const char *msg = archive_error_string(a);
        cleanup_free char *shown = NULL;

        if (src->read_errno)
                return rctr_error_sys(err, src->read_errno, "%s", what);
        shown = storage_layer_path_escape(msg ? msg : "unknown error");
        return rctr_error_set(err, EBADMSG, "%s: %s", what, shown);
}

/*
 * Stream the entry's data into fd block by block (libarchive's buffer, never the whole file);
 * blocks carry offsets, so sparse files keep their holes.
 */
static int copy_data(struct unpack *u, struct archive *a, const struct source *src, int fd,
                     const struct entry *e, struct rctr_error *err)
{
        int64_t size = archive_entry_size_is_set(e->ae) ? archive_entry_size(e->ae) : INT64_MAX;
        int64_t end = 0;

        if (size < 0)
                return rctr_error_set(err, EBADMSG, "negative size");
        for (;;) {
                const void *block;
                size_t len;
                la_int64_t off;
                int r = archive_read_data_block(a, &block, &len, &off);

                if (r == ARCHIVE_EOF)
                        break;
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                        return archive_failure(a, src, "read the file data", err);
                if (off < 0 || off > size || len > (uint64_t)(size - off))
                        return rctr_error_set(err, EBADMSG, "data beyond the size %" PRId64, size);
                r = pwrite_all(fd, block, len, (off_t)off);
                if (r < 0)
                        return rctr_error_sys(err, -r, "write");
                u->stats.bytes += len;
                if (off + (int64_t)len > end)
                        end = off + (int64_t)len;
        }
        /* a sparse file may end in a hole */
        if (size != INT64_MAX && end < size && ftruncate(fd, (off_t)size) < 0)
                return rctr_error_sys(err, errno, "set the size to %" PRId64, size);
        return 0;
}

static int unpack_file(struct unpack *u, struct archive *a, const struct source *src,
                       const struct entry *e, struct rctr_error *err)
{
        /* O_EXCL|O_NOFOLLOW: never write through an earlier entry, a symlink or a hard link */
        const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
        cleanup_close int fd = openat(e->parentfd, e->name, flags, 0600);
        int r;

        if (fd < 0 && errno == EEXIST) {
                r = make_room(u, e, NULL, err);
                if (r < 0)
                        return r;
                fd = openat(e->parentfd, e->name, flags, 0600);
        }
        if (fd < 0)
                return rctr_error_sys(err, errno, "create file");
        r = copy_data(u, a, src, fd, e, err);
        if (r < 0)
                return r;
        r = set_owner(u, fd, NULL, &e->meta, err);
        if (r < 0)
                return r;
        if (fchmod(fd, e->meta.mode) < 0)
                return rctr_error_sys(err, errno, "set mode %04o", (unsigned)e->meta.mode);
        /* after chown: changing the owner drops security.capability */
        set_xattrs(u, fd, e);
        if (futimens(fd, e->meta.times) < 0)
                return rctr_error_sys(err, errno, "set times");
        return 0;
}

/* Owner, mode and times are set at the end (entries below would change the times). */
static void record_dir(struct unpack *u, const struct entry *e)
{
        u->dirs = xreallocarray(u->dirs, u->n_dirs + 1, sizeof(*u->dirs));
        u->dirs[u->n_dirs] = (struct dir_meta){
                .path = xstrdup(e->path),
                .index = u->n_dirs,
                .meta = e->meta,
        };
        u->n_dirs++;
}

static int unpack_dir(struct unpack *u, const struct entry *e, struct rctr_error *err)
{
        cleanup_close int fd = -1;
        bool over_whiteout = false;
        struct stat st;
        int r;

        /* 0700 until the end: a mode such as 0555 must not stop the entries below */
        if (mkdirat(e->parentfd, e->name, 0700) < 0) {
                if (errno != EEXIST)
                        return rctr_error_sys(err, errno, "create directory");
                if (fstatat(e->parentfd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return rctr_error_sys(err, errno, "inspect the old entry");
                if (!S_ISDIR(st.st_mode)) {
                        r = make_room(u, e, &over_whiteout, err);
                        if (r < 0)
                                return r;
                        if (mkdirat(e->parentfd, e->name, 0700) < 0)
                                return rctr_error_sys(err, errno, "create directory");
                }
        }
        if (over_whiteout || archive_entry_xattr_count(e->ae) > 0) {
                fd = openat(e->parentfd, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return rctr_error_sys(err, errno, "open directory");
                set_xattrs(u, fd, e);
        }
        /*
         * Deleted and re-created in this layer (".wh.d" then "d/"): nothing of the lower d may
         * show through, which overlay expresses as an opaque directory.
         */
        if (over_whiteout) {
                r = storage_whiteout_set_opaque(fd, u->opaque_xattr, err);
                if (r < 0)
                        return r;
        }
        record_dir(u, e);
        return 0;
}

/* One attempt at creating a symlink, fifo or device node; returns 0 or -errno. */
static int make_node(const struct entry *e, mode_t type, dev_t dev)
{
        int r;

        if (type == S_IFLNK)
                r = symlinkat(archive_entry_symlink(e->ae), e->parentfd, e->name);
        else if (type == S_IFIFO)
                r = mkfifoat(e->parentfd, e->name, 0600);
        else
                r = mknodat(e->parentfd, e->name, type | 0600, dev);
        return r < 0 ? -errno : 0;
}

static int create_node(struct unpack *u, const struct entry *e, mode_t type, dev_t dev,
                       const char *what, struct rctr_error *err)
{
        int r = make_node(e, type, dev);

        if (r == -EEXIST) {
                r = make_room(u, e, NULL, err);
                if (r < 0)
                        return r;
                r = make_node(e, type, dev);
        }
        if (r < 0)
                return rctr_error_sys(err, -r, "create %s", what);
        return 0;
}

static int unpack_symlink(struct unpack *u, const struct entry *e, struct rctr_error *err)
{
        /* Any target is fine: it is stored as-is and never followed here. */
        const char *target = archive_entry_symlink(e->ae);
        int r;

        if (!target || !target[0])
                return rctr_error_set(err, EBADMSG, "symbolic link without a target");
        r = create_node(u, e, S_IFLNK, 0, "symbolic link", err);
        if (r < 0)
                return r;
        r = set_owner(u, e->parentfd, e->name, &e->meta, err);
        if (r < 0)
                return r;
        if (utimensat(e->parentfd, e->name, e->meta.times, AT_SYMLINK_NOFOLLOW) < 0)
                return rctr_error_sys(err, errno, "set times");
        return 0;
}

static int unpack_fifo(struct unpack *u, const struct entry *e, struct rctr_error *err)
{
        cleanup_close int fd = -1;
        int r = create_node(u, e, S_IFIFO, 0, "fifo", err);

        if (r < 0)
                return r;
        /* a read-only, non-blocking open of a fifo returns at once and has no side effect */
        fd = openat(e->parentfd, e->name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open fifo");
        return set_meta_fd(u, fd, &e->meta, err);
}

static void skip_device(struct unpack *u, const struct entry *e)
{
        u->stats.skipped++;
        if (!u->warned_devices) {
                cleanup_free char *shown = storage_layer_path_escape(e->path);

                u->warned_devices = true;
                log_warn("layer entry %s: device node skipped: a user namespace cannot create "
                         "device nodes (so are any others in this layer), ignoring",
                         shown);
        }
        /* remembered so that hard links to it are skipped too rather than failing */
        if (u->n_skipped_devices < MAX_SKIPPED_DEVICES) {
                u->skipped_devices =
                        xreallocarray(u->skipped_devices, u->n_skipped_devices + 1, sizeof(char *));
                u->skipped_devices[u->n_skipped_devices++] = xstrdup(e->path);
        }
}

static int unpack_device(struct unpack *u, const struct entry *e, struct rctr_error *err)
{
        mode_t type = archive_entry_filetype(e->ae) == AE_IFBLK ? S_IFBLK : S_IFCHR;
        dev_t dev = makedev(archive_entry_rdevmajor(e->ae), archive_entry_rdevminor(e->ae));
        int r;

        /* Since Linux 5.8 only a 0/0 character device (a whiteout) is allowed in a userns. */
        if (u->opts->rootless && !(type == S_IFCHR && dev == makedev(0, 0))) {
                skip_device(u, e);
                return 0;
        }
        r = create_node(u, e, type, dev, "device node", err);
        if (r < 0)
                return r;
        r = set_owner(u, e->parentfd, e->name, &e->meta, err);
        if (r < 0)
                return r;
        /*
         * Never open a device node to get an fd: opening has side effects. glibc does a
         * no-follow fchmodat through O_PATH (fchmodat2 on newer kernels and libcs).
         */
        if (fchmodat(e->parentfd, e->name, e->meta.mode, AT_SYMLINK_NOFOLLOW) < 0)
                return rctr_error_sys(err, errno, "set mode %04o", (unsigned)e->meta.mode);
        if (utimensat(e->parentfd, e->name, e->meta.times, AT_SYMLINK_NOFOLLOW) < 0)
                return rctr_error_sys(err, errno, "set times");
        return 0;
}

static bool device_was_skipped(const struct unpack *u, const char *path)
{
        for (size_t i = 0; i < u->n_skipped_devices; i++)
                if (streq(u->skipped_devices[i], path))
                        return true;
        return false;
}

/* Open the hard link target's directory (inside the layer, no symlinks) and check the target. */
static int link_target(struct unpack *u, const char *target, const char **ret_name,
                       struct rctr_error *err)
{
        cleanup_free char *dir = storage_layer_path_split(target, ret_name);
        cleanup_close int fd = storage_layer_path_open_dir(u->layer_fd, dir, 0, false, err);
        struct stat st;

        if (fd < 0)
                return fd;
        if (fstatat(fd, *ret_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return rctr_error_sys(err, errno, "look up the target");
        if (S_ISDIR(st.st_mode))
                return rctr_error_set(err, EBADMSG, "the target is a directory");
        return TAKE_FD(fd);
}

/*
 * The target is a name in the archive, resolved like an entry name: inside the layer, through
 * directories only. linkat() without AT_SYMLINK_FOLLOW links a symlink itself, never its target,
 * so no file outside the layer can be linked in and written through later.
 */
static int unpack_hardlink(struct unpack *u, const struct entry *e, const char *raw,
                           struct rctr_error *err)
{
        cleanup_free char *target = NULL, *shown = storage_layer_path_escape(raw);
        cleanup_close int tfd = -1;
        const char *tname;
        struct stat a, b;
        int r;

        r = storage_layer_path_clean(raw, &target, err);
        if (r < 0)
                return rctr_error_prefix(err, "hard link to %s", shown);
        if (!target[0])
                return rctr_error_set(err, EBADMSG, "hard link to %s: the layer root", shown);
        if (streq(target, e->path))
                return 0; /* a link to itself: nothing to do */
        if (device_was_skipped(u, target)) {
                u->stats.skipped++;
                return 0;
        }
        tfd = link_target(u, target, &tname, err);
        if (tfd < 0)
                return rctr_error_prefix(err, "hard link to %s", shown);
        if (linkat(tfd, tname, e->parentfd, e->name, 0) == 0)
                return 0;
        if (errno != EEXIST)
                return rctr_error_sys(err, errno, "hard link to %s", shown);
        /* already the same inode (a tar listing one link twice): done */
        if (fstatat(tfd, tname, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
            fstatat(e->parentfd, e->name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
                return 0;
        r = make_room(u, e, NULL, err);
        if (r < 0)
                return r;
        if (linkat(tfd, tname, e->parentfd, e->name, 0) < 0)
                return rctr_error_sys(err, errno, "hard link to %s", shown);
        return 0;
}

static int unpack_whiteout(struct unpack *u, const struct entry *e, enum storage_whiteout_kind kind,
                           const char *target, struct rctr_error *err)
{
        cleanup_close int fd = -1;

        if (kind == STORAGE_WHITEOUT_FILE)
                return storage_whiteout_create_at(e->parentfd, target, u->opaque_xattr, err);
        /* opaque: the marker's directory is the parent we just resolved */
        fd = openat(e->parentfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open the directory");
        return storage_whiteout_set_opaque(fd, u->opaque_xattr, err);
}

static int unpack_typed(struct unpack *u, struct archive *a, const struct source *src,
                        const struct entry *e, struct rctr_error *err)
{
        const char *hardlink = archive_entry_hardlink(e->ae);

        /* first: libarchive reports hard links with file type 0 */
        if (hardlink)
                return unpack_hardlink(u, e, hardlink, err);
        switch (archive_entry_filetype(e->ae)) {
        case AE_IFREG:
                return unpack_file(u, a, src, e, err);
        case AE_IFDIR:
                return unpack_dir(u, e, err);
        case AE_IFLNK:
                return unpack_symlink(u, e, err);
        case AE_IFCHR:
        case AE_IFBLK:
                return unpack_device(u, e, err);
        case AE_IFIFO:
                return unpack_fifo(u, e, err);
        case AE_IFSOCK:
                /* a socket is only meaningful with a listener; tar skips them too */
                u->stats.skipped++;
                return 0;
        default:
                return rctr_error_set(err, EBADMSG, "unknown entry type 0%o",
                                      (unsigned)archive_entry_filetype(e->ae));
        }
}

static int unpack_entry(struct unpack *u, struct archive *a, const struct source *src,
                        struct archive_entry *ae, const char *raw, struct rctr_error *err)
{
        cleanup_free char *path = NULL, *dir = NULL;
        struct entry e = {.ae = ae};
        enum storage_whiteout_kind kind;
        const char *target = NULL;
        int r;

        r = storage_layer_path_clean(raw, &path, err);
        if (r < 0)
                return r;
        if (!path[0]) {
                /* "./": the layer directory is ours, its metadata stays as the store made it */
                if (archive_entry_filetype(ae) == AE_IFDIR && !archive_entry_hardlink(ae))
                        return 0;
                return rctr_error_set(err, EBADMSG, "names the layer root but is no directory");
        }
        e.path = path;
        dir = storage_layer_path_split(path, &e.name);
        r = storage_whiteout_check_parents(dir, err);
        if (r != 0) {
                u->stats.skipped += r > 0;
                return r < 0 ? r : 0;
        }
        kind = storage_whiteout_classify(e.name, &target);
        if (kind == STORAGE_WHITEOUT_META) {
                u->stats.skipped++;
                return 0;
        }
        if (kind == STORAGE_WHITEOUT_INVALID)
                return rctr_error_set(err, EBADMSG, "whiteout of no name");
        r = entry_meta(ae, &e.meta, err);
        if (r < 0)
                return r;
        r = e.parentfd = parent_fd(u, dir, true, err);
        if (r == -ENOTDIR) {
                rctr_error_clear(err);
                r = storage_whiteout_parents_to_dirs(u->layer_fd, dir, u->opaque_xattr, err);
                if (r >= 0)
                        r = e.parentfd = parent_fd(u, dir, true, err);
        }
        if (r < 0)
                return r;
        if (kind != STORAGE_WHITEOUT_NONE)
                return unpack_whiteout(u, &e, kind, target, err);
        return unpack_typed(u, a, src, &e, err);
}

/* Descending: every directory's descendants come before it; equal paths in archive order. */
static int cmp_dirs(const void *x, const void *y)
{
        const struct dir_meta *a = x, *b = y;
        int c = strcmp(b->path, a->path);

        if (c)
                return c;
        return a->index < b->index ? -1 : a->index > b->index;
}

/* A directory recorded earlier is no longer there, or no longer a directory. */
static bool is_gone(int error)
{
        /* EBADMSG: a symlink now stands where a parent was */
        return error == ENOENT || error == ENOTDIR || error == ELOOP || error == EBADMSG;
}

/*
 * Directory owner, mode and times, once nothing will be added below them. Children go first so
 * that a parent made 0555 (or 0000) still lets us reach them.
 */
static int finish_dirs(struct unpack *u, struct rctr_error *err)
{
        if (u->n_dirs > 1)
                qsort(u->dirs, u->n_dirs, sizeof(*u->dirs), cmp_dirs);
        forget_cache(u);
        for (size_t i = 0; i < u->n_dirs; i++) {
                const struct dir_meta *d = &u->dirs[i];
                cleanup_error struct rctr_error gone = {0};
                cleanup_free char *shown = NULL;
                cleanup_close int fd = -1;
                const char *name;
                cleanup_free char *dir = storage_layer_path_split(d->path, &name);
                int pfd = parent_fd(u, dir, false, &gone), r;

                /* replaced by a later entry (a file, a symlink): nothing left to finish */
                if (pfd < 0 && is_gone(-pfd))
                        continue;
                if (pfd >= 0)
                        fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (pfd >= 0 && fd < 0 && is_gone(errno))
                        continue;
                if (pfd < 0)
                        r = rctr_error_set(err, gone.code, "%s", gone.msg);
                else if (fd < 0)
                        r = rctr_error_sys(err, errno, "open directory");
                else
                        r = set_meta_fd(u, fd, &d->meta, err);
                if (r < 0) {
                        shown = storage_layer_path_escape(d->path);
                        return rctr_error_prefix(err, "layer entry %s", shown);
                }
        }
        return 0;
}

static int unpack_stream(struct unpack *u, struct archive *a, const struct source *src,
                         struct rctr_error *err)
{
        for (;;) {
                cleanup_free char *shown = NULL;
                struct archive_entry *ae;
                const char *raw;
                int r = archive_read_next_header(a, &ae);

                if (r == ARCHIVE_EOF)
                        return 0;
                /* ARCHIVE_RETRY (a damaged header libarchive could skip) is an error here too */
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
                        shown = xasprintf("read tar entry %" PRIu64, u->stats.entries + 1);
                        return archive_failure(a, src, shown, err);
                }
                u->stats.entries++;
                /*
                 * A warning is usually a pax UTF-8 name that does not convert to our (C)
                 * locale; libarchive then keeps the raw bytes, which is what we want on Linux.
                 */
                raw = archive_entry_pathname(ae);
                if (!raw)
                        return rctr_error_set(err, EBADMSG,
                                              "tar entry %" PRIu64 ": unreadable name",
                                              u->stats.entries);
                r = unpack_entry(u, a, src, ae, raw, err);
                if (r < 0) {
                        shown = storage_layer_path_escape(raw);
                        return rctr_error_prefix(err, "layer entry %s", shown);
                }
        }
}

static la_ssize_t source_read(struct archive *a, void *data, const void **ret_buf)
{
        struct source *src = data;
        ssize_t n = RETRY_EINTR(read(src->fd, src->buf, sizeof(src->buf)));

        if (n < 0) {
                src->read_errno = errno;
                archive_set_error(a, errno, "read the layer stream");
                return -1;
        }
        *ret_buf = src->buf;
        return n;
}

int storage_unpack_fd(int layer_dirfd, int fd, const struct storage_unpack_opts *opts,
                      struct storage_unpack_stats *ret_stats, struct rctr_error *err)
{
        CLEANUP(unpack_clear)
        struct unpack u = {
                .layer_fd = layer_dirfd,
                .opts = opts,
                .opaque_xattr = opts->opaque_xattr ? opts->opaque_xattr
                                                   : storage_whiteout_opaque_xattr(opts->rootless),
                .cache_fd = -1,
        };
        CLEANUP(archive_read_freep) struct archive *a = archive_read_new();
        cleanup_free struct source *src = xzalloc(sizeof(*src));
        int r;

        if (opts->whiteout_format != STORAGE_WHITEOUT_OVERLAY)
                return rctr_error_set(err, EINVAL, "unpack a layer: unknown whiteout format %d",
                                      (int)opts->whiteout_format);
        if (!a)
                xalloc_die();
        /* tar only (ustar, pax, GNU): compression is undone by the caller while hashing */
        archive_read_support_format_tar(a);
        archive_read_support_format_gnutar(a);
        archive_read_support_filter_none(a);
        src->fd = fd;
        if (archive_read_open(a, src, NULL, source_read, NULL) != ARCHIVE_OK)
                return archive_failure(a, src, "read the layer", err);
        r = unpack_stream(&u, a, src, err);
        if (r < 0)
                return r;
        r = finish_dirs(&u, err);
        if (r < 0)
                return r;
        if (ret_stats)
                *ret_stats = u.stats;
        return 0;
}
