#include <config.h>
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

/* A manifest or config larger than this is not one (registries cap manifests at 4 MiB). */
#define STORAGE_BLOB_MAX (16u * 1024 * 1024)

static const char *const store_dirs[] = {"blobs", "blobs/sha256", "layers", "tmp"};

bool storage_digest_valid(const char *digest)
{
        if (strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 7 + 64)
                return false;
        for (const char *c = digest + 7; *c; c++)
                if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
                        return false;
        return true;
}

/*
 * A stage is made as tmp/.new-<name>, locked, and only then renamed to tmp/<name> (see
 * storage_stage_new()): scans never look at a .new- one that is younger than this, so they cannot
 * take a stage between its creation and its lock. One older is what a process killed in that
 * instant left.
 */
#define STAGE_NEW_PREFIX  ".new-"
#define STAGE_NEW_MAX_AGE 60

/* A half-made stage (.new-*) that nobody can still be making. */
static bool stage_new_abandoned(int tmpfd, const char *name)
{
        struct timespec now;
        struct stat st;

        if (fstatat(tmpfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                return false;
        clock_gettime(CLOCK_REALTIME, &now);
        return now.tv_sec - st.st_mtim.tv_sec > STAGE_NEW_MAX_AGE;
}

/* A staging directory nobody holds locked is what a crashed (or killed) pull left. */
static void remove_stale_stages(struct storage_store *s)
{
        cleanup_close int tmpfd = openat(s->rootfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_dir DIR *d = NULL;
        struct dirent *de;

        if (tmpfd < 0)
                return;
        d = fdopendir(dup(tmpfd));
        while (d && (de = readdir(d))) {
                cleanup_error struct rctr_error ignored = {0};
                cleanup_close int fd = -1;
                bool being_made =
                        strncmp(de->d_name, STAGE_NEW_PREFIX, strlen(STAGE_NEW_PREFIX)) == 0;

                /* not even a try-lock on one being made: its maker's own lock would fail */
                if (being_made && !stage_new_abandoned(tmpfd, de->d_name))
                        continue;
                if (!being_made && de->d_name[0] == '.')
                        continue; /* ".", "..", and nothing of ours */
                fd = openat(tmpfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
                        continue; /* in use */
                log_debug("removing stale stage tmp/%s", de->d_name);
                (void)fs_remove_tree_at(tmpfd, de->d_name, &ignored);
        }
}

/*
 * The temporary files of fs_write_atomic_at() (".NAME.PID.N.tmp") whose writer is gone: a
 * process killed between write and rename leaves one. A pid taken again meanwhile keeps its file
 * until a later open: harmless.
 */
static void remove_stale_temps(struct storage_store *s, const char *dirname)
{
        cleanup_close int dirfd = openat(s->rootfd, dirname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_dir DIR *d = NULL;
        struct dirent *de;

        if (dirfd < 0)
                return;
        d = fdopendir(dup(dirfd));
        while (d && (de = readdir(d))) {
                size_t len = strlen(de->d_name);
                const char *end, *dot;
                long pid;

                if (de->d_name[0] != '.' || len < 6 || !streq(de->d_name + len - 4, ".tmp"))
                        continue;
                /* ".NAME.PID.N.tmp": the pid is the field before N */
                end = de->d_name + len - 4;
                dot = memrchr(de->d_name, '.', (size_t)(end - de->d_name));
                if (!dot || dot == de->d_name)
                        continue;
                end = dot;
                dot = memrchr(de->d_name, '.', (size_t)(end - de->d_name));
                if (!dot || sscanf(dot + 1, "%ld", &pid) != 1 || pid <= 0)
                        continue;
                if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
                        (void)unlinkat(dirfd, de->d_name, 0);
        }
}

int storage_store_open(const char *path, struct storage_store **ret, struct rctr_error *err)
{
        CLEANUP(storage_store_freep) struct storage_store *s = xzalloc(sizeof(*s));
        int r = fs_mkdir_p(path, 0700, err);

        s->rootfd = s->lockfd = -1;
        if (r < 0)
                return rctr_error_prefix(err, "open store");
        s->path = xstrdup(path);
        s->rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->rootfd < 0)
                return rctr_error_sys(err, errno, "open store %s", path);
        for (size_t i = 0; i < ARRAY_SIZE(store_dirs); i++)
                if (mkdirat(s->rootfd, store_dirs[i], 0700) < 0 && errno != EEXIST)
                        return rctr_error_sys(err, errno, "create %s/%s", path, store_dirs[i]);
        s->lockfd =
                openat(s->rootfd, "storage.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (s->lockfd < 0)
                return rctr_error_sys(err, errno, "open %s/storage.lock", path);
        remove_stale_stages(s);
        remove_stale_temps(s, ".");
        remove_stale_temps(s, "blobs/sha256");
        *ret = TAKE_PTR(s);
        return 0;
}

void storage_store_free(struct storage_store *s)
{
        if (!s)
                return;
        if (s->rootfd >= 0)
                close_nointr(s->rootfd);
        if (s->lockfd >= 0)
                close_nointr(s->lockfd); /* drops the lock */
        free(s->path);
        free(s);
}

int storage_store_lock(struct storage_store *s, bool exclusive, struct rctr_error *err)
{
        int mode = exclusive ? LOCK_EX : LOCK_SH;

        if (s->lockmode == mode)
                return 0;
        if (RETRY_EINTR(flock(s->lockfd, mode)) < 0)
                return rctr_error_sys(err, errno, "lock the store %s", s->path);
        s->lockmode = mode;
        return 0;
}

void storage_store_unlock(struct storage_store *s)
{
        if (s->lockmode)
                (void)flock(s->lockfd, LOCK_UN);
        s->lockmode = 0;
}

static int blobs_dir(struct storage_store *s, struct rctr_error *err)
{
        int fd = openat(s->rootfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        return fd < 0 ? rctr_error_sys(err, errno, "open %s/blobs/sha256", s->path) : fd;
}

int storage_blob_put(struct storage_store *s, const char *digest, const void *data, size_t len,
                     struct rctr_error *err)
{
        cleanup_close int dirfd = -1;

        if (!storage_digest_valid(digest))
                return rctr_error_set(err, EINVAL, "invalid digest %s", digest);
        dirfd = blobs_dir(s, err);
        if (dirfd < 0)
                return dirfd;
        return fs_write_atomic_at(dirfd, digest + 7, data, len, 0600, err);
}

int storage_blob_get(struct storage_store *s, const char *digest, struct buf *out,
                     struct rctr_error *err)
{
        cleanup_close int dirfd = -1;

        if (!storage_digest_valid(digest))
                return rctr_error_set(err, EINVAL, "invalid digest %s", digest);
        dirfd = blobs_dir(s, err);
        if (dirfd < 0)
                return dirfd;
        if (out->max == 0 || out->max > STORAGE_BLOB_MAX)
                out->max = STORAGE_BLOB_MAX;
        return fs_read_at(dirfd, digest + 7, out, err);
}

/* tmp/.new-NAME made, opened and locked: not yet seen by scans. Returns the fd or -errno. */
static int stage_make_locked(struct storage_store *s, const char *newrel, struct rctr_error *err)
{
        int fd;

        if (mkdirat(s->rootfd, newrel, 0700) < 0)
                return errno == EEXIST
                               ? -EEXIST
                               : rctr_error_sys(err, errno, "create %s/%s", s->path, newrel);
        fd = openat(s->rootfd, newrel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        /* our lock says "in use" to remove_stale_stages() of other processes */
        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
                int e = errno;

                if (fd >= 0)
                        close_nointr(fd);
                (void)unlinkat(s->rootfd, newrel, AT_REMOVEDIR);
                return rctr_error_sys(err, e, "lock %s/%s", s->path, newrel);
        }
        return fd;
}

int storage_stage_new(struct storage_store *s, char **ret_name, struct rctr_error *err)
{
        for (int attempt = 0; attempt < 16; attempt++) {
                uint64_t rnd = 0;
                cleanup_free char *name = NULL, *rel = NULL, *newrel = NULL;
                cleanup_close int fd = -1;

                if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                        return rctr_error_sys(err, errno, "random name");
                name = xasprintf("%016llx", (unsigned long long)rnd);
                rel = xasprintf("tmp/%s", name);
                newrel = xasprintf("tmp/" STAGE_NEW_PREFIX "%s", name);
                fd = stage_make_locked(s, newrel, err);
                if (fd == -EEXIST)
                        continue;
                if (fd < 0)
                        return fd;
                /*
                 * Visible to scans only now that it is locked (the lock stays with the inode).
                 * NOREPLACE: a rename over an empty directory would replace it. A file system
                 * without it (EINVAL) gets a plain rename: 64 random bits do not collide.
                 */
                if (renameat2(s->rootfd, newrel, s->rootfd, rel, RENAME_NOREPLACE) < 0 &&
                    (errno != EINVAL || renameat(s->rootfd, newrel, s->rootfd, rel) < 0)) {
                        int e = errno;

                        (void)unlinkat(s->rootfd, newrel, AT_REMOVEDIR);
                        if (e == EEXIST || e == ENOTEMPTY)
                                continue;
                        return rctr_error_sys(err, e, "rename %s/%s to %s", s->path, newrel, name);
                }
                *ret_name = TAKE_PTR(name);
                return TAKE_FD(fd);
        }
        return rctr_error_set(err, EEXIST, "no free staging name in %s/tmp", s->path);
}

void storage_stage_discard(struct storage_store *s, const char *name)
{
        cleanup_error struct rctr_error ignored = {0};
        cleanup_close int tmpfd = openat(s->rootfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (tmpfd >= 0)
                (void)fs_remove_tree_at(tmpfd, name, &ignored);
}

static char *layer_name(const char *chain_id)
{
        return xasprintf("layers/%s", chain_id + 7);
}

bool storage_layer_exists(struct storage_store *s, const char *chain_id)
{
        cleanup_free char *name = NULL;
        struct stat st;

        if (!storage_digest_valid(chain_id))
                return false;
        name = layer_name(chain_id);
        return fstatat(s->rootfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static void fsync_dir(struct storage_store *s, const char *name)
{
        cleanup_close int fd = openat(s->rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd >= 0)
                (void)fsync(fd);
}

int storage_layer_commit(struct storage_store *s, const char *stage, const char *chain_id,
                         struct rctr_error *err)
{
        cleanup_free char *from = xasprintf("tmp/%s", stage), *to = NULL;
        int r, held;

        if (!storage_digest_valid(chain_id))
                return rctr_error_set(err, EINVAL, "invalid chain id %s", chain_id);
        to = layer_name(chain_id);
        held = s->lockmode;
        r = storage_store_lock(s, true, err);
        if (r < 0)
                return r;
        if (renameat(s->rootfd, from, s->rootfd, to) < 0) {
                if (errno != EEXIST && errno != ENOTEMPTY)
                        r = rctr_error_sys(err, errno, "commit layer %s", chain_id);
                else
                        log_debug("layer %s was committed by another process", chain_id);
                storage_stage_discard(s, stage);
        }
        /* the rename is durable only once the directories it changed are */
        fsync_dir(s, "layers");
        fsync_dir(s, "tmp");
        if (!held)
                storage_store_unlock(s);
        return r < 0 ? r : 0;
}

int storage_layer_open_diff(struct storage_store *s, const char *chain_id, struct rctr_error *err)
{
        cleanup_free char *name = NULL;
        int fd;

        if (!storage_digest_valid(chain_id))
                return rctr_error_set(err, EINVAL, "invalid chain id %s", chain_id);
        name = xasprintf("layers/%s/diff", chain_id + 7);
        fd = openat(s->rootfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open layer %s", chain_id);
        return fd;
}

char *storage_layer_diff_path(const struct storage_store *s, const char *chain_id)
{
        return xasprintf("%s/layers/%s/diff", s->path, chain_id + 7);
}

int storage_layer_remove(struct storage_store *s, const char *chain_id, struct rctr_error *err)
{
        cleanup_free char *from = NULL, *stage = NULL, *to = NULL;
        cleanup_close int fd = -1;

        if (!storage_digest_valid(chain_id))
                return rctr_error_set(err, EINVAL, "invalid chain id %s", chain_id);
        /* out of layers/ at once, by rename; the slow removal happens in the stage */
        fd = storage_stage_new(s, &stage, err);
        if (fd < 0)
                return fd;
        from = layer_name(chain_id);
        to = xasprintf("tmp/%s/layer", stage);
        if (renameat(s->rootfd, from, s->rootfd, to) < 0 && errno != ENOENT) {
                int e = errno;

                storage_stage_discard(s, stage);
                return rctr_error_sys(err, e, "remove layer %s", chain_id);
        }
        storage_stage_discard(s, stage);
        return 0;
}

int storage_layers_prune(struct storage_store *s, char **keep, struct rctr_error *err)
{
        cleanup_close int dirfd = openat(s->rootfd, "layers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_dir DIR *d = NULL;
        struct dirent *de;

        if (dirfd < 0)
                return rctr_error_sys(err, errno, "open %s/layers", s->path);
        d = fdopendir(TAKE_FD(dirfd));
        while (d && (de = readdir(d))) {
                cleanup_free char *chain = xasprintf("sha256:%s", de->d_name);
                bool used = false;
                int r;

                if (!storage_digest_valid(chain))
                        continue;
                for (char **k = keep; k && *k && !used; k++)
                        used = streq(*k, chain);
                if (used)
                        continue;
                r = storage_layer_remove(s, chain, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

uint64_t storage_layer_size(struct storage_store *s, const char *chain_id)
{
        cleanup_error struct rctr_error ignored = {0};
        cleanup_buf struct buf text = {0};
        cleanup_free char *name = NULL;
        json_auto_t *doc = NULL;
        json_int_t size = 0;

        if (!storage_digest_valid(chain_id))
                return 0;
        name = xasprintf("layers/%s/layer.json", chain_id + 7);
        buf_init(&text, 64 * 1024);
        if (fs_read_at(s->rootfd, name, &text, &ignored) < 0 ||
            jsonutil_parse(text.data, text.len, text.max, &doc, &ignored) < 0 ||
            jsonutil_get_int(doc, "unpacked_size", false, 0, INT64_MAX, &size, &ignored) < 0)
                return 0;
        return (uint64_t)size;
}
