/* Entering the user's rootless namespace: the entry point the rest of rctr uses. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct rctr_error;

/*
 * True unless we are root in the initial user namespace. Inside the rootless namespace (uid 0
 * there, e.g. under `rctr unshare`) this stays true: the host still sees the user.
 */
bool rootless_is_rootless(void);

/* True when this process is already in a user namespace other than the initial one. */
bool rootless_in_userns(void);

/*
 * Join the user's pause process (creating it on first use, race-free under a file lock) so this
 * process runs as uid 0 of the user's namespace with rctr's shared mount namespace. runtime_dir
 * is the user's runtime directory (the pause pid lives in runtime_dir/rctr). No-op for root and
 * when already inside. Must be called while single-threaded. Returns 1 when it joined, 0 when
 * there was nothing to do, or -errno with err set.
 */
int rootless_enter(const char *runtime_dir, struct rctr_error *err);

/* Whether the joined namespace maps a single uid (no subordinate ranges). */
bool rootless_single_mapping(void);
