/* linux.sysctl: kernel parameters of the container's own namespaces, written in its /proc/sys. */
#pragma once

#include <jansson.h>

struct engine_spec;
struct rctr_error;

/*
 * Check linux.sysctl (NULL: none): string values, and only parameters that belong to a namespace
 * the container has of its own (ipc: kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*; net:
 * net.*; uts: kernel.hostname, kernel.domainname), as runc allows: anything else would change
 * the host. Returns 0 or -EBADMSG/-EPERM with err naming the key.
 */
int engine_sysctl_check(json_t *sysctl, const struct engine_spec *spec, struct rctr_error *err);

/* In the container, with its /proc mounted and writable: write each. 0 or -errno. */
int engine_sysctl_apply(json_t *sysctl, struct rctr_error *err);
