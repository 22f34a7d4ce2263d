/* Creating a container for run and create: image, record, rootfs, OCI config. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "cmd/container-volumes.h"
#include "cmd/containers.h"
#include "cmd/run-opts.h"
#include "engine/container-spec.h"
#include "engine/container-state.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/helper-path.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/rfc3339.h"
#include "lib/signame.h"
#include "lib/xalloc.h"
#include "storage/driver.h"
#include "storage/images.h"
#include "storage/store.h"
#include "storage/unpack.h"

/* `rctr-full pull` with run's pull flags: the registry client lives there (cmd/commands.c). */
static int pull_image(struct cmd_global *g, const struct cmd_run_opts *o, struct rctr_error *err)
{
        cleanup_free char *tls = o->tls_verify ? xasprintf("--tls-verify=%s", o->tls_verify) : NULL;
        cleanup_free char *plat = o->platform ? xasprintf("--platform=%s", o->platform) : NULL;
        cleanup_free char *driver =
                g->storage_driver ? xasprintf("--storage-driver=%s", g->storage_driver) : NULL;
        const char *args[16];
        size_t n = 0;

        args[n++] = "rctr-full";
        args[n++] = "--root";
        args[n++] = g->root;
        args[n++] = "--runroot";
        args[n++] = g->runroot;
        if (driver)
                args[n++] = driver;
        args[n++] = "pull";
        if (o->quiet)
                args[n++] = "-q";
        if (tls)
                args[n++] = tls;
        if (plat)
                args[n++] = plat;
        args[n++] = "--";
        args[n++] = o->image;
        args[n] = NULL;
        /* its image id goes to stdout, which is ours: run prints only what the container does */
        return cmd_full_run((char *const *)args, err);
}

/* The image, pulled as --pull says. On return the store is unlocked; *ret_img is a copy. */
static int find_image(struct cmd_global *g, const struct cmd_run_opts *o,
                      struct storage_store **ret_store, struct storage_images *imgs,
                      struct storage_image **ret_img, struct rctr_error *err)
{
        const char *policy = o->pull ? o->pull : "missing";
        int r;

        if (!streq(policy, "always")) {
                r = cmd_image_open(g, o->image, false, ret_store, imgs, ret_img, err);
                if (r >= 0 || r != -ENOENT || streq(policy, "never"))
                        return r;
                rctr_error_clear(err);
                storage_images_clear(imgs);
                storage_store_free(*ret_store);
                *ret_store = NULL;
        }
        r = pull_image(g, o, err);
        if (r < 0)
                return r;
        return cmd_image_open(g, o->image, false, ret_store, imgs, ret_img, err);
}

/* The "config" object of the image's config blob (a new reference, or NULL when none). */
static int image_config(struct storage_store *s, const struct storage_image *img, json_t **ret,
                        struct rctr_error *err)
{
        cleanup_buf struct buf text = {0};
        json_auto_t *doc = NULL;
        int r;

        buf_init(&text, 8 * 1024 * 1024);
        r = storage_blob_get(s, img->id, &text, err);
        if (r >= 0)
                r = jsonutil_parse(text.data, text.len, text.max, &doc, err);
        if (r < 0)
                return rctr_error_prefix(err, "image config %s", img->id);
        *ret = json_incref(json_object_get(doc, "config"));
        return 0;
}

static void strv_push(char ***v, const char *s)
{
        size_t n = 0;

        while (*v && (*v)[n])
                n++;
        *v = xreallocarray(*v, n + 2, sizeof(char *));
        (*v)[n] = xstrdup(s);
        (*v)[n + 1] = NULL;
}

/* --env-file: every line, the spec builder reads KEY=VAL, KEY and comments. */
static int read_env_files(struct cmd_run_opts *o, struct rctr_error *err)
{
        for (char **f = o->env_files; f && *f; f++) {
                cleanup_buf struct buf text = {0};
                char *line, *save = NULL;
                int r;

                buf_init(&text, 16 * 1024 * 1024);
                r = fs_read_at(AT_FDCWD, *f, &text, err);
                if (r < 0)
                        return rctr_error_prefix(err, "--env-file %s", *f);
                for (line = strtok_r(text.data, "\n", &save); line;
                     line = strtok_r(NULL, "\n", &save))
                        strv_push(&o->f.env_files_lines, line);
        }
        return 0;
}

/* How many ids /proc/self/<name> maps: 1 + the subordinate ranges, rootless. */
static uint32_t mapped_ids(const char *name)
{
        cleanup_free char *path = xasprintf("/proc/self/%s", name);
        cleanup_fclose FILE *f = fopen(path, "re");
        unsigned long inside, outside, count;
        uint64_t total = 0;

        while (f && fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3)
                total += count;
        return total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
}

/* The host id that /proc/self/<name> maps to 0: rootless, the user's own (1000), else 0. */
static uint32_t outer_id(const char *name)
{
        cleanup_free char *path = xasprintf("/proc/self/%s", name);
        cleanup_fclose FILE *f = fopen(path, "re");
        unsigned long inside, outside, count;

        while (f && fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3)
                if (inside == 0)
                        return (uint32_t)outside;
        return 0;
}

/* What the user named, as the record keeps it: the image's matching name, else its first. */
static char *image_display_name(const struct storage_image *img, const char *asked)
{
        const char *n = cmd_image_matching_name(img, asked);

        if (n)
                return xstrdup(n);
        if (img->names && img->names[0])
                return xstrdup(img->names[0]);
        return xstrdup(img->id + 7);
}

static int write_cidfile(const char *path, const char *id, struct rctr_error *err)
{
        cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

        if (fd < 0 && errno == EEXIST)
                return rctr_error_set(err, EEXIST, "container id file %s exists: remove it first",
                                      path);
        if (fd < 0 || fs_write_all(fd, id, strlen(id)) < 0)
                return rctr_error_sys(err, errno, "write --cidfile %s", path);
        return 0;
}

/* A new directory <id> holding container.json: made as .new-<id>, renamed when complete. */
static int make_record(const struct engine_ctx *ctx, struct engine_container *c,
                       struct rctr_error *err)
{
        cleanup_free char *tmp = xasprintf(".new-%s", c->id);
        cleanup_close int fd = -1;
        json_auto_t *doc = engine_container_to_json(c);
        cleanup_free char *text = json_dumps(doc, JSON_INDENT(1));
        int r;

        fd = fs_mkdir_open_at(ctx->ctrsfd, tmp, 0700, err);
        if (fd < 0)
                return fd;
        /* the complete record is saved (durably) once the spec is written */
        r = fs_replace_at(fd, "container.json", text, strlen(text), 0600, err);
        if (r >= 0 && renameat(ctx->ctrsfd, tmp, ctx->ctrsfd, c->id) < 0)
                r = rctr_error_sys(err, errno, "create container directory %s", c->id);
        if (r < 0) {
                cleanup_error struct rctr_error ignored = {0};

                (void)fs_remove_tree_at(ctx->ctrsfd, tmp, &ignored);
        }
        return r;
}

static json_t *strv_or_empty(char **v)
{
        json_t *a = json_array();

        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

/* The flags inspect shows as HostConfig (podman's names), kept in container.json. */
static json_t *host_config(const struct cmd_run_opts *o)
{
        const struct engine_run_flags *f = &o->f;

        return json_pack(
                "{s:o, s:s, s:o, s:s, s:{s:s}, s:b, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:b, s:b, "
                "s:o, s:o, s:s, s:b, s:o, s:o, s:o, s:o}",
                "Binds", strv_or_empty(f->volumes), "ContainerIDFile", o->cidfile ? o->cidfile : "",
                "LogConfig", json_pack("{s:s}", "Type", o->log_driver ? o->log_driver : "k8s-file"),
                "NetworkMode", o->network ? o->network : "none", "RestartPolicy", "Name",
                o->restart ? o->restart : "", "AutoRemove", o->rm, "CapAdd",
                strv_or_empty(f->cap_add), "CapDrop", strv_or_empty(f->cap_drop), "GroupAdd",
                strv_or_empty(f->group_add), "IpcMode", f->ipc_mode ? f->ipc_mode : "private",
                "PidMode", f->pid_mode ? f->pid_mode : "private", "UTSMode",
                f->uts_mode ? f->uts_mode : "private", "UsernsMode",
                f->userns_mode ? f->userns_mode : "", "Privileged", f->privileged, "ReadonlyRootfs",
                f->read_only, "Tmpfs", strv_or_empty(f->tmpfs), "Mounts", strv_or_empty(f->mounts),
                "ShmSize", f->shm_size ? f->shm_size : "64m", "Init", f->init, "Devices",
                strv_or_empty(f->devices), "Ulimits", strv_or_empty(f->ulimits), "Sysctls",
                strv_or_empty(f->sysctls), "SecurityOpt", json_array());
}

/* -l KEY=VALUE (KEY alone: empty) as an object. */
static json_t *labels_json(char **labels)
{
        json_t *o = json_object();

        for (; labels && *labels; labels++) {
                const char *eq = strchr(*labels, '=');
                cleanup_free char *key =
                        eq ? xstrndup(*labels, (size_t)(eq - *labels)) : xstrdup(*labels);

                json_object_set_new(o, key, json_string(eq ? eq + 1 : ""));
        }
        return o;
}

static json_t *command_json(int argc, char **argv)
{
        json_t *a = json_pack("[s]", "rctr");

        for (int i = 0; i < argc; i++)
                json_array_append_new(a, json_string(argv[i]));
        return a;
}

/* Fill the record's fields from the options and image. */
static int fill_record(struct cmd_global *g, const struct engine_ctx *ctx,
                       const struct cmd_run_opts *o, const struct storage_image *img,
                       const struct engine_container_list *all, struct engine_container *c,
                       struct rctr_error *err)
{
        enum storage_driver_kind kind;
        char id[ENGINE_CONTAINER_ID_LEN + 1];
        size_t n = 0;
        int r;

        if (o->name && !engine_container_name_valid(o->name))
                return rctr_error_set(err, EINVAL,
                                      "invalid --name %s: use letters, digits, _ . - (starting "
                                      "with a letter or digit)",
                                      o->name);
        for (size_t i = 0; o->name && i < all->n; i++)
                if (streq(all->v[i].name, o->name))
                        return rctr_error_set(err, EEXIST,
                                              "the container name \"%s\" is already in use by "
                                              "%.12s: remove that container or choose another "
                                              "name",
                                              o->name, all->v[i].id);
        r = storage_driver_choose(ctx->store_root, ctx->rootless, g->storage_driver, &kind, err);
        if (r < 0)
                return r;
        engine_container_new_id(id);
        c->id = xstrdup(id);
        c->name = o->name ? xstrdup(o->name) : engine_container_new_name(all);
        c->image_id = xstrdup(img->id);
        c->image_name = image_display_name(img, o->image);
        c->created = rfc3339_now();
        c->driver = xstrdup(storage_driver_name(kind));
        c->log_driver = xstrdup(o->log_driver ? o->log_driver : "k8s-file");
        c->json = json_pack("{s:o, s:o, s:o}", "hostConfig", host_config(o), "labels",
                            labels_json(o->f.labels), "createCommand",
                            command_json(o->argc, o->argv));
        /* --log-opt max-size: the monitor caps ctr.log (engine/monitor.c) */
        if (o->log_size_max)
                json_object_set_new(c->json, "logSizeMax",
                                    json_integer((json_int_t)o->log_size_max));
        c->rm = o->rm;
        c->tty = o->f.tty;
        c->interactive = o->f.interactive;
        c->stop_signal = 15;
        c->stop_timeout = o->stop_timeout >= 0 ? (unsigned)o->stop_timeout : 10;
        while (img->layers && img->layers[n])
                n++;
        c->layers = xzalloc((n + 1) * sizeof(char *));
        return 0;
}

/* config.json from the image's config and the flags, in the mounted rootfs. */
static int write_spec(const struct engine_ctx *ctx, struct cmd_run_opts *o, json_t *imgcfg,
                      struct engine_container *c, const char *rootfs, struct rctr_error *err)
{
        cleanup_free char *init = NULL;
        cleanup_close int rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        json_auto_t *spec = NULL;
        cleanup_free char *text = NULL;
        const char *sig = NULL, *cwd = NULL;
        json_t *args;
        int r;

        if (rootfd < 0)
                return rctr_error_sys(err, errno, "open %s", rootfs);
        if (o->f.init) {
                init = rctr_helper_path("rctr-init");
                if (!init)
                        return rctr_error_set(err, ENOENT,
                                              "--init: rctr-init not found: reinstall rctr");
                o->f.init_path = init;
        }
        o->f.userns_uids = mapped_ids("uid_map");
        o->f.userns_gids = mapped_ids("gid_map");
        r = engine_container_spec(imgcfg, &o->f, rootfd, c->id, rootfs,
                                  ctx->rootless ? outer_id("uid_map") : 0,
                                  ctx->rootless ? outer_id("gid_map") : 0, &spec, err);
        if (r < 0)
                return r;
        /* the working directory is made when missing, as podman does */
        cwd = json_string_value(json_object_get(json_object_get(spec, "process"), "cwd"));
        if (cwd && !streq(cwd, "/")) {
                cleanup_close int cwdfd = fs_mkpath_in_root(rootfd, cwd, true, err);

                if (cwdfd < 0)
                        return rctr_error_prefix(err, "working directory %s", cwd);
        }
        sig = json_string_value(
                json_object_get(json_object_get(spec, "annotations"), ENGINE_ANNOTATION_STOP));
        if (sig && signame_parse(sig, &c->stop_signal) < 0)
                c->stop_signal = 15;
        if (o->f.entrypoint) {
                json_t *ep = json_loads(o->f.entrypoint, JSON_DECODE_ANY, NULL);

                if (!json_is_array(ep)) {
                        json_decref(ep);
                        ep = json_pack("[s]", o->f.entrypoint);
                }
                json_object_set_new(c->json, "entrypoint", ep);
        } else if (json_is_array(json_object_get(imgcfg, "Entrypoint"))) {
                json_object_set(c->json, "entrypoint", json_object_get(imgcfg, "Entrypoint"));
        }
        args = json_object_get(json_object_get(spec, "process"), "args");
        strv_free(c->command);
        c->command = NULL;
        for (size_t i = 0; i < json_array_size(args); i++)
                strv_push(&c->command, json_string_value(json_array_get(args, i)));
        text = json_dumps(spec, JSON_INDENT(2));
        return engine_container_write_file(ctx->ctrsfd, c->id, "config.json", text, !c->rm, err);
}

int cmd_container_create(struct cmd_global *g, const struct engine_ctx *ctx, struct cmd_run_opts *o,
                         bool keep_mounted, struct engine_container *ret, struct rctr_error *err)
{
        CLEANUP(storage_store_freep) struct storage_store *store = NULL;
        CLEANUP(storage_images_clear) struct storage_images imgs = {0};
        CLEANUP(engine_container_list_clear) struct engine_container_list all = {0};
        CLEANUP(engine_container_clear) struct engine_container c = {0};
        CLEANUP(cmd_container_volumes_clear) struct cmd_container_volumes vols = {0};
        struct storage_image *img = NULL;
        json_auto_t *imgcfg = NULL;
        cleanup_free char *rootfs = NULL;
        cleanup_close int lock = -1;
        int r = read_env_files(o, err);

        if (r >= 0)
                r = find_image(g, o, &store, &imgs, &img, err);
        if (r < 0)
                return r;
        r = image_config(store, img, &imgcfg, err);
        /* volumes/.lock: after the store's, before the containers' (storage/volumes.h) */
        if (r >= 0)
                r = cmd_container_volumes_resolve(store, o, &vols, err);
        if (r < 0)
                return r;
        lock = engine_lock_at(ctx->ctrsfd, "lock", true, err);
        if (lock < 0)
                return lock;
        engine_containers_sweep(ctx->ctrsfd);
        r = engine_container_list(ctx->ctrsfd, &all, err);
        if (r >= 0)
                r = fill_record(g, ctx, o, img, &all, &c, err);
        if (r < 0)
                return r;
        cmd_container_volumes_record(&vols, c.json);
        for (size_t i = 0; img->layers && img->layers[i]; i++)
                c.layers[i] = storage_layer_diff_path(store, img->layers[i]);
        r = make_record(ctx, &c, err);
        if (r < 0)
                return r;
        r = engine_container_mount(ctx, &c, &rootfs, err);
        if (r >= 0)
                r = cmd_container_volumes_copy_up(&vols, rootfs, err);
        if (r >= 0)
                r = write_spec(ctx, o, imgcfg, &c, rootfs, err);
        if (r >= 0)
                r = engine_container_save(ctx->ctrsfd, &c, err);
        if (r >= 0 && o->cidfile)
                r = write_cidfile(o->cidfile, c.id, err);
        if (r < 0 || !keep_mounted) {
                cleanup_error struct rctr_error ignored = {0};
                CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {.exit_code = -1};

                if (r < 0)
                        (void)engine_container_remove(ctx, &c, &ignored);
                else
                        r = engine_container_cleanup(ctx, &c, &s, err);
                if (r < 0)
                        return r;
        }
        cmd_container_volumes_commit(&vols);
        *ret = c;
        c = (struct engine_container){0};
        return 0;
}
