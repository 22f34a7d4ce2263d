/*
 * rctr system df, and what system prune and reset share with it (cmd/system.h): how much the
 * store holds, counted as podman's `system df` counts it.
 */
#include <config.h>

#include "cmd/system.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "cmd/format.h"
#include "cmd/image-prune.h"
#include "cmd/options.h"
#include "engine/container-record.h"
#include "engine/container-state.h"
#include "engine/container-users.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/images.h"
#include "storage/store.h"
#include "storage/volumes.h"

/* Deeper trees are not walked: a bound on the fds and stack a hostile layout can make us use. */
#define DU_MAX_DEPTH 256

/* Below the directory fd (consumed), on the device dev. */
static uint64_t du_dir(int fd, dev_t dev, unsigned depth)
{
        cleanup_dir DIR *d = fdopendir(fd);
        struct dirent *de;
        uint64_t total = 0;

        if (!d) {
                close_nointr(fd);
                return 0;
        }
        while ((de = readdir(d))) {
                struct stat st;
                int sub;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
                        total += (uint64_t)st.st_size;
                if (!S_ISDIR(st.st_mode) || st.st_dev != dev || depth >= DU_MAX_DEPTH)
                        continue;
                sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0)
                        total += du_dir(sub, dev, depth + 1);
        }
        return total;
}

uint64_t cmd_disk_usage_at(int dirfd, const char *name)
{
        struct stat st;
        int fd;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        if (!S_ISDIR(st.st_mode))
                return S_ISREG(st.st_mode) || S_ISLNK(st.st_mode) ? (uint64_t)st.st_size : 0;
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? 0 : du_dir(fd, st.st_dev, 0);
}

enum {
        OPT_FORMAT = CMD_OPT_FIRST_FREE,
};

static const struct cmd_opt df_opts[] = {
        {"format", OPT_FORMAT, "FORMAT", "table (default) or json"},
        {0},
};

/* One row of podman's table: TYPE, TOTAL, ACTIVE, SIZE, RECLAIMABLE. */
struct df_row {
        const char *type;
        size_t total, active;
        uint64_t size, reclaimable;
};

/* Images: active when a container uses one; reclaimable what their layers alone hold. */
static void df_images(struct storage_store *store, const struct storage_images *imgs,
                      const struct engine_container_list *ctrs, struct df_row *row)
{
        cleanup_strv char **all = storage_images_layers_in_use(imgs);
        cleanup_free char **used = xzalloc(sizeof(char *)), **unused = xzalloc(sizeof(char *));
        size_t n_used = 0, n_unused = 0;

        row->total = imgs->n;
        for (size_t i = 0; i < imgs->n; i++) {
                bool active = engine_container_list_using_image(ctrs, imgs->v[i].id) != NULL;
                char ***v = active ? &used : &unused;
                size_t *n = active ? &n_used : &n_unused;

                row->active += active;
                for (char **l = imgs->v[i].layers; l && *l; l++) {
                        *v = xreallocarray(*v, *n + 2, sizeof(char *));
                        (*v)[(*n)++] = *l; /* borrowed from imgs */
                        (*v)[*n] = NULL;
                }
        }
        row->size = cmd_layers_size(store, all, NULL);
        row->reclaimable = cmd_layers_size(store, unused, used);
}

/* Containers: active when running; their size is their writable layer. */
static void df_containers(int ctrsfd, const struct engine_container_list *ctrs, struct df_row *row)
{
        row->total = ctrs->n;
        for (size_t i = 0; i < ctrs->n; i++) {
                CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
                cleanup_error struct rctr_error ignored = {0};
                cleanup_free char *dir = xasprintf("%s/storage", ctrs->v[i].id);
                uint64_t size = cmd_disk_usage_at(ctrsfd, dir);
                bool running = false;

                if (engine_ctr_state_load(ctrsfd, ctrs->v[i].id, &s, &ignored) >= 0) {
                        (void)engine_ctr_state_settle(&s);
                        running = engine_ctr_status_active(s.status);
                }
                row->active += running;
                row->size += size;
                row->reclaimable += running ? 0 : size;
        }
}

/* Local volumes: active when a container uses one. */
static int df_volumes(struct storage_store *store, int ctrsfd, struct df_row *row,
                      struct rctr_error *err)
{
        CLEANUP(storage_volumes_freep) struct storage_volumes *vs = NULL;
        CLEANUP(storage_volume_list_clear) struct storage_volume_list list = {0};
        CLEANUP(engine_volume_users_clear) struct engine_volume_users users = {.ctrsfd = ctrsfd};
        int r = storage_volumes_open(store, &vs, err);

        if (r >= 0)
                r = storage_volume_list(vs, &list, err);
        if (r < 0)
                return r;
        row->total = list.n;
        for (size_t i = 0; i < list.n; i++) {
                cleanup_free char *data = xasprintf("%s/_data", list.v[i].name);
                uint64_t size = cmd_disk_usage_at(vs->dirfd, data);
                bool active = engine_volume_users_in_use(&users, list.v[i].name);

                row->active += active;
                row->size += size;
                row->reclaimable += active ? 0 : size;
        }
        return 0;
}

static void df_print(const struct df_row *rows, size_t n, const char *format)
{
        if (streq(format, "json")) {
                json_auto_t *j = json_array();

                for (size_t i = 0; i < n; i++)
                        json_array_append_new(j, json_pack("{s:s, s:I, s:I, s:I, s:I}", "Type",
                                                           rows[i].type, "Total",
                                                           (json_int_t)rows[i].total, "Active",
                                                           (json_int_t)rows[i].active, "Size",
                                                           (json_int_t)rows[i].size, "Reclaimable",
                                                           (json_int_t)rows[i].reclaimable));
                json_dumpf(j, stdout, JSON_INDENT(4));
                fputc('\n', stdout);
                return;
        }
        printf("%-15s %-7s %-7s %-11s %s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
        for (size_t i = 0; i < n; i++) {
                char size[32], rec[32];
                unsigned pct =
                        rows[i].size ? (unsigned)(rows[i].reclaimable * 100 / rows[i].size) : 0;

                cmd_format_size(rows[i].size, size, sizeof(size));
                cmd_format_size(rows[i].reclaimable, rec, sizeof(rec));
                printf("%-15s %-7zu %-7zu %-11s %s (%u%%)\n", rows[i].type, rows[i].total,
                       rows[i].active, size, rec, pct);
        }
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
        CLEANUP(engine_container_list_clear) struct engine_container_list ctrs = {0};
        struct df_row rows[] = {
                {.type = "Images"}, {.type = "Containers"}, {.type = "Local Volumes"}};
        cleanup_close int ctrsfd = -1;
        const char *value, *format = "table";
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
        if (r >= 0)
                r = cmd_images_load(g, false, &store, &imgs, err);
        if (r < 0)
                return r;
        ctrsfd = engine_containers_open(store->path, err);
        if (ctrsfd < 0)
                return ctrsfd;
        r = engine_container_list(ctrsfd, &ctrs, err);
        if (r < 0)
                return r;
        df_images(store, &imgs, &ctrs, &rows[0]);
        df_containers(ctrsfd, &ctrs, &rows[1]);
        r = df_volumes(store, ctrsfd, &rows[2], err);
        if (r < 0)
                return r;
        df_print(rows, ARRAY_SIZE(rows), format);
        return 0;
}

/* Every error of a subcommand names it: "system prune: no terminal ...". */
static int sub_result(int r, const char *sub, struct rctr_error *err)
{
        return r < 0 ? rctr_error_prefix(err, "system %s", sub) : r;
}

static int df(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return sub_result(system_df(g, argc, argv, err), "df", err);
}

static int prune(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return sub_result(cmd_system_prune(g, argc, argv, err), "prune", err);
}

static int reset(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return sub_result(cmd_system_reset(g, argc, argv, err), "reset", err);
}

static const struct cmd_def system_cmds[] = {
        {"df", df, "show how much space the store takes"},
        {"prune", prune, "remove stopped containers, unused images (and volumes)"},
        {"reset", reset, "remove every container, image and volume: a new store"},
        {NULL, NULL, NULL},
};

int cmd_system(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return cmd_dispatch_sub(g, "system", "Manage rctr.", system_cmds, argc, argv, err);
}
