/* Why the kernel refused an unprivileged user namespace, and what to do about it. */
#pragma once

/*
 * Explain a failed unshare(CLONE_NEWUSER) (code: positive errno) from the text of the sysctls
 * kernel.unprivileged_userns_clone, user.max_user_namespaces and
 * kernel.apparmor_restrict_unprivileged_userns (each NULL when the file does not exist). Returns
 * an owned one-line cause with the fix, without the "create user namespace" context.
 */
char *rootless_userns_explain(int code, const char *userns_clone, const char *max_userns,
                              const char *apparmor_restrict);

/* As above, reading the sysctls from /proc/sys. */
char *rootless_userns_explain_host(int code);
