/* The default OCI runtime spec that `rctr oci spec` writes, as `runc spec` does. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

/*
 * A new config.json object: busybox-friendly `sh` with a terminal, rootfs "rootfs" read-only,
 * the usual mounts, masked and read-only paths, new pid/net/ipc/uts/mount/cgroup namespaces.
 * rootless: as `runc spec --rootless`: a user namespace mapping uid/gid 0 to uid/gid (the
 * caller), no network namespace, /sys bind-mounted read-only instead of a new sysfs, no uid=/gid=
 * mount options and no resources. Returns a new reference.
 */
json_t *engine_spec_default(bool rootless, uint32_t uid, uint32_t gid);
