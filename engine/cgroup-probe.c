#include <config.h>
#include "cgroup-probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

int engine_cgroup_parse_line(char *line, char **ret_ctrls, char **ret_path)
{
        char *ctrls = strchr(line, ':'), *path;

        if (!ctrls)
                return -EINVAL;
        ctrls++;
        path = strchr(ctrls, ':');
        if (!path || path[1] != '/')
                return -EINVAL;
        *path++ = '\0';
        *ret_ctrls = ctrls;
        *ret_path = path;
        return 0;
}

static bool fs_type_is(const char *path, long magic)
{
        struct statfs s;

        return statfs(path, &s) == 0 && (long)s.f_type == magic;
}

static bool writable(const char *dir)
{
        return access(dir, W_OK) == 0;
}

/* cgroup v2: controllers enabled for our group, delegated when we may write the group. */
static void probe_v2(const char *path, json_t *controllers, json_t *delegated)
{
        cleanup_error struct rctr_error ignored = {0};
        cleanup_free char *dir = xasprintf(CGROUP_ROOT "%s", path);
        cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_buf struct buf text = {0};
        char *save = NULL;
        bool ours = writable(dir);

        buf_init(&text, 4096);
        if (fd < 0 || fs_read_at(fd, "cgroup.controllers", &text, &ignored) < 0)
                return;
        for (char *c = strtok_r(text.data, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
                json_array_append_new(controllers, json_string(c));
                if (ours)
                        json_array_append_new(delegated, json_string(c));
        }
}

/* cgroup v1: one hierarchy per controller set; delegated where our group there is writable. */
static void probe_v1_line(char *ctrls, const char *path, json_t *controllers, json_t *delegated)
{
        char *save = NULL;

        for (char *c = strtok_r(ctrls, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
                cleanup_free char *dir = NULL;

                if (strncmp(c, "name=", 5) == 0)
                        continue; /* named hierarchies (name=systemd) hold no controller */
                dir = xasprintf(CGROUP_ROOT "/%s%s", c, path);
                json_array_append_new(controllers, json_string(c));
                if (writable(dir))
                        json_array_append_new(delegated, json_string(c));
        }
}

json_t *engine_cgroup_probe(void)
{
        cleanup_error struct rctr_error ignored = {0};
        json_t *controllers = json_array(), *delegated = json_array();
        cleanup_buf struct buf self = {0};
        const char *version, *v2path = NULL;
        char *save = NULL;

        buf_init(&self, 64 * 1024);
        if (fs_type_is(CGROUP_ROOT, CGROUP2_SUPER_MAGIC))
                version = "v2";
        else if (fs_type_is(CGROUP_ROOT "/unified", CGROUP2_SUPER_MAGIC))
                version = "v1 (hybrid)";
        else
                version = "v1";

        (void)fs_read_at(AT_FDCWD, "/proc/self/cgroup", &self, &ignored);
        for (char *l = strtok_r(self.data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *ctrls, *path;

                if (engine_cgroup_parse_line(l, &ctrls, &path) < 0)
                        continue;
                if (ctrls[0] == '\0')
                        v2path = path;
                else if (!streq(version, "v2"))
                        probe_v1_line(ctrls, path, controllers, delegated);
        }
        if (streq(version, "v2") && v2path)
                probe_v2(v2path, controllers, delegated);
        return json_pack("{s:s, s:s, s:o, s:o}", "version", version, "manager", "cgroupfs",
                         "controllers", controllers, "delegated", delegated);
}
