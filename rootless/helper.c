#include <config.h>
#include "helper.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "lib/error.h"
#include "lib/macros.h"
#include "lib/spawn.h"

int rootless_helper_find(const char *helper, char **ret_path, struct rctr_error *err)
{
        cleanup_free char *path = spawn_find_in_path(helper);
        struct stat st;

        if (!path)
                return rctr_error_set(err, ENOENT,
                                      "%s not found in PATH (install the Debian package uidmap: "
                                      "apt-get install uidmap)",
                                      helper);
        if (stat(path, &st) < 0)
                return rctr_error_sys(err, errno, "stat %s", path);
        /*
         * Only a privileged helper may write a multi-line map into our namespace; without it the
         * mapping fails later with a vaguer EPERM, so say it now. Debian ships it setuid root;
         * some distributions use file capabilities (cap_setuid/cap_setgid) instead.
         */
        if (!((st.st_mode & S_ISUID) && st.st_uid == 0) &&
            getxattr(path, "security.capability", NULL, 0) <= 0)
                return rctr_error_set(err, EPERM,
                                      "%s is neither setuid root nor has file capabilities "
                                      "(reinstall it: apt-get install --reinstall uidmap)",
                                      path);
        *ret_path = TAKE_PTR(path);
        return 0;
}
