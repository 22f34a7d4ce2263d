#include <config.h>
#include "layer-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/digest.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/store.h"
#include "storage/tar-split.h"
#include "storage/unpack.h"

/* What copy_fd() reads at once. */
#define COPY_CHUNK (128u * 1024)

enum writer_state {
        WRITER_STREAMING, /* taking bytes */
        WRITER_ENDED,     /* verified, synced, not committed */
        WRITER_COMMITTED, /* the stage is a layer now (ours or an equal one) */
        WRITER_FAILED,    /* the stage is gone; failure is what every call returns */
};

struct storage_layer_writer {
        struct storage_store *store;       /* borrowed */
        char *what;                        /* owned: "layer sha256:…", how errors name the blob */
        char *digest, *diff_id, *chain_id; /* owned: expected; NULL when not known */
        uint64_t size, max_unpacked;
        struct storage_unpack_opts uo;
        enum writer_state state;
        struct rctr_error failure;

        char *stage;  /* owned: name under tmp/; NULL once committed or removed */
        int stage_fd; /* holds the stage's lock, which says "in use" to other processes */
        int diff_fd;  /* <stage>/diff, where the unpacker creates files */
        int wfd;      /* our end of the socket pair; -1 once closed (the unpacker's EOF) */
        int rfd;      /* the unpacker's end: the thread closes it when it stops reading */

        pthread_t thread;
        bool thread_started;
        int unpack_r;                 /* written by the thread, read after the join */
        struct rctr_error unpack_err; /* likewise */

        struct digest_sha256 *blob_sha, *tar_sha;
        struct storage_decompress *dec;
        struct storage_tar_split_rec *split; /* what `save` reassembles the tar from */
        uint64_t received, unpacked;
        char *got_digest, *got_diff_id; /* owned, after end() */
};

/*
 * storage_layer_commit() keeps the store's lock state in the struct, which threads of one
 * process share: two commits at once would drop each other's lock. Parallel pulls serialize
 * here.
 */
static pthread_mutex_t commit_lock = PTHREAD_MUTEX_INITIALIZER;

static void *unpack_main(void *arg)
{
        struct storage_layer_writer *w = arg;
        char sink[16384];

        w->unpack_r = storage_unpack_fd(w->diff_fd, w->rfd, &w->uo, NULL, &w->unpack_err);
        /*
         * tar pads its end to a whole record and layers may carry more after the end-of-archive
         * blocks (the diff_id covers them): read it all, or the writer would block on a socket
         * nobody reads. After a failure there is nothing left to read for: closing makes the
         * writer's next send fail with EPIPE, which stops the download at once.
         */
        if (w->unpack_r >= 0)
                while (RETRY_EINTR(read(w->rfd, sink, sizeof(sink))) > 0)
                        ;
        close_nointr(TAKE_FD(w->rfd));
        return NULL;
}

static int start_unpacker(struct storage_layer_writer *w, struct rctr_error *err)
{
        sigset_t all, old;
        int r;

        /*
         * The thread inherits the mask: with every signal blocked there, SIGINT, SIGCHLD and
         * the like are delivered to the threads that wait for them, never to the unpacker.
         */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = pthread_create(&w->thread, NULL, unpack_main, w);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r != 0)
                return rctr_error_sys(err, r, "%s: start the unpack thread", w->what);
        w->thread_started = true;
        return 0;
}

/* Close the unpacker's input and wait for it: it sees EOF, whether or not the tar is whole. */
static void stop_unpacker(struct storage_layer_writer *w)
{
        if (w->wfd >= 0)
                close_nointr(TAKE_FD(w->wfd));
        if (w->thread_started) {
                pthread_join(w->thread, NULL);
                w->thread_started = false;
        }
}

/* Remove the stage, if it is still ours (the unpacker stopped first). */
static void discard_stage(struct storage_layer_writer *w)
{
        if (w->diff_fd >= 0)
                close_nointr(TAKE_FD(w->diff_fd));
        if (w->stage)
                storage_stage_discard(w->store, w->stage);
        free(TAKE_PTR(w->stage));
        if (w->stage_fd >= 0)
                close_nointr(TAKE_FD(w->stage_fd)); /* drops the stage lock, after the removal */
}

/* The first failure: clean up now and remember err for the calls still to come. */
static int writer_fail(struct storage_layer_writer *w, int r, struct rctr_error *err)
{
        if (!err->msg)
                r = rctr_error_set(err, r < 0 ? -r : EIO, "%s: failed", w->what);
        stop_unpacker(w);
        discard_stage(w);
        w->state = WRITER_FAILED;
        w->failure.code = err->code;
        w->failure.msg = xstrdup(err->msg);
        return r;
}

static int writer_state_error(struct storage_layer_writer *w, struct rctr_error *err)
{
        if (w->state == WRITER_FAILED)
                return rctr_error_set(err, w->failure.code, "%s", w->failure.msg);
        return rctr_error_set(err, EINVAL, "%s: the blob has ended already", w->what);
}

/* The unpacker stopped reading: its error is the one to report. */
static int unpacker_failed(struct storage_layer_writer *w, int e, struct rctr_error *err)
{
        stop_unpacker(w);
        if (w->unpack_r < 0 && w->unpack_err.msg)
                return rctr_error_set(err, w->unpack_err.code, "%s", w->unpack_err.msg);
        if (w->unpack_r < 0)
                return rctr_error_set(err, -w->unpack_r, "unpack failed");
        return rctr_error_sys(err, e, "feed the unpacker");
}

static int send_all(struct storage_layer_writer *w, const unsigned char *p, size_t len,
                    struct rctr_error *err)
{
        while (len > 0) {
                /* MSG_NOSIGNAL: a stopped unpacker is EPIPE for us, never a SIGPIPE */
                ssize_t n = RETRY_EINTR(send(w->wfd, p, len, MSG_NOSIGNAL));

                if (n < 0)
                        return unpacker_failed(w, errno, err);
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

/* The decompressor's output: the layer tar. */
static int tar_out(void *ctx, const void *data, size_t len, struct rctr_error *err)
{
        struct storage_layer_writer *w = ctx;
        int r;

        if (len > w->max_unpacked - w->unpacked)
                return rctr_error_set(err, EFBIG,
                                      "uncompressed size over the limit of %" PRIu64 " bytes",
                                      w->max_unpacked);
        w->unpacked += len;
        digest_sha256_update(w->tar_sha, data, len);
        r = storage_tar_split_rec_feed(w->split, data, len, err);
        if (r < 0)
                return r;
        return send_all(w, data, len, err);
}

static int check_expect(const struct storage_layer_expect *e, struct rctr_error *err)
{
        if (e->digest && !storage_digest_valid(e->digest))
                return rctr_error_set(err, EINVAL, "layer: invalid digest %s", e->digest);
        if (e->diff_id && !storage_digest_valid(e->diff_id))
                return rctr_error_set(err, EINVAL, "layer: invalid diff_id %s", e->diff_id);
        if (e->chain_id && !storage_digest_valid(e->chain_id))
                return rctr_error_set(err, EINVAL, "layer: invalid chain id %s", e->chain_id);
        if ((unsigned)e->compression > STORAGE_COMPRESSION_AUTO)
                return rctr_error_set(err, EINVAL, "layer: unknown compression %d",
                                      (int)e->compression);
        return 0;
}

/* tmp/<name>/ with an empty diff/ in it, and the socket pair the unpacker reads. */
static int make_stage(struct storage_layer_writer *w, struct rctr_error *err)
{
        int sv[2];
        int r;

        r = storage_stage_new(w->store, &w->stage, err);
        if (r < 0)
                return rctr_error_prefix(err, "%s", w->what);
        w->stage_fd = r;
        if (mkdirat(w->stage_fd, "diff", 0755) < 0)
                return rctr_error_sys(err, errno, "%s: create tmp/%s/diff", w->what, w->stage);
        w->diff_fd = openat(w->stage_fd, "diff", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (w->diff_fd < 0)
                return rctr_error_sys(err, errno, "%s: open tmp/%s/diff", w->what, w->stage);
        /*
         * A stream socket rather than a pipe: send(MSG_NOSIGNAL) reports a reader gone as EPIPE
         * without raising SIGPIPE, which a library must not change the disposition of.
         */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return rctr_error_sys(err, errno, "%s: create the unpack socket", w->what);
        w->rfd = sv[0];
        w->wfd = sv[1];
        r = storage_tar_split_rec_new(w->stage_fd, STORAGE_TAR_SPLIT_NAME, &w->split, err);
        return r < 0 ? rctr_error_prefix(err, "%s", w->what) : 0;
}

int storage_layer_writer_new(struct storage_store *s, const struct storage_layer_expect *e,
                             const struct storage_unpack_opts *uo,
                             struct storage_layer_writer **ret, struct rctr_error *err)
{
        CLEANUP(storage_layer_writer_freep) struct storage_layer_writer *w = NULL;
        int r;

        r = check_expect(e, err);
        if (r < 0)
                return r;
        w = xzalloc(sizeof(*w));
        w->stage_fd = w->diff_fd = w->wfd = w->rfd = -1;
        w->store = s;
        w->what = e->digest ? xasprintf("layer %s", e->digest) : xstrdup("layer");
        w->digest = e->digest ? xstrdup(e->digest) : NULL;
        w->diff_id = e->diff_id ? xstrdup(e->diff_id) : NULL;
        w->chain_id = e->chain_id ? xstrdup(e->chain_id) : NULL;
        w->size = e->size;
        w->max_unpacked = e->max_unpacked ? e->max_unpacked : STORAGE_LAYER_UNPACKED_MAX;
        if (uo)
                w->uo = *uo;
        w->blob_sha = digest_sha256_new();
        w->tar_sha = digest_sha256_new();
        w->dec = storage_decompress_new(e->compression, tar_out, w);
        r = make_stage(w, err);
        if (r < 0)
                return r;
        r = start_unpacker(w, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(w);
        return 0;
}

int storage_layer_writer_write(struct storage_layer_writer *w, const void *data, size_t len,
                               struct rctr_error *err)
{
        int r;

        if (w->state != WRITER_STREAMING)
                return writer_state_error(w, err);
        /* a server sending more than the manifest says is stopped now, not at the end */
        if (w->size && len > w->size - w->received) {
                r = rctr_error_set(err, EBADMSG,
                                   "%s: size mismatch: more than the %" PRIu64 " bytes expected",
                                   w->what, w->size);
                return writer_fail(w, r, err);
        }
        digest_sha256_update(w->blob_sha, data, len);
        w->received += len;
        r = storage_decompress_feed(w->dec, data, len, err);
        if (r < 0) {
                rctr_error_prefix(err, "%s", w->what);
                return writer_fail(w, r, err);
        }
        return 0;
}

int storage_layer_writer_copy_fd(struct storage_layer_writer *w, int fd, struct rctr_error *err)
{
        cleanup_free unsigned char *buf = NULL;

        if (w->state != WRITER_STREAMING)
                return writer_state_error(w, err);
        buf = xmalloc(COPY_CHUNK);
        for (;;) {
                ssize_t n = RETRY_EINTR(read(fd, buf, COPY_CHUNK));
                int r;

                if (n < 0) {
                        r = rctr_error_sys(err, errno, "%s: read the blob", w->what);
                        return writer_fail(w, r, err);
                }
                if (n == 0)
                        return 0;
                r = storage_layer_writer_write(w, buf, (size_t)n, err);
                if (r < 0)
                        return r;
        }
}

/* Size and digest of the compressed blob: before anything of it is believed. */
static int check_blob(struct storage_layer_writer *w, struct rctr_error *err)
{
        w->got_digest = digest_sha256_string(w->blob_sha);
        if (w->size && w->received != w->size)
                return rctr_error_set(err, EBADMSG,
                                      "%s: size mismatch: got %" PRIu64 " bytes, expected %" PRIu64,
                                      w->what, w->received, w->size);
        if (w->digest && !streq(w->got_digest, w->digest))
                return rctr_error_set(err, EBADMSG, "%s: digest mismatch: got %s", w->what,
                                      w->got_digest);
        return 0;
}

/* Wait for the unpacker, then check what it read against the diff_id. */
static int check_tar(struct storage_layer_writer *w, struct rctr_error *err)
{
        int r;

        r = storage_decompress_end(w->dec, err);
        if (r < 0)
                return rctr_error_prefix(err, "%s", w->what);
        stop_unpacker(w);
        if (w->unpack_r < 0) {
                (void)unpacker_failed(w, EIO, err);
                return rctr_error_prefix(err, "%s", w->what);
        }
        w->got_diff_id = digest_sha256_string(w->tar_sha);
        if (w->diff_id && !streq(w->got_diff_id, w->diff_id))
                return rctr_error_set(err, EBADMSG, "%s: diff_id mismatch: got %s, expected %s",
                                      w->what, w->got_diff_id, w->diff_id);
        return 0;
}

/* <stage>/layer.json: what the layer was made from; synced with the layer by end(). */
static int write_layer_json(struct storage_layer_writer *w, struct rctr_error *err)
{
        json_auto_t *doc = json_pack("{s:s, s:s, s:I, s:I, s:s}", "digest", w->got_digest,
                                     "diff_id", w->got_diff_id, "size", (json_int_t)w->received,
                                     "unpacked_size", (json_int_t)w->unpacked, "compression",
                                     storage_compression_name(storage_decompress_format(w->dec)));
        cleanup_free char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        cleanup_close int fd = -1;

        if (!text)
                xalloc_die(); /* every value is ours and valid: only allocation fails */
        fd = openat(w->stage_fd, "layer.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    0600);
        if (fd < 0 || fs_write_all(fd, text, strlen(text)) < 0)
                return rctr_error_sys(err, errno, "%s: write tmp/%s/layer.json", w->what, w->stage);
        return 0;
}

int storage_layer_writer_end(struct storage_layer_writer *w, struct rctr_error *err)
{
        int r;

        if (w->state != WRITER_STREAMING)
                return writer_state_error(w, err);
        r = check_blob(w, err);
        if (r >= 0)
                r = check_tar(w, err);
        /* 0: the tar names a file twice and can't be rebuilt from diff/, save repacks it */
        if (r >= 0)
                r = storage_tar_split_rec_end(w->split, err);
        if (r >= 0)
                r = write_layer_json(w, err);
        /*
         * The rename in commit() must not reach the disk before the files do. One syncfs()
         * covers the whole layer (thousands of files) at the cost of one call; since Linux 5.8
         * it also reports write-back errors.
         */
        if (r >= 0 && syncfs(w->stage_fd) < 0)
                r = rctr_error_sys(err, errno, "%s: sync tmp/%s", w->what, w->stage);
        if (r < 0)
                return writer_fail(w, r, err);
        w->state = WRITER_ENDED;
        return 0;
}

int storage_layer_writer_commit(struct storage_layer_writer *w, const char *chain_id,
                                struct rctr_error *err)
{
        int r;

        if (w->state == WRITER_FAILED)
                return writer_state_error(w, err);
        if (w->state != WRITER_ENDED)
                return rctr_error_set(err, EINVAL, "%s: commit before the end of the blob",
                                      w->what);
        if (!chain_id)
                chain_id = w->chain_id;
        if (!chain_id || !storage_digest_valid(chain_id))
                return rctr_error_set(err, EINVAL, "%s: invalid chain id %s", w->what,
                                      chain_id ? chain_id : "(none)");
        pthread_mutex_lock(&commit_lock);
        r = storage_layer_commit(w->store, w->stage, chain_id, err);
        pthread_mutex_unlock(&commit_lock);
        if (r < 0) {
                rctr_error_prefix(err, "%s", w->what);
                return writer_fail(w, r, err);
        }
        /* renamed into layers/, or dropped for an equal one: no longer ours to remove */
        free(TAKE_PTR(w->stage));
        discard_stage(w);
        w->state = WRITER_COMMITTED;
        return 0;
}

int storage_layer_writer_finish(struct storage_layer_writer *w, struct rctr_error *err)
{
        int r = storage_layer_writer_end(w, err);

        if (r < 0)
                return r;
        return storage_layer_writer_commit(w, NULL, err);
}

void storage_layer_writer_free(struct storage_layer_writer *w)
{
        if (!w)
                return;
        stop_unpacker(w);
        if (w->rfd >= 0) /* the thread never started */
                close_nointr(w->rfd);
        discard_stage(w);
        storage_decompress_free(w->dec);
        storage_tar_split_rec_free(w->split);
        digest_sha256_free(w->blob_sha);
        digest_sha256_free(w->tar_sha);
        rctr_error_clear(&w->failure);
        rctr_error_clear(&w->unpack_err);
        free(w->what);
        free(w->digest);
        free(w->diff_id);
        free(w->chain_id);
        free(w->got_digest);
        free(w->got_diff_id);
        free(w);
}

uint64_t storage_layer_writer_received(const struct storage_layer_writer *w)
{
        return w->received;
}

const char *storage_layer_writer_digest(const struct storage_layer_writer *w)
{
        return w->state == WRITER_ENDED || w->state == WRITER_COMMITTED ? w->got_digest : NULL;
}

const char *storage_layer_writer_diff_id(const struct storage_layer_writer *w)
{
        return w->state == WRITER_ENDED || w->state == WRITER_COMMITTED ? w->got_diff_id : NULL;
}

uint64_t storage_layer_writer_unpacked_size(const struct storage_layer_writer *w)
{
        return w->state == WRITER_ENDED || w->state == WRITER_COMMITTED ? w->unpacked : 0;
}

enum storage_compression storage_layer_writer_compression(const struct storage_layer_writer *w)
{
        return storage_decompress_format(w->dec);
}
