/* Finding and vetting the setuid helpers newuidmap/newgidmap (Debian package uidmap). */
#pragma once

struct rctr_error;

/*
 * Find helper ("newuidmap" or "newgidmap") in $PATH and check that it can grant mappings: it must
 * be setuid root or carry file capabilities. Returns 0 with *ret_path owned by the caller, or
 * -ENOENT (missing) / -EPERM (not privileged) with err saying how to fix it.
 */
int rootless_helper_find(const char *helper, char **ret_path, struct rctr_error *err);
