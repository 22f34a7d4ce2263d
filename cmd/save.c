/* rctr save: images into a docker-archive or oci-archive, on stdout or in a file. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "common.h"
#include "image/save.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "options.h"
#include "storage/images.h"
#include "storage/store.h"

enum {
        OPT_FORMAT = CMD_OPT_FIRST_FREE,
};

static const struct cmd_opt save_opts[] = {
        {"format", OPT_FORMAT, "FORMAT", "docker-archive (default) or oci-archive"},
        {"multi-image-archive", 'm', NULL, "save every IMAGE, not names for the first one"},
        {"output", 'o', "FILE", "write the archive to FILE (default: stdout, never a terminal)"},
        {"quiet", 'q', NULL, "print no progress"},
        {0},
};

struct save_args {
        enum image_archive_format format;
        bool multi, quiet;
        const char *output;
};

static int save_option(int c, const char *value, struct save_args *a, struct rctr_error *err)
{
        switch (c) {
        case OPT_FORMAT:
                if (streq(value, "docker-archive"))
                        a->format = IMAGE_ARCHIVE_DOCKER;
                else if (streq(value, "oci-archive"))
                        a->format = IMAGE_ARCHIVE_OCI;
                else
                        return rctr_error_set(err, EINVAL,
                                              "unsupported --format %s (docker-archive or "
                                              "oci-archive)",
                                              value);
                return 0;
        case 'm':
                a->multi = true;
                return 0;
        case 'o':
                a->output = value;
                return 0;
        case 'q':
                a->quiet = true;
                return 0;
        default:
                return 0;
        }
}

/* The images to save, each with the names it goes under (the one it was named by, if any). */
static int find_items(const struct storage_images *imgs, char **args, int n, bool multi,
                      struct image_save_item *items, char ***names, struct rctr_error *err)
{
        int count = multi ? n : 1;

        for (int i = 0; i < count; i++) {
                struct storage_image *img = NULL;
                const char *by_name;
                int r = cmd_image_find(imgs, args[i], &img, err);

                if (r < 0)
                        return r;
                by_name = cmd_image_matching_name(img, args[i]);
                names[i] = xzalloc((size_t)(multi ? 2 : n + 1) * sizeof(char *));
                if (by_name)
                        names[i][0] = xstrdup(by_name);
                items[i] = (struct image_save_item){.img = img, .names = names[i]};
        }
        /* podman: without -m, the other names are more names for the first image */
        for (int i = 1; !multi && i < n; i++) {
                char **v = names[0];
                size_t k = 0;
                int r;

                while (v[k])
                        k++;
                r = cmd_image_name(args[i], &v[k], err);
                if (r < 0)
                        return r;
        }
        return count;
}

/*
 * Where the archive goes: stdout, a device or fifo as it is, else a temporary file beside FILE
 * renamed over it once complete, so that a failed save leaves no half archive under its name.
 */
static int open_output(const char *path, char **ret_tmp, struct rctr_error *err)
{
        cleanup_free char *copy = NULL, *tmp = NULL;
        struct stat st;
        mode_t mask;
        int fd;

        if (!path)
                return STDOUT_FILENO; /* not a terminal: cmd_save() checked */
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
                fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
                return fd < 0 ? rctr_error_sys(err, errno, "open %s", path) : fd;
        }
        copy = xstrdup(path);
        tmp = xasprintf("%s/.rctr-save-XXXXXX", dirname(copy));
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "create a file beside %s", path);
        mask = umask(0);
        umask(mask);
        (void)fchmod(fd, 0666 & ~mask); /* as a plain create would have made it */
        *ret_tmp = TAKE_PTR(tmp);
        return fd;
}

static int save_to(struct storage_store *store, const struct image_save_item *items, size_t n,
                   const struct save_args *a, struct rctr_error *err)
{
        struct image_save_opts o = {.format = a->format, .progress = a->quiet ? NULL : stderr};
        cleanup_free char *tmp = NULL;
        int fd = open_output(a->output, &tmp, err), r;

        if (fd < 0)
                return fd;
        r = image_save(store, items, n, &o, fd, err);
        if (r >= 0 && tmp && fsync(fd) < 0)
                r = rctr_error_sys(err, errno, "write %s", a->output);
        if (fd != STDOUT_FILENO)
                close_nointr(fd);
        if (r >= 0 && tmp && rename(tmp, a->output) < 0)
                r = rctr_error_sys(err, errno, "write %s", a->output);
        if (r < 0 && tmp)
                (void)unlink(tmp);
        return r;
}

int cmd_save(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "save",
                .usage = "rctr save [options] IMAGE [NAME...]",
                .summary = "Write IMAGE to an archive that rctr load, podman load and docker load "
                           "read, with its id unchanged: a docker-archive (default) or an "
                           "oci-archive, on stdout or in a file (-o).",
                .opts = save_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(storage_store_freep) struct storage_store *store = NULL;
        CLEANUP(storage_images_clear) struct storage_images imgs = {0};
        struct save_args a = {.format = IMAGE_ARCHIVE_DOCKER};
        struct image_save_item *items = NULL;
        char ***names = NULL;
        const char *value;
        int c, r, n;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                r = save_option(c, value, &a, err);
                if (r < 0)
                        return r;
        }
        if (c < 0)
                return c;
        if (p.optind >= argc)
                return rctr_error_set(err, EINVAL, "no image given (usage: %s)", p.usage);
        if (a.multi && a.format != IMAGE_ARCHIVE_DOCKER)
                return rctr_error_set(err, EINVAL,
                                      "--multi-image-archive needs --format docker-archive");
        if (!a.output && isatty(STDOUT_FILENO))
                return rctr_error_set(err, EINVAL,
                                      "refusing to write an archive to a terminal: use -o FILE "
                                      "or redirect stdout");
        n = argc - p.optind;
        /* shared: no layer may go away while it is written */
        r = cmd_images_load(g, false, &store, &imgs, err);
        if (r < 0)
                return r;
        items = xzalloc((size_t)(n + 1) * sizeof(*items));
        names = xzalloc((size_t)(n + 1) * sizeof(char **));
        r = find_items(&imgs, argv + p.optind, n, a.multi, items, names, err);
        if (r >= 0)
                r = save_to(store, items, (size_t)r, &a, err);
        for (int i = 0; i < n; i++)
                strv_free(names[i]);
        free(names);
        free(items);
        return r < 0 ? r : 0;
}
