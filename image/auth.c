#include <config.h>
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/base64.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

void image_auth_creds_clear(struct image_auth_creds *c)
{
        if (c->password)
                explicit_bzero(c->password, strlen(c->password));
        free(c->username);
        free(c->password);
        free(c->path);
        free(c->key);
        *c = (struct image_auth_creds){0};
}

static const char *env_nonempty(const char *name)
{
        const char *v = getenv(name);

        return v && *v ? v : NULL;
}

static char *home_dir(void)
{
        const char *home = env_nonempty("HOME");
        struct passwd *pw;

        if (home)
                return xstrdup(home);
        pw = getpwuid(getuid());
        return xstrdup(pw && pw->pw_dir ? pw->pw_dir : "/");
}

char *image_auth_default_path(const char *authfile)
{
        const char *runtime_dir = env_nonempty("XDG_RUNTIME_DIR");

        if (authfile)
                return xstrdup(authfile);
        if (env_nonempty("REGISTRY_AUTH_FILE"))
                return xstrdup(env_nonempty("REGISTRY_AUTH_FILE"));
        if (runtime_dir)
                return xasprintf("%s/containers/auth.json", runtime_dir);
        return xasprintf("/run/containers/%u/auth.json", (unsigned)getuid());
}

char **image_auth_paths(const char *authfile)
{
        char **v = xzalloc(4 * sizeof(char *));
        cleanup_free char *home = NULL;
        const char *config_home = env_nonempty("XDG_CONFIG_HOME");
        const char *docker_config = env_nonempty("DOCKER_CONFIG");
        size_t n = 0;

        /* An explicit file is the only one, as with podman's --authfile. */
        v[n++] = image_auth_default_path(authfile);
        if (authfile || env_nonempty("REGISTRY_AUTH_FILE"))
                return v;
        home = home_dir();
        v[n++] = config_home ? xasprintf("%s/containers/auth.json", config_home)
                             : xasprintf("%s/.config/containers/auth.json", home);
        v[n++] = docker_config ? xasprintf("%s/config.json", docker_config)
                               : xasprintf("%s/.docker/config.json", home);
        return v;
}

/*
 * docker.io's registry goes by several names in credentials files; docker itself writes
 * "https://index.docker.io/v1/". One name for all, as containers/image compares them.
 */
static const char *normalize_registry(const char *host)
{
        if (streq(host, "docker.io") || streq(host, "registry-1.docker.io"))
                return "index.docker.io";
        return host;
}

/*
 * The host a key names: "https://host/v1/" and "http://host" (written by old `docker login`s)
 * become "host"; keys with a path but no scheme are repository keys, kept whole. Owned.
 */
static char *normalize_key(const char *key)
{
        const char *s = key;
        size_t n;

        if (strncmp(s, "https://", 8) == 0)
                s += 8;
        else if (strncmp(s, "http://", 7) == 0)
                s += 7;
        n = s != key ? strcspn(s, "/") : strlen(s);
        {
                cleanup_free char *host = xstrndup(s, n);

                return xstrdup(normalize_registry(host));
        }
}

/* 1: creds from entry; 0: the entry has none we can use; <0: malformed. */
static int decode_entry(json_t *root, json_t *entry, const char *key, struct image_auth_creds *ret,
                        struct rctr_error *err)
{
        cleanup_free char *text = NULL;
        json_t *auth = json_is_object(entry) ? json_object_get(entry, "auth") : NULL;
        json_t *store = json_object_get(root, "credsStore");
        const char *b64, *colon;
        size_t len, n;

        if (!json_is_object(entry))
                return rctr_error_set(err, EBADMSG, "auths.\"%s\": expected an object", key);
        if (auth && !json_is_string(auth))
                return rctr_error_set(err, EBADMSG, "auths.\"%s\".auth: expected a string", key);
        b64 = auth ? json_string_value(auth) : "";
        if (!*b64) {
                if (json_is_string(store))
                        log_warn("credentials of %s are in the credential store \"%s\", which "
                                 "rctr does not support, ignoring",
                                 key, json_string_value(store));
                else if (json_object_get(entry, "identitytoken"))
                        log_warn("credentials of %s are an identity token, which rctr does not "
                                 "support, ignoring",
                                 key);
                return 0;
        }
        if (base64_decode(b64, strlen(b64), &text, &len) < 0)
                return rctr_error_set(err, EBADMSG, "auths.\"%s\".auth: invalid base64", key);
        colon = memchr(text, ':', len);
        if (!colon)
                return 0; /* docker skips such an entry too */
        /* Some writers pad the password with NULs; they are never part of it. */
        n = len;
        while (n > 0 && text[n - 1] == '\0')
                n--;
        ret->username = xstrndup(text, (size_t)(colon - text));
        ret->password = xstrndup(colon + 1, n - (size_t)(colon + 1 - text));
        ret->key = xstrdup(key);
        explicit_bzero(text, len);
        return 1;
}

static void warn_cred_helper(json_t *root, const char *host)
{
        json_t *helpers = json_object_get(root, "credHelpers");
        json_t *h = json_is_object(helpers) ? json_object_get(helpers, host) : NULL;

        if (json_is_string(h))
                log_warn("credentials of %s are in credential helper \"%s\", which rctr does not "
                         "support, ignoring",
                         host, json_string_value(h));
}

static int find_in_auths(json_t *root, json_t *auths, const char *name,
                         struct image_auth_creds *ret, struct rctr_error *err)
{
        cleanup_free char *candidate = xstrdup(name);
        const char *key, *want;
        json_t *entry;
        char *slash;

        /* Exact keys first, most specific to least: repo, its namespaces, the host. */
        for (;;) {
                entry = json_object_get(auths, candidate);
                if (entry)
                        return decode_entry(root, entry, candidate, ret, err);
                slash = strrchr(candidate, '/');
                if (!slash)
                        break;
                *slash = '\0';
        }
        /* candidate is now the host: match keys that name it another way. */
        want = normalize_registry(candidate);
        json_object_foreach(auths, key, entry) {
                cleanup_free char *norm = normalize_key(key);

                if (streq(norm, want))
                        return decode_entry(root, entry, key, ret, err);
        }
        warn_cred_helper(root, candidate);
        return 0;
}

int image_auth_find(const char *buf, size_t len, const char *name, struct image_auth_creds *ret,
                    struct rctr_error *err)
{
        json_auto_t *root = NULL;
        struct image_auth_creds c = {0};
        json_t *auths;
        int r;

        r = jsonutil_parse(buf, len, IMAGE_AUTH_FILE_MAX, &root, err);
        if (r < 0)
                return r;
        if (!json_is_object(root))
                return rctr_error_set(err, EBADMSG, "expected a JSON object");
        auths = json_object_get(root, "auths");
        if (!auths)
                return 0;
        if (!json_is_object(auths))
                return rctr_error_set(err, EBADMSG, "auths: expected an object");
        r = find_in_auths(root, auths, name, &c, err);
        if (r <= 0) {
                image_auth_creds_clear(&c);
                return r;
        }
        *ret = c;
        return 1;
}

/* Read path into out; 0 with out empty and *ret_missing when it does not exist. */
static int read_auth_file(const char *path, struct buf *out, bool *ret_missing,
                          struct rctr_error *err)
{
        /* Credentials files are the user's own config: a symlink to dotfiles is fine. */
        cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        *ret_missing = fd < 0 && (errno == ENOENT || errno == ENOTDIR);
        if (*ret_missing)
                return 0;
        if (fd < 0)
                return rctr_error_sys(err, errno, "open %s", path);
        return fs_read_fd(fd, out, path, err);
}

int image_auth_lookup(const char *authfile, const char *name, struct image_auth_creds *ret,
                      struct rctr_error *err)
{
        cleanup_strv char **paths = image_auth_paths(authfile);

        for (char **p = paths; *p; p++) {
                cleanup_buf struct buf b = {0};
                bool missing;
                int r;

                buf_init(&b, IMAGE_AUTH_FILE_MAX);
                r = read_auth_file(*p, &b, &missing, err);
                if (r < 0)
                        return rctr_error_prefix(err, "read credentials");
                if (missing)
                        continue;
                r = image_auth_find(b.data, b.len, name, ret, err);
                explicit_bzero(b.data, b.len);
                if (r < 0)
                        return rctr_error_prefix(err, "read credentials from %s", *p);
                if (r > 0) {
                        ret->path = xstrdup(*p);
                        log_debug("credentials for %s: %s in %s", name, ret->key, *p);
                        return 1;
                }
        }
        return 0;
}

/* The file's JSON for editing: {} when missing; its "auths" object created if absent. */
static int load_for_edit(const char *path, json_t **ret, json_t **ret_auths, struct rctr_error *err)
{
        cleanup_buf struct buf b = {0};
        json_auto_t *root = NULL;
        json_t *auths;
        bool missing;
        int r;

        buf_init(&b, IMAGE_AUTH_FILE_MAX);
        r = read_auth_file(path, &b, &missing, err);
        if (r < 0)
                return r;
        if (missing) {
                root = json_object();
        } else {
                r = jsonutil_parse(b.data, b.len, IMAGE_AUTH_FILE_MAX, &root, err);
                explicit_bzero(b.data, b.len);
                if (r < 0)
                        return rctr_error_prefix(err, "%s", path);
                if (!json_is_object(root))
                        return rctr_error_set(err, EBADMSG, "%s: expected a JSON object", path);
        }
        auths = json_object_get(root, "auths");
        if (!auths) {
                auths = json_object();
                json_object_set_new(root, "auths", auths);
        } else if (!json_is_object(auths)) {
                return rctr_error_set(err, EBADMSG, "%s: auths: expected an object", path);
        }
        *ret_auths = auths;
        *ret = TAKE_PTR(root);
        return 0;
}

/* mkdir -p of path's parent directories, each new one 0700 (they will hold credentials). */
static int open_parent_dir(const char *path, const char **ret_name, struct rctr_error *err)
{
        cleanup_free char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        int fd;

        if (!slash) {
                *ret_name = path;
                fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                return fd < 0 ? rctr_error_sys(err, errno, "open the current directory") : fd;
        }
        *ret_name = path + (slash - dir) + 1;
        if (slash == dir)
                slash[1] = '\0';
        else
                *slash = '\0';
        for (char *p = dir + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                        return rctr_error_sys(err, errno, "create directory %s", dir);
                *p = '/';
        }
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return rctr_error_sys(err, errno, "create directory %s", dir);
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open directory %s", dir);
        return fd;
}

static int write_auth_file(const char *path, json_t *root, struct rctr_error *err)
{
        cleanup_free char *text = json_dumps(root, JSON_INDENT(2));
        cleanup_close int dirfd = -1;
        const char *name;
        size_t len;
        int r;

        if (!text)
                xalloc_die();
        len = strlen(text);
        text = xrealloc(text, len + 2);
        text[len++] = '\n';
        text[len] = '\0';
        dirfd = open_parent_dir(path, &name, err);
        if (dirfd < 0)
                return dirfd;
        r = fs_write_atomic_at(dirfd, name, text, len, 0600, err);
        explicit_bzero(text, len);
        return r;
}

int image_auth_store(const char *path, const char *key, const char *username, const char *password,
                     struct rctr_error *err)
{
        json_auto_t *root = NULL;
        cleanup_free char *plain = NULL, *b64 = NULL;
        json_t *auths, *entry;
        int r;

        if (!key || !*key)
                return rctr_error_set(err, EINVAL, "store credentials: empty registry name");
        if (strchr(username, ':'))
                return rctr_error_set(err, EINVAL,
                                      "store credentials for %s: the username must not contain "
                                      "':'",
                                      key);
        r = load_for_edit(path, &root, &auths, err);
        if (r < 0)
                return rctr_error_prefix(err, "store credentials for %s", key);
        plain = xasprintf("%s:%s", username, password);
        b64 = base64_encode(plain, strlen(plain));
        explicit_bzero(plain, strlen(plain));
        /* Keep what else the entry holds (docker's "email"); new credentials replace a token. */
        entry = json_object_get(auths, key);
        if (!json_is_object(entry)) {
                entry = json_object();
                json_object_set_new(auths, key, entry);
        }
        json_object_del(entry, "identitytoken");
        json_object_set_new(entry, "auth", json_string(b64));
        explicit_bzero(b64, strlen(b64));
        r = write_auth_file(path, root, err);
        if (r < 0)
                return rctr_error_prefix(err, "store credentials for %s", key);
        return 0;
}

int image_auth_remove(const char *path, const char *key, struct rctr_error *err)
{
        json_auto_t *root = NULL;
        json_t *auths, *entry;
        const char *k;
        void *tmp;
        size_t removed = 0;
        int r;

        r = load_for_edit(path, &root, &auths, err);
        if (r < 0)
                return key ? rctr_error_prefix(err, "remove credentials for %s", key)
                           : rctr_error_prefix(err, "remove credentials");
        json_object_foreach_safe(auths, tmp, k, entry)
        {
                bool match = !key || streq(k, key);

                if (!match && !strchr(key, '/')) {
                        cleanup_free char *norm = normalize_key(k);

                        match = streq(norm, normalize_registry(key));
                }
                if (match) {
                        json_object_del(auths, k);
                        removed++;
                }
        }
        if (key && removed == 0)
                return rctr_error_set(err, ENOENT, "not logged in to %s", key);
        if (removed == 0)
                return 0;
        r = write_auth_file(path, root, err);
        if (r < 0)
                return key ? rctr_error_prefix(err, "remove credentials for %s", key)
                           : rctr_error_prefix(err, "remove credentials");
        return 0;
}
