/* rctr load: the images of a docker-archive or oci-archive into the store. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "cmd.h"
#include "common.h"
#include "image/load.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "options.h"
#include "storage/store.h"
#include "storage/unpack.h"

static const struct cmd_opt load_opts[] = {
        {"input", 'i', "FILE", "read the archive from FILE (default: stdin, never a terminal)"},
        {"quiet", 'q', NULL, "print no progress"},
        {0},
};

static int open_input(const char *path, struct rctr_error *err)
{
        int fd;

        if (!path) {
                if (isatty(STDIN_FILENO))
                        return rctr_error_set(err, EINVAL,
                                              "refusing to read an archive from a terminal: use "
                                              "-i FILE or redirect stdin");
                return STDIN_FILENO;
        }
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        return fd < 0 ? rctr_error_sys(err, errno, "open %s", path) : fd;
}

int cmd_load(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "load",
                .usage = "rctr load [options]",
                .summary = "Copy the images of a docker-archive or oci-archive (as rctr save, "
                           "podman save or docker save write them; gzip, zstd, xz or bzip2 "
                           "compressed too) into the store, and print their names.",
                .opts = load_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(storage_store_freep) struct storage_store *store = NULL;
        cleanup_strv char **loaded = NULL;
        struct storage_unpack_opts uo = {0};
        struct image_load_opts o = {.unpack = &uo, .progress = stderr};
        const char *value, *input = NULL;
        cleanup_close int fd = -1;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                if (c == 'i')
                        input = value;
                if (c == 'q')
                        o.progress = NULL;
        }
        if (c < 0)
                return c;
        if (p.optind < argc)
                return rctr_error_set(err, EINVAL, "no arguments expected (usage: %s)", p.usage);
        r = open_input(input, err);
        if (r < 0)
                return r;
        fd = input ? r : -1;
        r = cmd_store_open(g, &store, &uo, err);
        if (r >= 0)
                r = image_load(store, input ? fd : STDIN_FILENO, &o, &loaded, err);
        if (r < 0)
                return r;
        for (char **n = loaded; *n; n++)
                printf("Loaded image: %s\n", *n);
        return 0;
}
