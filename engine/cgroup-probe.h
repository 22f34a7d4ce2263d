/* The cgroup layout of this host and what this user may manage, for `rctr info`. */
#pragma once

#include <jansson.h>

/*
 * {"version": "v2" | "v1" | "v1 (hybrid)", "manager": "cgroupfs", "controllers": [...],
 *  "delegated": [...], "path"?: our cgroup}: the controllers the host has, and those whose cgroup
 * of ours this process can write to (where rctr can make child groups). New reference.
 */
json_t *engine_cgroup_probe(void);

/*
 * Parse one line of /proc/self/cgroup ("ID:controllers:/path"). On success sets *ret_ctrls
 * (comma separated, empty for v2) and *ret_path, pointing into line (modified). Returns 0 or
 * -EINVAL.
 */
int engine_cgroup_parse_line(char *line, char **ret_ctrls, char **ret_path);
