/* rctr images: the images in the store, as a table like podman's, as JSON, or their ids. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cmd.h"
#include "common.h"
#include "format.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "options.h"
#include "storage/images.h"
#include "storage/store.h"

enum {
        OPT_FORMAT = CMD_OPT_FIRST_FREE,
        OPT_DIGESTS,
        OPT_NO_TRUNC,
};

static const struct cmd_opt images_opts[] = {
        {"all", 'a', NULL, "all images (rctr keeps no intermediate ones: the same list)"},
        {"digests", OPT_DIGESTS, NULL, "show the digest each image was pulled by"},
        {"format", OPT_FORMAT, "FORMAT", "table (default) or json"},
        {"no-trunc", OPT_NO_TRUNC, NULL, "show whole image ids"},
        {"quiet", 'q', NULL, "print the image ids only"},
        {0},
};

/* "host/repo:tag" → repo and tag; "host/repo@sha256:..." → repo and "<none>". */
static void split_name(const char *name, char **repo, char **tag)
{
        const char *at = strchr(name, '@');
        const char *slash = strrchr(name, '/');
        const char *colon = strrchr(slash ? slash : name, ':');

        if (at) {
                *repo = xstrndup(name, (size_t)(at - name));
                *tag = xstrdup("<none>");
        } else if (colon) {
                *repo = xstrndup(name, (size_t)(colon - name));
                *tag = xstrdup(colon + 1);
        } else {
                *repo = xstrdup(name);
                *tag = xstrdup("<none>");
        }
}

static void print_row(const struct storage_image *img, const char *name, bool digests,
                      bool no_trunc, time_t now)
{
        cleanup_free char *repo = NULL, *tag = NULL;
        char created[64] = "", size[32];
        time_t t = cmd_format_parse_time(img->created);

        if (name)
                split_name(name, &repo, &tag);
        if (t >= 0)
                cmd_format_ago(t, now, created, sizeof(created));
        cmd_format_size(img->size, size, sizeof(size));
        printf("%-40s %-10s ", repo ? repo : "<none>", tag ? tag : "<none>");
        if (digests)
                printf("%-71s ", img->digest ? img->digest : "<none>");
        printf("%-*.*s %-16s %s\n", no_trunc ? 71 : 12, no_trunc ? 71 : 12,
               no_trunc ? img->id : img->id + 7, created, size);
}

static void print_table(const struct storage_images *imgs, bool digests, bool no_trunc)
{
        time_t now = time(NULL);

        printf("%-40s %-10s ", "REPOSITORY", "TAG");
        if (digests)
                printf("%-71s ", "DIGEST");
        printf("%-*s %-16s %s\n", no_trunc ? 71 : 12, "IMAGE ID", "CREATED", "SIZE");
        /* one row per name, as podman: an image with two tags shows twice */
        for (size_t i = 0; i < imgs->n; i++) {
                if (!imgs->v[i].names || !imgs->v[i].names[0])
                        print_row(&imgs->v[i], NULL, digests, no_trunc, now);
                for (char **n = imgs->v[i].names; n && *n; n++)
                        print_row(&imgs->v[i], *n, digests, no_trunc, now);
        }
}

/* podman's `images --format json` objects, the fields scripts read. */
static json_t *image_json(const struct storage_image *img)
{
        json_t *tags = json_array(), *digests = json_array(), *names = json_array();
        time_t t = cmd_format_parse_time(img->created);

        for (char **n = img->names; n && *n; n++) {
                cleanup_free char *repo = NULL, *tag = NULL;

                json_array_append_new(names, json_string(*n));
                split_name(*n, &repo, &tag);
                if (!strchr(*n, '@'))
                        json_array_append_new(tags, json_string(*n));
                if (img->digest) {
                        cleanup_free char *d = xasprintf("%s@%s", repo, img->digest);

                        json_array_append_new(digests, json_string(d));
                }
        }
        return json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:o, s:s, s:I, s:s, s:o}", "Id",
                         img->id + 7, "ParentId", "", "RepoTags", tags, "RepoDigests", digests,
                         "Size", (json_int_t)img->size, "VirtualSize", (json_int_t)img->size,
                         "Names", names, "Digest", img->digest ? img->digest : "", "Created",
                         (json_int_t)(t >= 0 ? t : 0), "CreatedAt",
                         img->created ? img->created : "", "Labels", json_object());
}

int cmd_images(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "images",
                .usage = "rctr images [options]",
                .summary = "List the images in the store: one row per name (REPOSITORY, TAG), "
                           "its id, when it was built and its size.",
                .opts = images_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(storage_store_freep) struct storage_store *store = NULL;
        CLEANUP(storage_images_clear) struct storage_images imgs = {0};
        const char *value, *format = "table";
        bool quiet = false, digests = false, no_trunc = false;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                quiet = quiet || c == 'q';
                digests = digests || c == OPT_DIGESTS;
                no_trunc = no_trunc || c == OPT_NO_TRUNC;
                if (c == OPT_FORMAT)
                        format = value;
        }
        if (c < 0)
                return c;
        r = cmd_check_table_format(format, err);
        if (r < 0)
                return r;
        if (p.optind < argc)
                return rctr_error_set(err, EINVAL, "unexpected argument %s", argv[p.optind]);
        r = cmd_images_load(g, false, &store, &imgs, err);
        if (r < 0)
                return r;
        if (quiet) {
                for (size_t i = 0; i < imgs.n; i++)
                        printf("%.*s\n", no_trunc ? 71 : 12,
                               no_trunc ? imgs.v[i].id : imgs.v[i].id + 7);
        } else if (streq(format, "json")) {
                json_auto_t *arr = json_array();

                for (size_t i = 0; i < imgs.n; i++)
                        json_array_append_new(arr, image_json(&imgs.v[i]));
                json_dumpf(arr, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
                fputc('\n', stdout);
        } else {
                print_table(&imgs, digests, no_trunc);
        }
        return 0;
}
