#include <config.h>
#include "mount-options.h"

#include <stdlib.h>
#include <string.h>
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
        cleanup_buf struct buf data;

        buf_init(&data, 0);
        memset(ret, 0, sizeof(*ret));
        for (char *const *o = options; o && *o; o++) {
                if (streq(*o, "bind") || streq(*o, "rbind")) {
                        ret->bind = true;
                        ret->recursive = ret->recursive || streq(*o, "rbind");
                } else if (!parse_flag(*o, &ret->flags) &&
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
        json_t *names = json_pack("[s,s]", "bind", "rbind");

        for (size_t i = 0; i < ARRAY_SIZE(mount_flag_names); i++)
                json_array_append_new(names, json_string(mount_flag_names[i].name));
        for (size_t i = 0; i < ARRAY_SIZE(propagation_names); i++)
                json_array_append_new(names, json_string(propagation_names[i].name));
        return names;
}
