/* Copying a directory tree between directory fds: contents, modes, owners, times (no xattrs). */
#pragma once

struct rctr_error;

/*
 * Copy everything below srcfd into dstfd (both O_RDONLY directories; dstfd's existing entries
 * are kept or replaced). Regular files, directories, symlinks, fifos and device nodes (skipped
 * where mknod is not allowed) with their mode, owner (left as ours where chown is refused: a
 * user namespace) and times; symlinks are copied, never followed. Returns 0 or -errno.
 */
int fs_copy_tree_at(int srcfd, int dstfd, struct rctr_error *err);
