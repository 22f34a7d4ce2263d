/*
 * rctr image mount / unmount: an image's root filesystem, made by the store's driver (overlay,
 * fuse-overlayfs or vfs) in rctr's mount namespace, for inspection (`rctr unshare ls PATH`).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "common.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "options.h"
#include "storage/driver.h"
#include "storage/images.h"
#include "storage/store.h"

static const struct cmd_opt mount_opts[] = {{0}};

/* <root>/mounts/<image hex>: the driver's directory for this image, and what mounted it. */
static char *mount_dir(const struct storage_store *s, const struct storage_image *img)
{
        return xasprintf("%s/mounts/%s", s->path, img->id + 7);
}

static int mount_image(struct cmd_global *g, struct storage_store *s,
                       const struct storage_image *img, struct rctr_error *err)
{
        cleanup_free char *dir = mount_dir(s, img), *rootfs = NULL;
        cleanup_strv char **lower = NULL;
        cleanup_close int dirfd = -1;
        enum storage_driver_kind kind;
        size_t n = 0;
        int r;

        while (img->layers && img->layers[n])
                n++;
        lower = xzalloc((n + 1) * sizeof(char *));
        for (size_t i = 0; i < n; i++)
                lower[i] = storage_layer_diff_path(s, img->layers[i]);
        r = storage_driver_choose(s->path, g->rootless, g->storage_driver, &kind, err);
        if (r >= 0)
                r = fs_mkdir_p(dir, 0700, err);
        if (r >= 0)
                r = storage_driver_mount(kind, (const char *const *)lower, n, dir, g->rootless,
                                         &rootfs, err);
        if (r < 0)
                return r;
        /* unmount must use the driver that mounted it, whatever the default is by then */
        dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return rctr_error_sys(err, errno, "open %s", dir);
        r = fs_write_atomic_at(dirfd, "driver", storage_driver_name(kind),
                               strlen(storage_driver_name(kind)), 0600, err);
        if (r < 0)
                return r;
        printf("%s\n", rootfs);
        return 0;
}

static int unmount_image(struct storage_store *s, const struct storage_image *img,
                         struct rctr_error *err)
{
        cleanup_free char *dir = mount_dir(s, img);
        cleanup_close int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_buf struct buf text = {0};
        enum storage_driver_kind kind;
        int r;

        buf_init(&text, 64);
        if (dirfd < 0 && errno == ENOENT)
                return rctr_error_set(err, ENOENT, "%s is not mounted", img->id + 7);
        if (dirfd < 0)
                return rctr_error_sys(err, errno, "open %s", dir);
        r = fs_read_at(dirfd, "driver", &text, err);
        if (r >= 0)
                r = storage_driver_parse(text.data, &kind, err);
        if (r >= 0)
                r = storage_driver_unmount(kind, dir, err);
        if (r >= 0)
                r = fs_remove_tree_at(AT_FDCWD, dir, err);
        return r;
}

static int mount_or_unmount(struct cmd_global *g, bool mount, int argc, char **argv,
                            struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = mount ? "image mount" : "image unmount",
                .usage = mount ? "rctr image mount IMAGE..." : "rctr image unmount IMAGE...",
                .summary = mount ? "Make the root filesystem of each IMAGE with the store's "
                                   "driver and print where it is (rootless: in rctr's mount "
                                   "namespace, see rctr unshare)."
                                 : "Unmount and remove what rctr image mount made.",
                .opts = mount_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        const char *value;
        int c, r = 0;

        while ((c = cmd_parser_next(&p, &value, err)) > 0)
                if (c == CMD_OPT_HELP)
                        return 0;
        if (c < 0)
                return c;
        if (p.optind >= argc)
                return rctr_error_set(err, EINVAL, "no image given (usage: %s)", p.usage);
        for (int i = p.optind; i < argc && r >= 0; i++) {
                CLEANUP(storage_store_freep) struct storage_store *s = NULL;
                CLEANUP(storage_images_clear) struct storage_images imgs = {0};
                struct storage_image *img = NULL;

                r = cmd_image_open(g, argv[i], false, &s, &imgs, &img, err);
                if (r >= 0)
                        r = mount ? mount_image(g, s, img, err) : unmount_image(s, img, err);
        }
        return r;
}

int cmd_image_mount(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return mount_or_unmount(g, true, argc, argv, err);
}

int cmd_image_unmount(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return mount_or_unmount(g, false, argc, argv, err);
}
