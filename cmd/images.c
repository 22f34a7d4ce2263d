/*
 * rctr images: the images in the store, as podman's table, as JSON, through a Go template
 * (--format, podman's field names), or their ids.
 */
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
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/template.h"
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
        {"format", OPT_FORMAT, "FORMAT",
         "table (default), json, or a Go template per image: '{{.Repository}}:{{.Tag}}'; "
         "'table {{.ID}} {{.Size}}' adds a header row and aligns the columns"},
        {"no-trunc", OPT_NO_TRUNC, NULL, "show whole image ids"},
        {"noheading", 'n', NULL, "omit the header row of a table"},
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

/* podman's default tables (its lsFormatFromFlags) */
static const char table_default[] = "table {{.Repository}} {{.Tag}} {{.ID}} {{.Created}} {{.Size}}";
static const char table_digests[] = "table {{.Repository}} {{.Tag}} "
                                    "{{if .Digest}}{{.Digest}}{{else}}<none>{{end}} {{.ID}} "
                                    "{{.Created}} {{.Size}}";

/* Column titles by field, as podman's report.Headers makes them from its imageReporter. */
static json_t *image_headers(void)
{
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
                         "s:s, s:s, s:s, s:s}",
                         "ID", "IMAGE ID", "Repository", "REPOSITORY", "Tag", "TAG", "Digest",
                         "DIGEST", "ParentId", "PARENT ID", "Created", "CREATED", "CreatedSince",
                         "CREATED", "CreatedAt", "CREATED AT", "CreatedTime", "CREATED TIME",
                         "Size", "SIZE", "VirtualSize", "VIRTUAL SIZE", "SharedSize", "SHARED SIZE",
                         "Names", "NAMES", "RepoTags", "REPO TAGS", "RepoDigests", "REPO DIGESTS",
                         "Labels", "LABELS", "ReadOnly", "R/O", "Dangling", "DANGLING");
}

/* The image's names; only the tags (no digest references); or each name's repo@digest. */
static json_t *names_json(const struct storage_image *img, bool tags, bool digests)
{
        json_t *a = json_array();

        for (char **n = img->names; n && *n; n++) {
                cleanup_free char *repo = NULL, *tag = NULL, *d = NULL;

                if (!tags && !digests) {
                        json_array_append_new(a, json_string(*n));
                } else if (tags && !strchr(*n, '@')) {
                        json_array_append_new(a, json_string(*n));
                } else if (digests && img->digest) {
                        split_name(*n, &repo, &tag);
                        d = xasprintf("%s@%s", repo, img->digest);
                        json_array_append_new(a, json_string(d));
                }
        }
        return a;
}

/*
 * One row of the listing with the fields a --format template may name: those of podman's
 * imageReporter (ID is 12 hex digits, or sha256:<all> with --no-trunc; Created and CreatedSince
 * read "2 weeks ago"; CreatedAt is Go's time.String() in UTC; Size reads "4.87 MB").
 */
static json_t *image_row(const struct storage_image *img, const char *name, bool no_trunc,
                         time_t now)
{
        cleanup_free char *repo = NULL, *tag = NULL;
        char created[64] = "", created_at[64] = "", size[32];
        time_t t = cmd_format_parse_time(img->created);
        const char *hex = strncmp(img->id, "sha256:", 7) == 0 ? img->id + 7 : img->id;
        struct tm tm;

        if (name)
                split_name(name, &repo, &tag);
        if (t >= 0 && gmtime_r(&t, &tm)) {
                cmd_format_ago(t, now, created, sizeof(created));
                strftime(created_at, sizeof(created_at), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
        }
        cmd_format_size(img->size, size, sizeof(size));
        return json_pack(
                "{s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:o, s:o, "
                "s:o, s:o, s:b, s:b}",
                "ID", no_trunc ? img->id : hex, no_trunc ? strlen(img->id) : strnlen(hex, 12),
                "Repository", repo ? repo : "<none>", "Tag", tag ? tag : "<none>", "Digest",
                img->digest ? img->digest : "", "ParentId", "", "Created", created, "CreatedSince",
                created, "CreatedAt", created_at, "CreatedTime", created_at, "Size", size,
                "VirtualSize", (json_int_t)img->size, "SharedSize", 0, "Names",
                names_json(img, false, false), "RepoTags", names_json(img, true, false),
                "RepoDigests", names_json(img, false, true), "Labels", json_object(), "ReadOnly", 0,
                "Dangling", !img->names || !img->names[0]);
}

/*
 * The rows as podman lists them: one per tag; an image without one shows once, as its first
 * name's repository (a digest reference) with tag <none>, or as <none> <none>.
 */
static json_t *image_rows(const struct storage_images *imgs, bool no_trunc)
{
        json_t *rows = json_array();
        time_t now = time(NULL);

        for (size_t i = 0; i < imgs->n; i++) {
                const struct storage_image *img = &imgs->v[i];
                bool tagged = false;

                for (char **n = img->names; n && *n; n++)
                        if (!strchr(*n, '@')) {
                                json_array_append_new(rows, image_row(img, *n, no_trunc, now));
                                tagged = true;
                        }
                if (!tagged)
                        json_array_append_new(
                                rows,
                                image_row(img, img->names ? img->names[0] : NULL, no_trunc, now));
        }
        return rows;
}

static int print_images(const struct storage_images *imgs, const char *format, bool digests,
                        bool no_trunc, bool noheading, struct rctr_error *err)
{
        json_auto_t *rows = image_rows(imgs, no_trunc);
        json_auto_t *headers = noheading ? NULL : image_headers();
        cleanup_buf struct buf out = {0};
        int r;

        if (!format || streq(format, "table"))
                format = digests ? table_digests : table_default;
        buf_init(&out, 0); /* our own output: no cap */
        r = tmpl_format_render("images", format, rows, headers, &out, err);
        if (r < 0)
                return r;
        fwrite(out.data, 1, out.len, stdout);
        return 0;
}

/* podman's `images --format json` objects, the fields scripts read. */
static json_t *image_json(const struct storage_image *img)
{
        time_t t = cmd_format_parse_time(img->created);

        return json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:o, s:s, s:I, s:s, s:o}", "Id",
                         img->id + 7, "ParentId", "", "RepoTags", names_json(img, true, false),
                         "RepoDigests", names_json(img, false, true), "Size", (json_int_t)img->size,
                         "VirtualSize", (json_int_t)img->size, "Names",
                         names_json(img, false, false), "Digest", img->digest ? img->digest : "",
                         "Created", (json_int_t)(t >= 0 ? t : 0), "CreatedAt",
                         img->created ? img->created : "", "Labels", json_object());
}

int cmd_images(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "images",
                .usage = "rctr images [options]",
                .summary = "List the images in the store: one row per tag (REPOSITORY, TAG), "
                           "its id, when it was built and its size.",
                .opts = images_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(storage_store_freep) struct storage_store *store = NULL;
        CLEANUP(storage_images_clear) struct storage_images imgs = {0};
        const char *value, *format = NULL;
        bool quiet = false, digests = false, no_trunc = false, noheading = false;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                quiet = quiet || c == 'q';
                digests = digests || c == OPT_DIGESTS;
                no_trunc = no_trunc || c == OPT_NO_TRUNC;
                noheading = noheading || c == 'n';
                if (c == OPT_FORMAT)
                        format = value;
        }
        if (c < 0)
                return c;
        if (p.optind < argc)
                return rctr_error_set(err, EINVAL, "unexpected argument %s", argv[p.optind]);
        r = cmd_images_load(g, false, &store, &imgs, err);
        if (r < 0)
                return r;
        /* as podman: JSON wins over -q */
        if (format && tmpl_format_is_json(format)) {
                json_auto_t *arr = json_array();

                for (size_t i = 0; i < imgs.n; i++)
                        json_array_append_new(arr, image_json(&imgs.v[i]));
                json_dumpf(arr, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
                fputc('\n', stdout);
        } else if (quiet) {
                for (size_t i = 0; i < imgs.n; i++)
                        printf("%.*s\n", no_trunc ? 71 : 12,
                               no_trunc ? imgs.v[i].id : imgs.v[i].id + 7);
        } else {
                return print_images(&imgs, format, digests, no_trunc, noheading, err);
        }
        return 0;
}
