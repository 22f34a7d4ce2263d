/* The per-user runtime directory: $XDG_RUNTIME_DIR, or a safe fallback when it is unusable. */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

struct rctr_error;

/*
 * Whether a directory with these lstat() results may hold uid's runtime state: a real directory
 * (not a symlink) owned by uid. Pure, for tests.
 */
bool rootless_runtime_dir_usable(const struct stat *st, uid_t uid);

/*
 * The runtime directory for the calling user: $XDG_RUNTIME_DIR when it is an absolute path to a
 * directory the user owns; otherwise (the classic su/sudo case) /tmp/rctr-<uid>, created 0700,
 * refused when it exists and belongs to someone else. Not rootless (real root): /run. Returns 0 and
 * an owned path, or -errno with err set.
 */
int rootless_runtime_dir(bool rootless, char **ret_path, struct rctr_error *err);
