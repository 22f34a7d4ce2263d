#include <config.h>

#include <stdbool.h>
#include <stdlib.h>

#include "lib/macros.h"
#include "rootless/idmap.h"
#include "tap.h"

int main(void)
{
        struct rootless_ranges none = {.n = 0};
        struct rootless_ranges two = {.v = {{100000, 65536}, {300000, 10}}, .n = 2};
        char *text;
        char **argv;

        text = rootless_idmap_text(1000, &none);
        is_str(text, "0 1000 1\n", "single-id map");
        free(text);

        text = rootless_idmap_text(1000, &two);
        is_str(text, "0 1000 1\n1 100000 65536\n65537 300000 10\n",
               "the user is 0, ranges follow from 1 without gaps");
        free(text);

        argv = rootless_idmap_argv("/usr/bin/newuidmap", 4242, 1000, &two);
        is_str(argv[0], "/usr/bin/newuidmap", "helper");
        is_str(argv[1], "4242", "pid");
        is_str(argv[2], "0", "inside 0");
        is_str(argv[3], "1000", "is the user");
        is_str(argv[4], "1", "one id");
        is_str(argv[5], "1", "range inside start");
        is_str(argv[6], "100000", "range host start");
        is_str(argv[8], "65537", "second range continues");
        ok(argv[11] == NULL, "NULL-terminated");
        strv_free(argv);
        return tap_done();
}
