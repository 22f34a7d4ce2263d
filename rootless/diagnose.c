#include <config.h>
#include "diagnose.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

static bool sysctl_is(const char *value, const char *want)
{
        size_t n = strlen(want);

        return value && strncmp(value, want, n) == 0 && (value[n] == '\0' || value[n] == '\n');
}

char *rootless_userns_explain(int code, const char *userns_clone, const char *max_userns,
                              const char *apparmor_restrict)
{
        if (sysctl_is(userns_clone, "0"))
                return xstrdup("unprivileged user namespaces are disabled "
                               "(kernel.unprivileged_userns_clone=0; an admin can enable them: "
                               "sysctl -w kernel.unprivileged_userns_clone=1)");
        if (sysctl_is(max_userns, "0"))
                return xstrdup("user namespaces are disabled (user.max_user_namespaces=0; an admin "
                               "can enable them: sysctl -w user.max_user_namespaces=15000)");
        if (code == ENOSPC)
                return xasprintf(
                        "the limit of user namespaces is reached (user.max_user_namespaces=%.20s; "
                        "an admin can raise it: sysctl -w user.max_user_namespaces=15000)",
                        max_userns ? max_userns : "?");
        if (sysctl_is(apparmor_restrict, "1"))
                return xstrdup(
                        "AppArmor restricts unprivileged user namespaces "
                        "(kernel.apparmor_restrict_unprivileged_userns=1; an admin can allow "
                        "them: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or "
                        "add an AppArmor profile for rctr with the userns rule)");
        return xstrdup(strerror(code));
}

static char *read_sysctl(const char *path)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_buf struct buf b = {0};

        buf_init(&b, 64);
        if (fs_read_at(AT_FDCWD, path, &b, &err) < 0)
                return NULL;
        while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
                b.data[--b.len] = '\0';
        return buf_detach(&b);
}

char *rootless_userns_explain_host(int code)
{
        cleanup_free char *clone = read_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
        cleanup_free char *max = read_sysctl("/proc/sys/user/max_user_namespaces");
        cleanup_free char *aa =
                read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");

        return rootless_userns_explain(code, clone, max, aa);
}
