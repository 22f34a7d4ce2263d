/* rctr diff: what a container changed in its image's file system (C, A, D lines or JSON). */
#include <config.h>

#include <errno.h>
#include <stdio.h>

#include <jansson.h>

#include "cmd/cmd.h"
#include "cmd/containers.h"
#include "cmd/options.h"
#include "engine/container-diff.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/template.h"

enum {
        OPT_FORMAT = CMD_OPT_FIRST_FREE,
};

static const struct cmd_opt diff_opts[] = {
        {"format", OPT_FORMAT, "FORMAT",
         "json: {\"changed\":[...],\"added\":[...],\"deleted\":[...]}"},
        {0},
};

/* podman's ChangesReportJSON: one array per kind, left out when empty, on one line. */
static void print_json(const struct engine_changes *ch)
{
        static const struct {
                char kind;
                const char *key;
        } keys[] = {{'C', "changed"}, {'A', "added"}, {'D', "deleted"}};
        json_auto_t *o = json_object();

        for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
                json_t *a = json_array();

                for (size_t i = 0; i < ch->n; i++)
                        if (ch->v[i].kind == keys[k].kind)
                                json_array_append_new(a, json_string(ch->v[i].path));
                if (json_array_size(a))
                        json_object_set_new(o, keys[k].key, a);
                else
                        json_decref(a);
        }
        json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
}

int cmd_diff(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "diff",
                .usage = "rctr diff [options] CONTAINER",
                .summary = "Show what a container changed in its image's file system: C (changed), "
                           "A (added) and D (deleted) paths.",
                .opts = diff_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_clear) struct engine_container c = {0};
        CLEANUP(engine_changes_clear) struct engine_changes ch = {0};
        const char *value, *format = NULL;
        int o, r;

        while ((o = cmd_parser_next(&p, &value, err)) > 0) {
                if (o == CMD_OPT_HELP)
                        return 0;
                if (o == OPT_FORMAT)
                        format = value;
        }
        if (o < 0)
                return o;
        if (format && !tmpl_format_is_json(format))
                return rctr_error_set(err, EINVAL, "--format %s is not supported (only json)",
                                      format);
        if (p.optind + 1 != argc)
                return rctr_error_set(err, EINVAL, "%s (usage: %s)",
                                      p.optind >= argc ? "no container given"
                                                       : "one container at a time",
                                      p.usage);
        r = cmd_ctx_open(g, &ctx, err);
        if (r >= 0)
                r = cmd_container_lookup(&ctx, argv[p.optind], &c, err);
        if (r >= 0)
                r = engine_container_diff(&ctx, &c, &ch, err);
        if (r < 0)
                return r;
        if (format) {
                print_json(&ch);
                return 0;
        }
        for (size_t i = 0; i < ch.n; i++)
                printf("%c %s\n", ch.v[i].kind, ch.v[i].path);
        return 0;
}
