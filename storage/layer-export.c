#include <config.h>
#include "layer-export.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/layer-repack.h"
#include "storage/store.h"
#include "storage/tar-split.h"

#define LAYER_JSON_MAX (64u * 1024)

/* Hashes and counts what passes to out, and stops at a cap. */
struct sink {
        storage_layer_export_out_fn out; /* NULL: only measure */
        void *ctx;
        struct digest_sha256 *sha; /* owned */
        uint64_t count, max;
};

static int sink_write(void *ctx, const void *data, size_t len, struct rctr_error *err)
{
        struct sink *k = ctx;

        if (len > k->max - k->count)
                return rctr_error_set(err, EBADMSG, "more than the %" PRIu64 " bytes expected",
                                      k->max);
        k->count += len;
        digest_sha256_update(k->sha, data, len);
        return k->out ? k->out(k->ctx, data, len, err) : 0;
}

void storage_layer_export_clear(struct storage_layer_export *x)
{
        free(x->diff_id);
        *x = (struct storage_layer_export){0};
}

/* layers/<hex>/ (O_PATH), or -errno with err set. */
static int open_layer(struct storage_store *s, const char *chain_id, struct rctr_error *err)
{
        cleanup_free char *name = NULL;
        int fd;

        if (!storage_digest_valid(chain_id))
                return rctr_error_set(err, EINVAL, "invalid chain id %s", chain_id);
        name = xasprintf("layers/%s", chain_id + 7);
        fd = openat(s->rootfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open layer %s", chain_id);
        return fd;
}

int storage_layer_info(struct storage_store *s, const char *chain_id, char **ret_diff_id,
                       uint64_t *ret_size, struct rctr_error *err)
{
        cleanup_close int fd = open_layer(s, chain_id, err);
        cleanup_buf struct buf text;
        json_auto_t *doc = NULL;
        const char *diff_id = NULL;
        json_int_t size = 0;
        int r;

        buf_init(&text, LAYER_JSON_MAX);
        if (fd < 0)
                return fd;
        r = fs_read_at(fd, "layer.json", &text, err);
        if (r >= 0)
                r = jsonutil_parse(text.data, text.len, LAYER_JSON_MAX, &doc, err);
        if (r >= 0)
                r = jsonutil_get_string(doc, "diff_id", true, &diff_id, err);
        if (r >= 0)
                r = jsonutil_get_int(doc, "unpacked_size", true, 0, INT64_MAX, &size, err);
        if (r >= 0 && !storage_digest_valid(diff_id))
                r = rctr_error_set(err, EBADMSG, "diff_id: invalid digest");
        if (r < 0)
                return rctr_error_prefix(err, "layer %s: layer.json", chain_id);
        *ret_diff_id = xstrdup(diff_id);
        *ret_size = (uint64_t)size;
        return 0;
}

/* The tar-split record of the layer, or -ENOENT (err untouched) when it has none. */
static int open_split(int layerfd, struct rctr_error *err)
{
        int fd = openat(layerfd, STORAGE_TAR_SPLIT_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0 && errno == ENOENT)
                return -ENOENT;
        if (fd < 0)
                return rctr_error_sys(err, errno, "open %s", STORAGE_TAR_SPLIT_NAME);
        return fd;
}

static int open_diff(int layerfd, struct rctr_error *err)
{
        int fd = openat(layerfd, "diff", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        return fd < 0 ? rctr_error_sys(err, errno, "open diff") : fd;
}

int storage_layer_export_prepare(struct storage_store *s, const char *chain_id,
                                 struct storage_layer_export *ret, struct rctr_error *err)
{
        cleanup_close int fd = open_layer(s, chain_id, err), split = -1, diff = -1;
        struct sink k = {.max = UINT64_MAX};
        struct storage_layer_export x = {0};
        int r;

        if (fd < 0)
                return fd;
        split = open_split(fd, err);
        if (split >= 0) {
                r = storage_layer_info(s, chain_id, &x.diff_id, &x.size, err);
                if (r < 0)
                        return r;
                x.exact = true;
                *ret = x;
                return 0;
        }
        if (split != -ENOENT)
                return rctr_error_prefix(err, "layer %s", chain_id);
        /* no record: the repack's digest is only known by making it */
        diff = open_diff(fd, err);
        if (diff < 0)
                return rctr_error_prefix(err, "layer %s", chain_id);
        k.sha = digest_sha256_new();
        r = storage_layer_repack(diff, sink_write, &k, err);
        if (r >= 0) {
                x.diff_id = digest_sha256_string(k.sha);
                x.size = k.count;
        }
        digest_sha256_free(k.sha);
        if (r < 0)
                return rctr_error_prefix(err, "layer %s", chain_id);
        *ret = x;
        return 0;
}

int storage_layer_export_write(struct storage_store *s, const char *chain_id,
                               const struct storage_layer_export *x,
                               storage_layer_export_out_fn out, void *ctx, struct rctr_error *err)
{
        cleanup_close int fd = open_layer(s, chain_id, err), split = -1, diff = -1;
        CLEANUP(digest_sha256_freep) struct digest_sha256 *sha = digest_sha256_new();
        struct sink k = {.out = out, .ctx = ctx, .sha = sha, .max = x->size};
        cleanup_free char *got = NULL;
        int r;

        if (fd < 0)
                return fd;
        diff = open_diff(fd, err);
        if (diff < 0)
                return rctr_error_prefix(err, "layer %s", chain_id);
        if (x->exact) {
                split = open_split(fd, err);
                if (split == -ENOENT)
                        r = rctr_error_set(err, ENOENT, "%s is gone", STORAGE_TAR_SPLIT_NAME);
                else
                        r = split < 0
                                    ? split
                                    : storage_tar_split_assemble(split, diff, sink_write, &k, err);
        } else {
                r = storage_layer_repack(diff, sink_write, &k, err);
        }
        if (r < 0)
                return rctr_error_prefix(err, "layer %s", chain_id);
        got = digest_sha256_string(sha);
        if (k.count != x->size || !streq(got, x->diff_id))
                return rctr_error_set(err, EBADMSG,
                                      "layer %s: its files in the store no longer give %s (got "
                                      "%s, %" PRIu64 " bytes): the store was changed",
                                      chain_id, x->diff_id, got, k.count);
        return 0;
}
