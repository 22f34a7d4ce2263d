/* rctr inspect: an image's record and configuration as JSON, in the shape podman prints. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "common.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "options.h"
#include "storage/images.h"
#include "storage/store.h"

static const struct cmd_opt inspect_opts[] = {
        {"format", 'f', "FORMAT", "json (default)"},
        {"type", 't', "TYPE", "image (containers come later)"},
        {0},
};

static json_t *strv_json(char **v, bool digests_only)
{
        json_t *a = json_array();

        for (char **p = v; p && *p; p++)
                if (!digests_only || strchr(*p, '@'))
                        json_array_append_new(a, json_string(*p));
        return a;
}

static int inspect_image(struct storage_store *store, const struct storage_image *img, json_t **ret,
                         struct rctr_error *err)
{
        cleanup_buf struct buf text = {0};
        json_auto_t *cfg = NULL;
        json_t *tags = json_array(), *rootfs;
        int r;

        buf_init(&text, 0);
        r = storage_blob_get(store, img->id, &text, err);
        if (r >= 0)
                r = jsonutil_parse(text.data, text.len, text.max, &cfg, err);
        if (r < 0) {
                json_decref(tags);
                return rctr_error_prefix(err, "configuration of %s", img->id);
        }
        for (char **n = img->names; n && *n; n++)
                if (!strchr(*n, '@'))
                        json_array_append_new(tags, json_string(*n));
        rootfs = json_object_get(cfg, "rootfs");
        *ret = json_pack(
                "{s:s, s:s, s:o, s:o, s:s, s:O, s:s, s:s, s:I, s:O, s:O, s:o}", "Id", img->id + 7,
                "Digest", img->digest ? img->digest : "", "RepoTags", tags, "RepoDigests",
                strv_json(img->names, true), "Created", img->created ? img->created : "", "Config",
                json_object_get(cfg, "config") ? json_object_get(cfg, "config") : json_object(),
                "Architecture",
                json_string_value(json_object_get(cfg, "architecture"))
                        ? json_string_value(json_object_get(cfg, "architecture"))
                        : "",
                "Os",
                json_string_value(json_object_get(cfg, "os"))
                        ? json_string_value(json_object_get(cfg, "os"))
                        : "",
                "Size", (json_int_t)img->size, "RootFS", rootfs ? rootfs : json_null(), "History",
                json_object_get(cfg, "history") ? json_object_get(cfg, "history") : json_null(),
                "Names", strv_json(img->names, false));
        return *ret ? 0 : rctr_error_set(err, EBADMSG, "configuration of %s", img->id);
}

int cmd_inspect(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "inspect",
                .usage = "rctr inspect [options] IMAGE...",
                .summary = "Print what the store knows of each IMAGE, its configuration included, "
                           "as a JSON array (podman's shape).",
                .opts = inspect_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        json_auto_t *out = json_array();
        const char *value;
        int c, r = 0;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                if (c == 'f' && !streq(value, "json"))
                        return rctr_error_set(err, EOPNOTSUPP,
                                              "--format %s: only json is supported yet", value);
                if (c == 't' && !streq(value, "image"))
                        return rctr_error_set(err, EINVAL, "--type %s: only image is known yet",
                                              value);
        }
        if (c < 0)
                return c;
        if (p.optind >= argc)
                return rctr_error_set(err, EINVAL, "no image given (usage: %s)", p.usage);
        for (int i = p.optind; i < argc && r >= 0; i++) {
                CLEANUP(storage_store_freep) struct storage_store *store = NULL;
                CLEANUP(storage_images_clear) struct storage_images imgs = {0};
                struct storage_image *img = NULL;
                json_t *one = NULL;

                r = cmd_image_open(g, argv[i], false, &store, &imgs, &img, err);
                if (r >= 0)
                        r = inspect_image(store, img, &one, err);
                if (r >= 0)
                        json_array_append_new(out, one);
        }
        if (r < 0)
                return r;
        json_dumpf(out, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        return 0;
}
