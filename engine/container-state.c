/* state.json of a container, and what is true of it now. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "engine/container-record.h"
#include "engine/container-state.h"
#include "engine/state.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/rfc3339.h"
#include "lib/xalloc.h"

static const char *const status_names[] = {
        [ENGINE_CTR_CREATED] = "created", [ENGINE_CTR_RUNNING] = "running",
        [ENGINE_CTR_PAUSED] = "paused",   [ENGINE_CTR_STOPPING] = "stopping",
        [ENGINE_CTR_EXITED] = "exited",
};

void engine_ctr_state_clear(struct engine_ctr_state *s)
{
        free(s->boot_id);
        free(s->started_at);
        free(s->finished_at);
        free(s->rootfs);
        *s = (struct engine_ctr_state){0};
}

bool engine_ctr_status_active(enum engine_ctr_status st)
{
        return st == ENGINE_CTR_RUNNING || st == ENGINE_CTR_PAUSED || st == ENGINE_CTR_STOPPING;
}

const char *engine_ctr_status_name(enum engine_ctr_status st)
{
        return status_names[st];
}

static void set_opt_string(json_t *o, const char *key, const char *v)
{
        if (v)
                json_object_set_new(o, key, json_string(v));
}

json_t *engine_ctr_state_json(const struct engine_ctr_state *s)
{
        json_t *o = json_object();

        json_object_set_new(o, "status", json_string(status_names[s->status]));
        json_object_set_new(o, "pid", json_integer(s->pid));
        json_object_set_new(o, "pidStart", json_integer((json_int_t)s->pid_start));
        json_object_set_new(o, "monitorPid", json_integer(s->monitor_pid));
        json_object_set_new(o, "monitorStart", json_integer((json_int_t)s->monitor_start));
        set_opt_string(o, "bootId", s->boot_id);
        set_opt_string(o, "startedAt", s->started_at);
        set_opt_string(o, "finishedAt", s->finished_at);
        json_object_set_new(o, "exitCode", json_integer(s->exit_code));
        json_object_set_new(o, "oomKilled", json_boolean(s->oom_killed));
        set_opt_string(o, "rootfs", s->rootfs);
        json_object_set_new(o, "restarts", json_integer(s->restarts));
        json_object_set_new(o, "removing", json_boolean(s->removing));
        return o;
}

static int opt_dup(json_t *o, const char *key, char **ret, struct rctr_error *err)
{
        const char *v = NULL;
        int r = jsonutil_get_string(o, key, false, &v, err);

        if (r >= 0 && v)
                *ret = xstrdup(v);
        return r;
}

int engine_ctr_state_parse(const char *text, size_t len, struct engine_ctr_state *ret,
                           struct rctr_error *err)
{
        struct engine_ctr_state s = {.exit_code = -1};
        json_auto_t *o = NULL;
        json_int_t pid = 0, mpid = 0, pstart = 0, mstart = 0, code = -1, restarts = 0;
        const char *status = NULL;
        int r = jsonutil_parse(text, len, 1024 * 1024, &o, err);

        if (r >= 0)
                r = jsonutil_get_string(o, "status", true, &status, err);
        if (r >= 0) {
                r = -1;
                for (size_t i = 0; i < ARRAY_SIZE(status_names); i++)
                        if (streq(status, status_names[i])) {
                                s.status = (enum engine_ctr_status)i;
                                r = 0;
                        }
                if (r < 0)
                        r = rctr_error_set(err, EBADMSG, "status: unknown %s", status);
        }
        if (r >= 0)
                r = jsonutil_get_int(o, "pid", false, 0, INT32_MAX, &pid, err);
        if (r >= 0)
                r = jsonutil_get_int(o, "monitorPid", false, 0, INT32_MAX, &mpid, err);
        if (r >= 0)
                r = jsonutil_get_int(o, "pidStart", false, 0, INT64_MAX, &pstart, err);
        if (r >= 0)
                r = jsonutil_get_int(o, "monitorStart", false, 0, INT64_MAX, &mstart, err);
        if (r >= 0)
                r = jsonutil_get_int(o, "exitCode", false, -1, 255, &code, err);
        if (r >= 0)
                r = jsonutil_get_int(o, "restarts", false, 0, UINT32_MAX, &restarts, err);
        if (r >= 0)
                r = jsonutil_get_bool(o, "oomKilled", &s.oom_killed, err);
        if (r >= 0)
                r = jsonutil_get_bool(o, "removing", &s.removing, err);
        if (r >= 0)
                r = opt_dup(o, "bootId", &s.boot_id, err);
        if (r >= 0)
                r = opt_dup(o, "startedAt", &s.started_at, err);
        if (r >= 0)
                r = opt_dup(o, "finishedAt", &s.finished_at, err);
        if (r >= 0)
                r = opt_dup(o, "rootfs", &s.rootfs, err);
        if (r < 0) {
                engine_ctr_state_clear(&s);
                return r;
        }
        s.pid = (pid_t)pid;
        s.monitor_pid = (pid_t)mpid;
        s.pid_start = (uint64_t)pstart;
        s.monitor_start = (uint64_t)mstart;
        s.exit_code = (int)code;
        s.restarts = (unsigned)restarts;
        *ret = s;
        return 0;
}

int engine_ctr_state_load(int ctrsfd, const char *id, struct engine_ctr_state *ret,
                          struct rctr_error *err)
{
        cleanup_free char *path = xasprintf("%s/state.json", id);
        cleanup_buf struct buf text = {0};
        int r;

        buf_init(&text, 1024 * 1024);
        r = fs_read_at(ctrsfd, path, &text, err);
        if (r == -ENOENT) {
                rctr_error_clear(err);
                *ret = (struct engine_ctr_state){.status = ENGINE_CTR_CREATED, .exit_code = -1};
                return 0;
        }
        if (r >= 0)
                r = engine_ctr_state_parse(text.data, text.len, ret, err);
        return r < 0 ? rctr_error_prefix(err, "state of container %s", id) : 0;
}

int engine_ctr_state_save(int ctrsfd, const char *id, const struct engine_ctr_state *s,
                          struct rctr_error *err)
{
        json_auto_t *o = engine_ctr_state_json(s);
        cleanup_free char *text = json_dumps(o, JSON_COMPACT);

        return engine_container_write_file(ctrsfd, id, "state.json", text, false, err);
}

char *engine_boot_id(void)
{
        /* the same for the whole life of the process: read once (ps asks per container) */
        static char id[64];
        cleanup_buf struct buf text = {0};
        cleanup_error struct rctr_error ignored = {0};

        if (id[0])
                return xstrdup(id);
        buf_init(&text, 128);
        if (fs_read_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", &text, &ignored) < 0 ||
            text.len == 0)
                return xstrdup("");
        snprintf(id, sizeof(id), "%.*s", (int)strcspn(text.data, "\n"), text.data);
        return xstrdup(id);
}

bool engine_pid_alive(pid_t pid, uint64_t start)
{
        return pid > 0 && start != 0 && engine_proc_starttime(pid) == start;
}

static bool this_boot(const struct engine_ctr_state *s)
{
        cleanup_free char *boot = engine_boot_id();

        return s->boot_id && streq(s->boot_id, boot);
}

bool engine_ctr_monitor_alive(const struct engine_ctr_state *s)
{
        return this_boot(s) && engine_pid_alive(s->monitor_pid, s->monitor_start);
}

bool engine_ctr_state_settle(struct engine_ctr_state *s)
{
        if (s->status == ENGINE_CTR_CREATED || s->status == ENGINE_CTR_EXITED)
                return false;
        if (this_boot(s) && engine_pid_alive(s->pid, s->pid_start))
                return false;
        /* a live monitor is about to record how the container ended */
        if (engine_ctr_monitor_alive(s))
                return false;
        /* the monitor records the exit before it goes: nobody did, so nobody knows the code */
        s->status = ENGINE_CTR_EXITED;
        s->exit_code = -1;
        if (!s->finished_at)
                s->finished_at = rfc3339_now();
        return true;
}
