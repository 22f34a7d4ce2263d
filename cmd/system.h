/* What rctr system's subcommands share (cmd/system.c, system-prune.c, system-reset.c). */
#pragma once

#include <stdint.h>

struct cmd_global;
struct rctr_error;

int cmd_system_prune(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_system_reset(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);

/*
 * The bytes of the regular files and symlinks below dirfd/name (name itself if a file), not
 * following symlinks and not crossing into other mounts (a container's merged/ is its layers
 * again); hard links count once per name, as du --count-links. 0 when missing or unreadable.
 */
uint64_t cmd_disk_usage_at(int dirfd, const char *name);
