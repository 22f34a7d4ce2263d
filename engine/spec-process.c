#include <config.h>
#include "spec-process.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "lib/error.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

static const struct {
        const char *name;
        int resource;
} rlimit_names[] = {
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
};

static const char *const cap_set_names[ENGINE_CAP_SET_COUNT] = {
        [ENGINE_CAP_BOUNDING] = "bounding",       [ENGINE_CAP_EFFECTIVE] = "effective",
        [ENGINE_CAP_INHERITABLE] = "inheritable", [ENGINE_CAP_PERMITTED] = "permitted",
        [ENGINE_CAP_AMBIENT] = "ambient",
};

void engine_spec_process_clear(struct engine_process *p)
{
        strv_free(p->args);
        strv_free(p->env);
        free(p->cwd);
        free(p->additional_gids);
        free(p->rlimits);
        free(p->apparmor_profile);
        free(p->selinux_label);
        memset(p, 0, sizeof(*p));
}

/* "CAP_SYS_ADMIN" → its number, through libcap (which knows this kernel's names). */
int engine_spec_cap_number(const char *name, int *ret)
{
        cleanup_free char *lower = NULL;
        cap_value_t v;

        if (strncmp(name, "CAP_", 4) != 0 || strlen(name) > 64)
                return -EINVAL;
        lower = xstrdup(name);
        for (char *c = lower; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        if (cap_from_name(lower, &v) < 0 || v < 0 || v > 63)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_caps(json_t *process, struct engine_process *p, struct rctr_error *err)
{
        json_t *caps = NULL;
        int r = jsonutil_get_object(process, "capabilities", false, &caps, err);

        if (r < 0 || !caps)
                return r;
        for (int set = 0; set < ENGINE_CAP_SET_COUNT; set++) {
                cleanup_strv char **names = NULL;

                r = jsonutil_get_strv(caps, cap_set_names[set], false, &names, err);
                if (r < 0)
                        return rctr_error_prefix(err, "capabilities");
                for (char **n = names; n && *n; n++) {
                        int cap;

                        if (engine_spec_cap_number(*n, &cap) < 0)
                                return rctr_error_set(err, EBADMSG,
                                                      "capabilities.%s: unknown capability %s",
                                                      cap_set_names[set], *n);
                        p->caps[set] |= UINT64_C(1) << cap;
                }
        }
        return 0;
}

static int parse_rlimit(json_t *item, size_t i, struct engine_rlimit *rl, struct rctr_error *err)
{
        const char *type = NULL;
        json_t *v;
        size_t k;

        if (jsonutil_get_string(item, "type", true, &type, err) < 0)
                return rctr_error_prefix(err, "rlimits[%zu]", i);
        for (k = 0; k < ARRAY_SIZE(rlimit_names); k++)
                if (streq(type, rlimit_names[k].name))
                        break;
        if (k == ARRAY_SIZE(rlimit_names))
                return rctr_error_set(err, EBADMSG, "rlimits[%zu]: unknown type %s", i, type);
        rl->resource = rlimit_names[k].resource;
        /* uint64 values above JSON's signed range arrive as reals: take the ones we can */
        for (int w = 0; w < 2; w++) {
                v = json_object_get(item, w ? "hard" : "soft");
                if (!json_is_integer(v) || json_integer_value(v) < 0)
                        return rctr_error_set(err, EBADMSG,
                                              "rlimits[%zu].%s: expected a non-negative integer", i,
                                              w ? "hard" : "soft");
                *(w ? &rl->hard : &rl->soft) = (uint64_t)json_integer_value(v);
        }
        if (rl->soft > rl->hard)
                return rctr_error_set(err, EBADMSG, "rlimits[%zu]: soft %llu above hard %llu", i,
                                      (unsigned long long)rl->soft, (unsigned long long)rl->hard);
        return 0;
}

static int parse_rlimits(json_t *process, struct engine_process *p, struct rctr_error *err)
{
        json_t *arr = NULL, *item;
        size_t i;
        int r = jsonutil_get_array(process, "rlimits", false, &arr, err);

        if (r < 0 || !arr)
                return r;
        p->rlimits = xreallocarray(NULL, json_array_size(arr), sizeof(*p->rlimits));
        json_array_foreach(arr, i, item) {
                r = parse_rlimit(item, i, &p->rlimits[i], err);
                if (r < 0)
                        return r;
                p->n_rlimits = i + 1;
        }
        return 0;
}

static int parse_user(json_t *process, struct engine_process *p, struct rctr_error *err)
{
        json_t *user = NULL, *gids = NULL, *g;
        json_int_t v = 0;
        size_t i;
        int r = jsonutil_get_object(process, "user", false, &user, err);

        if (r < 0 || !user)
                return r;
        if (jsonutil_get_int(user, "uid", false, 0, UINT32_MAX - 1, &v, err) < 0)
                return rctr_error_prefix(err, "user");
        p->uid = (uint32_t)v;
        v = 0;
        if (jsonutil_get_int(user, "gid", false, 0, UINT32_MAX - 1, &v, err) < 0)
                return rctr_error_prefix(err, "user");
        p->gid = (uint32_t)v;
        if (json_object_get(user, "umask")) {
                if (jsonutil_get_int(user, "umask", true, 0, 0777, &v, err) < 0)
                        return rctr_error_prefix(err, "user");
                p->has_umask = true;
                p->umask = (mode_t)v;
        }
        if (jsonutil_get_array(user, "additionalGids", false, &gids, err) < 0)
                return rctr_error_prefix(err, "user");
        p->additional_gids = xreallocarray(NULL, json_array_size(gids) + 1, sizeof(gid_t));
        json_array_foreach(gids, i, g) {
                if (!json_is_integer(g) || json_integer_value(g) < 0 ||
                    json_integer_value(g) >= UINT32_MAX)
                        return rctr_error_set(err, EBADMSG,
                                              "user.additionalGids[%zu]: expected a gid", i);
                p->additional_gids[p->n_additional_gids++] = (gid_t)json_integer_value(g);
        }
        return 0;
}

static int parse_console(json_t *process, struct engine_process *p, struct rctr_error *err)
{
        json_t *size = NULL;
        json_int_t h = 0, w = 0;

        if (jsonutil_get_object(process, "consoleSize", false, &size, err) < 0)
                return -EBADMSG;
        if (!size)
                return 0;
        if (jsonutil_get_int(size, "height", true, 0, UINT16_MAX, &h, err) < 0 ||
            jsonutil_get_int(size, "width", true, 0, UINT16_MAX, &w, err) < 0)
                return rctr_error_prefix(err, "consoleSize");
        p->console_height = (uint32_t)h;
        p->console_width = (uint32_t)w;
        return 0;
}

static int parse_strings(json_t *process, struct engine_process *p, struct rctr_error *err)
{
        const char *cwd = NULL, *aa = NULL, *se = NULL;
        int r;

        r = jsonutil_get_strv(process, "args", true, &p->args, err);
        if (r < 0)
                return r;
        if (!p->args[0] || !p->args[0][0])
                return rctr_error_set(err, EBADMSG, "args: empty (nothing to run)");
        r = jsonutil_get_strv(process, "env", false, &p->env, err);
        if (r >= 0 && !p->env)
                p->env = xzalloc(sizeof(char *));
        if (r >= 0)
                r = jsonutil_get_string(process, "cwd", true, &cwd, err);
        if (r < 0)
                return r;
        if (cwd[0] != '/')
                return rctr_error_set(err, EBADMSG, "cwd: %s is not an absolute path", cwd);
        p->cwd = xstrdup(cwd);
        r = jsonutil_get_string(process, "apparmorProfile", false, &aa, err);
        if (r >= 0)
                r = jsonutil_get_string(process, "selinuxLabel", false, &se, err);
        if (r < 0)
                return r;
        p->apparmor_profile = aa && aa[0] ? xstrdup(aa) : NULL;
        p->selinux_label = se && se[0] ? xstrdup(se) : NULL;
        return 0;
}

int engine_spec_process_parse(json_t *obj, struct engine_process *p, struct rctr_error *err)
{
        json_int_t oom = 0;
        int r;

        r = parse_strings(obj, p, err);
        if (r >= 0)
                r = jsonutil_get_bool(obj, "terminal", &p->terminal, err);
        if (r >= 0)
                r = parse_console(obj, p, err);
        if (r >= 0)
                r = parse_user(obj, p, err);
        if (r >= 0)
                r = parse_caps(obj, p, err);
        if (r >= 0)
                r = parse_rlimits(obj, p, err);
        if (r >= 0)
                r = jsonutil_get_bool(obj, "noNewPrivileges", &p->no_new_privileges, err);
        if (r >= 0 && json_object_get(obj, "oomScoreAdj")) {
                r = jsonutil_get_int(obj, "oomScoreAdj", true, -1000, 1000, &oom, err);
                p->has_oom_score_adj = r >= 0;
                p->oom_score_adj = (int)oom;
        }
        return r;
}
