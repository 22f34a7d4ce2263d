#include <config.h>
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "mounts.h"

void engine_devices_free(struct engine_device *d, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(d[i].path);
        free(d);
}

static int parse_device(json_t *obj, struct engine_device *d, struct rctr_error *err)
{
        const char *path = NULL, *type = NULL;
        json_int_t major = 0, minor = 0, mode = 0666, uid = 0, gid = 0;
        int r = jsonutil_get_string(obj, "path", true, &path, err);

        if (r >= 0)
                r = jsonutil_get_string(obj, "type", true, &type, err);
        if (r >= 0)
                r = jsonutil_get_int(obj, "major", false, 0, 0xfff, &major, err);
        if (r >= 0)
                r = jsonutil_get_int(obj, "minor", false, 0, 0xfffff, &minor, err);
        if (r >= 0)
                r = jsonutil_get_int(obj, "fileMode", false, 0, 07777, &mode, err);
        if (r >= 0)
                r = jsonutil_get_int(obj, "uid", false, 0, UINT32_MAX - 1, &uid, err);
        if (r >= 0)
                r = jsonutil_get_int(obj, "gid", false, 0, UINT32_MAX - 1, &gid, err);
        if (r < 0)
                return r;
        if (path[0] != '/')
                return rctr_error_set(err, EBADMSG, "path: %s is not absolute", path);
        if (strlen(type) != 1 || !strchr("cbup", type[0]))
                return rctr_error_set(err, EBADMSG, "type: unknown type %s (c, b, u or p)", type);
        if (type[0] != 'p' && (!json_object_get(obj, "major") || !json_object_get(obj, "minor")))
                return rctr_error_set(err, EBADMSG, "major and minor are required for type %s",
                                      type);
        *d = (struct engine_device){.path = xstrdup(path),
                                    .type = type[0],
                                    .major = (uint32_t)major,
                                    .minor = (uint32_t)minor,
                                    .mode = (mode_t)mode,
                                    .uid = (uid_t)uid,
                                    .gid = (gid_t)gid};
        return 0;
}

int engine_devices_parse(json_t *devices, struct engine_device **ret, size_t *ret_n,
                         struct rctr_error *err)
{
        struct engine_device *d = NULL;
        size_t n = 0;

        if (!devices || json_is_null(devices)) {
                *ret = NULL, *ret_n = 0;
                return 0;
        }
        if (!json_is_array(devices))
                return rctr_error_set(err, EBADMSG, "linux.devices: expected an array");
        d = xreallocarray(NULL, json_array_size(devices) + 1, sizeof(*d));
        for (size_t i = 0; i < json_array_size(devices); i++) {
                json_t *obj = json_array_get(devices, i);
                int r = json_is_object(obj) ? parse_device(obj, &d[n], err)
                                            : rctr_error_set(err, EBADMSG, "expected an object");

                if (r < 0) {
                        engine_devices_free(d, n);
                        return rctr_error_prefix(err, "linux.devices[%zu]", i);
                }
                n++;
        }
        *ret = d, *ret_n = n;
        return 0;
}

static mode_t node_type(char type)
{
        return type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
}

/* mknod in the directory that holds path inside rootfd. -EPERM: not allowed here. */
static int make_node(int rootfd, const struct engine_device *d, struct rctr_error *err)
{
        cleanup_free char *dir = xstrdup(d->path);
        char *slash = strrchr(dir, '/');
        const char *name = d->path + (slash - dir) + 1;
        cleanup_close int dirfd = -1;

        *slash = '\0';
        dirfd = fs_mkpath_in_root(rootfd, dir[0] ? dir : "/", true, err);
        if (dirfd < 0)
                return dirfd;
        if (mknodat(dirfd, name, node_type(d->type) | d->mode, makedev(d->major, d->minor)) < 0) {
                if (errno == EEXIST)
                        return 0; /* the image's own node, or one of the standard set */
                return errno == EPERM ? -EPERM
                                      : rctr_error_sys(err, errno, "create device %s", d->path);
        }
        /* mknod applied our umask, and made it ours: set what the spec says */
        if (fchmodat(dirfd, name, d->mode, 0) < 0 ||
            fchownat(dirfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
                return rctr_error_sys(err, errno, "set owner and mode of device %s", d->path);
        return 0;
}

int engine_devices_create(int rootfd, const struct engine_device *d, size_t n,
                          struct rctr_error *err)
{
        for (size_t i = 0; i < n; i++) {
                int r = make_node(rootfd, &d[i], err);

                /* in a user namespace: the host's node, if the user may see it at all */
                if (r == -EPERM)
                        r = engine_mounts_bind_into(rootfd, d[i].path, d[i].path, false, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
