/* File helpers that work relative to directory fds, never follow the last symlink and cap reads. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct buf;
struct rctr_error;

/* Write all of data, retrying short writes and EINTR. Returns 0 or -errno (errno set). */
int fs_write_all(int fd, const void *data, size_t len);

/*
 * Read the whole fd into out, failing with -EFBIG past out->max. Returns 0 or -errno with err
 * set ("read <what>: ...").
 */
int fs_read_fd(int fd, struct buf *out, const char *what, struct rctr_error *err);

/* Read dirfd/name (no symlink followed) into out, capped by out->max. */
int fs_read_at(int dirfd, const char *name, struct buf *out, struct rctr_error *err);

/*
 * Replace dirfd/name atomically: write a temporary file, fsync it (unless nosync: tmpfs),
 * rename over name, fsync the directory. A crash leaves either the old or the new content.
 */
int fs_write_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                       struct rctr_error *err);

/*
 * The same without the fsyncs: readers see the old or the new content, but a crash may lose the
 * change (for state that is recomputed or thrown away anyway: a container's status, a --rm
 * container's records).
 */
int fs_replace_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                  struct rctr_error *err);

/* Write a short string to an existing file such as /proc/PID/uid_map (no O_CREAT). */
int fs_write_string_at(int dirfd, const char *name, const char *text, struct rctr_error *err);

/*
 * Create dirfd/name as a directory with mode if missing and open it (O_DIRECTORY|O_NOFOLLOW).
 * Returns the new fd (owned by the caller) or -errno.
 */
int fs_mkdir_open_at(int dirfd, const char *name, mode_t mode, struct rctr_error *err);

/*
 * Remove dirfd/name and everything below it without following symlinks. Directories we own but
 * cannot read (overlay's work/work is mode 000) are opened up first. Missing is not an error.
 */
int fs_remove_tree_at(int dirfd, const char *name, struct rctr_error *err);

/*
 * Open path inside the directory tree rootfd as if rootfd were "/": symlinks and ".." never lead
 * out of it, magic links (/proc/self/fd/...) are refused (openat2 RESOLVE_IN_ROOT, Linux 5.6).
 * Returns the new fd or -errno with err set.
 */
int fs_open_in_root(int rootfd, const char *path, int flags, struct rctr_error *err);

/*
 * Make path exist inside rootfd (creating missing directories 0755, and the last component as a
 * directory or, when !dir, an empty file 0644) and open it O_PATH, resolving every step as
 * fs_open_in_root does. Returns the fd or -errno with err set.
 */
int fs_mkpath_in_root(int rootfd, const char *path, bool dir, struct rctr_error *err);

/* mkdir -p: path and its missing parents with mode (existing ones are left as they are). */
int fs_mkdir_p(const char *path, mode_t mode, struct rctr_error *err);

/* Sort n names (strcmp order: the byte order tar streams and diffs are made in). */
void fs_sort_names(const char **names, size_t n);

/*
 * The names in the directory dirfd (without . and ..), sorted, as an owned strv. Returns 0 or
 * -errno with err set.
 */
int fs_list_dir_sorted(int dirfd, char ***ret, struct rctr_error *err);
