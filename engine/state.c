#include <config.h>
#include "state.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "freezer.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

static const char *const status_names[] = {
        [ENGINE_STATUS_CREATING] = "creating", [ENGINE_STATUS_CREATED] = "created",
        [ENGINE_STATUS_RUNNING] = "running",   [ENGINE_STATUS_STOPPED] = "stopped",
        [ENGINE_STATUS_PAUSED] = "paused",
};

const char *engine_status_name(enum engine_status st)
{
        return st < ARRAY_SIZE(status_names) ? status_names[st] : "unknown";
}

void engine_state_clear(struct engine_state *s)
{
        free(s->id);
        free(s->bundle);
        free(s->created);
        json_decref(s->annotations);
        memset(s, 0, sizeof(*s));
}

bool engine_state_id_valid(const char *id)
{
        size_t n = strlen(id);

        if (n == 0 || n > 1024 || !isalnum((unsigned char)id[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)id[i]) && !strchr("_+.-", id[i]))
                        return false;
        return true;
}

int engine_state_root_open(const char *path, struct rctr_error *err)
{
        int fd;

        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return rctr_error_sys(err, errno, "create state directory %s", path);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open state directory %s", path);
        return fd;
}

uint64_t engine_proc_starttime(pid_t pid)
{
        cleanup_error struct rctr_error ignored = {0};
        cleanup_free char *path = xasprintf("/proc/%d/stat", (int)pid);
        cleanup_buf struct buf text = {0};
        unsigned long long start = 0;
        char state = 0;
        const char *p;

        buf_init(&text, 4096);
        if (pid <= 0 || fs_read_at(AT_FDCWD, path, &text, &ignored) < 0)
                return 0;
        /* comm may hold spaces and parentheses: fields start after the last ')' */
        p = strrchr(text.data, ')');
        if (!p || sscanf(p + 1,
                         " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
                         "%*d %*d %*d %*d %llu",
                         &state, &start) != 2)
                return 0;
        return state == 'Z' || state == 'X' ? 0 : start;
}

int engine_state_load(int rootfd, const char *id, struct engine_state *ret, struct rctr_error *err)
{
        cleanup_free char *path = xasprintf("%s/state.json", id);
        cleanup_buf struct buf text = {0};
        json_auto_t *doc = NULL;
        const char *bundle = NULL, *created = NULL;
        json_int_t pid = 0, start = 0;
        int r;

        buf_init(&text, 1024 * 1024);
        if (!engine_state_id_valid(id))
                return rctr_error_set(err, EINVAL, "invalid container id %s", id);
        r = fs_read_at(rootfd, path, &text, err);
        if (r == -ENOENT) {
                rctr_error_clear(err);
                return rctr_error_set(err, ENOENT, "container %s does not exist", id);
        }
        if (r >= 0)
                r = jsonutil_parse(text.data, text.len, text.max, &doc, err);
        if (r >= 0)
                r = jsonutil_get_string(doc, "bundle", true, &bundle, err);
        if (r >= 0)
                r = jsonutil_get_string(doc, "created", true, &created, err);
        if (r >= 0)
                r = jsonutil_get_int(doc, "pid", true, 0, INT32_MAX, &pid, err);
        if (r >= 0)
                r = jsonutil_get_int(doc, "rctrStartTime", false, 0, INT64_MAX, &start, err);
        if (r < 0)
                return rctr_error_prefix(err, "read state of %s", id);
        ret->id = xstrdup(id);
        ret->bundle = xstrdup(bundle);
        ret->created = xstrdup(created);
        ret->pid = (pid_t)pid;
        ret->starttime = (uint64_t)start;
        ret->resources_unapplied = json_is_false(json_object_get(doc, "rctrResourcesApplied"));
        ret->annotations = json_incref(json_object_get(doc, "annotations"));
        if (!ret->annotations)
                ret->annotations = json_object();
        return 0;
}

int engine_state_save(int rootfd, const struct engine_state *s, struct rctr_error *err)
{
        cleanup_close int dirfd = openat(rootfd, s->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        json_auto_t *doc =
                json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:o}", "ociVersion", "1.1.0", "id", s->id,
                          "pid", (json_int_t)s->pid, "bundle", s->bundle, "created", s->created,
                          "rctrStartTime", (json_int_t)s->starttime, "annotations",
                          s->annotations ? json_incref(s->annotations) : json_object());
        cleanup_free char *text = NULL;

        if (s->resources_unapplied)
                json_object_set_new(doc, "rctrResourcesApplied", json_false());
        if (dirfd < 0)
                return rctr_error_sys(err, errno, "open state of %s", s->id);
        text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!text)
                xalloc_die();
        /* runtime state: meaningless after a crash or reboot (the processes are gone), so
         * atomic but not synced, whether --root is a tmpfs or not */
        return fs_replace_at(dirfd, "state.json", text, strlen(text), 0600, err);
}

enum engine_status engine_state_status(int rootfd, const struct engine_state *s)
{
        cleanup_free char *fifo = xasprintf("%s/exec.fifo", s->id);
        uint64_t start = engine_proc_starttime(s->pid);

        if (start == 0 || (s->starttime && start != s->starttime))
                return ENGINE_STATUS_STOPPED;
        if (faccessat(rootfd, fifo, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return ENGINE_STATUS_CREATED;
        return engine_freezer_is_frozen(s->pid) ? ENGINE_STATUS_PAUSED : ENGINE_STATUS_RUNNING;
}

json_t *engine_state_json_as(const struct engine_state *s, enum engine_status st)
{
        json_t *j = json_pack("{s:s, s:s, s:s}", "ociVersion", "1.1.0", "id", s->id, "status",
                              engine_status_name(st));

        /* runtime-spec: pid is REQUIRED when status is created or running */
        if (st != ENGINE_STATUS_STOPPED)
                json_object_set_new(j, "pid", json_integer(s->pid));
        json_object_set_new(j, "bundle", json_string(s->bundle));
        json_object_set(j, "annotations", s->annotations);
        json_object_set_new(j, "created", json_string(s->created));
        /* like runc's own extra keys (rootfs, owner): callers ignore what they do not know */
        if (s->resources_unapplied)
                json_object_set_new(j, "rctrResourcesApplied", json_false());
        return j;
}

json_t *engine_state_json(int rootfd, const struct engine_state *s)
{
        return engine_state_json_as(s, engine_state_status(rootfd, s));
}

int engine_state_remove(int rootfd, const char *id, struct rctr_error *err)
{
        if (!engine_state_id_valid(id))
                return rctr_error_set(err, EINVAL, "invalid container id %s", id);
        return fs_remove_tree_at(rootfd, id, err);
}
