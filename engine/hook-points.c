#include <config.h>
#include "hook-points.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "spec.h"

char *engine_hook_state_text(const struct engine_state *st, enum engine_status status)
{
        json_auto_t *j = engine_state_json_as(st, status);
        char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

        if (!text)
                xalloc_die();
        return text;
}

void engine_hook_run_from_bundle(const struct engine_state *st, enum engine_hook_kind kind,
                                 enum engine_status status)
{
        CLEANUP(engine_spec_freep) struct engine_spec *spec = NULL;
        CLEANUP(engine_hooks_freep) struct engine_hooks *hooks = NULL;
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *text = NULL;
        cleanup_close int bundlefd = open(st->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (bundlefd < 0)
                return;
        if (engine_spec_load(bundlefd, &spec, &err) < 0 ||
            engine_hooks_parse(json_object_get(spec->json, "hooks"), &hooks, &err) < 0) {
                log_debug("no %s hooks of %s: %s", engine_hook_kind_name(kind), st->id, err.msg);
                return;
        }
        if (!engine_hooks_any(hooks, kind))
                return;
        text = engine_hook_state_text(st, status);
        engine_hooks_run_warn(hooks, kind, text);
}
