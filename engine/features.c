#include <config.h>
#include "features.h"

#include <ctype.h>
#include <sys/capability.h>

#include "lib/macros.h"
#include "lib/xalloc.h"
#include "mount-options.h"
#include "seccomp.h"
#include "spec.h"

/* cap_to_name() memory belongs to libcap's allocator: cap_free(), never free() */
static void cap_namep(char **name)
{
        if (*name)
                cap_free(*name);
}

static json_t *capability_names(void)
{
        json_t *caps = json_array();

        /* libcap knows this kernel's names; runc lists them upper case with CAP_ */
        for (cap_value_t c = 0; c <= cap_max_bits() - 1; c++) {
                CLEANUP(cap_namep) char *lower = cap_to_name(c);
                cleanup_free char *upper = NULL;

                if (!lower || !lower[0] || isdigit((unsigned char)lower[0]))
                        continue; /* a number: no name for this one */
                upper = xstrdup(lower);
                for (char *p = upper; *p; p++)
                        *p = (char)toupper((unsigned char)*p);
                json_array_append_new(caps, json_string(upper));
        }
        return caps;
}

json_t *engine_features(void)
{
        json_t *ns = json_array();

        for (int t = 0; t < ENGINE_NS_COUNT; t++)
                json_array_append_new(ns, json_string(engine_ns_name(t)));
        /* hooks, cgroups, AppArmor and SELinux are not applied yet: say so */
        return json_pack("{s:s, s:s, s:[], s:o, s:{s:o, s:o, s:{s:b, s:b, s:b, s:b}, s:o, "
                         "s:{s:b}, s:{s:b}}, s:{s:s}}",
                         "ociVersionMin", "1.0.0", "ociVersionMax", "1.1.0", "hooks",
                         "mountOptions", engine_mount_option_names(), "linux", "namespaces", ns,
                         "capabilities", capability_names(), "cgroup", "v1", 0, "v2", 0, "systemd",
                         0, "systemdUser", 0, "seccomp", engine_seccomp_features(), "apparmor",
                         "enabled", 0, "selinux", "enabled", 0, "annotations",
                         "io.github.rctr.version", PACKAGE_VERSION);
}
