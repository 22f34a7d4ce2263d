#include <config.h>

#include <stdbool.h>

#include "engine/cgroup-probe.h"
#include "tap.h"

int main(void)
{
        char v1[] = "4:memory:/process_api/abc", v2[] = "0::/user.slice/x",
             named[] = "9:name=systemd:/", bad[] = "garbage", nopath[] = "1:cpu:";
        char *ctrls, *path;

        ok(engine_cgroup_parse_line(v1, &ctrls, &path) == 0, "v1 line");
        is_str(ctrls, "memory", "v1 controllers");
        is_str(path, "/process_api/abc", "v1 path");
        ok(engine_cgroup_parse_line(v2, &ctrls, &path) == 0 && ctrls[0] == '\0', "v2 line");
        is_str(path, "/user.slice/x", "v2 path");
        ok(engine_cgroup_parse_line(named, &ctrls, &path) == 0, "named hierarchy");
        is_str(ctrls, "name=systemd", "named controllers");
        ok(engine_cgroup_parse_line(bad, &ctrls, &path) < 0, "no colon");
        ok(engine_cgroup_parse_line(nopath, &ctrls, &path) < 0, "no path");
        return tap_done();
}
