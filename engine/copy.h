/*
 * `rctr cp`: copying files and directories between the host and containers with podman's (and
 * docker's) rules. For SRC to DEST:
 *   a file to an existing directory lands in it under its own name; to an existing file it
 *   replaces it; to a missing name it is created there (its directory must exist);
 *   a directory to an existing directory lands in it under its own name, or with SRC "dir/."
 *   only what it holds does; to a missing name it is created as that name; never onto a file;
 *   a tar stream ("-") is unpacked into an existing directory; a tar stream is written with the
 *   source under its own name (or, with "dir/.", what it holds).
 * SRC's symlinks are followed, also in its last component; inside a tree they are copied as
 * symlinks. Container paths are resolved inside the container's root (lib/fs.h), so no symlink
 * there leads out of it, whatever it points to.
 */
#pragma once

#include <stdbool.h>

struct engine_tree_create_opts;
struct rctr_error;

/* One side of a copy. */
struct engine_copy_end {
        int rootfd;       /* a container's root, in which path is resolved; -1: the host */
        const char *path; /* absolute in a container, as given on the host; NULL: a tar stream */
        int fd;           /* the stream's fd (path NULL) */
};

/* What a cp path says beyond where it leads. */
struct engine_copy_path {
        char *path;    /* owned: without a trailing "/." or "/" ("/" stays "/") */
        char *name;    /* owned: its last component ("" for "/") */
        bool contents; /* "dir/.", ".", "/": what the directory holds, not itself */
        bool slash;    /* it ended in "/": it must be a directory */
};

void engine_copy_path_clear(struct engine_copy_path *p);

/* Parse a non-empty cp path (pure). */
void engine_copy_path_parse(const char *text, struct engine_copy_path *ret);

/*
 * Copy src to dst, creating files as o says (owner, device nodes). Returns 0 or -errno with err
 * set: -ENOENT for a missing source or destination directory, -ENOTDIR when a directory was
 * needed, -EEXIST when a directory and a non-directory would replace each other (without
 * o->overwrite), others from the file systems and the tar stream.
 */
int engine_copy(const struct engine_copy_end *src, const struct engine_copy_end *dst,
                const struct engine_tree_create_opts *o, struct rctr_error *err);
