#include <config.h>
#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "spec.h"

static const char *const ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                       "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                       "kernel.shmmni", "kernel.shm_rmid_forced"};

/* Which namespace of its own the container needs for key to be its own; -1: none will do. */
static int sysctl_namespace(const char *key)
{
        for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++)
                if (streq(key, ipc_keys[i]))
                        return ENGINE_NS_IPC;
        if (strncmp(key, "fs.mqueue.", 10) == 0)
                return ENGINE_NS_IPC;
        if (strncmp(key, "net.", 4) == 0)
                return ENGINE_NS_NETWORK;
        if (streq(key, "kernel.hostname") || streq(key, "kernel.domainname"))
                return ENGINE_NS_UTS;
        return -1;
}

/* Keys become paths under /proc/sys: dots or slashes as separators, never "..". */
static bool key_valid(const char *key)
{
        if (!key[0] || key[0] == '.' || key[0] == '/' || strstr(key, ".."))
                return false;
        for (const char *c = key; *c; c++)
                if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') &&
                    !(*c >= '0' && *c <= '9') && !strchr("._-/", *c))
                        return false;
        return true;
}

/* A namespace joined by path may be the container's own (podman's netns) or ours (refused). */
static bool ns_is_other(const struct engine_spec *spec, int ns)
{
        static const char *const self[] = {[ENGINE_NS_IPC] = "/proc/self/ns/ipc",
                                           [ENGINE_NS_NETWORK] = "/proc/self/ns/net",
                                           [ENGINE_NS_UTS] = "/proc/self/ns/uts"};
        struct stat a, b;

        if (!spec->namespaces[ns].path)
                return true; /* a new one */
        if (stat(spec->namespaces[ns].path, &a) < 0 || stat(self[ns], &b) < 0)
                return false;
        return a.st_dev != b.st_dev || a.st_ino != b.st_ino;
}

int engine_sysctl_check(json_t *sysctl, const struct engine_spec *spec, struct rctr_error *err)
{
        const char *key;
        json_t *value;

        if (!sysctl || json_is_null(sysctl))
                return 0;
        if (!json_is_object(sysctl))
                return rctr_error_set(err, EBADMSG, "linux.sysctl: expected an object");
        json_object_foreach(sysctl, key, value) {
                int ns = sysctl_namespace(key);

                if (!json_is_string(value))
                        return rctr_error_set(err, EBADMSG, "linux.sysctl.%s: expected a string",
                                              key);
                if (!key_valid(key))
                        return rctr_error_set(err, EBADMSG, "linux.sysctl: invalid key %s", key);
                if (ns < 0)
                        return rctr_error_set(err, EPERM,
                                              "linux.sysctl.%s: not a parameter of a container "
                                              "namespace (it would change the host)",
                                              key);
                if (!spec->namespaces[ns].wanted || !ns_is_other(spec, ns))
                        return rctr_error_set(err, EPERM,
                                              "linux.sysctl.%s: needs a %s namespace of the "
                                              "container's own",
                                              key, engine_ns_name(ns));
        }
        return 0;
}

int engine_sysctl_apply(json_t *sysctl, struct rctr_error *err)
{
        const char *key;
        json_t *value;

        json_object_foreach(sysctl, key, value) {
                cleanup_free char *path = xasprintf("/proc/sys/%s", key);
                int r;

                /* net.ipv4.ip_forward → net/ipv4/ip_forward; a slash form is kept as it is */
                if (!strchr(key, '/'))
                        for (char *c = path + 10; *c; c++)
                                if (*c == '.')
                                        *c = '/';
                r = fs_write_string_at(AT_FDCWD, path, json_string_value(value), err);
                if (r < 0)
                        return rctr_error_prefix(err, "set sysctl %s", key);
        }
        return 0;
}
