#include <config.h>
#include "layer-path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

#define SHOWN_NAME_MAX 300

/* Keep control characters off the user's terminal: names are attacker-chosen. */
char *storage_layer_path_escape(const char *s)
{
        struct buf b;
        size_t i;

        buf_init(&b, 0);
        for (i = 0; s[i] && i < SHOWN_NAME_MAX; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c < 0x20 || c == 0x7f)
                        (void)buf_appendf(&b, "\\x%02x", c);
                else
                        (void)buf_append(&b, &s[i], 1);
        }
        if (s[i])
                (void)buf_append(&b, "...", 3);
        return buf_detach(&b);
}

int storage_layer_path_clean(const char *name, char **ret_path, struct rctr_error *err)
{
        cleanup_buf struct buf out = {0};
        size_t depth = 0;
        const char *p;

        buf_init(&out, 0);
        if (!name[0])
                return rctr_error_set(err, EBADMSG, "empty name");
        if (strnlen(name, PATH_MAX) >= PATH_MAX)
                return rctr_error_set(err, EFBIG, "name longer than %d bytes", PATH_MAX - 1);
        /*
         * GNU tar strips a leading "/" with a warning; a layer has no business naming host
         * paths, and no tool we know writes them into layers, so it is refused.
         */
        if (name[0] == '/')
                return rctr_error_set(err, EBADMSG, "absolute path");
        for (p = name; *p;) {
                size_t len = strcspn(p, "/");

                if (len == 2 && p[0] == '.' && p[1] == '.')
                        return rctr_error_set(err, EBADMSG, "path leaves the layer");
                if (len > NAME_MAX)
                        return rctr_error_set(err, EFBIG, "path component longer than %d bytes",
                                              NAME_MAX);
                if (len > 0 && !(len == 1 && p[0] == '.')) {
                        if (++depth > STORAGE_LAYER_PATH_MAX_DEPTH)
                                return rctr_error_set(err, EFBIG, "nested deeper than %d",
                                                      STORAGE_LAYER_PATH_MAX_DEPTH);
                        if (out.len)
                                (void)buf_append(&out, "/", 1);
                        (void)buf_append(&out, p, len);
                }
                p += len + (p[len] == '/');
        }
        *ret_path = buf_detach(&out);
        return 0;
}

char *storage_layer_path_split(const char *path, const char **ret_name)
{
        const char *slash = strrchr(path, '/');

        *ret_name = slash ? slash + 1 : path;
        return slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
}

/* Why opening the directory component name in fd failed, named as shown (a path prefix). */
static int walk_error(int fd, const char *name, const char *shown, int error,
                      struct rctr_error *err)
{
        cleanup_free char *esc = storage_layer_path_escape(shown);
        struct stat st;

        if ((error == ENOTDIR || error == ELOOP) &&
            fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (S_ISLNK(st.st_mode))
                        return rctr_error_set(err, EBADMSG,
                                              "%s is a symbolic link, which is never followed",
                                              esc);
                return rctr_error_set(err, ENOTDIR, "%s is not a directory", esc);
        }
        return rctr_error_sys(err, error, "open directory %s", esc);
}

/* Make the missing directory name in fd and open it; errno is set on failure. */
static int create_dir(int fd, const char *name)
{
        int dfd;

        if (mkdirat(fd, name, 0755) < 0 && errno != EEXIST)
                return -1;
        dfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        /* 0755 whatever the umask: the layer's content must not depend on it */
        if (dfd >= 0 && fchmod(dfd, 0755) < 0) {
                close_nointr(dfd);
                return -1;
        }
        return dfd;
}

int storage_layer_path_open_dir(int startfd, const char *path, size_t skip, bool create,
                                struct rctr_error *err)
{
        cleanup_free char *copy = xstrdup(path);
        cleanup_close int cur = openat(startfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        char *p = copy + skip;

        if (cur < 0)
                return rctr_error_sys(err, errno, "open the layer directory");
        while (*p) {
                char *slash = strchr(p, '/');
                int next;

                if (slash)
                        *slash = '\0';
                next = openat(cur, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0 && errno == ENOENT && create)
                        next = create_dir(cur, p);
                if (next < 0)
                        return walk_error(cur, p, copy, errno, err);
                close_nointr(cur);
                cur = next;
                if (!slash)
                        break;
                *slash = '/';
                p = slash + 1;
        }
        return TAKE_FD(cur);
}
