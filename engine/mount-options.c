#include <config.h>
#include "mount-options.h"

#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mount.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/macros.h"

#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif

static const struct {
        const char *name;
        bool clear; /* the option turns the flag off ("rw", "suid") */
        unsigned long flag;
} mount_flag_names[] = {
        {"ro", false, MS_RDONLY},
        {"rw", true, MS_RDONLY},
        {"nosuid", false, MS_NOSUID},
        {"suid", true, MS_NOSUID},
        {"nodev", false, MS_NODEV},
        {"dev", true, MS_NODEV},
        {"noexec", false, MS_NOEXEC},
        {"exec", true, MS_NOEXEC},
        {"sync", false, MS_SYNCHRONOUS},
        {"async", true, MS_SYNCHRONOUS},
        {"dirsync", false, MS_DIRSYNC},
        {"remount", false, MS_REMOUNT},
        {"mand", false, MS_MANDLOCK},
        {"nomand", true, MS_MANDLOCK},
        {"noatime", false, MS_NOATIME},
        {"atime", true, MS_NOATIME},
        {"nodiratime", false, MS_NODIRATIME},
        {"diratime", true, MS_NODIRATIME},
        {"relatime", false, MS_RELATIME},
        {"norelatime", true, MS_RELATIME},
        {"strictatime", false, MS_STRICTATIME},
        {"nostrictatime", true, MS_STRICTATIME},
        {"lazytime", false, MS_LAZYTIME},
        {"nolazytime", true, MS_LAZYTIME},
        {"silent", false, MS_SILENT},
        {"loud", true, MS_SILENT},
};

/* runc 1.1's recursive options, applied to the whole tree with mount_setattr (Linux 5.12). */
static const struct {
        const char *name;
        bool clear;
        uint64_t attr;
} recursive_names[] = {
        {"rro", false, MOUNT_ATTR_RDONLY},
        {"rrw", true, MOUNT_ATTR_RDONLY},
        {"rnosuid", false, MOUNT_ATTR_NOSUID},
        {"rsuid", true, MOUNT_ATTR_NOSUID},
        {"rnodev", false, MOUNT_ATTR_NODEV},
        {"rdev", true, MOUNT_ATTR_NODEV},
        {"rnoexec", false, MOUNT_ATTR_NOEXEC},
        {"rexec", true, MOUNT_ATTR_NOEXEC},
        {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
        {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
        {"rnoatime", false, MOUNT_ATTR_NOATIME},
        {"rrelatime", false, MOUNT_ATTR_RELATIME},
        {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
};

static const struct {
        const char *name;
        unsigned long flags;
} propagation_names[] = {
        {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
        {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
        {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

static bool parse_flag(const char *o, unsigned long *flags)
{
        for (size_t i = 0; i < ARRAY_SIZE(mount_flag_names); i++) {
                if (!streq(o, mount_flag_names[i].name))
                        continue;
                if (mount_flag_names[i].clear)
                        *flags &= ~mount_flag_names[i].flag;
                else
                        *flags |= mount_flag_names[i].flag;
                return true;
        }
        return false;
}

static bool parse_recursive(const char *o, struct engine_mount_flags *f)
{
        for (size_t i = 0; i < ARRAY_SIZE(recursive_names); i++) {
                uint64_t attr = recursive_names[i].attr;

                if (!streq(o, recursive_names[i].name))
                        continue;
                /* the access-time modes are one field: setting one clears the others */
                if (attr == MOUNT_ATTR_NOATIME || attr == MOUNT_ATTR_RELATIME ||
                    attr == MOUNT_ATTR_STRICTATIME) {
                        f->attr_clr |= MOUNT_ATTR__ATIME;
                        f->attr_set = (f->attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | attr;
                } else if (recursive_names[i].clear) {
                        f->attr_clr |= attr;
                        f->attr_set &= ~attr;
                } else {
                        f->attr_set |= attr;
                        f->attr_clr &= ~attr;
                }
                f->recursive_attrs = true;
                return true;
        }
        return false;
}

static bool parse_propagation(const char *o, unsigned long *propagation)
{
        for (size_t i = 0; i < ARRAY_SIZE(propagation_names); i++) {
                if (streq(o, propagation_names[i].name)) {
                        *propagation = propagation_names[i].flags;
                        return true;
                }
        }
        return false;
}

void engine_mount_flags_parse(char *const *options, struct engine_mount_flags *ret)
{
        cleanup_buf struct buf data = {0};

        buf_init(&data, 0);
        memset(ret, 0, sizeof(*ret));
        for (char *const *o = options; o && *o; o++) {
                if (streq(*o, "bind") || streq(*o, "rbind")) {
                        ret->bind = true;
                        ret->recursive = ret->recursive || streq(*o, "rbind");
                } else if (streq(*o, "tmpcopyup")) {
                        ret->tmpcopyup = true;
                } else if (!parse_flag(*o, &ret->flags) && !parse_recursive(*o, ret) &&
                           !parse_propagation(*o, &ret->propagation)) {
                        (void)buf_appendf(&data, "%s%s", data.len ? "," : "", *o);
                }
        }
        ret->data = data.len ? buf_detach(&data) : NULL;
}

void engine_mount_flags_clear(struct engine_mount_flags *f)
{
        free(f->data);
        f->data = NULL;
}

json_t *engine_mount_option_names(void)
{
        json_t *names = json_pack("[s,s,s]", "bind", "rbind", "tmpcopyup");

        for (size_t i = 0; i < ARRAY_SIZE(mount_flag_names); i++)
                json_array_append_new(names, json_string(mount_flag_names[i].name));
        for (size_t i = 0; i < ARRAY_SIZE(recursive_names); i++)
                json_array_append_new(names, json_string(recursive_names[i].name));
        for (size_t i = 0; i < ARRAY_SIZE(propagation_names); i++)
                json_array_append_new(names, json_string(propagation_names[i].name));
        return names;
}
