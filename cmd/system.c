/* rctr system df: how much the store holds. (system prune and reset come with containers.) */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "common.h"
#include "format.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "options.h"
#include "storage/images.h"
#include "storage/store.h"

enum {
        OPT_FORMAT = CMD_OPT_FIRST_FREE,
};

static const struct cmd_opt df_opts[] = {
        {"format", OPT_FORMAT, "FORMAT", "table (default) or json"},
        {0},
};

/* Bytes of the layers the store holds: each once, however many images share it. */
static uint64_t layers_size(struct storage_store *store, const struct storage_images *imgs)
{
        cleanup_strv char **all = storage_images_layers_in_use(imgs);
        uint64_t total = 0;

        for (size_t i = 0; all[i]; i++) {
                bool seen = false;

                for (size_t j = 0; j < i && !seen; j++)
                        seen = streq(all[i], all[j]);
                if (!seen)
                        total += storage_layer_size(store, all[i]);
        }
        return total;
}

static int system_df(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = "system df",
                               .usage = "rctr system df [options]",
                               .summary = "Show how much space images, containers and volumes "
                                          "take in the store.",
                               .opts = df_opts,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        CLEANUP(storage_store_freep) struct storage_store *store = NULL;
        CLEANUP(storage_images_clear) struct storage_images imgs = {0};
        const char *value, *format = "table";
        char size[32];
        uint64_t total;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                if (c == OPT_FORMAT)
                        format = value;
        }
        if (c < 0)
                return c;
        r = cmd_check_table_format(format, err);
        if (r < 0)
                return r;
        r = cmd_images_load(g, false, &store, &imgs, err);
        if (r < 0)
                return r;
        total = layers_size(store, &imgs);
        if (streq(format, "json")) {
                json_auto_t *j = json_pack(
                        "[{s:s, s:I, s:I, s:I, s:I}, {s:s, s:I, s:I, s:I, s:I}, "
                        "{s:s, s:I, s:I, s:I, s:I}]",
                        "Type", "Images", "Total", (json_int_t)imgs.n, "Active", (json_int_t)0,
                        "Size", (json_int_t)total, "Reclaimable", (json_int_t)total, "Type",
                        "Containers", "Total", (json_int_t)0, "Active", (json_int_t)0, "Size",
                        (json_int_t)0, "Reclaimable", (json_int_t)0, "Type", "Local Volumes",
                        "Total", (json_int_t)0, "Active", (json_int_t)0, "Size", (json_int_t)0,
                        "Reclaimable", (json_int_t)0);

                json_dumpf(j, stdout, JSON_INDENT(4));
                fputc('\n', stdout);
                return 0;
        }
        cmd_format_size(total, size, sizeof(size));
        printf("%-15s %-7s %-7s %-11s %s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
        /* no containers yet: every image could go */
        printf("%-15s %-7zu %-7d %-11s %s (100%%)\n", "Images", imgs.n, 0, size, size);
        printf("%-15s %-7d %-7d %-11s %s (0%%)\n", "Containers", 0, 0, "0 B", "0 B");
        printf("%-15s %-7d %-7d %-11s %s (0%%)\n", "Local Volumes", 0, 0, "0 B", "0 B");
        return 0;
}

static const struct cmd_def system_cmds[] = {
        {"df", system_df, "show how much space the store takes"},
        {NULL, NULL, NULL},
};

int cmd_system(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return cmd_dispatch_sub(g, "system", "Manage rctr.", system_cmds, argc, argv, err);
}
