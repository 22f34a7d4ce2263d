/*
 * The tar that `rctr save` writes (a docker-archive or an oci-archive), streamed to an fd: a
 * file or a pipe, never seeked. Members are plain: owner 0:0, mode 0644 (directories 0755),
 * mtime 0, so the same images give the same archive. pax headers only where ustar can't say it
 * (members of 8 GiB and more).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct rctr_error;
struct image_archive_writer;

/* Start the archive on fd (borrowed; written with write(2)). Returns 0 with *ret owned. */
int image_archive_writer_new(int fd, struct image_archive_writer **ret, struct rctr_error *err);

/* A member with data in memory. Returns 0 or -errno with err set ("write the archive: ..."). */
int image_archive_writer_file(struct image_archive_writer *w, const char *name, const void *data,
                              size_t len, struct rctr_error *err);

/* A directory member ("blobs/"). */
int image_archive_writer_dir(struct image_archive_writer *w, const char *name,
                             struct rctr_error *err);

/*
 * A member of size bytes whose data follows through image_archive_writer_data() calls (its
 * signature is the one storage_layer_export_write() takes, with w as ctx), then _end().
 */
int image_archive_writer_begin(struct image_archive_writer *w, const char *name, uint64_t size,
                               struct rctr_error *err);
int image_archive_writer_data(void *w, const void *data, size_t len, struct rctr_error *err);
/* The member is complete: -EBADMSG when fewer bytes came than begin() announced. */
int image_archive_writer_end(struct image_archive_writer *w, struct rctr_error *err);

/* Write the end of the archive. */
int image_archive_writer_close(struct image_archive_writer *w, struct rctr_error *err);

/* Drop the writer (an unclosed archive is left as it is: the caller removes the file). */
void image_archive_writer_free(struct image_archive_writer *w);
static inline void image_archive_writer_freep(struct image_archive_writer **w)
{
        image_archive_writer_free(*w);
}
