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

/*
 * Ask on stderr, after warning (podman's words), "Are you sure you want to continue? [y/N]" and
 * read the answer from stdin. Returns 1 for yes, 0 for no (or EOF), -EINVAL with err set when
 * stdin is no terminal: then use_force says how to go on without asking.
 */
int cmd_system_confirm(const char *warning, const char *use_force, struct rctr_error *err);
