/* rctr pull: copy an image from a registry into the store, and print its id. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "common.h"
#include "image/manifest.h"
#include "image/pull.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "options.h"
#include "storage/store.h"
#include "storage/unpack.h"

enum {
        OPT_AUTHFILE = CMD_OPT_FIRST_FREE,
        OPT_CREDS,
        OPT_TLS_VERIFY,
        OPT_PLATFORM,
        OPT_ARCH,
        OPT_OS,
        OPT_VARIANT,
};

static const struct cmd_opt pull_opts[] = {
        {"arch", OPT_ARCH, "ARCH", "the architecture to pull (default: this host's)"},
        {"authfile", OPT_AUTHFILE, "FILE", "credentials file (default: as podman finds it)"},
        {"creds", OPT_CREDS, "USER:PASS", "credentials for the registry"},
        {"os", OPT_OS, "OS", "the operating system to pull (default: linux)"},
        {"platform", OPT_PLATFORM, "OS/ARCH[/VARIANT]", "the platform to pull"},
        {"quiet", 'q', NULL, "print only the image id"},
        {"tls-verify", OPT_TLS_VERIFY, "BOOL",
         "require HTTPS and verified certificates (default: true, or as registries.conf says)"},
        {"variant", OPT_VARIANT, "VARIANT", "the architecture variant to pull (arm: v7...)"},
        {0},
};

/* "linux/arm64/v8" into p (owned copies). */
int cmd_parse_platform(const char *text, struct image_platform *p, struct rctr_error *err)
{
        cleanup_free char *copy = xstrdup(text);
        char *os = copy, *arch = strchr(copy, '/'), *variant = NULL;

        if (!arch || !arch[1] || arch == copy)
                return rctr_error_set(err, EINVAL, "invalid --platform %s (use OS/ARCH[/VARIANT])",
                                      text);
        *arch++ = '\0';
        variant = strchr(arch, '/');
        if (variant)
                *variant++ = '\0';
        image_platform_clear(p);
        p->os = xstrdup(os);
        p->architecture = xstrdup(arch);
        p->variant = variant && *variant ? xstrdup(variant) : NULL;
        return 0;
}

static void replace(char **field, const char *value)
{
        free(*field);
        *field = xstrdup(value);
}

static int pull_option(int c, const char *value, struct image_pull_opts *o,
                       struct image_platform *plat, bool *quiet, struct rctr_error *err)
{
        switch (c) {
        case OPT_AUTHFILE:
                o->authfile = value;
                return 0;
        case OPT_CREDS:
                o->creds = value;
                return 0;
        case OPT_TLS_VERIFY:
                if (!streq(value, "true") && !streq(value, "false"))
                        return rctr_error_set(err, EINVAL,
                                              "invalid --tls-verify %s (true or false)", value);
                o->tls_verify = streq(value, "true");
                return 0;
        case OPT_PLATFORM:
                return cmd_parse_platform(value, plat, err);
        case OPT_ARCH:
                replace(&plat->architecture, value);
                return 0;
        case OPT_OS:
                replace(&plat->os, value);
                return 0;
        case OPT_VARIANT:
                replace(&plat->variant, value);
                return 0;
        case 'q':
                *quiet = true;
                return 0;
        default:
                return 0;
        }
}

int cmd_pull(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "pull",
                .usage = "rctr pull [options] IMAGE",
                .summary = "Copy IMAGE from its registry into the store and print its id. A short "
                           "name (alpine) is looked up as registries.conf says "
                           "(docker.io/library/alpine:latest by default).",
                .opts = pull_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(storage_store_freep) struct storage_store *store = NULL;
        CLEANUP(image_platform_clear) struct image_platform plat = {0};
        struct storage_unpack_opts uo = {0};
        struct image_pull_opts o = {.tls_verify = -1, .have_tty = isatty(STDIN_FILENO)};
        cleanup_free char *id = NULL;
        const char *value;
        bool quiet = false;
        int c, r;

        image_platform_host(&plat);
        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                r = pull_option(c, value, &o, &plat, &quiet, err);
                if (r < 0)
                        return r;
        }
        if (c < 0)
                return c;
        if (p.optind + 1 != argc)
                return rctr_error_set(err, EINVAL, "%s (usage: %s)",
                                      p.optind >= argc ? "no image given" : "one image at a time",
                                      p.usage);
        r = cmd_store_open(g, &store, &uo, err);
        if (r < 0)
                return r;
        o.platform = &plat;
        o.unpack = &uo;
        o.progress = quiet ? NULL : stderr;
        r = image_pull(store, argv[p.optind], &o, &id, err);
        if (r < 0)
                return r;
        printf("%s\n", id + 7);
        return 0;
}
