/*
 * Reading an image archive (`rctr load`: docker-archive or oci-archive, possibly gzip, zstd, xz
 * or bzip2 compressed) that is untrusted input. Nothing of it is ever written to disk by its own
 * names: a first pass lists the members and keeps the small JSON documents in memory (capped),
 * so that the images can be checked before anything is unpacked; a second pass streams the
 * layer members that the documents name into the layer writer. A pipe (stdin) is copied to an
 * unnamed temporary file first, so that it can be read twice.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

struct buf;
struct rctr_error;
struct image_archive_reader;
struct image_archive_member;

/* Caps: one JSON document, all of them together, the number of members. */
#define IMAGE_ARCHIVE_JSON_MAX    (8u * 1024 * 1024)
#define IMAGE_ARCHIVE_JSON_TOTAL  (64u * 1024 * 1024)
#define IMAGE_ARCHIVE_MEMBERS_MAX 200000

/*
 * Read the archive on fd (borrowed) once: member names (cleaned as layer entry names are;
 * members with names that leave the archive are ignored), sizes, symbolic and hard links
 * between members (docker writes repeated layers as links), and JSON documents up to the caps.
 * When fd can't seek, its content goes first to an O_TMPFILE in spool_dirfd. Returns 0 with
 * *ret owned, or -errno with err set: -EBADMSG for a damaged or truncated archive or a member
 * given twice, -EFBIG past a cap.
 */
int image_archive_reader_open(int fd, int spool_dirfd, struct image_archive_reader **ret,
                              struct rctr_error *err);
void image_archive_reader_free(struct image_archive_reader *r);
static inline void image_archive_reader_freep(struct image_archive_reader **r)
{
        image_archive_reader_free(*r);
}

/*
 * The regular member name means, after links (borrowed from r), and its size; NULL when the
 * archive has no such member.
 */
const char *image_archive_reader_resolve(const struct image_archive_reader *r, const char *name,
                                         uint64_t *ret_size);

/* A JSON document (after links) held in memory, or NULL: absent, over the cap, or not JSON. */
const struct buf *image_archive_reader_json(const struct image_archive_reader *r, const char *name);

/*
 * Called for each regular member in archive order, with its clean name. Return 0 to go on (the
 * rest of the member is skipped), or -errno with err set to stop.
 */
typedef int (*image_archive_scan_fn)(void *ctx, const char *name, uint64_t size,
                                     struct image_archive_member *m, struct rctr_error *err);

/* Read the archive again from its start. Returns 0, what fn returned, or -errno. */
int image_archive_reader_scan(struct image_archive_reader *r, image_archive_scan_fn fn, void *ctx,
                              struct rctr_error *err);

/* Inside fn: the member's next bytes. Returns how many (0 at its end) or -errno with err set. */
ssize_t image_archive_member_read(struct image_archive_member *m, void *buf, size_t len,
                                  struct rctr_error *err);
