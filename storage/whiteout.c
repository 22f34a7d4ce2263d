#include <config.h>
#include "whiteout.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/layer-path.h"

enum storage_whiteout_kind storage_whiteout_classify(const char *name, const char **ret_target)
{
        const char *target;

        if (strncmp(name, STORAGE_WHITEOUT_PREFIX, strlen(STORAGE_WHITEOUT_PREFIX)) != 0)
                return STORAGE_WHITEOUT_NONE;
        if (streq(name, STORAGE_WHITEOUT_OPAQUE_NAME))
                return STORAGE_WHITEOUT_OPAQUE;
        /* The spec reserves the whole ".wh..wh." prefix; docker skips these AUFS leftovers too. */
        if (strncmp(name, STORAGE_WHITEOUT_META_PREFIX, strlen(STORAGE_WHITEOUT_META_PREFIX)) == 0)
                return STORAGE_WHITEOUT_META;
        target = name + strlen(STORAGE_WHITEOUT_PREFIX);
        if (!target[0] || streq(target, ".") || streq(target, ".."))
                return STORAGE_WHITEOUT_INVALID;
        if (ret_target)
                *ret_target = target;
        return STORAGE_WHITEOUT_FILE;
}

const char *storage_whiteout_opaque_xattr(bool rootless)
{
        return rootless ? "user.overlay.opaque" : "trusted.overlay.opaque";
}

bool storage_whiteout_is_device(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

int storage_whiteout_set_opaque(int dirfd, const char *opaque_xattr, struct rctr_error *err)
{
        if (fsetxattr(dirfd, opaque_xattr, "y", 1, 0) < 0)
                return rctr_error_sys(err, errno, "mark the directory opaque (set %s)",
                                      opaque_xattr);
        return 0;
}

/* name exists in this layer already: keep it, see the header. */
static int whiteout_existing(int parentfd, const char *name, const char *opaque_xattr,
                             struct rctr_error *err)
{
        cleanup_close int fd = -1;
        struct stat st;

        if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return rctr_error_sys(err, errno, "inspect %s", name);
        if (!S_ISDIR(st.st_mode))
                return 0;
        fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open directory %s", name);
        return storage_whiteout_set_opaque(fd, opaque_xattr, err);
}

int storage_whiteout_create_at(int parentfd, const char *name, const char *opaque_xattr,
                               struct rctr_error *err)
{
        /*
         * Mode 0 like containers/storage: overlayfs looks only at the type and the device
         * number, and nobody should open the node through a lower layer's directory.
         */
        if (mknodat(parentfd, name, S_IFCHR | 0000, makedev(0, 0)) == 0)
                return 0;
        if (errno == EEXIST)
                return whiteout_existing(parentfd, name, opaque_xattr, err);
        return rctr_error_sys(err, errno, "create whiteout device %s", name);
}

int storage_whiteout_check_parents(const char *dir, struct rctr_error *err)
{
        cleanup_free char *copy = xstrdup(dir);
        char *p = copy;

        while (*p) {
                char *slash = strchr(p, '/');
                enum storage_whiteout_kind kind;

                if (slash)
                        *slash = '\0';
                kind = storage_whiteout_classify(p, NULL);
                if (kind == STORAGE_WHITEOUT_META)
                        return 1;
                if (kind != STORAGE_WHITEOUT_NONE) {
                        cleanup_free char *shown = storage_layer_path_escape(p);

                        return rctr_error_set(err, EBADMSG, "whiteout %s used as a directory",
                                              shown);
                }
                if (!slash)
                        break;
                p = slash + 1;
        }
        return 0;
}

/* If path (clean, non-empty) below layerfd is a whiteout device, make it an opaque directory. */
static int whiteout_to_dir(int layerfd, const char *path, const char *opaque_xattr,
                           struct rctr_error *err)
{
        cleanup_error struct rctr_error ignored = {0};
        const char *name;
        cleanup_free char *parent = storage_layer_path_split(path, &name);
        cleanup_free char *shown = NULL;
        cleanup_close int pfd = storage_layer_path_open_dir(layerfd, parent, 0, false, &ignored);
        cleanup_close int fd = -1;
        struct stat st;

        if (pfd < 0 || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !storage_whiteout_is_device(&st))
                return 0;
        shown = storage_layer_path_escape(path);
        if (unlinkat(pfd, name, 0) < 0 || mkdirat(pfd, name, 0755) < 0)
                return rctr_error_sys(err, errno, "replace the whiteout %s", shown);
        fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        /* 0755 whatever the umask, like any directory tar makes on the way */
        if (fd < 0 || fchmod(fd, 0755) < 0)
                return rctr_error_sys(err, errno, "open directory %s", shown);
        return storage_whiteout_set_opaque(fd, opaque_xattr, err);
}

int storage_whiteout_parents_to_dirs(int layerfd, const char *dir, const char *opaque_xattr,
                                     struct rctr_error *err)
{
        cleanup_free char *copy = xstrdup(dir);

        for (char *p = copy; *copy; p++) {
                char saved = *p;
                int r;

                if (saved && saved != '/')
                        continue;
                *p = '\0';
                r = whiteout_to_dir(layerfd, copy, opaque_xattr, err);
                if (r < 0)
                        return r;
                if (!saved)
                        break;
                *p = saved;
        }
        return 0;
}
