/* A directory tree (or a single file) on disk as engine/tree.h entries. */
#pragma once

struct engine_tree_sink;
struct rctr_error;

/*
 * Give sink the file fd refers to (any fd, O_PATH included, already resolved by the caller) and,
 * for a directory, everything below it: the top entry is named as, its contents as/NAME...; with
 * as NULL the top directory itself is left out and its contents are named NAME... Nothing below
 * fd is followed through a symlink: each directory is opened relative to its parent with
 * O_NOFOLLOW, so a tree that changes while it is read (a running container) cannot send the walk
 * elsewhere. Names are given in sorted order; files with more than one link become HARDLINK
 * entries after their first name; sockets are skipped. Returns 0, what sink returned, or -errno
 * with err set (-EFBIG: nested deeper than ENGINE_TREE_MAX_DEPTH).
 */
int engine_tree_walk(int fd, const char *as, const struct engine_tree_sink *sink,
                     struct rctr_error *err);
