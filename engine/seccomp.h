/*
 * The container's seccomp filter (runtime-spec config-linux.md "Seccomp"), built with
 * libseccomp from linux.seccomp before fork and loaded by the container's init just before exec.
 */
#pragma once

#include <jansson.h>

struct rctr_error;

/* Opaque: a compiled BPF program plus the seccomp(2) flags to load it with. */
struct engine_seccomp;

/*
 * Parse linux.seccomp (NULL or JSON null: no filter, *ret = NULL, return 0) and compile the
 * filter, so every mistake surfaces before fork. On success *ret is owned by the caller (free
 * with engine_seccomp_free()). Fails with err naming the field
 * ("linux.seccomp.syscalls[2].action: unknown action FOO") and returns -EBADMSG for a malformed
 * or unknown value (as engine_spec_parse() does), -EOPNOTSUPP for what this runtime, libseccomp
 * or the kernel cannot do (notify listeners, some flags), -E2BIG when the program is over the
 * kernel's 4096 instructions, or another -errno from libseccomp.
 */
int engine_seccomp_new(json_t *linux_seccomp, struct engine_seccomp **ret, struct rctr_error *err);

/*
 * Install the filter on the calling thread (with TSYNC: on all its threads). Meant for the
 * container's init right before exec: the program was compiled by engine_seccomp_new(), so this
 * is one system call, with nothing allocated unless it fails. It sets no no_new_privs: the caller
 * must have set it or hold CAP_SYS_ADMIN in its user namespace. s == NULL is a no-op. Returns 0
 * or -errno with err set (-EACCES: neither of the two).
 */
int engine_seccomp_load(const struct engine_seccomp *s, struct rctr_error *err);

/* NULL is a no-op. */
void engine_seccomp_free(struct engine_seccomp *s);

static inline void engine_seccomp_freep(struct engine_seccomp **s)
{
        engine_seccomp_free(*s);
}

/*
 * The linux.seccomp object of the runtime-spec features document (features.md): enabled,
 * actions, operators, archs, knownFlags and supportedFlags (those this kernel and libseccomp
 * take). Returns a new reference.
 */
json_t *engine_seccomp_features(void);
