/*
 * Names inside a layer directory, which come from an untrusted archive: normalize them, and
 * open directories below the layer root one component at a time, never following a symlink
 * (STYLE.md §6, "Untrusted roots"). Used by the unpacker; anything that writes into a layer
 * directory by a name from outside should go through here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct rctr_error;

#define STORAGE_LAYER_PATH_MAX_DEPTH 128

/*
 * Normalize a tar entry name: drop empty and "." components (so "./a//b/" is "a/b"); refuse ""
 * (-EBADMSG "empty name"), absolute names (-EBADMSG "absolute path"), ".." components (-EBADMSG
 * "path leaves the layer"), names of PATH_MAX bytes or more, components over NAME_MAX and more
 * than STORAGE_LAYER_PATH_MAX_DEPTH components (-EFBIG; the depth cap keeps the recursive
 * removal of a layer within its stack and fd limits). *ret_path is a new string; "" stands for
 * the layer root (names such as "./"). Pure.
 */
int storage_layer_path_clean(const char *name, char **ret_path, struct rctr_error *err);

/*
 * Split a clean, non-empty path: returns its directory as a new string ("" at the top) and
 * points *ret_name at the last component inside path.
 */
char *storage_layer_path_split(const char *path, const char **ret_name);

/*
 * Open the directory named by the clean path below startfd, skipping its first skip bytes (a
 * prefix, ending in '/', that startfd already is). Each component is opened alone with
 * O_DIRECTORY|O_NOFOLLOW, so a symlink (l -> /, l -> ..) fails instead of being followed, and
 * the walk cannot leave startfd. With create, missing directories are made 0755 as tar does.
 * Returns an owned fd (O_PATH, or O_RDONLY for a directory just made) or -errno with err naming
 * path up to the failing component: -EBADMSG "l is a symbolic link, which is never followed",
 * -ENOTDIR "f is not a directory", -ENOENT when !create.
 */
int storage_layer_path_open_dir(int startfd, const char *path, size_t skip, bool create,
                                struct rctr_error *err);

/*
 * A name from an archive made safe to print: control characters as \xNN, capped at 300 bytes
 * ("..." after). Returns a new string.
 */
char *storage_layer_path_escape(const char *name);
