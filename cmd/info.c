/* rctr info: what rctr finds on this host — the first thing to run when something fails. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cmd.h"
#include "common.h"
#include "engine/cgroup-probe.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "net/probe.h"
#include "options.h"
#include "rootless/rootless.h"
#include "storage/driver.h"
#include "storage/probe.h"

/* /proc/self/{uid,gid}_map as [{"container_id", "host_id", "size"}], podman's idMappings. */
static json_t *read_idmap(const char *name)
{
        cleanup_error struct rctr_error ignored = {0};
        cleanup_close int fd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        json_t *list = json_array();
        cleanup_buf struct buf text = {0};
        char *save = NULL;

        buf_init(&text, 64 * 1024);
        if (fd < 0 || fs_read_at(fd, name, &text, &ignored) < 0)
                return list;
        for (char *l = strtok_r(text.data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                unsigned long inside, host, size;

                if (sscanf(l, "%lu %lu %lu", &inside, &host, &size) == 3)
                        json_array_append_new(list, json_pack("{s:I, s:I, s:I}", "container_id",
                                                              (json_int_t)inside, "host_id",
                                                              (json_int_t)host, "size",
                                                              (json_int_t)size));
        }
        return list;
}

static json_t *pause_pid(const char *runtime_dir)
{
        cleanup_error struct rctr_error ignored = {0};
        cleanup_free char *path = xasprintf("%s/rctr/pause.pid", runtime_dir);
        cleanup_buf struct buf text = {0};

        buf_init(&text, 32);
        if (fs_read_at(AT_FDCWD, path, &text, &ignored) < 0)
                return json_null();
        return json_integer(strtol(text.data, NULL, 10));
}

static json_t *host_json(struct cmd_global *g, uid_t uid, const char *userns_error)
{
        struct utsname u;
        json_t *host;

        if (uname(&u) < 0)
                memset(&u, 0, sizeof(u));
        host = json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:s}", "os", "linux", "arch", u.machine,
                         "kernel", u.release, "hostname", u.nodename, "rootless", g->rootless,
                         "uid", (json_int_t)uid, "runtimeDir", g->runtime_dir);
        json_object_set_new(host, "idMappings",
                            json_pack("{s:o, s:o}", "uidmap", read_idmap("uid_map"), "gidmap",
                                      read_idmap("gid_map")));
        if (g->rootless)
                json_object_set_new(host, "pausePid", pause_pid(g->runtime_dir));
        if (userns_error)
                json_object_set_new(host, "usernsError", json_string(userns_error));
        json_object_set_new(host, "cgroups", engine_cgroup_probe());
        json_object_set_new(host, "network", net_probe());
        return host;
}

/* The driver the store keeps (chosen at its first use), beside the one the probe would pick. */
static void add_driver_in_use(json_t *storage, const struct cmd_global *g)
{
        cleanup_error struct rctr_error ignored = {0};
        enum storage_driver_kind kind;

        if (g->storage_driver)
                json_object_set_new(storage, "driverInUse", json_string(g->storage_driver));
        else if (storage_driver_read_cache(g->root, &kind, &ignored) > 0)
                json_object_set_new(storage, "driverInUse", json_string(storage_driver_name(kind)));
}

int cmd_info(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "info",
                .usage = "rctr info [options]",
                .summary = "Show what rctr finds on this host: version, rootless user namespace "
                           "and id mappings, storage drivers that work here, /dev/net/tun, "
                           "cgroup version and delegated controllers.",
                .opts = cmd_format_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        cleanup_error struct rctr_error userns_err = {0};
        json_auto_t *info = NULL;
        const char *format = NULL;
        uid_t uid = getuid(); /* before entering: 0 inside the namespace */
        int r;

        r = cmd_parse_format_only(&p, &format, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if (!cmd_global_store(g, err))
                return -EINVAL;

        /*
         * A broken user namespace setup is exactly what info must still show: report it in the
         * output instead of failing.
         */
        if (cmd_enter_userns(g, &userns_err) < 0)
                log_warn("%s", userns_err.msg);
        info = json_pack("{s:o, s:o, s:{s:s, s:s}}", "host", host_json(g, uid, userns_err.msg),
                         "storage", storage_probe(g->root, g->rootless), "paths", "root", g->root,
                         "runroot", g->runroot);
        json_object_set_new(info, "version", cmd_version_json());
        add_driver_in_use(json_object_get(info, "storage"), g);
        return jsonutil_print_format(info, format, err);
}
