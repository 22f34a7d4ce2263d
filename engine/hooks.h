/*
 * OCI runtime-spec 1.1 POSIX-platform hooks (config.md "POSIX-platform Hooks"): parsed from
 * config.json's "hooks" object, and run as programs that get the container's state JSON on stdin.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct rctr_error;

enum engine_hook_kind {
        ENGINE_HOOK_PRESTART, /* deprecated since runtime-spec 1.0.2, still run */
        ENGINE_HOOK_CREATE_RUNTIME,
        ENGINE_HOOK_CREATE_CONTAINER,
        ENGINE_HOOK_START_CONTAINER,
        ENGINE_HOOK_POSTSTART,
        ENGINE_HOOK_POSTSTOP,
        ENGINE_HOOK_KIND_COUNT,
};

/* The parsed hooks of one config.json; opaque. */
struct engine_hooks;

/*
 * Parse config.json's "hooks" object. NULL (absent) or JSON null gives an empty set. Unknown
 * keys are ignored (the spec lets runtimes skip what they do not know). Returns 0 with *ret owned
 * by the caller, or -EBADMSG with err naming the field ("hooks.prestart[0].path: not absolute",
 * "hooks.poststop[1].timeout: 0 is out of range 1..2147483647").
 */
int engine_hooks_parse(json_t *hooks, struct engine_hooks **ret, struct rctr_error *err);

/* Whether h has at least one hook of kind (false for h NULL). */
bool engine_hooks_any(const struct engine_hooks *h, enum engine_hook_kind kind);
/* How many hooks of kind h has (0 for h NULL). */
size_t engine_hooks_count(const struct engine_hooks *h, enum engine_hook_kind kind);

/*
 * Run the hooks of kind in their order, each with state_json (the runtime-spec state; NULL is
 * an empty stdin) on a pipe as stdin, exactly its own args and env, stdout sent to our stderr
 * (our stdout carries only results) and its stderr forwarded to ours and kept (first 4 KiB) for
 * the message. A hook with a timeout is killed with SIGKILL and reaped once it is over.
 *
 * The first hook that fails stops the run. Returns 0, or with err set ("prestart hook /x: exited
 * with status 3: <first line it wrote to stderr>"):
 *   -ECANCELED  it exited with a non-zero status or was killed by a signal;
 *   -ETIMEDOUT  it ran past its timeout ("...: timed out after 2 s");
 *   -errno of execve (-ENOENT, -EACCES, ...) when it could not be executed;
 *   another -errno when a pipe, fork or wait failed.
 *
 * Uses fork + execve and no global state, so a single-threaded forked child (the container's
 * init before its exec) may call it. The caller must not reap our child behind our back
 * (waitpid(-1) in a SIGCHLD handler; SIGCHLD set to SIG_IGN) while this runs. SIGPIPE from a
 * hook that does not read its stdin is blocked and consumed, never delivered to us.
 */
int engine_hooks_run(const struct engine_hooks *h, enum engine_hook_kind kind,
                     const char *state_json, struct rctr_error *err);

/*
 * Run every hook of kind and log a warning for each failure instead of stopping: for poststart
 * and poststop the spec (runtime.md, "Lifecycle") says a failure only gets a warning and the
 * remaining hooks and the lifecycle go on.
 */
void engine_hooks_run_warn(const struct engine_hooks *h, enum engine_hook_kind kind,
                           const char *state_json);

void engine_hooks_free(struct engine_hooks *h);

static inline void engine_hooks_freep(struct engine_hooks **h)
{
        engine_hooks_free(*h);
}

/* "prestart", "createRuntime", ...: the config.json key, for messages. */
const char *engine_hook_kind_name(enum engine_hook_kind kind);
