/* A container as `rctr inspect` prints it: podman's JSON shape, from its record, spec and state. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cmd/containers.h"
#include "engine/container-spec.h"
#include "engine/container-state.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/driver.h"

/* podman's zero time, for a container that never started or never exited */
#define ZERO_TIME "0001-01-01T00:00:00Z"

static json_t *str(const char *s)
{
        return json_string(s ? s : "");
}

static json_t *or_empty_array(json_t *v)
{
        return json_is_array(v) ? json_incref(v) : json_array();
}

static json_t *state_json(const struct engine_ctr_state *s)
{
        bool running = s->status == ENGINE_CTR_RUNNING || s->status == ENGINE_CTR_STOPPING;
        const char *status =
                s->status == ENGINE_CTR_STOPPING ? "stopping" : engine_ctr_status_name(s->status);

        return json_pack("{s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:i, s:s, s:s, s:s}",
                         "OciVersion", "1.1.0", "Status", status, "Running", running, "Paused",
                         s->status == ENGINE_CTR_PAUSED, "Restarting", false, "OOMKilled",
                         s->oom_killed, "Dead", false, "Pid", running ? (int)s->pid : 0,
                         "ConmonPid", running ? (int)s->monitor_pid : 0, "ExitCode",
                         s->status == ENGINE_CTR_EXITED ? s->exit_code : 0, "Error", "",
                         "StartedAt", s->started_at ? s->started_at : ZERO_TIME, "FinishedAt",
                         s->finished_at ? s->finished_at : ZERO_TIME);
}

/* Mounts as podman lists them: binds and volumes (not /proc, /dev and the other defaults). */
static json_t *mounts_json(json_t *spec)
{
        json_t *out = json_array(), *m;
        size_t i;

        json_array_foreach(json_object_get(spec, "mounts"), i, m) {
                const char *type = json_string_value(json_object_get(m, "type"));
                const char *src = json_string_value(json_object_get(m, "source"));
                const char *dst = json_string_value(json_object_get(m, "destination"));
                json_t *opts = json_object_get(m, "options"), *o;
                bool rw = true, bind = type && streq(type, "bind");
                size_t k;

                if (!bind || !src || !dst || streq(dst, "/dev/shm") ||
                    strncmp(dst, "/sys", 4) == 0 || streq(dst, "/run/rctr-init"))
                        continue;
                json_array_foreach(opts, k, o)
                        if (json_is_string(o) && streq(json_string_value(o), "ro"))
                                rw = false;
                json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:b, s:s}",
                                                     "Type", "bind", "Source", src, "Destination",
                                                     dst, "Driver", "", "Mode", "", "Options",
                                                     opts ? opts : json_array(), "RW", rw,
                                                     "Propagation", "rprivate"));
        }
        return out;
}

static json_t *config_json(const struct engine_container *c, json_t *spec)
{
        json_t *process = json_object_get(spec, "process");
        json_t *annotations = json_object_get(spec, "annotations");
        json_t *user = json_object_get(process, "user");
        json_t *labels = json_object_get(c->json, "labels");
        cleanup_free char *uid =
                xasprintf("%lld:%lld", json_integer_value(json_object_get(user, "uid")),
                          json_integer_value(json_object_get(user, "gid")));

        return json_pack(
                "{s:o, s:s, s:o, s:b, s:b, s:b, s:b, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o, "
                "s:o, s:o, s:i, s:o}",
                "Hostname", str(json_string_value(json_object_get(spec, "hostname"))), "Domainname",
                "", "User", json_string(uid), "AttachStdin", c->interactive, "AttachStdout", true,
                "AttachStderr", true, "Tty", c->tty, "OpenStdin", c->interactive, "StdinOnce",
                false, "Env", or_empty_array(json_object_get(process, "env")), "Cmd",
                or_empty_array(json_object_get(process, "args")), "Image", str(c->image_name),
                "WorkingDir", str(json_string_value(json_object_get(process, "cwd"))), "Entrypoint",
                or_empty_array(json_object_get(c->json, "entrypoint")), "Labels",
                json_is_object(labels) ? json_incref(labels) : json_object(), "Annotations",
                json_is_object(annotations) ? json_incref(annotations) : json_object(),
                "StopSignal", json_integer(c->stop_signal), "StopTimeout", (int)c->stop_timeout,
                "CreateCommand", or_empty_array(json_object_get(c->json, "createCommand")));
}

static int load_spec(const struct engine_ctx *ctx, const char *id, json_t **ret,
                     struct rctr_error *err)
{
        cleanup_free char *path = xasprintf("%s/config.json", id);
        cleanup_buf struct buf text = {0};
        int r;

        buf_init(&text, 4 * 1024 * 1024);
        r = fs_read_at(ctx->ctrsfd, path, &text, err);
        if (r >= 0)
                r = jsonutil_parse(text.data, text.len, text.max, ret, err);
        return r < 0 ? rctr_error_prefix(err, "config of container %s", id) : 0;
}

int cmd_container_inspect(const struct engine_ctx *ctx, const struct engine_container *c,
                          json_t **ret, struct rctr_error *err)
{
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        cleanup_free char *dir = engine_container_dir(ctx, c->id);
        cleanup_free char *log = xasprintf("%s/ctr.log", dir), *upper = NULL;
        cleanup_free char *sdir = engine_container_storage_dir(ctx, c->id);
        enum storage_driver_kind kind;
        json_auto_t *spec = NULL;
        json_t *args, *hc = json_object_get(c->json, "hostConfig"), *graph;
        int r = engine_container_state(ctx, c->id, &s, err);

        if (r >= 0)
                r = load_spec(ctx, c->id, &spec, err);
        if (r < 0)
                return r;
        args = json_object_get(json_object_get(spec, "process"), "args");
        if (storage_driver_parse(c->driver, &kind, err) < 0)
                return -EBADMSG;
        upper = storage_driver_upper_dir(kind, sdir);
        graph = json_pack("{s:s, s:{s:s, s:s}}", "Name", c->driver, "Data", "UpperDir",
                          upper ? upper : "", "MergedDir", s.rootfs ? s.rootfs : "");
        *ret = json_pack(
                "{s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:o, "
                "s:o, s:{s:o, s:s, s:s, s:i, s:s, s:s}, s:o, s:O, s:b}",
                "Id", c->id, "Created", c->created, "Path",
                str(json_string_value(json_array_get(args, 0))), "Args",
                json_array_size(args) > 1 ? json_pack("O", args) : json_array(), "State",
                state_json(&s), "Image", c->image_id + 7, "ImageName", c->image_name, "Rootfs", "",
                "OCIConfigPath", dir, "OCIRuntime", "rctr", "Name", c->name, "Driver", c->driver,
                "RestartCount", (int)s.restarts, "LogPath", log, "GraphDriver", graph, "Mounts",
                mounts_json(spec), "NetworkSettings", "Ports", json_object(), "IPAddress", "",
                "Gateway", "", "IPPrefixLen", 0, "MacAddress", "", "SandboxKey", "", "Config",
                config_json(c, spec), "HostConfig", hc ? hc : json_object(), "IsInfra", false);
        if (!*ret)
                return rctr_error_set(err, EIO, "cannot describe container %s", c->name);
        /* Args: all but the first, as podman */
        if (json_array_size(args) > 1) {
                json_t *rest = json_array();

                for (size_t i = 1; i < json_array_size(args); i++)
                        json_array_append(rest, json_array_get(args, i));
                json_object_set_new(*ret, "Args", rest);
        }
        return 0;
}
