/*
 * engine/tree.h entries as a tar stream and back (libarchive), for `rctr cp` with "-" and
 * `rctr export`. Streams are read and written sequentially, never seeked: pipes work.
 */
#pragma once

struct engine_tree_sink;
struct engine_tree_tar;
struct rctr_error;

/* A pax tar written to fd (borrowed). Returns 0 with *ret (owned) or -errno with err set. */
int engine_tree_tar_new(int fd, struct engine_tree_tar **ret, struct rctr_error *err);

/* The sink that appends entries to w (valid while w lives). */
struct engine_tree_sink engine_tree_tar_sink(struct engine_tree_tar *w);

/* Write the end of the archive. Returns 0 or -errno with err set. */
int engine_tree_tar_close(struct engine_tree_tar *w, struct rctr_error *err);

/* Free w; an archive not closed is left unfinished (nothing more is written). */
void engine_tree_tar_free(struct engine_tree_tar *w);
static inline void engine_tree_tar_freep(struct engine_tree_tar **w)
{
        engine_tree_tar_free(*w);
}

/*
 * Read the tar (uncompressed, or gzip, bzip2, xz or zstd) on fd (borrowed) and give sink its
 * entries. The stream is untrusted: names are cleaned (a leading "/" or "./" dropped) and
 * refused when they hold "..", are too long or too deep (-EBADMSG, -EFBIG); so are hard links
 * whose target is; the top directory's own entry ("./") and sockets are skipped. Returns 0, what
 * sink returned, or -errno with err set ("tar entry NAME: ...").
 */
int engine_tree_tar_read(int fd, const struct engine_tree_sink *sink, struct rctr_error *err);
