/* Where rctr finds the helper programs it ships (rctr-init): build tree, install tree, override. */
#pragma once

/*
 * The path of helper program `name` (a plain file name such as "rctr-init"): the first regular,
 * executable file among
 *   1. $RCTR_HELPER_DIR/name (an override for tests; ignored in a privileged process),
 *   2. <directory of rctr's binary>/name (the build tree, where rctr and the helpers sit side
 *      by side at the top level),
 *   3. <directory of rctr's binary>/../libexec/rctr/name (an installed tree moved as a whole),
 *   4. <libexecdir given to configure>/rctr/name (where `make install` put it).
 * Returns an owned absolute path, or NULL when there is none: the caller reports
 * "<name> not found: reinstall rctr".
 */
char *rctr_helper_path(const char *name);
