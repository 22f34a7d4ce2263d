#include <config.h>
#include "tar-split.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/layer-path.h"
#include "storage/tar-split-private.h"

#define COPY_BUF (128u * 1024)

static size_t min_len(size_t len, uint64_t left)
{
        return left < len ? (size_t)left : len;
}

static int gz_get(gzFile gz, void *buf, size_t len, struct rctr_error *err)
{
        int n = len ? gzread(gz, buf, (unsigned)len) : 0, e = 0;
        const char *msg;

        if (n >= 0 && (size_t)n == len)
                return 0;
        if (n >= 0)
                return rctr_error_set(err, EBADMSG, "tar-split record truncated");
        msg = gzerror(gz, &e);
        if (e == Z_ERRNO)
                return rctr_error_sys(err, errno ? errno : EIO, "read the tar-split record");
        return rctr_error_set(err, EBADMSG, "tar-split record corrupt: %s", msg);
}

/* Open path below diff_fd: a regular file of size bytes, checked before it is opened. */
static int open_file(int diff_fd, const char *path, uint64_t size, struct rctr_error *err)
{
        const char *name;
        cleanup_free char *dir = storage_layer_path_split(path, &name);
        cleanup_close int dfd = storage_layer_path_open_dir(diff_fd, dir, 0, false, err);
        struct stat a, b;
        int fd;

        if (dfd < 0)
                return dfd;
        /* never open what is not a regular file: opening a device or a fifo has effects */
        if (fstatat(dfd, name, &a, AT_SYMLINK_NOFOLLOW) < 0)
                return rctr_error_sys(err, errno, "look up the file");
        if (!S_ISREG(a.st_mode) || (uint64_t)a.st_size != size)
                return rctr_error_set(err, EBADMSG, "no longer the regular file of %llu bytes",
                                      (unsigned long long)size);
        fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open the file");
        if (fstat(fd, &b) < 0 || b.st_ino != a.st_ino || b.st_dev != a.st_dev) {
                close_nointr(fd);
                return rctr_error_set(err, EBADMSG, "the file changed while it was opened");
        }
        return fd;
}

/* The file's content to out; errors about the file name it, out's own are passed on. */
static int copy_file(int diff_fd, const char *path, uint64_t size, storage_tar_split_out_fn out,
                     void *ctx, char *buf, struct rctr_error *err)
{
        cleanup_free char *shown = storage_layer_path_escape(path);
        cleanup_close int fd = open_file(diff_fd, path, size, err);

        if (fd < 0)
                return rctr_error_prefix(err, "layer file %s", shown);
        while (size > 0) {
                ssize_t n = RETRY_EINTR(read(fd, buf, min_len(COPY_BUF, size)));
                int k;

                if (n < 0)
                        return rctr_error_sys(err, errno, "layer file %s: read", shown);
                if (n == 0)
                        return rctr_error_set(err, EBADMSG, "layer file %s: shorter than recorded",
                                              shown);
                k = out(ctx, buf, (size_t)n, err);
                if (k < 0)
                        return k;
                size -= (uint64_t)n;
        }
        return 0;
}

static int assemble_file(gzFile gz, int diff_fd, storage_tar_split_out_fn out, void *ctx, char *buf,
                         uint64_t *emitted, struct rctr_error *err)
{
        cleanup_error struct rctr_error ignored = {0};
        cleanup_free char *path = NULL, *clean = NULL;
        unsigned char head[10];
        uint64_t size;
        size_t len;
        int k = gz_get(gz, head, sizeof(head), err);

        if (k < 0)
                return k;
        size = storage_tar_split_get_le(head, 8);
        len = (size_t)storage_tar_split_get_le(head + 8, 2);
        if (len == 0 || len >= PATH_MAX)
                return rctr_error_set(err, EBADMSG, "tar-split record corrupt: a path of %zu bytes",
                                      len);
        path = xzalloc(len + 1);
        k = gz_get(gz, path, len, err);
        if (k < 0)
                return k;
        /* only a clean path, as the recorder wrote it, is opened */
        if (memchr(path, '\0', len) || storage_layer_path_clean(path, &clean, &ignored) < 0 ||
            !streq(clean, path))
                return rctr_error_set(err, EBADMSG, "tar-split record corrupt: a bad path");
        k = copy_file(diff_fd, path, size, out, ctx, buf, err);
        *emitted += size;
        return k;
}

int storage_tar_split_assemble(int splitfd, int diff_fd, storage_tar_split_out_fn out, void *ctx,
                               struct rctr_error *err)
{
        CLEANUP(storage_tar_split_gz_closep) gzFile gz = NULL;
        cleanup_free char *buf = xmalloc(STORAGE_TAR_SPLIT_SEG_MAX);
        uint64_t emitted = 0;
        unsigned char head[8];
        int fd = fcntl(splitfd, F_DUPFD_CLOEXEC, 3), k;

        if (fd < 0)
                return rctr_error_sys(err, errno, "read the tar-split record");
        gz = gzdopen(fd, "rb");
        if (!gz) {
                close_nointr(fd);
                return rctr_error_set(err, ENOMEM, "read the tar-split record: out of memory");
        }
        k = gz_get(gz, buf, STORAGE_TAR_SPLIT_MAGIC_LEN, err);
        if (k >= 0 && memcmp(buf, STORAGE_TAR_SPLIT_MAGIC, STORAGE_TAR_SPLIT_MAGIC_LEN) != 0)
                k = rctr_error_set(err, EBADMSG, "not a tar-split record of this rctr");
        while (k >= 0) {
                unsigned char type;

                k = gz_get(gz, &type, 1, err);
                if (k < 0)
                        break;
                if (type == 'F') {
                        k = assemble_file(gz, diff_fd, out, ctx, buf, &emitted, err);
                } else if (type == 'S') {
                        size_t len;

                        k = gz_get(gz, head, 4, err);
                        len = (size_t)storage_tar_split_get_le(head, 4);
                        if (k >= 0 && (len == 0 || len > STORAGE_TAR_SPLIT_SEG_MAX))
                                k = rctr_error_set(err, EBADMSG, "tar-split record corrupt");
                        if (k >= 0)
                                k = gz_get(gz, buf, len, err);
                        if (k >= 0)
                                k = out(ctx, buf, len, err);
                        emitted += len;
                } else if (type == 'E') {
                        k = gz_get(gz, head, 8, err);
                        if (k < 0)
                                break;
                        if (storage_tar_split_get_le(head, 8) != emitted || gzread(gz, buf, 1) != 0)
                                return rctr_error_set(err, EBADMSG, "tar-split record corrupt");
                        return 0;
                } else {
                        k = rctr_error_set(err, EBADMSG, "tar-split record corrupt");
                }
        }
        return k;
}
