/* rctr import: a root file system tarball as an image of one layer; prints its id. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "cmd.h"
#include "common.h"
#include "image/import.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "options.h"
#include "storage/store.h"
#include "storage/unpack.h"

static const struct cmd_opt import_opts[] = {
        {"quiet", 'q', NULL, "print no progress, only the image id"},
        {0},
};

static int open_input(const char *path, struct rctr_error *err)
{
        int fd;

        if (streq(path, "-")) {
                if (isatty(STDIN_FILENO))
                        return rctr_error_set(err, EINVAL,
                                              "refusing to read a tarball from a terminal: "
                                              "redirect stdin");
                return STDIN_FILENO;
        }
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        return fd < 0 ? rctr_error_sys(err, errno, "open %s", path) : fd;
}

int cmd_import(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "import",
                .usage = "rctr import [options] FILE|- [NAME]",
                .summary = "Make an image of one layer from a root file system tarball "
                           "(uncompressed, gzip or zstd; - reads stdin), named NAME or "
                           "<none>, and print its id.",
                .opts = import_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(storage_store_freep) struct storage_store *store = NULL;
        cleanup_free char *name = NULL, *id = NULL;
        struct storage_unpack_opts uo = {0};
        struct image_import_opts o = {.unpack = &uo, .progress = stderr};
        cleanup_close int fd = -1;
        const char *value;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                if (c == 'q')
                        o.progress = NULL;
        }
        if (c < 0)
                return c;
        if (p.optind >= argc || argc - p.optind > 2)
                return rctr_error_set(err, EINVAL, "%s (usage: %s)",
                                      p.optind >= argc ? "no tarball given" : "too many arguments",
                                      p.usage);
        if (p.optind + 1 < argc) {
                r = cmd_image_name(argv[p.optind + 1], &name, err);
                if (r < 0)
                        return r;
                o.name = name;
        }
        r = open_input(argv[p.optind], err);
        if (r < 0)
                return r;
        if (r != STDIN_FILENO)
                fd = r;
        r = cmd_store_open(g, &store, &uo, err);
        if (r >= 0)
                r = image_import(store, fd >= 0 ? fd : STDIN_FILENO, &o, &id, err);
        if (r < 0)
                return r;
        printf("%s\n", id + 7);
        return 0;
}
