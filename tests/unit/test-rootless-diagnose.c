#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "rootless/diagnose.h"
#include "tap.h"

static bool has(const char *text, const char *part)
{
        return strstr(text, part) != NULL;
}

int main(void)
{
        char *s;

        s = rootless_userns_explain(EPERM, "0\n", "15000\n", NULL);
        ok(has(s, "kernel.unprivileged_userns_clone=0") && has(s, "sysctl -w"),
           "Debian's userns_clone switch: %s", s);
        free(s);

        s = rootless_userns_explain(ENOSPC, NULL, "0", NULL);
        ok(has(s, "user.max_user_namespaces=0"), "max_user_namespaces=0: %s", s);
        free(s);

        s = rootless_userns_explain(ENOSPC, "1", "20", NULL);
        ok(has(s, "limit") && has(s, "=20"), "limit reached: %s", s);
        free(s);

        s = rootless_userns_explain(EPERM, "1", "15000", "1\n");
        ok(has(s, "AppArmor") && has(s, "apparmor_restrict_unprivileged_userns=1"),
           "Ubuntu's AppArmor restriction: %s", s);
        free(s);

        s = rootless_userns_explain(EPERM, "1", "15000", "0");
        is_str(s, "Operation not permitted", "otherwise the plain cause");
        free(s);

        s = rootless_userns_explain(EPERM, "10", "15000", NULL);
        is_str(s, "Operation not permitted", "a value that only starts with 0/1 is not taken");
        free(s);
        return tap_done();
}
