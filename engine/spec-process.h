/* The "process" object of config.json; used by engine/spec.c and, later, by exec --process. */
#pragma once

#include "spec.h"

/* Fill p from the process object obj. Returns 0 or -EBADMSG with err naming the field. */
int engine_spec_process_parse(json_t *obj, struct engine_process *p, struct rctr_error *err);

/* Free what p owns and zero it. */
void engine_spec_process_clear(struct engine_process *p);

/* "CAP_SYS_ADMIN" → its number (libcap knows this kernel's names). Returns 0 or -EINVAL. */
int engine_spec_cap_number(const char *name, int *ret);
