/* rctr inspect: containers and images as JSON in the shape podman prints, or via --format. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "cmd/containers.h"
#include "common.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/template.h"
#include "options.h"
#include "storage/images.h"
#include "storage/store.h"

static const struct cmd_opt inspect_opts[] = {
        {"format", 'f', "FORMAT", "json (default) or a Go template ({{.State.Status}})"},
        {"type", 't', "TYPE", "container, image or all (default: all, containers first)"},
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

/* name as a container (when type allows), else as an image. */
static int inspect_one(struct cmd_global *g, const char *type, const char *name, json_t **ret,
                       struct rctr_error *err)
{
        int r = -ENOENT;

        if (!streq(type, "image")) {
                CLEANUP(engine_ctx_close)
                struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
                CLEANUP(engine_container_clear) struct engine_container c = {0};

                r = cmd_ctx_open(g, &ctx, err);
                if (r >= 0)
                        r = cmd_container_lookup(&ctx, name, &c, err);
                if (r >= 0)
                        return cmd_container_inspect(&ctx, &c, ret, err);
                if (r != -ENOENT || streq(type, "container"))
                        return r;
                rctr_error_clear(err);
        }
        {
                CLEANUP(storage_store_freep) struct storage_store *store = NULL;
                CLEANUP(storage_images_clear) struct storage_images imgs = {0};
                struct storage_image *img = NULL;

                r = cmd_image_open(g, name, false, &store, &imgs, &img, err);
                if (r == -ENOENT && streq(type, "all"))
                        return rctr_error_set(err, ENOENT, "no such object: \"%s\"", name);
                if (r >= 0)
                        r = inspect_image(store, img, ret, err);
        }
        return r;
}

/* Each item through the template, a line each (podman's inspect --format). */
static int print_format(const char *format, json_t *items, struct rctr_error *err)
{
        CLEANUP(tmpl_freep) struct tmpl *t = NULL;
        cleanup_buf struct buf out = {0};
        cleanup_free char *text = tmpl_format_normalize(format, &(bool){false});
        json_t *item;
        size_t i;
        int r = tmpl_parse("inspect", text, strlen(text), &t, err);

        if (r < 0)
                return r;
        buf_init(&out, 0);
        json_array_foreach(items, i, item) {
                r = tmpl_render(t, item, &out, err);
                if (r < 0)
                        return r;
        }
        fwrite(out.data, 1, out.len, stdout);
        return 0;
}

int cmd_inspect(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "inspect",
                .usage = "rctr inspect [options] CONTAINER|IMAGE...",
                .summary = "Print what rctr knows of each container or image as a JSON array "
                           "(podman's shape), or each through a Go template (--format).",
                .opts = inspect_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        json_auto_t *out = json_array();
        const char *value, *format = "json", *type = "all";
        int c, r = 0, rc = 0;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                if (c == 'f')
                        format = value;
                if (c == 't') {
                        if (!streq(value, "image") && !streq(value, "container") &&
                            !streq(value, "all"))
                                return rctr_error_set(err, EINVAL,
                                                      "invalid --type %s (container, image or "
                                                      "all)",
                                                      value);
                        type = value;
                }
        }
        if (c < 0)
                return c;
        if (p.optind >= argc)
                return rctr_error_set(err, EINVAL, "nothing to inspect (usage: %s)", p.usage);
        for (int i = p.optind; i < argc; i++) {
                json_t *one = NULL;

                r = inspect_one(g, type, argv[i], &one, err);
                if (r >= 0) {
                        json_array_append_new(out, one);
                        continue;
                }
                /* podman prints what it found and fails for the rest */
                if (argc - p.optind == 1)
                        return r;
                fprintf(stderr, "rctr: inspect: %s\n", err->msg);
                rctr_error_clear(err);
                rc = 125;
        }
        if (!tmpl_format_is_json(format) && !streq(format, "json")) {
                r = print_format(format, out, err);
                return r < 0 ? r : rc;
        }
        json_dumpf(out, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        return rc;
}
