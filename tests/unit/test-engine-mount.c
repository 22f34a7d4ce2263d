#include <config.h>

#include <stdbool.h>
#include <stdlib.h>
#include <sys/mount.h>

#include "engine/mount-options.h"
#include "engine/userns.h"
#include "lib/error.h"
#include "tap.h"

/* getopt-style literal vectors are never written to */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

static void test_options(void)
{
        char *devpts[] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL};
        char *sys[] = {"rbind", "nosuid", "noexec", "nodev", "ro", "rslave", NULL};
        char *flip[] = {"ro", "rw", "suid", NULL};
        struct engine_mount_flags f;

        engine_mount_flags_parse(devpts, &f);
        ok(f.flags == (MS_NOSUID | MS_NOEXEC) && !f.bind && f.propagation == 0, "devpts flags");
        is_str(f.data, "newinstance,ptmxmode=0666,mode=0620", "unknown options go to the data");
        engine_mount_flags_clear(&f);

        engine_mount_flags_parse(sys, &f);
        ok(f.bind && f.recursive, "rbind");
        ok(f.flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY), "bind flags");
        ok(f.propagation == (MS_SLAVE | MS_REC), "propagation apart from the flags");
        ok(f.data == NULL, "no data");
        engine_mount_flags_clear(&f);

        engine_mount_flags_parse(flip, &f);
        ok(f.flags == 0, "later options undo earlier ones (ro, rw)");
        engine_mount_flags_clear(&f);
}

static void test_recursive(void)
{
        char *rro[] = {"rbind", "rro", "rnosuid", "rsuid", "rnoatime", "rrelatime", NULL};
        struct engine_mount_flags f;

        engine_mount_flags_parse(rro, &f);
        ok(f.recursive_attrs && f.flags == 0, "recursive options are not mount(2) flags");
        ok(f.attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_RELATIME), "rro, the last atime mode");
        ok(f.attr_clr == (MOUNT_ATTR_NOSUID | MOUNT_ATTR__ATIME),
           "rsuid undoes rnosuid; atime reset");
        ok(f.data == NULL, "nothing goes to the data");
        engine_mount_flags_clear(&f);
}

static void test_translate(void)
{
        const char *rootless =
                "         0       1000          1\n         1     100000      65536\n";
        const char *root = "         0          0 4294967295\n";
        struct engine_idmap one = {0, 1000, 1}, range = {1, 100000, 65536},
                            beyond = {1, 100000, 65537}, other = {0, 2000, 1};
        struct engine_idmap both[] = {one, range};
        struct rctr_error err = {0};
        char *text = NULL;

        ok(engine_userns_translate(rootless, both, 2, "uidMappings", &text, &err) == 0,
           "host ids of the user and the subuid range");
        is_str(text, "0 0 1\n1 1 65536\n", "become the rctr namespace's own ids");
        free(text);
        ok(engine_userns_translate(root, &range, 1, "uidMappings", &text, &err) == 0,
           "real root: identity");
        is_str(text, "1 100000 65536\n", "unchanged");
        free(text);
        ok(engine_userns_translate(rootless, &beyond, 1, "uidMappings", &text, &err) < 0,
           "a range past the subuid range is refused");
        is_str(err.msg,
               "uidMappings[0]: host ids 100000-165536 are not mapped in this user namespace "
               "(see /etc/subuid, /etc/subgid)",
               "and named");
        rctr_error_clear(&err);
        ok(engine_userns_translate(rootless, &other, 1, "gidMappings", &text, &err) < 0,
           "another user's id is refused");
        rctr_error_clear(&err);
}

int main(void)
{
        test_options();
        test_recursive();
        test_translate();
        return tap_done();
}
