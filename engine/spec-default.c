#include <config.h>
#include "spec-default.h"

#include <string.h>

#include "lib/macros.h"
#include "lib/xalloc.h"

/* The OCI runtime spec version we implement (runtime-spec v1.1.0). */
#define ENGINE_OCI_VERSION "1.1.0"

static const char default_spec[] =
        "{"
        "\"ociVersion\": \"" ENGINE_OCI_VERSION "\","
        "\"process\": {"
        "  \"terminal\": true,"
        "  \"user\": {\"uid\": 0, \"gid\": 0},"
        "  \"args\": [\"sh\"],"
        "  \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
        "            \"TERM=xterm\"],"
        "  \"cwd\": \"/\","
        "  \"capabilities\": {"
        "    \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
        "    \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
        "    \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
        "    \"ambient\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]"
        "  },"
        "  \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],"
        "  \"noNewPrivileges\": true"
        "},"
        "\"root\": {\"path\": \"rootfs\", \"readonly\": true},"
        "\"hostname\": \"rctr\","
        "\"mounts\": ["
        "  {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
        "  {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
        "   \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
        "  {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
        "   \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", "
        "\"mode=0620\","
        "                 \"gid=5\"]},"
        "  {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
        "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},"
        "  {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
        "   \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
        "  {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
        "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},"
        "  {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
        "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}"
        "],"
        "\"linux\": {"
        "  \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},"
        "  \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},"
        "                 {\"type\": \"uts\"}, {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],"
        "  \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\","
        "                  \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\","
        "                  \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\"],"
        "  \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\","
        "                    \"/proc/sysrq-trigger\"]"
        "}"
        "}";

/* Drop uid=/gid= options: ids that exist on the host need not exist in a rootless namespace. */
static void strip_id_options(json_t *mount)
{
        json_t *opts = json_object_get(mount, "options");
        size_t i = 0;

        while (i < json_array_size(opts)) {
                const char *o = json_string_value(json_array_get(opts, i));

                if (o && (strncmp(o, "uid=", 4) == 0 || strncmp(o, "gid=", 4) == 0))
                        json_array_remove(opts, i);
                else
                        i++;
        }
}

static void make_rootless(json_t *spec, uint32_t uid, uint32_t gid)
{
        json_t *linux_ = json_object_get(spec, "linux");
        json_t *namespaces = json_object_get(linux_, "namespaces");
        json_t *mounts = json_object_get(spec, "mounts");
        size_t i = 0;

        /* No network namespace: without root there is nothing to connect it to. */
        while (i < json_array_size(namespaces)) {
                const char *type =
                        json_string_value(json_object_get(json_array_get(namespaces, i), "type"));

                if (type && (streq(type, "network") || streq(type, "user")))
                        json_array_remove(namespaces, i);
                else
                        i++;
        }
        json_array_append_new(namespaces, json_pack("{s:s}", "type", "user"));
        json_object_set_new(linux_, "uidMappings",
                            json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                      (json_int_t)uid, "size", 1));
        json_object_set_new(linux_, "gidMappings",
                            json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                      (json_int_t)gid, "size", 1));
        json_object_del(linux_, "resources");

        for (i = 0; i < json_array_size(mounts); i++) {
                json_t *m = json_array_get(mounts, i);
                const char *dest = json_string_value(json_object_get(m, "destination"));

                /* A new sysfs needs a network namespace we own: bind the host's, read-only. */
                if (dest && streq(dest, "/sys")) {
                        json_array_set_new(mounts, i,
                                           json_pack("{s:s, s:s, s:s, s:[s,s,s,s,s]}",
                                                     "destination", "/sys", "type", "none",
                                                     "source", "/sys", "options", "rbind", "nosuid",
                                                     "noexec", "nodev", "ro"));
                        continue;
                }
                strip_id_options(m);
        }
}

json_t *engine_spec_default(bool rootless, uint32_t uid, uint32_t gid)
{
        json_error_t jerr;
        json_t *spec = json_loads(default_spec, JSON_REJECT_DUPLICATES, &jerr);

        if (!spec)
                xalloc_die(); /* our own constant: only allocation can fail */
        if (rootless)
                make_rootless(spec, uid, gid);
        return spec;
}
