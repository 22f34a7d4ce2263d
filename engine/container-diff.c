/* rctr diff for one container: which tree to compare, against which layers, leaving out what. */
#include <config.h>
#include "engine/container-diff.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/container-record.h"
#include "engine/container-rootfs.h"
#include "engine/container.h"
#include "engine/spec.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/driver.h"

/*
 * Files the runtime makes or mounts over in every container, which podman's diff leaves out
 * (libpod's initInodes): they are no change the user made.
 */
static const char *const init_inodes[] = {
        "/dev", "/etc/hostname", "/etc/hosts",         "/etc/resolv.conf", "/etc/mtab", "/proc",
        "/run", "/run/notify",   "/run/.containerenv", "/run/secrets",     "/sys",      NULL,
};

/* The mount destinations of the container's config.json: what is below them is not its rootfs. */
static int mount_points(const struct engine_ctx *ctx, const struct engine_container *c, char ***ret,
                        struct rctr_error *err)
{
        CLEANUP(engine_spec_freep) struct engine_spec *spec = NULL;
        cleanup_close int bundlefd = openat(ctx->ctrsfd, c->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char **v;
        int r;

        if (bundlefd < 0)
                return rctr_error_sys(err, errno, "open container %s", c->name);
        r = engine_spec_load(bundlefd, &spec, err);
        if (r < 0)
                return rctr_error_prefix(err, "read the configuration of %s", c->name);
        v = xreallocarray(NULL, spec->n_mounts + 1, sizeof(char *));
        for (size_t i = 0; i < spec->n_mounts; i++)
                v[i] = xstrdup(spec->mounts[i].destination);
        v[spec->n_mounts] = NULL;
        *ret = v;
        return 0;
}

/* The layers' diff directories, bottom first, open. */
static int open_layers(const struct engine_container *c, int **ret, size_t *ret_n,
                       struct rctr_error *err)
{
        size_t n = 0;
        int *fds;

        while (c->layers && c->layers[n])
                n++;
        fds = xreallocarray(NULL, n ? n : 1, sizeof(int));
        for (size_t i = 0; i < n; i++) {
                fds[i] = open(c->layers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fds[i] < 0) {
                        int r = rctr_error_sys(err, errno, "open layer %s", c->layers[i]);

                        while (i-- > 0)
                                close_nointr(fds[i]);
                        free(fds);
                        return r;
                }
        }
        *ret = fds;
        *ret_n = n;
        return 0;
}

static int compare(const struct engine_container *c, int newfd, enum engine_diff_form form,
                   const struct engine_diff_skip *skip, struct engine_changes *ret,
                   struct rctr_error *err)
{
        int *lowers = NULL;
        size_t n = 0;
        int r = open_layers(c, &lowers, &n, err);

        if (r < 0)
                return r;
        r = engine_diff_trees(newfd, form, lowers, n, skip, ret, err);
        for (size_t i = 0; i < n; i++)
                close_nointr(lowers[i]);
        free(lowers);
        return r < 0 ? rctr_error_prefix(err, "compare %s with its image", c->name) : 0;
}

int engine_container_diff(const struct engine_ctx *ctx, const struct engine_container *c,
                          struct engine_changes *ret, struct rctr_error *err)
{
        cleanup_free char *dir = engine_container_storage_dir(ctx, c->id), *upper = NULL;
        cleanup_strv char **mounts = NULL;
        cleanup_close int upperfd = -1;
        struct engine_rootfs_hold hold = ENGINE_ROOTFS_HOLD_INIT;
        struct engine_diff_skip skip = {.exact = init_inodes};
        enum storage_driver_kind kind;
        int r = storage_driver_parse(c->driver, &kind, err);

        if (r >= 0)
                r = mount_points(ctx, c, &mounts, err);
        if (r < 0)
                return r;
        skip.below = (const char *const *)mounts;
        upper = storage_driver_upper_dir(kind, dir);
        if (upper) {
                upperfd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (upperfd < 0 && errno == ENOENT)
                        return 0; /* never mounted: nothing changed */
                if (upperfd < 0)
                        return rctr_error_sys(err, errno, "open %s", upper);
                return compare(c, upperfd,
                               kind == STORAGE_DRIVER_FUSE_OVERLAYFS ? ENGINE_DIFF_FUSE_OVERLAYFS
                                                                     : ENGINE_DIFF_OVERLAY,
                               &skip, ret, err);
        }
        /* vfs keeps no record of the changes: the whole rootfs is compared */
        r = engine_container_rootfs_hold(ctx, c, false, &hold, err);
        if (r >= 0)
                r = compare(c, hold.rootfd, ENGINE_DIFF_ROOTFS, &skip, ret, err);
        if (r < 0) {
                cleanup_error struct rctr_error ignored = {0};

                (void)engine_container_rootfs_release(ctx, c, &hold, &ignored);
                return r;
        }
        return engine_container_rootfs_release(ctx, c, &hold, err);
}
