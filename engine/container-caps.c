/*
 * process.capabilities of a container: podman's default set, --cap-add, --cap-drop and
 * --privileged, with podman's rules (containers/common pkg/capabilities MergeCapabilities and
 * podman's pkg/specgen/generate/security_linux.go).
 */
#include <config.h>
#include "container-spec-private.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "container-spec.h"
#include "spec-process.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

/* podman's default_capabilities (containers.conf): what a container's root may do. */
static const char *const default_caps[] = {
        "CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",     "CAP_FSETID",
        "CAP_KILL",    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP",    "CAP_SETGID",
        "CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT",
};

#define CAP_BIT(c) (UINT64_C(1) << (c))

/*
 * "ALL" means the capabilities we can still hand on: our own bounding set (podman's
 * capabilities.BoundingSet()). A user namespace does not refill it, so a capability dropped
 * from it before rctr ran could not be raised in the container anyway.
 */
static uint64_t bounding_set(void)
{
        uint64_t set = 0;
        int max = (int)cap_max_bits();

        for (int c = 0; c < max && c < 64; c++)
                if (prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) == 1)
                        set |= CAP_BIT(c);
        return set;
}

/* One --cap-add/--cap-drop word: "net_admin", "CAP_NET_ADMIN" or "ALL" (*all set). */
static int cap_parse(const char *flag, const char *name, uint64_t *set, bool *all,
                     struct rctr_error *err)
{
        cleanup_free char *upper = NULL;
        int cap;

        if (strlen(name) > 64)
                return rctr_error_set(err, EINVAL, "invalid %s: name too long", flag);
        upper = strncasecmp(name, "CAP_", 4) == 0 ? xstrdup(name) : xasprintf("CAP_%s", name);
        for (char *c = upper; *c; c++)
                *c = (char)toupper((unsigned char)*c);
        if (streq(upper, "CAP_ALL")) {
                *all = true;
                return 0;
        }
        if (engine_spec_cap_number(upper, &cap) < 0)
                return rctr_error_set(err, EINVAL, "invalid %s %s: unknown capability %s", flag,
                                      name, upper);
        *set |= CAP_BIT(cap);
        return 0;
}

static int caps_parse(const char *flag, char *const *list, uint64_t *set, bool *all,
                      struct rctr_error *err)
{
        int r = 0;

        for (char *const *c = list; r >= 0 && c && *c; c++)
                r = cap_parse(flag, *c, set, all, err);
        return r;
}

static uint64_t default_set(void)
{
        uint64_t set = 0;
        int cap;

        for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
                if (engine_spec_cap_number(default_caps[i], &cap) == 0)
                        set |= CAP_BIT(cap);
        return set;
}

static json_t *cap_names(uint64_t set)
{
        json_t *a = json_array();

        for (int c = 0; c < 64; c++) {
                cleanup_free char *upper = NULL;
                char *name;

                if (!(set & CAP_BIT(c)))
                        continue;
                name = cap_to_name(c);
                upper = xstrdup(name ? name : "");
                cap_free(name);
                for (char *p = upper; *p; p++)
                        *p = (char)toupper((unsigned char)*p);
                /* libcap names a capability newer than itself by number: nothing to pass on */
                if (strncmp(upper, "CAP_", 4) == 0)
                        json_array_append_new(a, json_string(upper));
        }
        return a;
}

int engine_container_caps(const struct engine_run_flags *f, bool root_user, json_t *process,
                          struct rctr_error *err)
{
        uint64_t add = 0, drop = 0, base, caps, user_caps;
        bool add_all = false, drop_all = false;
        int r;

        r = caps_parse("--cap-add", f->cap_add, &add, &add_all, err);
        if (r >= 0)
                r = caps_parse("--cap-drop", f->cap_drop, &drop, &drop_all, err);
        if (r < 0)
                return r;
        if (add_all && drop_all)
                return rctr_error_set(err, EINVAL,
                                      "invalid --cap-add ALL: all capabilities cannot be both "
                                      "added and dropped");
        if (!add_all && !drop_all && (add & drop)) {
                json_auto_t *both = cap_names(add & drop);

                return rctr_error_set(err, EINVAL,
                                      "invalid --cap-add %s: capability cannot be both added and "
                                      "dropped",
                                      json_string_value(json_array_get(both, 0)));
        }
        base = f->privileged ? bounding_set() : default_set();
        if (add_all)
                add = bounding_set();
        /* --cap-drop ALL leaves exactly what --cap-add names. */
        caps = drop_all ? add : (base & ~drop) | add;
        /*
         * Capabilities in ambient, inheritable, effective and permitted matter to a non-root
         * user only: the kernel clears permitted and effective at execve for a uid other than 0
         * unless they are ambient. Like podman, root gets the whole set in effective and
         * permitted and nothing inheritable (CVE-2022-27651); another user only what --cap-add
         * asked for, in every set, so that it survives the exec.
         */
        user_caps = add_all ? bounding_set() : add & caps;
        json_object_set_new(process, "capabilities",
                            json_pack("{s:o, s:o, s:o, s:o, s:o}", "bounding", cap_names(caps),
                                      "effective", cap_names(root_user ? caps : user_caps),
                                      "permitted", cap_names(root_user ? caps : user_caps),
                                      "inheritable", cap_names(root_user ? 0 : user_caps),
                                      "ambient", cap_names(root_user ? 0 : user_caps)));
        return 0;
}
