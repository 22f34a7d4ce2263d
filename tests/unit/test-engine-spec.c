#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <linux/capability.h>

#include "engine/spec-default.h"
#include "engine/spec.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "tap.h"

static struct engine_spec *parse_json(json_t *doc, struct rctr_error *err)
{
        cleanup_free char *text = json_dumps(doc, JSON_COMPACT);
        struct engine_spec *spec = NULL;

        if (engine_spec_parse(text, strlen(text), &spec, err) < 0)
                return NULL;
        return spec;
}

/* Parse the default spec with one change made by edit (a JSON merge applied at path). */
static const char *error_of(const char *json_patch)
{
        static char msg[512];
        json_t *doc = engine_spec_default(false, 0, 0), *patch;
        struct rctr_error err = {0};
        struct engine_spec *spec;

        patch = json_loads(json_patch, JSON_ALLOW_NUL, NULL);
        json_object_update_recursive(doc, patch);
        spec = parse_json(doc, &err);
        snprintf(msg, sizeof(msg), "%s", spec ? "(parsed)" : err.msg);
        engine_spec_free(spec);
        rctr_error_clear(&err);
        json_decref(patch);
        json_decref(doc);
        return msg;
}

static void test_default(void)
{
        json_t *doc = engine_spec_default(false, 0, 0);
        struct rctr_error err = {0};
        struct engine_spec *spec = parse_json(doc, &err);

        ok(spec != NULL, "the default spec parses: %s", err.msg ? err.msg : "ok");
        if (!spec)
                return;
        is_str(spec->process.args[0], "sh", "args");
        ok(spec->process.terminal && spec->process.no_new_privileges, "terminal, noNewPrivileges");
        ok(spec->process.caps[ENGINE_CAP_BOUNDING] ==
                   ((1ULL << CAP_AUDIT_WRITE) | (1ULL << CAP_KILL) |
                    (1ULL << CAP_NET_BIND_SERVICE)),
           "bounding capabilities by number");
        ok(spec->process.n_rlimits == 1 && spec->process.rlimits[0].resource == RLIMIT_NOFILE &&
                   spec->process.rlimits[0].soft == 1024,
           "rlimits");
        is_str(spec->root_path, "rootfs", "root.path");
        ok(spec->root_readonly, "root.readonly");
        ok(spec->n_mounts == 7, "mounts");
        is_str(spec->mounts[2].destination, "/dev/pts", "mount destination");
        is_str(spec->mounts[2].options[5], "gid=5", "mount options");
        ok(spec->namespaces[ENGINE_NS_PID].wanted && spec->namespaces[ENGINE_NS_NETWORK].wanted &&
                   !spec->namespaces[ENGINE_NS_USER].wanted,
           "namespaces");
        ok(spec->masked_paths && spec->readonly_paths, "masked and read-only paths");
        engine_spec_free(spec);
        json_decref(doc);
}

static void test_rootless(void)
{
        json_t *doc = engine_spec_default(true, 1000, 1001);
        struct rctr_error err = {0};
        struct engine_spec *spec = parse_json(doc, &err);

        ok(spec && spec->namespaces[ENGINE_NS_USER].wanted &&
                   !spec->namespaces[ENGINE_NS_NETWORK].wanted,
           "rootless: a user namespace, no network namespace");
        ok(spec && spec->n_uid_mappings == 1 && spec->uid_mappings[0].host_id == 1000 &&
                   spec->gid_mappings[0].host_id == 1001 && spec->uid_mappings[0].size == 1,
           "rootless: the caller is mapped to 0");
        engine_spec_free(spec);
        json_decref(doc);
}

static void test_errors(void)
{
        is_str(error_of("{\"process\": {\"args\": []}}"), "process: args: empty (nothing to run)",
               "empty args");
        is_str(error_of("{\"process\": {\"args\": [\"sh\", 3]}}"),
               "process: args[1]: expected a string", "args of the wrong type");
        is_str(error_of("{\"process\": {\"cwd\": \"tmp\"}}"),
               "process: cwd: tmp is not an absolute path", "relative cwd");
        is_str(error_of("{\"process\": {\"capabilities\": {\"bounding\": [\"CAP_FLY\"]}}}"),
               "process: capabilities.bounding: unknown capability CAP_FLY", "unknown capability");
        is_str(error_of("{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_X\", \"soft\": 1, "
                        "\"hard\": 1}]}}"),
               "process: rlimits[0]: unknown type RLIMIT_X", "unknown rlimit");
        is_str(error_of("{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 9, "
                        "\"hard\": 1}]}}"),
               "process: rlimits[0]: soft 9 above hard 1", "soft above hard");
        is_str(error_of("{\"process\": {\"user\": {\"uid\": -1}}}"),
               "process: user: uid: -1 is out of range 0..4294967294", "negative uid");
        is_str(error_of("{\"process\": {\"oomScoreAdj\": 5000}}"),
               "process: oomScoreAdj: 5000 is out of range -1000..1000", "oomScoreAdj range");
        is_str(error_of("{\"root\": {\"path\": 7}}"), "root: path: expected a string",
               "root.path type");
        is_str(error_of(
                       "{\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"pid\"}]}}"),
               "linux: namespaces[1]: pid given twice", "duplicate namespace");
        is_str(error_of("{\"linux\": {\"namespaces\": [{\"type\": \"pidd\"}]}}"),
               "linux: namespaces[0]: unknown type pidd", "unknown namespace");
        is_str(error_of("{\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": "
                        "4294967000, \"size\": 1000}]}}"),
               "linux: uidMappings[0]: range past 2^32", "mapping overflow");
        is_str(error_of("{\"linux\": {\"rootfsPropagation\": \"sideways\"}}"),
               "linux.rootfsPropagation: unknown value sideways", "bad propagation");
        is_str(error_of("{\"mounts\": [{\"type\": \"tmpfs\"}]}"), "mounts[0]: destination: missing",
               "mount without destination");
        ok(strstr(error_of("{\"process\": {\"cwd\": \"/a\\u0000b\"}}"), "invalid JSON") != NULL,
           "a NUL inside a string is refused");
        is_str(error_of("{\"mounts\": [{\"destination\": \"relative\"}]}"), "(parsed)",
               "a relative mount destination is accepted (runtime-spec 1.1)");
}

static void test_text_errors(void)
{
        struct rctr_error err = {0};
        struct engine_spec *spec = NULL;
        char *big;
        int r;

        r = engine_spec_parse("{\"ociVersion\": ", 15, &spec, &err);
        ok(r == -EBADMSG && strstr(err.msg, "invalid JSON at line 1"), "truncated JSON: %s",
           err.msg ? err.msg : "(none)");
        rctr_error_clear(&err);
        ok(engine_spec_parse("{\"a\":1,\"a\":2}", 13, &spec, &err) == -EBADMSG,
           "duplicate keys are refused");
        rctr_error_clear(&err);
        ok(engine_spec_parse("[]", 2, &spec, &err) == -EBADMSG, "not an object");
        rctr_error_clear(&err);
        r = engine_spec_parse("{}", 2, &spec, &err);
        ok(r == -EBADMSG && strcmp(err.msg, "ociVersion: missing") == 0, "empty object: %s",
           err.msg ? err.msg : "(none)");
        rctr_error_clear(&err);
        big = xmalloc(ENGINE_SPEC_MAX + 1);
        memset(big, ' ', ENGINE_SPEC_MAX + 1);
        ok(engine_spec_parse(big, ENGINE_SPEC_MAX + 1, &spec, &err) == -EFBIG,
           "over the size cap: -EFBIG before parsing");
        rctr_error_clear(&err);
        free(big);
}

int main(void)
{
        json_set_alloc_funcs(xmalloc, free);
        test_default();
        test_rootless();
        test_errors();
        test_text_errors();
        return tap_done();
}
