#include <config.h>
#include "archive-writer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

DEFINE_FREEP(struct archive_entry *, archive_entry_free)

struct image_archive_writer {
        struct archive *a;
        int fd;          /* borrowed */
        int write_errno; /* why the last write to fd failed */
        bool in_entry;
        uint64_t size, written; /* of the member being streamed */
        char *name;             /* owned: that member's name */
};

static la_ssize_t write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
        struct image_archive_writer *w = data;

        if (fs_write_all(w->fd, buf, len) < 0) {
                w->write_errno = errno;
                archive_set_error(a, errno, "%s", strerror(errno));
                return -1;
        }
        return (la_ssize_t)len;
}

static int failed(struct image_archive_writer *w, const char *name, struct rctr_error *err)
{
        const char *msg = archive_error_string(w->a);

        if (w->write_errno)
                return rctr_error_sys(err, w->write_errno, "write the archive");
        return rctr_error_set(err, EIO, "write the archive: %s: %s", name, msg ? msg : "failed");
}

int image_archive_writer_new(int fd, struct image_archive_writer **ret, struct rctr_error *err)
{
        struct image_archive_writer *w = xzalloc(sizeof(*w));

        w->fd = fd;
        w->a = archive_write_new();
        if (!w->a)
                xalloc_die();
        archive_write_set_format_pax_restricted(w->a);
        archive_write_set_bytes_in_last_block(w->a, 1);
        if (archive_write_open(w->a, w, NULL, write_cb, NULL) != ARCHIVE_OK) {
                int r = failed(w, "", err);

                image_archive_writer_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

static int header(struct image_archive_writer *w, const char *name, unsigned type, uint64_t size,
                  struct rctr_error *err)
{
        CLEANUP(archive_entry_freep) struct archive_entry *ae = archive_entry_new();

        if (!ae)
                xalloc_die();
        if (w->in_entry)
                return rctr_error_set(err, EINVAL, "write the archive: %s before the end of %s",
                                      name, w->name);
        archive_entry_copy_pathname(ae, name);
        archive_entry_set_filetype(ae, type);
        archive_entry_set_perm(ae, type == AE_IFDIR ? 0755 : 0644);
        archive_entry_set_size(ae, (la_int64_t)size);
        archive_entry_set_mtime(ae, 0, 0);
        if (archive_write_header(w->a, ae) < ARCHIVE_WARN)
                return failed(w, name, err);
        return 0;
}

int image_archive_writer_begin(struct image_archive_writer *w, const char *name, uint64_t size,
                               struct rctr_error *err)
{
        int r;

        if (size > INT64_MAX)
                return rctr_error_set(err, EFBIG, "write the archive: %s is too big", name);
        r = header(w, name, AE_IFREG, size, err);
        if (r < 0)
                return r;
        w->in_entry = true;
        w->size = size;
        w->written = 0;
        free(w->name);
        w->name = xstrdup(name);
        return 0;
}

int image_archive_writer_data(void *ctx, const void *data, size_t len, struct rctr_error *err)
{
        struct image_archive_writer *w = ctx;
        const char *p = data;

        /* libarchive would cut what goes past the header's size silently: say it instead */
        if (!w->in_entry || len > w->size - w->written)
                return rctr_error_set(err, EBADMSG,
                                      "write the archive: %s: more than the %" PRIu64
                                      " bytes announced",
                                      w->name ? w->name : "?", w->size);
        while (len > 0) {
                la_ssize_t n = archive_write_data(w->a, p, len);

                if (n <= 0)
                        return failed(w, w->name, err);
                p += n;
                len -= (size_t)n;
                w->written += (uint64_t)n;
        }
        return 0;
}

int image_archive_writer_end(struct image_archive_writer *w, struct rctr_error *err)
{
        w->in_entry = false;
        if (w->written != w->size)
                return rctr_error_set(err, EBADMSG,
                                      "write the archive: %s: %" PRIu64 " of %" PRIu64 " bytes",
                                      w->name, w->written, w->size);
        if (archive_write_finish_entry(w->a) < ARCHIVE_WARN)
                return failed(w, w->name, err);
        return 0;
}

int image_archive_writer_file(struct image_archive_writer *w, const char *name, const void *data,
                              size_t len, struct rctr_error *err)
{
        int r = image_archive_writer_begin(w, name, len, err);

        if (r >= 0)
                r = image_archive_writer_data(w, data, len, err);
        if (r >= 0)
                r = image_archive_writer_end(w, err);
        return r;
}

int image_archive_writer_dir(struct image_archive_writer *w, const char *name,
                             struct rctr_error *err)
{
        return header(w, name, AE_IFDIR, 0, err);
}

int image_archive_writer_close(struct image_archive_writer *w, struct rctr_error *err)
{
        if (archive_write_close(w->a) != ARCHIVE_OK)
                return failed(w, "the end", err);
        return 0;
}

void image_archive_writer_free(struct image_archive_writer *w)
{
        if (!w)
                return;
        /* never flush a half-written archive through fd again (after close: nothing left) */
        (void)archive_write_fail(w->a);
        archive_write_free(w->a);
        free(w->name);
        free(w);
}
