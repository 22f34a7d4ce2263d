#include <config.h>
#include "spec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>

#include "devices.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "spec-process.h"
#include "sysctl.h"

static const char *const ns_names[ENGINE_NS_COUNT] = {
        [ENGINE_NS_PID] = "pid",       [ENGINE_NS_NETWORK] = "network", [ENGINE_NS_MOUNT] = "mount",
        [ENGINE_NS_IPC] = "ipc",       [ENGINE_NS_UTS] = "uts",         [ENGINE_NS_USER] = "user",
        [ENGINE_NS_CGROUP] = "cgroup", [ENGINE_NS_TIME] = "time",
};

const char *engine_ns_name(enum engine_ns_type type)
{
        return type < ENGINE_NS_COUNT ? ns_names[type] : "?";
}

void engine_spec_free(struct engine_spec *spec)
{
        if (!spec)
                return;
        json_decref(spec->json);
        free(spec->oci_version);
        engine_spec_process_clear(&spec->process);
        free(spec->root_path);
        free(spec->hostname);
        free(spec->domainname);
        for (size_t i = 0; i < spec->n_mounts; i++) {
                free(spec->mounts[i].destination);
                free(spec->mounts[i].type);
                free(spec->mounts[i].source);
                strv_free(spec->mounts[i].options);
        }
        free(spec->mounts);
        for (int i = 0; i < ENGINE_NS_COUNT; i++)
                free(spec->namespaces[i].path);
        free(spec->uid_mappings);
        free(spec->gid_mappings);
        strv_free(spec->masked_paths);
        strv_free(spec->readonly_paths);
        free(spec->rootfs_propagation);
        engine_devices_free(spec->devices, spec->n_devices);
        free(spec);
}

static char *xstrdup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

static int parse_mount(json_t *m, struct engine_mount *out, struct rctr_error *err)
{
        const char *dest = NULL, *type = NULL, *source = NULL;
        int r = jsonutil_get_string(m, "destination", true, &dest, err);

        if (r >= 0)
                r = jsonutil_get_string(m, "type", false, &type, err);
        if (r >= 0)
                r = jsonutil_get_string(m, "source", false, &source, err);
        if (r >= 0)
                r = jsonutil_get_strv(m, "options", false, &out->options, err);
        if (r < 0)
                return r;
        if (!out->options)
                out->options = xzalloc(sizeof(char *));
        if (dest[0] == '\0')
                return rctr_error_set(err, EBADMSG, "destination: empty");
        /* runtime-spec 1.1: a relative destination is taken relative to / */
        out->destination = dest[0] == '/' ? xstrdup(dest) : xasprintf("/%s", dest);
        out->type = xstrdup_or_null(type);
        out->source = xstrdup_or_null(source);
        return 0;
}

static int parse_mounts(json_t *root, struct engine_spec *spec, struct rctr_error *err)
{
        json_t *arr = NULL, *m;
        size_t i;
        int r = jsonutil_get_array(root, "mounts", false, &arr, err);

        if (r < 0 || !arr)
                return r;
        spec->mounts = xzalloc((json_array_size(arr) + 1) * sizeof(*spec->mounts));
        json_array_foreach(arr, i, m) {
                spec->n_mounts = i + 1; /* counted first: freed even when half parsed */
                r = parse_mount(m, &spec->mounts[i], err);
                if (r < 0)
                        return rctr_error_prefix(err, "mounts[%zu]", i);
        }
        return 0;
}

static int parse_namespaces(json_t *linux_, struct engine_spec *spec, struct rctr_error *err)
{
        json_t *arr = NULL, *item;
        size_t i;
        int r = jsonutil_get_array(linux_, "namespaces", false, &arr, err);

        if (r < 0 || !arr)
                return r;
        json_array_foreach(arr, i, item) {
                const char *type = NULL, *path = NULL;
                int t;

                r = jsonutil_get_string(item, "type", true, &type, err);
                if (r >= 0)
                        r = jsonutil_get_string(item, "path", false, &path, err);
                if (r < 0)
                        return rctr_error_prefix(err, "namespaces[%zu]", i);
                for (t = 0; t < ENGINE_NS_COUNT; t++)
                        if (streq(type, ns_names[t]))
                                break;
                if (t == ENGINE_NS_COUNT)
                        return rctr_error_set(err, EBADMSG, "namespaces[%zu]: unknown type %s", i,
                                              type);
                /* runtime-spec: "Duplicated namespaces ... MUST generate an error" */
                if (spec->namespaces[t].wanted)
                        return rctr_error_set(err, EBADMSG, "namespaces[%zu]: %s given twice", i,
                                              type);
                if (path && path[0] != '/')
                        return rctr_error_set(err, EBADMSG,
                                              "namespaces[%zu]: path %s is not absolute", i, path);
                spec->namespaces[t].wanted = true;
                spec->namespaces[t].path = path && path[0] ? xstrdup(path) : NULL;
        }
        return 0;
}

static int parse_idmaps(json_t *linux_, const char *key, struct engine_idmap **ret, size_t *ret_n,
                        struct rctr_error *err)
{
        json_t *arr = NULL, *item;
        size_t i;
        int r = jsonutil_get_array(linux_, key, false, &arr, err);

        if (r < 0 || !arr)
                return r;
        /* the kernel takes at most 340 lines per map */
        if (json_array_size(arr) > 340)
                return rctr_error_set(err, EBADMSG, "%s: more than 340 entries", key);
        *ret = xzalloc((json_array_size(arr) + 1) * sizeof(**ret));
        json_array_foreach(arr, i, item) {
                json_int_t c = 0, h = 0, s = 0;

                if (jsonutil_get_int(item, "containerID", true, 0, UINT32_MAX - 1, &c, err) < 0 ||
                    jsonutil_get_int(item, "hostID", true, 0, UINT32_MAX - 1, &h, err) < 0 ||
                    jsonutil_get_int(item, "size", true, 1, UINT32_MAX, &s, err) < 0)
                        return rctr_error_prefix(err, "%s[%zu]", key, i);
                if (c + s > UINT32_MAX || h + s > UINT32_MAX)
                        return rctr_error_set(err, EBADMSG, "%s[%zu]: range past 2^32", key, i);
                (*ret)[i] = (struct engine_idmap){(uint32_t)c, (uint32_t)h, (uint32_t)s};
                *ret_n = i + 1;
        }
        return 0;
}

static int parse_personality(json_t *linux_, struct engine_spec *spec, struct rctr_error *err)
{
        json_t *pers = NULL;
        const char *domain = NULL;
        int r = jsonutil_get_object(linux_, "personality", false, &pers, err);

        spec->personality = -1;
        if (r >= 0 && pers)
                r = jsonutil_get_string(pers, "domain", true, &domain, err);
        if (r < 0)
                return rctr_error_prefix(err, "linux.personality");
        if (!domain)
                return 0;
        if (streq(domain, "LINUX"))
                spec->personality = PER_LINUX;
        else if (streq(domain, "LINUX32"))
                spec->personality = PER_LINUX32;
        else
                return rctr_error_set(err, EBADMSG,
                                      "linux.personality.domain: unknown domain %s (LINUX or "
                                      "LINUX32)",
                                      domain);
        return 0;
}

/* What the namespaces and mounts do not cover: devices, sysctl, personality, resources, RDT. */
static int parse_linux_more(json_t *linux_, struct engine_spec *spec, struct rctr_error *err)
{
        int r = engine_devices_parse(json_object_get(linux_, "devices"), &spec->devices,
                                     &spec->n_devices, err);

        if (r >= 0)
                r = engine_sysctl_check(json_object_get(linux_, "sysctl"), spec, err);
        if (r >= 0)
                r = parse_personality(linux_, spec, err);
        if (r < 0)
                return r;
        if (json_object_get(linux_, "intelRdt"))
                return rctr_error_set(err, EOPNOTSUPP,
                                      "linux.intelRdt: Intel RDT (resctrl) is not supported");
        spec->has_resources = json_object_size(json_object_get(linux_, "resources")) > 0;
        return 0;
}

static int parse_linux(json_t *root, struct engine_spec *spec, struct rctr_error *err)
{
        json_t *linux_ = NULL;
        const char *prop = NULL;
        int r = jsonutil_get_object(root, "linux", false, &linux_, err);

        if (r < 0 || !linux_)
                return r;
        r = parse_namespaces(linux_, spec, err);
        if (r >= 0)
                r = parse_idmaps(linux_, "uidMappings", &spec->uid_mappings, &spec->n_uid_mappings,
                                 err);
        if (r >= 0)
                r = parse_idmaps(linux_, "gidMappings", &spec->gid_mappings, &spec->n_gid_mappings,
                                 err);
        if (r >= 0)
                r = jsonutil_get_strv(linux_, "maskedPaths", false, &spec->masked_paths, err);
        if (r >= 0)
                r = jsonutil_get_strv(linux_, "readonlyPaths", false, &spec->readonly_paths, err);
        if (r >= 0)
                r = jsonutil_get_string(linux_, "rootfsPropagation", false, &prop, err);
        if (r < 0)
                return rctr_error_prefix(err, "linux");
        if (prop && !streq(prop, "private") && !streq(prop, "rprivate") && !streq(prop, "slave") &&
            !streq(prop, "rslave") && !streq(prop, "shared") && !streq(prop, "rshared") &&
            !streq(prop, "unbindable") && !streq(prop, "runbindable"))
                return rctr_error_set(err, EBADMSG, "linux.rootfsPropagation: unknown value %s",
                                      prop);
        spec->rootfs_propagation = xstrdup_or_null(prop);
        return parse_linux_more(linux_, spec, err);
}

static int parse_top(json_t *root, struct engine_spec *spec, struct rctr_error *err)
{
        json_t *rootobj = NULL, *process = NULL;
        const char *version = NULL, *path = NULL, *host = NULL, *domain = NULL;
        int r = jsonutil_get_string(root, "ociVersion", true, &version, err);

        if (r >= 0)
                r = jsonutil_get_object(root, "root", true, &rootobj, err);
        if (r >= 0)
                r = jsonutil_get_string(rootobj, "path", true, &path, err);
        if (r >= 0)
                r = jsonutil_get_bool(rootobj, "readonly", &spec->root_readonly, err);
        if (r < 0)
                return r == -EBADMSG && rootobj ? rctr_error_prefix(err, "root") : r;
        if (path[0] == '\0')
                return rctr_error_set(err, EBADMSG, "root.path: empty");
        r = jsonutil_get_string(root, "hostname", false, &host, err);
        if (r >= 0)
                r = jsonutil_get_string(root, "domainname", false, &domain, err);
        if (r >= 0)
                r = jsonutil_get_object(root, "process", false, &process, err);
        if (r < 0)
                return r;
        spec->oci_version = xstrdup(version);
        spec->root_path = xstrdup(path);
        spec->hostname = xstrdup_or_null(host);
        spec->domainname = xstrdup_or_null(domain);
        if (process) {
                spec->has_process = true;
                r = engine_spec_process_parse(process, &spec->process, err);
                if (r < 0)
                        return rctr_error_prefix(err, "process");
        }
        return 0;
}

int engine_spec_parse(const char *buf, size_t len, struct engine_spec **ret, struct rctr_error *err)
{
        CLEANUP(engine_spec_freep) struct engine_spec *spec = xzalloc(sizeof(*spec));
        int r = jsonutil_parse(buf, len, ENGINE_SPEC_MAX, &spec->json, err);

        if (r < 0)
                return r;
        if (!json_is_object(spec->json))
                return rctr_error_set(err, EBADMSG, "expected a JSON object");
        spec->personality = -1;
        r = parse_top(spec->json, spec, err);
        if (r >= 0)
                r = parse_mounts(spec->json, spec, err);
        if (r >= 0)
                r = parse_linux(spec->json, spec, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(spec);
        return 0;
}

int engine_spec_load(int bundlefd, struct engine_spec **ret, struct rctr_error *err)
{
        cleanup_buf struct buf text = {0};
        int r;

        buf_init(&text, ENGINE_SPEC_MAX);
        r = fs_read_at(bundlefd, "config.json", &text, err);
        if (r < 0)
                return r;
        r = engine_spec_parse(text.data, text.len, ret, err);
        return r < 0 ? rctr_error_prefix(err, "config.json") : 0;
}

json_t *engine_spec_linux(const struct engine_spec *spec, const char *key)
{
        return json_object_get(json_object_get(spec->json, "linux"), key);
}
