#include <config.h>
#include "volumes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "store.h"

/* A volume.json is a few hundred bytes; thousands of labels stay far below this. */
#define VOLUME_JSON_MAX (1024u * 1024)

/* Our own entries in volumes/: never volume names, which cannot start with '.' */
#define VOLUMES_LOCK ".lock"
#define TMP_PREFIX   ".tmp-"

void storage_volume_clear(struct storage_volume *v)
{
        free(v->name);
        free(v->driver);
        free(v->mountpoint);
        free(v->created_at);
        json_decref(v->labels);
        json_decref(v->options);
        memset(v, 0, sizeof(*v));
}

void storage_volume_list_clear(struct storage_volume_list *list)
{
        for (size_t i = 0; i < list->n; i++)
                storage_volume_clear(&list->v[i]);
        free(list->v);
        list->v = NULL;
        list->n = 0;
}

static bool name_char(char c, bool first)
{
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
                return true;
        return !first && (c == '_' || c == '.' || c == '-');
}

bool storage_volume_name_valid(const char *name)
{
        size_t len = name ? strlen(name) : 0;

        if (len == 0 || len > STORAGE_VOLUME_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!name_char(name[i], i == 0))
                        return false;
        return true;
}

int storage_volume_check_name(const char *name, struct rctr_error *err)
{
        if (storage_volume_name_valid(name))
                return 0;
        if (strlen(name) > STORAGE_VOLUME_NAME_MAX)
                return rctr_error_set(err, EINVAL, "invalid volume name: longer than %d characters",
                                      STORAGE_VOLUME_NAME_MAX);
        return rctr_error_set(err, EINVAL,
                              "invalid volume name \"%s\": names must match "
                              "[a-zA-Z0-9][a-zA-Z0-9_.-]*",
                              name);
}

/* Labels and Options: an object whose keys are not empty and whose values are strings. */
static int check_string_object(json_t *obj, const char *what, struct rctr_error *err)
{
        const char *key;
        json_t *value;

        if (!json_is_object(obj))
                return rctr_error_set(err, EBADMSG, "%s: expected an object", what);
        json_object_foreach(obj, key, value) {
                if (key[0] == '\0')
                        return rctr_error_set(err, EINVAL, "%s: empty key", what);
                if (!json_is_string(value) ||
                    strlen(json_string_value(value)) != json_string_length(value))
                        return rctr_error_set(err, EBADMSG, "%s: %s: expected a string", what, key);
        }
        return 0;
}

/* A copy of obj (borrowed, NULL: none) checked as check_string_object() does. */
static int copy_string_object(json_t *obj, const char *what, json_t **ret, struct rctr_error *err)
{
        int r = obj ? check_string_object(obj, what, err) : 0;

        if (r < 0)
                return r;
        *ret = obj ? json_deep_copy(obj) : json_object();
        if (!*ret)
                xalloc_die();
        return 0;
}

int storage_volume_parse(const char *text, size_t len, struct storage_volume *ret,
                         struct rctr_error *err)
{
        const char *name = NULL, *driver = "local", *mountpoint = "", *created = "";
        json_t *labels = NULL, *options = NULL;
        json_auto_t *doc = NULL;
        struct storage_volume v = {0};
        int r = jsonutil_parse(text, len, VOLUME_JSON_MAX, &doc, err);

        if (r >= 0)
                r = jsonutil_get_string(doc, "Name", true, &name, err);
        if (r >= 0)
                r = jsonutil_get_string(doc, "Driver", false, &driver, err);
        if (r >= 0)
                r = jsonutil_get_string(doc, "Mountpoint", false, &mountpoint, err);
        if (r >= 0)
                r = jsonutil_get_string(doc, "CreatedAt", false, &created, err);
        if (r >= 0)
                r = jsonutil_get_object(doc, "Labels", false, &labels, err);
        if (r >= 0)
                r = jsonutil_get_object(doc, "Options", false, &options, err);
        if (r >= 0 && !storage_volume_name_valid(name))
                r = rctr_error_set(err, EBADMSG, "Name: invalid volume name");
        if (r >= 0)
                r = copy_string_object(labels, "Labels", &v.labels, err);
        if (r >= 0)
                r = copy_string_object(options, "Options", &v.options, err);
        if (r < 0) {
                storage_volume_clear(&v);
                return rctr_error_prefix(err, "volume.json");
        }
        v.name = xstrdup(name);
        v.driver = xstrdup(driver);
        v.mountpoint = xstrdup(mountpoint);
        v.created_at = xstrdup(created);
        *ret = v;
        return 0;
}

json_t *storage_volume_json(const struct storage_volume *v)
{
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:O, s:i}", "Name", v->name, "Driver",
                              v->driver, "Mountpoint", v->mountpoint, "CreatedAt", v->created_at,
                              "Labels", v->labels, "Scope", "local", "Options", v->options,
                              "MountCount", 0);

        if (!o)
                xalloc_die(); /* every field is ours and valid: only memory can be missing */
        return o;
}

int storage_volumes_open(struct storage_store *s, struct storage_volumes **ret,
                         struct rctr_error *err)
{
        CLEANUP(storage_volumes_freep) struct storage_volumes *vs = xzalloc(sizeof(*vs));

        vs->lockfd = -1;
        vs->path = xasprintf("%s/volumes", s->path);
        vs->dirfd = fs_mkdir_open_at(s->rootfd, "volumes", 0700, err);
        if (vs->dirfd < 0)
                return rctr_error_prefix(err, "open %s", vs->path);
        vs->lockfd =
                openat(vs->dirfd, VOLUMES_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (vs->lockfd < 0)
                return rctr_error_sys(err, errno, "open %s/" VOLUMES_LOCK, vs->path);
        *ret = TAKE_PTR(vs);
        return 0;
}

void storage_volumes_free(struct storage_volumes *vs)
{
        if (!vs)
                return;
        if (vs->dirfd >= 0)
                close_nointr(vs->dirfd);
        if (vs->lockfd >= 0)
                close_nointr(vs->lockfd); /* drops the lock */
        free(vs->path);
        free(vs);
}

int storage_volumes_lock(struct storage_volumes *vs, bool exclusive, struct rctr_error *err)
{
        int mode = exclusive ? LOCK_EX : LOCK_SH;

        if (vs->lockmode == mode)
                return 0;
        if (RETRY_EINTR(flock(vs->lockfd, mode)) < 0)
                return rctr_error_sys(err, errno, "lock %s", vs->path);
        vs->lockmode = mode;
        return 0;
}

void storage_volumes_unlock(struct storage_volumes *vs)
{
        if (vs->lockmode)
                (void)flock(vs->lockfd, LOCK_UN);
        vs->lockmode = 0;
}

/* The exclusive lock for a change; *ret_held says what to give back in lock_end(). */
static int lock_begin(struct storage_volumes *vs, int *ret_held, struct rctr_error *err)
{
        *ret_held = vs->lockmode;
        return storage_volumes_lock(vs, true, err);
}

static void lock_end(struct storage_volumes *vs, int held)
{
        cleanup_error struct rctr_error ignored = {0};

        if (held == LOCK_EX)
                return;
        /* back to shared: a conversion, which cannot fail for want of the lock */
        if (held == LOCK_SH && storage_volumes_lock(vs, false, &ignored) >= 0)
                return;
        storage_volumes_unlock(vs);
}

/* Now as Go's RFC3339Nano writes a local time, podman's CreatedAt: "Z" for a zero offset. */
static char *rfc3339_now(void)
{
        struct timespec ts;
        struct tm tm;
        char date[32] = "", frac[16] = "";
        long off;

        clock_gettime(CLOCK_REALTIME, &ts);
        localtime_r(&ts.tv_sec, &tm);
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
        if (ts.tv_nsec > 0) {
                size_t n = (size_t)snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);

                while (n > 1 && frac[n - 1] == '0')
                        frac[--n] = '\0';
        }
        off = tm.tm_gmtoff;
        if (off == 0)
                return xasprintf("%s%sZ", date, frac);
        return xasprintf("%s%s%c%02ld:%02ld", date, frac, off < 0 ? '-' : '+', labs(off) / 3600,
                         labs(off) % 3600 / 60);
}

/* bytes (at most 32) random bytes as lowercase hex. */
static int random_hex(size_t bytes, char **ret, struct rctr_error *err)
{
        static const char digits[] = "0123456789abcdef";
        unsigned char rnd[32];
        char *hex;

        if (bytes > sizeof(rnd) || getrandom(rnd, bytes, 0) != (ssize_t)bytes)
                return rctr_error_sys(err, errno ? errno : EIO, "get random bytes");
        hex = xmalloc(2 * bytes + 1);
        for (size_t i = 0; i < bytes; i++) {
                hex[2 * i] = digits[rnd[i] >> 4];
                hex[2 * i + 1] = digits[rnd[i] & 0xf];
        }
        hex[2 * bytes] = '\0';
        *ret = hex;
        return 0;
}

static int tmp_name(char **ret, struct rctr_error *err)
{
        cleanup_free char *hex = NULL;
        int r = random_hex(8, &hex, err);

        if (r < 0)
                return r;
        *ret = xasprintf(TMP_PREFIX "%s", hex);
        return 0;
}

static void fsync_volumes_dir(struct storage_volumes *vs)
{
        (void)fsync(vs->dirfd); /* the renames are durable once the directory is */
}

/* A listing of volumes/ from its start: an fd of its own (a dup would share dirfd's offset). */
static DIR *open_listing(struct storage_volumes *vs)
{
        int fd = openat(vs->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

        if (!d && fd >= 0) {
                int e = errno;

                close_nointr(fd);
                errno = e;
        }
        return d;
}

/*
 * What killed writers left: with the exclusive lock held, no .tmp- directory is anybody's work
 * in progress. A failure here is not the caller's: it is tried again next time.
 */
static void remove_debris(struct storage_volumes *vs)
{
        cleanup_dir DIR *d = open_listing(vs);
        struct dirent *de;

        while (d && (de = readdir(d))) {
                cleanup_error struct rctr_error ignored = {0};

                if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0)
                        continue;
                log_debug("removing %s/%s, left by a killed process", vs->path, de->d_name);
                if (fs_remove_tree_at(vs->dirfd, de->d_name, &ignored) < 0)
                        log_debug("%s, ignoring", ignored.msg);
        }
}

static int no_such_volume(const char *name, struct rctr_error *err)
{
        return rctr_error_set(err, ENOENT, "no such volume %s", name);
}

bool storage_volume_exists(struct storage_volumes *vs, const char *name)
{
        struct stat st;

        return storage_volume_name_valid(name) &&
               fstatat(vs->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

int storage_volume_get(struct storage_volumes *vs, const char *name, struct storage_volume *ret,
                       struct rctr_error *err)
{
        cleanup_buf struct buf text = {0};
        cleanup_close int fd = -1;
        struct storage_volume v = {0};
        int r;

        if (!storage_volume_name_valid(name))
                return no_such_volume(name, err);
        fd = openat(vs->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
                return no_such_volume(name, err);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open volume %s", name);
        buf_init(&text, VOLUME_JSON_MAX);
        r = fs_read_at(fd, "volume.json", &text, err);
        if (r == -ENOENT) { /* removed while we read it */
                rctr_error_clear(err);
                return no_such_volume(name, err);
        }
        if (r >= 0)
                r = storage_volume_parse(text.data, text.len, &v, err);
        if (r < 0)
                return rctr_error_prefix(err, "volume %s", name);
        if (!streq(v.name, name)) {
                storage_volume_clear(&v);
                return rctr_error_set(err, EBADMSG, "volume %s: volume.json names another volume",
                                      name);
        }
        /* where the data is now: the store may have moved since volume.json was written */
        free(v.mountpoint);
        v.mountpoint = storage_volume_data_path(vs, name);
        *ret = v;
        return 0;
}

static int compare_volumes(const void *a, const void *b)
{
        return strcmp(((const struct storage_volume *)a)->name,
                      ((const struct storage_volume *)b)->name);
}

int storage_volume_list(struct storage_volumes *vs, struct storage_volume_list *ret,
                        struct rctr_error *err)
{
        CLEANUP(storage_volume_list_clear) struct storage_volume_list list = {0};
        cleanup_dir DIR *d = open_listing(vs);
        struct dirent *de;
        int r;

        if (!d)
                return rctr_error_sys(err, errno, "read %s", vs->path);
        while ((de = readdir(d))) {
                struct storage_volume v = {0};

                /* .lock, .tmp-* (being made, being removed, or debris), "." and ".." */
                if (!storage_volume_name_valid(de->d_name))
                        continue;
                r = storage_volume_get(vs, de->d_name, &v, err);
                if (r == -ENOENT) { /* removed meanwhile, or not a directory */
                        rctr_error_clear(err);
                        continue;
                }
                if (r < 0)
                        return r;
                list.v = xreallocarray(list.v, list.n + 1, sizeof(*list.v));
                list.v[list.n++] = v;
        }
        if (list.n > 1)
                qsort(list.v, list.n, sizeof(*list.v), compare_volumes);
        *ret = list;
        list = (struct storage_volume_list){0};
        return 0;
}

char *storage_volume_data_path(const struct storage_volumes *vs, const char *name)
{
        return xasprintf("%s/%s/_data", vs->path, name);
}

int storage_volume_open_data(struct storage_volumes *vs, const char *name, struct rctr_error *err)
{
        cleanup_close int vfd = -1;
        int fd;

        if (!storage_volume_name_valid(name))
                return no_such_volume(name, err);
        /* the volume's own directory is ours too: a symlink at either step is refused */
        vfd = openat(vs->dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (vfd < 0)
                return errno == ENOENT ? no_such_volume(name, err)
                                       : rctr_error_sys(err, errno, "open volume %s", name);
        fd = openat(vfd, "_data", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open %s/%s/_data", vs->path, name);
        return fd;
}

/* The options that would mount something: rctr's volumes are plain directories. */
static int check_options(json_t *options, struct rctr_error *err)
{
        static const char *const mounting[] = {"device", "type", "o"};

        for (size_t i = 0; options && i < ARRAY_SIZE(mounting); i++) {
                json_t *value = json_object_get(options, mounting[i]);

                if (json_is_string(value) && json_string_length(value) > 0)
                        return rctr_error_set(err, EOPNOTSUPP,
                                              "volume option %s is not supported rootless",
                                              mounting[i]);
        }
        return 0;
}

/* The record of a new volume (name NULL: a random one), its input checked. */
static int new_record(struct storage_volumes *vs, const char *name, json_t *labels, json_t *options,
                      struct storage_volume *ret, struct rctr_error *err)
{
        CLEANUP(storage_volume_clear) struct storage_volume v = {0};
        int r = name ? storage_volume_check_name(name, err) : random_hex(32, &v.name, err);

        if (r >= 0)
                r = copy_string_object(labels, "label", &v.labels, err);
        if (r >= 0)
                r = copy_string_object(options, "option", &v.options, err);
        if (r >= 0)
                r = check_options(v.options, err);
        if (r < 0)
                return r;
        if (name)
                v.name = xstrdup(name);
        v.driver = xstrdup("local");
        v.mountpoint = storage_volume_data_path(vs, v.name);
        v.created_at = rfc3339_now();
        *ret = v;
        v = (struct storage_volume){0};
        return 0;
}

static void discard_tmp(struct storage_volumes *vs, const char *tmp)
{
        cleanup_error struct rctr_error ignored = {0};

        (void)fs_remove_tree_at(vs->dirfd, tmp, &ignored); /* else the next create removes it */
}

/* volumes/.tmp-<random>/ with _data/ and volume.json: v, whole. Its name in *ret_tmp. */
static int make_tmp_volume(struct storage_volumes *vs, const struct storage_volume *v,
                           char **ret_tmp, struct rctr_error *err)
{
        json_auto_t *doc = storage_volume_json(v);
        cleanup_free char *tmp = NULL,
                          *text = json_dumps(doc, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        cleanup_close int fd = -1, datafd = -1;
        int r = tmp_name(&tmp, err);

        if (!text)
                xalloc_die();
        if (r < 0)
                return r;
        if (mkdirat(vs->dirfd, tmp, 0700) < 0)
                return rctr_error_sys(err, errno, "create %s/%s", vs->path, tmp);
        fd = openat(vs->dirfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0 && mkdirat(fd, "_data", 0755) == 0)
                datafd = openat(fd, "_data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        /* 0755 whatever the umask, podman's mode: a container user other than root reads it */
        if (datafd < 0 || fchmod(datafd, 0755) < 0) {
                r = rctr_error_sys(err, errno, "create %s/%s/_data", vs->path, tmp);
                discard_tmp(vs, tmp);
                return r;
        }
        /* written last, and synced with its directory (and so _data's entry) */
        r = fs_write_atomic_at(fd, "volume.json", text, strlen(text), 0600, err);
        if (r < 0) {
                discard_tmp(vs, tmp);
                return rctr_error_prefix(err, "create volume %s", v->name);
        }
        *ret_tmp = TAKE_PTR(tmp);
        return 0;
}

/* Rename the complete tmp to name, never over an existing one. */
static int publish(struct storage_volumes *vs, const char *tmp, const char *name,
                   struct rctr_error *err)
{
        /* NOREPLACE: a rename replaces an empty directory. Without it (EINVAL), the lock and the
         * check before keep another volume from being there. */
        if (renameat2(vs->dirfd, tmp, vs->dirfd, name, RENAME_NOREPLACE) < 0 &&
            (errno != EINVAL || renameat(vs->dirfd, tmp, vs->dirfd, name) < 0)) {
                int e = errno;

                discard_tmp(vs, tmp);
                if (e == EEXIST || e == ENOTEMPTY)
                        return rctr_error_set(err, EEXIST, "volume %s already exists", name);
                return rctr_error_sys(err, e, "rename %s/%s to %s", vs->path, tmp, name);
        }
        fsync_volumes_dir(vs);
        return 0;
}

static int create_locked(struct storage_volumes *vs, struct storage_volume *v, bool ignore_existing,
                         struct rctr_error *err)
{
        cleanup_free char *tmp = NULL;
        int r;

        remove_debris(vs);
        if (storage_volume_exists(vs, v->name)) {
                struct storage_volume old = {0};

                if (!ignore_existing)
                        return rctr_error_set(err, EEXIST, "volume %s already exists", v->name);
                r = storage_volume_get(vs, v->name, &old, err);
                if (r < 0)
                        return r;
                storage_volume_clear(v);
                *v = old;
                return 1;
        }
        r = make_tmp_volume(vs, v, &tmp, err);
        if (r >= 0)
                r = publish(vs, tmp, v->name, err);
        return r;
}

int storage_volume_create(struct storage_volumes *vs, const char *name, json_t *labels,
                          json_t *options, bool ignore_existing, struct storage_volume *ret,
                          struct rctr_error *err)
{
        CLEANUP(storage_volume_clear) struct storage_volume v = {0};
        int held, r = new_record(vs, name, labels, options, &v, err);

        if (r < 0)
                return r;
        r = lock_begin(vs, &held, err);
        if (r < 0)
                return r;
        r = create_locked(vs, &v, ignore_existing, err);
        lock_end(vs, held);
        if (r >= 0 && ret) {
                *ret = v;
                v = (struct storage_volume){0};
        }
        return r;
}

/* Out of sight at once by a rename, then deleted. The caller holds the exclusive lock. */
static int remove_locked(struct storage_volumes *vs, const char *name, struct rctr_error *err)
{
        cleanup_free char *tmp = NULL;
        int r = tmp_name(&tmp, err);

        if (r < 0)
                return r;
        if (renameat(vs->dirfd, name, vs->dirfd, tmp) < 0)
                return errno == ENOENT ? no_such_volume(name, err)
                                       : rctr_error_sys(err, errno, "remove volume %s", name);
        fsync_volumes_dir(vs);
        /* a failure leaves a .tmp- directory: gone from the list, removed by the next create */
        r = fs_remove_tree_at(vs->dirfd, tmp, err);
        return r < 0 ? rctr_error_prefix(err, "remove volume %s", name) : 0;
}

int storage_volume_check_removable(struct storage_volumes *vs, const char *name, bool force,
                                   storage_volume_in_use_fn in_use, void *ud,
                                   struct rctr_error *err)
{
        if (!storage_volume_exists(vs, name))
                return no_such_volume(name, err);
        if (!force && in_use && in_use(ud, name))
                return rctr_error_set(err, EBUSY,
                                      "volume %s is being used by a container: remove the "
                                      "container first or use --force",
                                      name);
        return 0;
}

int storage_volume_remove(struct storage_volumes *vs, const char *name, bool force,
                          storage_volume_in_use_fn in_use, void *ud, struct rctr_error *err)
{
        int held, r;

        if (!storage_volume_exists(vs, name))
                return no_such_volume(name, err); /* without waiting for the lock */
        r = lock_begin(vs, &held, err);
        if (r < 0)
                return r;
        /* again under the lock: removed, or taken into use, while we waited */
        r = storage_volume_check_removable(vs, name, force, in_use, ud, err);
        if (r >= 0)
                r = remove_locked(vs, name, err);
        lock_end(vs, held);
        return r;
}

static void strv_push(char ***v, size_t *n, const char *s)
{
        *v = xreallocarray(*v, *n + 2, sizeof(char *));
        (*v)[(*n)++] = xstrdup(s);
        (*v)[*n] = NULL;
}

static int prune_locked(struct storage_volumes *vs, storage_volume_in_use_fn in_use, void *ud,
                        char ***removed, struct rctr_error *err)
{
        CLEANUP(storage_volume_list_clear) struct storage_volume_list list = {0};
        size_t n = 0;
        int r;

        remove_debris(vs);
        r = storage_volume_list(vs, &list, err);
        for (size_t i = 0; r >= 0 && i < list.n; i++) {
                if (in_use && in_use(ud, list.v[i].name))
                        continue;
                r = remove_locked(vs, list.v[i].name, err);
                if (r >= 0)
                        strv_push(removed, &n, list.v[i].name);
        }
        return r;
}

int storage_volumes_prune(struct storage_volumes *vs, storage_volume_in_use_fn in_use, void *ud,
                          char ***ret_removed, struct rctr_error *err)
{
        cleanup_strv char **removed = xzalloc(sizeof(char *));
        int held, r = lock_begin(vs, &held, err);

        if (r < 0)
                return r;
        r = prune_locked(vs, in_use, ud, &removed, err);
        lock_end(vs, held);
        if (r < 0)
                return r;
        if (ret_removed)
                *ret_removed = TAKE_PTR(removed);
        return 0;
}
