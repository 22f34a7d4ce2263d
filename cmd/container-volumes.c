/* -v and --mount volumes of run and create, made into binds (cmd/container-volumes.h). */
#include <config.h>

#include "cmd/container-volumes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/run-opts.h"
#include "engine/container-users.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs-copy.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/volumes.h"

/* The anonymous volumes made for a container that was not made after all. */
static void discard_anonymous(struct cmd_container_volumes *v)
{
        for (char **n = v->anonymous; v->vs && n && *n; n++) {
                cleanup_error struct rctr_error ignored = {0};

                /* we hold volumes/.lock since we made them: nobody else has seen them */
                (void)storage_volume_remove(v->vs, *n, true, NULL, NULL, &ignored);
        }
}

void cmd_container_volumes_clear(struct cmd_container_volumes *v)
{
        if (!v->committed)
                discard_anonymous(v);
        storage_volumes_free(v->vs); /* and its lock */
        strv_free(v->names);
        strv_free(v->anonymous);
        strv_free(v->binds);
        strv_free(v->mounts);
        for (size_t i = 0; i < v->n_copy; i++) {
                free(v->copy[i].name);
                free(v->copy[i].dst);
        }
        free(v->copy);
        *v = (struct cmd_container_volumes){0};
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

static bool strv_has(char **v, const char *s)
{
        for (; v && *v; v++)
                if (streq(*v, s))
                        return true;
        return false;
}

static json_t *strv_json(char **v)
{
        json_t *a = json_array();

        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

/* podman's rule: a -v source that starts with neither / nor . names a volume; /dst alone is an
 * anonymous one. */
static bool volume_flag_names_volume(const char *spec)
{
        return strchr(spec, ':') ? spec[0] != '/' && spec[0] != '.' : spec[0] == '/';
}

/* One key of a --mount list ("type=volume,src=x"): key is [p, p+len). */
static bool key_is(const char *p, size_t len, const char *key)
{
        return strlen(key) == len && strncmp(p, key, len) == 0;
}

static bool mount_flag_names_volume(const char *spec)
{
        for (const char *p = spec; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
                if (strncmp(p, "type=volume", 11) == 0 && (p[11] == ',' || p[11] == '\0'))
                        return true;
        return false;
}

/* The volume name (NULL: a new anonymous one), made when missing and noted as used. */
static int use_volume(struct cmd_container_volumes *v, const char *name, char **ret_name,
                      struct rctr_error *err)
{
        CLEANUP(storage_volume_clear) struct storage_volume vol = {0};
        int r = name ? storage_volume_check_name(name, err) : 0;

        if (r >= 0)
                r = storage_volume_create(v->vs, name, NULL, NULL, true, &vol, err);
        if (r < 0)
                return r;
        if (!name)
                strv_push(&v->anonymous, vol.name);
        if (!strv_has(v->names, vol.name))
                strv_push(&v->names, vol.name);
        *ret_name = xstrdup(vol.name);
        return 0;
}

/* The data directory of the volume name, which must not hold sep: the flag's own separator. */
static int data_path(const struct cmd_container_volumes *v, const char *name, char sep, char **ret,
                     struct rctr_error *err)
{
        cleanup_free char *path = storage_volume_data_path(v->vs, name);

        if (strchr(path, sep))
                return rctr_error_set(err, EINVAL,
                                      "the store's path %s holds '%c', which a mount of a volume "
                                      "cannot name: use another --root",
                                      path, sep);
        *ret = TAKE_PTR(path);
        return 0;
}

static void want_copy(struct cmd_container_volumes *v, const char *name, const char *dst,
                      size_t dst_len)
{
        v->copy = xreallocarray(v->copy, v->n_copy + 1, sizeof(*v->copy));
        v->copy[v->n_copy++] = (struct cmd_volume_copy){xstrdup(name), xstrndup(dst, dst_len)};
}

/* Whether the option list opts ("ro,nocopy") holds nocopy. */
static bool has_nocopy(const char *opts)
{
        for (const char *p = opts; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
                if (strncmp(p, "nocopy", 6) == 0 && (p[6] == ',' || p[6] == '\0'))
                        return true;
        return false;
}

/* -v NAME:/dst[:opts] or -v /dst: *ret is the bind that replaces it. */
static int volume_flag(struct cmd_container_volumes *v, const char *spec, char **ret,
                       struct rctr_error *err)
{
        const char *colon = strchr(spec, ':');
        const char *dst = colon ? colon + 1 : spec, *opts = strchr(dst, ':');
        cleanup_free char *wanted = colon ? xstrndup(spec, (size_t)(colon - spec)) : NULL;
        cleanup_free char *name = NULL, *data = NULL;
        int r = use_volume(v, wanted, &name, err);

        if (r >= 0)
                r = data_path(v, name, ':', &data, err);
        if (r < 0)
                return rctr_error_prefix(err, "invalid --volume %s", spec);
        if (!has_nocopy(opts ? opts + 1 : NULL))
                want_copy(v, name, dst, opts ? (size_t)(opts - dst) : strlen(dst));
        *ret = xasprintf("%s:%s", data, dst);
        /* inspect's Binds as podman shows them: an anonymous volume by its new name */
        if (colon) {
                strv_push(&v->binds, spec);
        } else {
                cleanup_free char *named = xasprintf("%s:%s", name, dst);

                strv_push(&v->binds, named);
        }
        return 0;
}

/* -v SRC:DST[:opts] with a host path: "./dir" is made absolute (podman's filepath.Abs). */
static int bind_flag(struct cmd_container_volumes *v, const char *spec, char **ret,
                     struct rctr_error *err)
{
        cleanup_free char *cwd = NULL;

        if (!strchr(spec, ':'))
                return rctr_error_set(err, EINVAL,
                                      "invalid --volume %s: expected SOURCE:DESTINATION[:OPTIONS], "
                                      "or /DESTINATION alone for an anonymous volume",
                                      spec);
        strv_push(&v->binds, spec);
        if (spec[0] != '.') {
                *ret = xstrdup(spec);
                return 0;
        }
        cwd = getcwd(NULL, 0);
        if (!cwd)
                return rctr_error_sys(err, errno, "invalid --volume %s: the current directory",
                                      spec);
        *ret = xasprintf("%s/%s", cwd, spec);
        return 0;
}

/* The fields of --mount type=volume,... that are the volume's; the rest is kept for the bind. */
struct mount_fields {
        const char *src, *dst;
        size_t dst_len;
        bool nocopy;
        struct buf *rest; /* borrowed: ",key=value" for each other key */
};

static int mount_field(struct mount_fields *mf, const char *spec, const char *p, size_t len,
                       struct rctr_error *err)
{
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        const char *value = eq ? eq + 1 : NULL;
        size_t vlen = eq ? len - klen - 1 : 0;

        if (key_is(p, klen, "type"))
                return 0;
        if (key_is(p, klen, "source") || key_is(p, klen, "src")) {
                mf->src = value;
        } else if (key_is(p, klen, "target") || key_is(p, klen, "destination") ||
                   key_is(p, klen, "dst")) {
                mf->dst = value;
                mf->dst_len = vlen;
        } else if (key_is(p, klen, "volume-nocopy")) {
                mf->nocopy = !value || (vlen == 4 && strncmp(value, "true", 4) == 0) ||
                             (vlen == 1 && value[0] == '1');
        } else if (klen > 7 && strncmp(p, "volume-", 7) == 0) {
                return rctr_error_set(err, EOPNOTSUPP,
                                      "invalid --mount %s: %.*s is not supported (create the "
                                      "volume with rctr volume create)",
                                      spec, (int)klen, p);
        } else if (buf_appendf(mf->rest, ",%.*s", (int)len, p) < 0) {
                return rctr_error_set(err, EFBIG, "invalid --mount %s: too long", spec);
        }
        return 0;
}

/* --mount type=volume[,source=NAME],target=/dst,...: *ret is the bind that replaces it. */
static int mount_flag(struct cmd_container_volumes *v, const char *spec, char **ret,
                      struct rctr_error *err)
{
        cleanup_buf struct buf rest = {0};
        struct mount_fields mf = {.rest = &rest};
        cleanup_free char *wanted = NULL, *name = NULL, *data = NULL;
        int r = 0;

        strv_push(&v->mounts, spec);
        if (!mount_flag_names_volume(spec)) {
                *ret = xstrdup(spec);
                return 0;
        }
        buf_init(&rest, 4096); /* a flag's length: argv's, but capped all the same */
        for (const char *p = spec; r >= 0 && p;) {
                const char *comma = strchr(p, ',');

                r = mount_field(&mf, spec, p, comma ? (size_t)(comma - p) : strlen(p), err);
                p = comma ? comma + 1 : NULL;
        }
        if (r < 0)
                return r;
        if (mf.src && mf.src[0] != ',' && mf.src[0] != '\0')
                wanted = xstrndup(mf.src, strcspn(mf.src, ","));
        r = use_volume(v, wanted, &name, err);
        if (r >= 0)
                r = data_path(v, name, ',', &data, err);
        if (r < 0)
                return rctr_error_prefix(err, "invalid --mount %s", spec);
        if (mf.dst && !mf.nocopy)
                want_copy(v, name, mf.dst, mf.dst_len);
        *ret = xasprintf("type=bind,source=%s%s%.*s%s", data, mf.dst ? ",destination=" : "",
                         (int)mf.dst_len, mf.dst ? mf.dst : "", rest.data);
        return 0;
}

/* Every flag rewritten into *vols and *mounts (NULL when none were given). */
static int rewrite_flags(struct cmd_container_volumes *v, const struct cmd_run_opts *o,
                         char ***vols, char ***mounts, struct rctr_error *err)
{
        for (char **s = o->f.volumes; s && *s; s++) {
                cleanup_free char *out = NULL;
                int r = volume_flag_names_volume(*s) ? volume_flag(v, *s, &out, err)
                                                     : bind_flag(v, *s, &out, err);

                if (r < 0)
                        return r;
                strv_push(vols, out);
        }
        for (char **s = o->f.mounts; s && *s; s++) {
                cleanup_free char *out = NULL;
                int r = mount_flag(v, *s, &out, err);

                if (r < 0)
                        return r;
                strv_push(mounts, out);
        }
        return 0;
}

int cmd_container_volumes_resolve(struct storage_store *store, struct cmd_run_opts *o,
                                  struct cmd_container_volumes *ret, struct rctr_error *err)
{
        CLEANUP(cmd_container_volumes_clear) struct cmd_container_volumes v = {0};
        cleanup_strv char **vols = NULL, **mounts = NULL;
        bool any = false;
        int r = 0;

        for (char **s = o->f.volumes; s && *s; s++)
                any = any || volume_flag_names_volume(*s);
        for (char **s = o->f.mounts; s && *s; s++)
                any = any || mount_flag_names_volume(*s);
        /*
         * Exclusive (a volume may be made) from the first lookup until the container's record
         * names its volumes: no volume rm or prune can remove one in between.
         */
        if (any) {
                r = storage_volumes_open(store, &v.vs, err);
                if (r >= 0)
                        r = storage_volumes_lock(v.vs, true, err);
        }
        if (r >= 0)
                r = rewrite_flags(&v, o, &vols, &mounts, err);
        if (r < 0)
                return r; /* v's cleanup removes the anonymous volumes made */
        strv_free(o->f.volumes);
        o->f.volumes = TAKE_PTR(vols);
        strv_free(o->f.mounts);
        o->f.mounts = TAKE_PTR(mounts);
        *ret = v;
        v = (struct cmd_container_volumes){0};
        return 0;
}

void cmd_container_volumes_record(const struct cmd_container_volumes *v, json_t *record)
{
        json_t *hc = json_object_get(record, "hostConfig");

        json_object_set_new(record, ENGINE_CONTAINER_VOLUMES, strv_json(v->names));
        json_object_set_new(record, ENGINE_CONTAINER_ANON_VOLUMES, strv_json(v->anonymous));
        if (json_is_object(hc)) {
                json_object_set_new(hc, "Binds", strv_json(v->binds));
                json_object_set_new(hc, "Mounts", strv_json(v->mounts));
        }
}

/* 1 when the directory fd is empty, 0 when not, -errno. */
static int dir_is_empty(int fd)
{
        cleanup_dir DIR *d = NULL;
        int own = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;

        if (own < 0)
                return -errno;
        d = fdopendir(own);
        if (!d) {
                close_nointr(own);
                return -errno;
        }
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        return 0;
        return 1;
}

static int copy_up_one(struct storage_volumes *vs, int rootfd, const struct cmd_volume_copy *c,
                       struct rctr_error *err)
{
        cleanup_close int voldir = -1, datafd = -1, srcfd = -1;
        struct stat st;
        int r;

        voldir = openat(vs->dirfd, c->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (voldir >= 0)
                datafd = openat(voldir, "_data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (datafd < 0)
                return rctr_error_sys(err, errno, "open the data of volume %s", c->name);
        r = dir_is_empty(datafd);
        if (r < 0)
                return rctr_error_sys(err, -r, "read the data of volume %s", c->name);
        if (r == 0)
                return 0; /* filled before: its content is the user's now */
        srcfd = fs_open_in_root(rootfd, c->dst, O_RDONLY | O_DIRECTORY, err);
        if (srcfd == -ENOENT || srcfd == -ENOTDIR) { /* the image has nothing there */
                rctr_error_clear(err);
                return 0;
        }
        if (srcfd < 0 || fstat(srcfd, &st) < 0)
                return srcfd < 0 ? srcfd : rctr_error_sys(err, errno, "stat %s", c->dst);
        r = fs_copy_tree_at(srcfd, datafd, err);
        if (r < 0)
                return r;
        /*
         * The volume's top takes the owner and mode of the image's directory, as with podman, so
         * that a service running as its own user (/var/lib/postgresql) can still write there.
         * Where the id is not mapped (a single-id namespace) the volume stays ours.
         */
        if (fchown(datafd, st.st_uid, st.st_gid) < 0 && errno != EINVAL && errno != EPERM)
                return rctr_error_sys(err, errno, "chown the data of volume %s", c->name);
        if (fchmod(datafd, st.st_mode & 07777) < 0)
                return rctr_error_sys(err, errno, "chmod the data of volume %s", c->name);
        return 0;
}

int cmd_container_volumes_copy_up(const struct cmd_container_volumes *v, const char *rootfs,
                                  struct rctr_error *err)
{
        cleanup_close int rootfd = -1;

        if (v->n_copy == 0)
                return 0;
        rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return rctr_error_sys(err, errno, "open %s", rootfs);
        for (size_t i = 0; i < v->n_copy; i++) {
                int r = copy_up_one(v->vs, rootfd, &v->copy[i], err);

                if (r < 0)
                        return rctr_error_prefix(err, "copy %s of the image into volume %s",
                                                 v->copy[i].dst, v->copy[i].name);
        }
        return 0;
}

void cmd_container_volumes_commit(struct cmd_container_volumes *v)
{
        v->committed = true;
}
