/* Which rootfs drivers work here, for `rctr info` (and, later, the automatic driver choice). */
#pragma once

#include <stdbool.h>

#include <jansson.h>

/*
 * Try the kernel overlay driver for real: mount a tiny overlay (with userxattr when rootless,
 * needing Linux >= 5.11) under graphroot in a throw-away mount namespace, and look for
 * fuse-overlayfs and a usable /dev/fuse. Call from inside the user namespace. Returns a new
 * object: {"graphRoot", "kernelOverlay": {"available", "error"?}, "fuseOverlayfs": {...},
 * "driver"} where driver is the one rctr would pick.
 */
json_t *storage_probe(const char *graphroot, bool rootless);
