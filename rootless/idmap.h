/* uid_map/gid_map contents for the rootless namespace: 0 = the user, 1..N = the subordinate ranges.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "subid.h"

/*
 * The map text written to /proc/PID/{uid,gid}_map: "0 <host_id> 1\n" then one line per range,
 * inside ids continuing from 1. Returns an owned string.
 */
char *rootless_idmap_text(uint32_t host_id, const struct rootless_ranges *ranges);

/*
 * argv for newuidmap/newgidmap: helper PID 0 host_id 1 1 start count ... NULL. Returns an owned
 * NULL-terminated array (free with strv_free).
 */
char **rootless_idmap_argv(const char *helper, pid_t pid, uint32_t host_id,
                           const struct rootless_ranges *ranges);
