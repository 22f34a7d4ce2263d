/*
 * Where the runtime runs a container's hooks, and with what state on their stdin: prestart and
 * createRuntime in the runtime and createContainer in the container before pivot_root,
 * startContainer in the container before exec (engine/run.c); poststart after the command
 * started and poststop after the container is gone, both loaded from the bundle when the spec is
 * not at hand (start, delete).
 */
#pragma once

#include "hooks.h"
#include "state.h"

/* The runtime-spec state of st as told to a hook, with status. Owned by the caller (free). */
char *engine_hook_state_text(const struct engine_state *st, enum engine_status status);

/*
 * Run the hooks of kind from st's bundle (config.json re-read), only warning on failure:
 * poststart and poststop (the spec asks for a warning). A bundle gone by now has no hooks to run.
 */
void engine_hook_run_from_bundle(const struct engine_state *st, enum engine_hook_kind kind,
                                 enum engine_status status);
