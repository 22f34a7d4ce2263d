#include <config.h>
#include "seccomp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <seccomp.h>

#include "lib/error.h"
#include "lib/jsonutil.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

struct engine_seccomp {
        struct sock_filter *insns; /* owned: the program libseccomp generated */
        unsigned short n_insns;    /* at most BPF_MAXINSNS */
        unsigned int flags;        /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};

DEFINE_FREEP(scmp_filter_ctx, seccomp_release)

struct name_value {
        const char *name;
        uint32_t value;
};

/* runtime-spec 1.1 names, each the libseccomp constant of the same name. */
static const struct name_value arch_names[] = {
        {"SCMP_ARCH_X86", SCMP_ARCH_X86},
        {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
        {"SCMP_ARCH_X32", SCMP_ARCH_X32},
        {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
        {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
        {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
        {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
        {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
        {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
        {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
        {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
        {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
        {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
        {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
        {"SCMP_ARCH_S390", SCMP_ARCH_S390},
        {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
        {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
        {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
        {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

static const struct name_value op_names[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/*
 * SCMP_ACT_NOTIFY is left out on purpose: it needs a listener fd sent to listenerPath, which
 * rctr does not do, and it is refused by name below.
 */
static const struct {
        const char *name;
        uint32_t value;
        json_int_t max_ret; /* 0: takes no errnoRet; else the largest errnoRet */
} action_names[] = {
        {"SCMP_ACT_KILL", SCMP_ACT_KILL, 0},
        {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, 0},
        {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, 0},
        {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, 0},
        /* the kernel caps a returned errno at MAX_ERRNO: refuse more rather than change it */
        {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), 4095},
        /* SECCOMP_RET_DATA, the 16-bit message a tracer sees */
        {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), 0xffff},
        {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, 0},
        {"SCMP_ACT_LOG", SCMP_ACT_LOG, 0},
};

static const struct {
        const char *name;
        enum scmp_filter_attr attr; /* _SCMP_FLTATR_MIN: no libseccomp 2.5 attribute */
        unsigned int kernel_flag;   /* for seccomp(2) */
        unsigned int api;           /* the seccomp_api_get() level that has it */
} flag_names[] = {
        {"SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC, SECCOMP_FILTER_FLAG_TSYNC, 2},
        {"SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG, SECCOMP_FILTER_FLAG_LOG, 3},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB, SECCOMP_FILTER_FLAG_SPEC_ALLOW, 4},
        /* only valid with a notify listener (the kernel refuses it alone), which we refuse */
        {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", _SCMP_FLTATR_MIN, 0, 0},
};

static const struct name_value *lookup(const struct name_value *table, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (streq(table[i].name, name))
                        return &table[i];
        return NULL;
}

/* A JSON string without a NUL inside ("mkdir\u0000x" must not become mkdir), or NULL. */
static const char *plain_string(json_t *v)
{
        const char *s = json_string_value(v);

        return s && strlen(s) == json_string_length(v) ? s : NULL;
}

/*
 * The action at obj.action_key with its errno at obj.errno_key. runtime-spec: only ERRNO and
 * TRACE take one (EPERM when absent, as runc does for both), and the runtime must fail when
 * another action has one.
 */
static int parse_action(json_t *obj, const char *where, const char *action_key,
                        const char *errno_key, uint32_t *ret, struct rctr_error *err)
{
        const char *name = NULL;
        json_int_t data = EPERM;
        size_t k;

        if (jsonutil_get_string(obj, action_key, true, &name, err) < 0)
                return rctr_error_prefix(err, "%s", where);
        if (streq(name, "SCMP_ACT_NOTIFY"))
                return rctr_error_set(err, EOPNOTSUPP,
                                      "%s.%s: SCMP_ACT_NOTIFY is not supported (rctr has no "
                                      "seccomp notify listener)",
                                      where, action_key);
        for (k = 0; k < ARRAY_SIZE(action_names); k++)
                if (streq(name, action_names[k].name))
                        break;
        if (k == ARRAY_SIZE(action_names))
                return rctr_error_set(err, EBADMSG, "%s.%s: unknown action %s", where, action_key,
                                      name);
        if (action_names[k].max_ret == 0) {
                json_t *v = json_object_get(obj, errno_key);

                if (v && !json_is_null(v))
                        return rctr_error_set(err, EBADMSG, "%s.%s: not allowed with %s", where,
                                              errno_key, name);
                *ret = action_names[k].value;
                return 0;
        }
        if (jsonutil_get_int(obj, errno_key, false, 0, action_names[k].max_ret, &data, err) < 0)
                return rctr_error_prefix(err, "%s", where);
        *ret = action_names[k].value | (uint32_t)data;
        return 0;
}

static int parse_arg(json_t *arg, const char *where, struct scmp_arg_cmp *ret,
                     struct rctr_error *err)
{
        json_int_t index = 0, value = 0, value_two = 0;
        const struct name_value *op;
        const char *op_name = NULL;
        int r;

        if (!json_is_object(arg))
                return rctr_error_set(err, EBADMSG, "%s: expected an object", where);
        /* struct seccomp_data has six arguments. Values are uint64: jansson stops at 2^63 */
        r = jsonutil_get_int(arg, "index", true, 0, 5, &index, err);
        if (r >= 0)
                r = jsonutil_get_int(arg, "value", true, 0, INT64_MAX, &value, err);
        if (r >= 0)
                r = jsonutil_get_int(arg, "valueTwo", false, 0, INT64_MAX, &value_two, err);
        if (r >= 0)
                r = jsonutil_get_string(arg, "op", true, &op_name, err);
        if (r < 0)
                return rctr_error_prefix(err, "%s", where);
        op = lookup(op_names, ARRAY_SIZE(op_names), op_name);
        if (!op)
                return rctr_error_set(err, EBADMSG, "%s.op: unknown operator %s", where, op_name);
        /* MASKED_EQ: value is the mask, valueTwo the datum, libseccomp's order too */
        *ret = (struct scmp_arg_cmp){.arg = (unsigned int)index,
                                     .op = (enum scmp_compare)op->value,
                                     .datum_a = (scmp_datum_t)value,
                                     .datum_b = (scmp_datum_t)value_two};
        return 0;
}

/*
 * The conditions of one syscalls[] entry. libseccomp ANDs the conditions of a rule but takes
 * at most one per argument; an entry naming an argument twice becomes one rule per condition
 * instead, which ORs them all. That is runc's behaviour (libcontainer/seccomp, matchCall), and
 * profiles written for Docker rely on it.
 */
static int parse_args(json_t *rule, const char *where, struct scmp_arg_cmp **ret, size_t *ret_n,
                      bool *ret_one_per_cond, struct rctr_error *err)
{
        cleanup_free struct scmp_arg_cmp *conds = NULL;
        unsigned int seen = 0; /* bit i: a condition on argument i */
        bool twice = false;
        json_t *args = NULL, *arg;
        size_t i;

        if (jsonutil_get_array(rule, "args", false, &args, err) < 0)
                return rctr_error_prefix(err, "%s", where);
        if (json_array_size(args) > 0)
                conds = xreallocarray(NULL, json_array_size(args), sizeof(*conds));
        json_array_foreach(args, i, arg) {
                char at[96];
                int r;

                snprintf(at, sizeof(at), "%s.args[%zu]", where, i);
                r = parse_arg(arg, at, &conds[i], err);
                if (r < 0)
                        return r;
                twice = twice || (seen & (1u << conds[i].arg));
                seen |= 1u << conds[i].arg;
        }
        *ret_n = json_array_size(args);
        *ret_one_per_cond = twice;
        *ret = TAKE_PTR(conds);
        return 0;
}

static int add_rule(scmp_filter_ctx ctx, const char *where, const char *name, uint32_t action,
                    const struct scmp_arg_cmp *conds, size_t n, bool one_per_cond,
                    struct rctr_error *err)
{
        /* native numbers, or libseccomp's pseudo numbers for calls only other archs have */
        int nr = seccomp_syscall_resolve_name(name);
        int r = 0;

        if (nr == __NR_SCMP_ERROR) {
                /* As runc and crun: a profile newer than this libseccomp must still work. */
                log_debug("seccomp: %s: system call %s unknown to libseccomp, skipped", where,
                          name);
                return 0;
        }
        /* not _exact: libseccomp translates the rule for each architecture in the filter */
        if (!one_per_cond)
                r = seccomp_rule_add_array(ctx, action, nr, (unsigned int)n, conds);
        for (size_t c = 0; one_per_cond && c < n && r >= 0; c++)
                r = seccomp_rule_add_array(ctx, action, nr, 1, &conds[c]);
        if (r < 0)
                return rctr_error_sys(err, -r, "%s: add a rule for %s", where, name);
        return 0;
}

static int add_syscalls_entry(scmp_filter_ctx ctx, json_t *rule, size_t i, uint32_t default_action,
                              struct rctr_error *err)
{
        cleanup_free struct scmp_arg_cmp *conds = NULL;
        json_t *names = NULL, *name;
        bool one_per_cond = false;
        uint32_t action = 0;
        size_t n = 0, k;
        char where[64];
        int r;

        snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu]", i);
        if (!json_is_object(rule))
                return rctr_error_set(err, EBADMSG, "%s: expected an object", where);
        r = parse_action(rule, where, "action", "errnoRet", &action, err);
        if (r >= 0)
                r = parse_args(rule, where, &conds, &n, &one_per_cond, err);
        if (r >= 0 && jsonutil_get_array(rule, "names", true, &names, err) < 0)
                r = rctr_error_prefix(err, "%s", where);
        if (r < 0)
                return r;
        json_array_foreach(names, k, name) {
                if (!plain_string(name))
                        return rctr_error_set(err, EBADMSG, "%s.names[%zu]: expected a string",
                                              where, k);
                /* libseccomp refuses a rule that does what the default does (EACCES) */
                if (action == default_action) {
                        log_debug("seccomp: %s: %s has the default action, skipped", where,
                                  json_string_value(name));
                        continue;
                }
                r = add_rule(ctx, where, json_string_value(name), action, conds, n, one_per_cond,
                             err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_archs(scmp_filter_ctx ctx, json_t *seccomp, struct rctr_error *err)
{
        json_t *archs = NULL, *a;
        size_t i;

        if (jsonutil_get_array(seccomp, "architectures", false, &archs, err) < 0)
                return rctr_error_prefix(err, "linux.seccomp");
        json_array_foreach(archs, i, a) {
                const char *name = plain_string(a);
                const struct name_value *arch;
                int r;

                if (!name)
                        return rctr_error_set(err, EBADMSG,
                                              "linux.seccomp.architectures[%zu]: expected a string",
                                              i);
                arch = lookup(arch_names, ARRAY_SIZE(arch_names), name);
                if (!arch)
                        return rctr_error_set(
                                err, EBADMSG,
                                "linux.seccomp.architectures[%zu]: unknown architecture %s", i,
                                name);
                /* a new filter has the native architecture already: EEXIST, as for a repeat */
                r = seccomp_arch_add(ctx, arch->value);
                if (r < 0 && r != -EEXIST)
                        return rctr_error_sys(err, -r, "linux.seccomp.architectures[%zu]: add %s",
                                              i, name);
        }
        return 0;
}

/*
 * flags → seccomp(2) flags. Each is also set as its libseccomp attribute, only because
 * libseccomp then checks that this kernel has it: the error comes now, not in the container.
 */
static int parse_flags(scmp_filter_ctx ctx, json_t *seccomp, unsigned int *ret,
                       struct rctr_error *err)
{
        json_t *flags = NULL, *f;
        unsigned int kernel_flags = 0;
        size_t i, k;

        if (jsonutil_get_array(seccomp, "flags", false, &flags, err) < 0)
                return rctr_error_prefix(err, "linux.seccomp");
        json_array_foreach(flags, i, f) {
                const char *name = plain_string(f);
                int r;

                for (k = 0; name && k < ARRAY_SIZE(flag_names); k++)
                        if (streq(name, flag_names[k].name))
                                break;
                if (!name || k == ARRAY_SIZE(flag_names))
                        return rctr_error_set(err, EBADMSG,
                                              "linux.seccomp.flags[%zu]: unknown flag %s", i,
                                              name ? name : "(not a string)");
                if (flag_names[k].attr == _SCMP_FLTATR_MIN)
                        return rctr_error_set(err, EOPNOTSUPP,
                                              "linux.seccomp.flags[%zu]: %s is not supported "
                                              "(it needs a seccomp notify listener)",
                                              i, name);
                r = seccomp_attr_set(ctx, flag_names[k].attr, 1);
                if (r < 0)
                        return rctr_error_sys(err, -r,
                                              "linux.seccomp.flags[%zu]: %s (kernel or libseccomp "
                                              "too old?)",
                                              i, name);
                kernel_flags |= flag_names[k].kernel_flag;
        }
        *ret = kernel_flags;
        return 0;
}

/* runtime-spec 1.1: the notify fd goes to an agent at listenerPath. We have no such support. */
static int refuse_listener(json_t *seccomp, struct rctr_error *err)
{
        static const char *const keys[] = {"listenerPath", "listenerMetadata"};

        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                json_t *v = json_object_get(seccomp, keys[i]);

                /* "" is what Go's omitempty would have left out: treat it as absent */
                if (v && !json_is_null(v) && !(json_is_string(v) && json_string_length(v) == 0))
                        return rctr_error_set(err, EOPNOTSUPP,
                                              "linux.seccomp.%s: seccomp notify listeners are "
                                              "not supported",
                                              keys[i]);
        }
        return 0;
}

/*
 * Generate the BPF program now, in the runtime: the container's init then loads it with one
 * seccomp(2) call and no allocation between clone and exec (STYLE §8), and a program the kernel
 * would refuse for its size is reported before anything is forked.
 */
static int compile(scmp_filter_ctx ctx, struct engine_seccomp *s, struct rctr_error *err)
{
        cleanup_close int fd = memfd_create("rctr-seccomp", MFD_CLOEXEC);
        struct stat st;
        size_t size, done = 0;
        int r;

        if (fd < 0)
                return rctr_error_sys(err, errno, "linux.seccomp: create a memfd for the program");
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return rctr_error_sys(err, -r, "linux.seccomp: generate the BPF program");
        if (fstat(fd, &st) < 0)
                return rctr_error_sys(err, errno, "linux.seccomp: stat the BPF program");
        size = (size_t)st.st_size;
        if (size == 0 || size % sizeof(struct sock_filter) != 0)
                return rctr_error_set(err, EPROTO,
                                      "linux.seccomp: libseccomp wrote a %zu-byte BPF program",
                                      size);
        if (size / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return rctr_error_set(err, E2BIG,
                                      "linux.seccomp: the filter needs %zu BPF instructions, over "
                                      "the kernel's %d (list fewer rules or architectures)",
                                      size / sizeof(struct sock_filter), BPF_MAXINSNS);
        s->insns = xmalloc(size);
        while (done < size) {
                ssize_t n =
                        RETRY_EINTR(pread(fd, (char *)s->insns + done, size - done, (off_t)done));

                if (n <= 0)
                        return rctr_error_sys(err, n < 0 ? errno : EIO,
                                              "linux.seccomp: read the BPF program back");
                done += (size_t)n;
        }
        s->n_insns = (unsigned short)(size / sizeof(struct sock_filter));
        return 0;
}

static int add_all_syscalls(scmp_filter_ctx ctx, json_t *seccomp, uint32_t default_action,
                            struct rctr_error *err)
{
        json_t *syscalls = NULL, *rule;
        size_t i;

        if (jsonutil_get_array(seccomp, "syscalls", false, &syscalls, err) < 0)
                return rctr_error_prefix(err, "linux.seccomp");
        json_array_foreach(syscalls, i, rule) {
                int r = add_syscalls_entry(ctx, rule, i, default_action, err);

                if (r < 0)
                        return r;
        }
        return 0;
}

int engine_seccomp_new(json_t *linux_seccomp, struct engine_seccomp **ret, struct rctr_error *err)
{
        CLEANUP(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        CLEANUP(engine_seccomp_freep) struct engine_seccomp *s = NULL;
        uint32_t default_action = 0;
        int r;

        if (!linux_seccomp || json_is_null(linux_seccomp)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_object(linux_seccomp))
                return rctr_error_set(err, EBADMSG, "linux.seccomp: expected an object");
        r = refuse_listener(linux_seccomp, err);
        if (r >= 0)
                r = parse_action(linux_seccomp, "linux.seccomp", "defaultAction", "defaultErrnoRet",
                                 &default_action, err);
        if (r < 0)
                return r;
        ctx = seccomp_init(default_action);
        if (!ctx)
                return rctr_error_set(err, EOPNOTSUPP,
                                      "linux.seccomp.defaultAction: refused by libseccomp (not "
                                      "supported by this kernel?)");
        /* errnos from the kernel as they are, not folded into ECANCELED (libseccomp 2.5) */
        (void)seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
        s = xzalloc(sizeof(*s));
        r = parse_flags(ctx, linux_seccomp, &s->flags, err);
        if (r >= 0) /* before the rules, so that each rule is added for every architecture */
                r = add_archs(ctx, linux_seccomp, err);
        if (r >= 0)
                r = add_all_syscalls(ctx, linux_seccomp, default_action, err);
        if (r >= 0)
                r = compile(ctx, s, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int engine_seccomp_load(const struct engine_seccomp *s, struct rctr_error *err)
{
        struct sock_fprog prog;
        long r;

        if (!s)
                return 0;
        prog = (struct sock_fprog){.len = s->n_insns, .filter = s->insns};
        /*
         * seccomp(2) rather than seccomp_load(): the program is ready, so nothing is allocated
         * here, between clone and exec. We set no no_new_privs: without it the kernel requires
         * CAP_SYS_ADMIN in our user namespace, which the init still holds when the spec asked
         * for no noNewPrivileges (it is what lets setuid binaries in the container work).
         */
        r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, s->flags, &prog);
        if (r < 0 && errno == ENOSYS && s->flags == 0) /* Linux < 3.17 */
                r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
        if (r > 0) /* TSYNC failed: r is a thread that cannot take our filter */
                return rctr_error_set(err, ESRCH,
                                      "load the seccomp filter: thread %ld could not be "
                                      "synchronized",
                                      r);
        if (r < 0 && errno == EACCES)
                return rctr_error_sys(err, errno,
                                      "load the seccomp filter without no_new_privs or "
                                      "CAP_SYS_ADMIN");
        if (r < 0)
                return rctr_error_sys(err, errno, "load the seccomp filter");
        return 0;
}

void engine_seccomp_free(struct engine_seccomp *s)
{
        if (!s)
                return;
        free(s->insns);
        free(s);
}

json_t *engine_seccomp_features(void)
{
        json_t *actions = json_array(), *ops = json_array(), *archs = json_array();
        json_t *known = json_array(), *supported = json_array();
        /* libseccomp probes the kernel for this: level 2 has TSYNC, 3 LOG, 4 SPEC_ALLOW */
        unsigned int api = seccomp_api_get();

        for (size_t i = 0; i < ARRAY_SIZE(action_names); i++)
                json_array_append_new(actions, json_string(action_names[i].name));
        for (size_t i = 0; i < ARRAY_SIZE(op_names); i++)
                json_array_append_new(ops, json_string(op_names[i].name));
        for (size_t i = 0; i < ARRAY_SIZE(arch_names); i++)
                json_array_append_new(archs, json_string(arch_names[i].name));
        for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++) {
                json_array_append_new(known, json_string(flag_names[i].name));
                if (flag_names[i].attr != _SCMP_FLTATR_MIN && api >= flag_names[i].api)
                        json_array_append_new(supported, json_string(flag_names[i].name));
        }
        return json_pack("{s:b, s:o, s:o, s:o, s:o, s:o}", "enabled", 1, "actions", actions,
                         "operators", ops, "archs", archs, "knownFlags", known, "supportedFlags",
                         supported);
}
