/*
 * rctr's default seccomp profile for `rctr run` (podman and docker have one too): everything is
 * allowed but the system calls a container has no business making, each denied with EPERM unless
 * the container holds the capability that would make it legitimate (as docker's profile does
 * with its "includes.caps"). It is a deny list where docker's is an allow list: a new system call
 * works until someone decides otherwise, which fails open but never breaks a program for a call
 * the list forgot. clone3 gets ENOSYS, so that libc falls back to clone, whose namespace flags can
 * be inspected (clone3's are behind a pointer).
 */
#include <config.h>

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>

#include "engine/seccomp-default.h"
#include "lib/macros.h"

struct denied {
        const char *cap; /* holding it lifts the denial; NULL: always denied */
        const char *const *names;
};

static const char *const module_calls[] = {"create_module",
                                           "delete_module",
                                           "finit_module",
                                           "init_module",
                                           "get_kernel_syms",
                                           "query_module",
                                           NULL};
static const char *const time_calls[] = {"clock_adjtime", "clock_settime", "settimeofday",
                                         "stime",         "adjtimex",      NULL};
static const char *const boot_calls[] = {"reboot", "kexec_load", "kexec_file_load", NULL};
static const char *const rawio_calls[] = {"ioperm", "iopl", NULL};
static const char *const pacct_calls[] = {"acct", NULL};
static const char *const admin_calls[] = {
        "mount",          "umount",     "umount2",         "pivot_root",
        "setns",          "swapon",     "swapoff",         "quotactl",
        "lookup_dcookie", "bpf",        "perf_event_open", "fanotify_init",
        "open_tree",      "move_mount", "fsopen",          "fsconfig",
        "fsmount",        "fspick",     "mount_setattr",   "sethostname",
        "setdomainname",  NULL};
static const char *const syslog_calls[] = {"syslog", NULL};
static const char *const tty_config_calls[] = {"vhangup", NULL};
static const char *const dac_search_calls[] = {"open_by_handle_at", NULL};
static const char *const ptrace_calls[] = {"process_vm_readv", "process_vm_writev", "kcmp", NULL};
static const char *const always_calls[] = {"add_key", "keyctl",  "request_key", "nfsservctl",
                                           "uselib",  "ustat",   "sysfs",       "_sysctl",
                                           "vm86",    "vm86old", "userfaultfd", "name_to_handle_at",
                                           NULL};

static const struct denied denied[] = {
        {"CAP_SYS_MODULE", module_calls},
        {"CAP_SYS_TIME", time_calls},
        {"CAP_SYS_BOOT", boot_calls},
        {"CAP_SYS_RAWIO", rawio_calls},
        {"CAP_SYS_PACCT", pacct_calls},
        {"CAP_SYS_ADMIN", admin_calls},
        {"CAP_DAC_READ_SEARCH", dac_search_calls},
        {"CAP_SYS_PTRACE", ptrace_calls},
        {"CAP_SYSLOG", syslog_calls},
        {"CAP_SYS_TTY_CONFIG", tty_config_calls},
        {NULL, always_calls},
};

/* The namespace flags of clone and unshare: one condition each, ORed (engine/seccomp.c). */
static const unsigned long ns_flags[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,   CLONE_NEWUSER,
                                         CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP};

static bool holds(json_t *caps, const char *cap)
{
        json_t *v;
        size_t i;

        json_array_foreach(caps, i, v)
                if (json_is_string(v) && streq(json_string_value(v), cap))
                        return true;
        return false;
}

static json_t *names_json(const char *const *names)
{
        json_t *a = json_array();

        for (; *names; names++)
                json_array_append_new(a, json_string(*names));
        return a;
}

static json_t *deny(json_t *names, int code)
{
        return json_pack("{s:o, s:s, s:i}", "names", names, "action", "SCMP_ACT_ERRNO", "errnoRet",
                         code);
}

json_t *engine_seccomp_default_profile(json_t *bounding_caps)
{
        json_t *rules = json_array(), *conds;

        for (size_t i = 0; i < ARRAY_SIZE(denied); i++)
                if (!denied[i].cap || !holds(bounding_caps, denied[i].cap))
                        json_array_append_new(rules, deny(names_json(denied[i].names), EPERM));
        json_array_append_new(rules, deny(json_pack("[s]", "clone3"), ENOSYS));
        if (!holds(bounding_caps, "CAP_SYS_ADMIN")) {
                /* new namespaces: any of the flags set in clone's and unshare's first argument */
                conds = json_array();
                for (size_t i = 0; i < ARRAY_SIZE(ns_flags); i++)
                        json_array_append_new(conds, json_pack("{s:i, s:I, s:I, s:s}", "index", 0,
                                                               "value", (json_int_t)ns_flags[i],
                                                               "valueTwo", (json_int_t)ns_flags[i],
                                                               "op", "SCMP_CMP_MASKED_EQ"));
                json_array_append_new(rules, json_pack("{s:[s,s], s:s, s:i, s:o}", "names", "clone",
                                                       "unshare", "action", "SCMP_ACT_ERRNO",
                                                       "errnoRet", EPERM, "args", conds));
        }
        return json_pack("{s:s, s:o}", "defaultAction", "SCMP_ACT_ALLOW", "syscalls", rules);
}
