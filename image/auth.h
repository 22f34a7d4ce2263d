/*
 * Registry credentials where podman and docker keep them: auth.json / config.json files of the
 * form {"auths": {"host[:port][/path]": {"auth": base64("user:password")}}}
 * (containers-auth.json(5)). Credential helpers (credHelpers, credsStore), identity tokens and
 * the legacy ~/.dockercfg are not supported: such entries are passed over with a warning.
 */
#pragma once

#include <stddef.h>

struct rctr_error;

/* A credentials file larger than this is refused (real ones hold a few entries). */
#define IMAGE_AUTH_FILE_MAX (1024 * 1024)

struct image_auth_creds {
        char *username; /* owned */
        char *password; /* owned */
        char *path;     /* owned: the file they came from */
        char *key; /* owned: the entry that matched ("quay.io", "https://index.docker.io/v1/") */
};

void image_auth_creds_clear(struct image_auth_creds *c);

static inline void image_auth_creds_clearp(struct image_auth_creds *c)
{
        image_auth_creds_clear(c);
}
#define cleanup_auth_creds __attribute__((cleanup(image_auth_creds_clearp)))

/*
 * The file `rctr login` writes and `rctr logout` edits, as podman chooses it: authfile if not
 * NULL, else $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json, else
 * /run/containers/<uid>/auth.json. Owned.
 */
char *image_auth_default_path(const char *authfile);

/*
 * The files searched for credentials, in order (owned, NULL-terminated): only authfile (or
 * $REGISTRY_AUTH_FILE) when given; otherwise $XDG_RUNTIME_DIR/containers/auth.json (when
 * XDG_RUNTIME_DIR is set; else /run/containers/<uid>/auth.json),
 * ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json, and $DOCKER_CONFIG/config.json or
 * ~/.docker/config.json.
 */
char **image_auth_paths(const char *authfile);

/*
 * Look name up in one file's text (buf, len bytes). name is "host[:port]" or a repository
 * "host[:port]/path/repo": the keys tried are the repository, each parent path, then the host
 * (podman's per-namespace credentials); then, for the host, keys written as URLs
 * ("https://host/v1/") and, for docker.io, index.docker.io and registry-1.docker.io.
 * Returns 1 with *ret filled (path left NULL), 0 when the file has no usable entry (an entry
 * without "auth", or whose text has no ':'), or -EBADMSG (malformed JSON, invalid base64) /
 * -EFBIG with err set.
 */
int image_auth_find(const char *buf, size_t len, const char *name, struct image_auth_creds *ret,
                    struct rctr_error *err);

/*
 * Look name up in the files of image_auth_paths(authfile), the first file with an entry
 * winning. Missing files are skipped. Returns 1 with *ret filled, 0 when no file has
 * credentials, or -errno with err naming the file (unreadable, malformed, too large).
 */
int image_auth_lookup(const char *authfile, const char *name, struct image_auth_creds *ret,
                      struct rctr_error *err);

/*
 * Set the credentials of key ("host[:port][/path]") in the file at path, keeping its other
 * entries and keys we do not know. The directory is created (0700) if missing; the file is
 * replaced atomically with mode 0600. Returns 0, -EINVAL for a username containing ':' or an
 * empty key, or -errno with err set (a malformed existing file is -EBADMSG and left alone).
 */
int image_auth_store(const char *path, const char *key, const char *username, const char *password,
                     struct rctr_error *err);

/*
 * Remove key's entry from the file at path (for a bare host also the entries naming it as a URL,
 * and docker.io's aliases), or every entry when key is NULL. Returns 0, -ENOENT when there was
 * nothing to remove ("not logged in to KEY"), or -errno with err set.
 */
int image_auth_remove(const char *path, const char *key, struct rctr_error *err);
