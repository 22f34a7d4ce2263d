#include <config.h>
#include "challenge.h"

#include <errno.h>
#include <stdbool.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

struct scanner {
        const char *p, *end;
};

/* tchar of RFC 7230 §3.2.6 */
static bool is_tchar(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void skip_ws(struct scanner *s)
{
        while (s->p < s->end && (*s->p == ' ' || *s->p == '\t'))
                s->p++;
}

/* Skip spaces and the empty list elements "a, , b" that RFC 7230 §7 allows. */
static void skip_ws_commas(struct scanner *s)
{
        while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == ','))
                s->p++;
}

static size_t scan_token(struct scanner *s)
{
        const char *start = s->p;

        while (s->p < s->end && is_tchar(*s->p))
                s->p++;
        return (size_t)(s->p - start);
}

/* A token68 (RFC 7235 §2.1) ends in '='s; a parameter's '=' is followed by its value. */
static bool at_param_equals(const struct scanner *s)
{
        const char *q = s->p;

        while (q < s->end && (*q == ' ' || *q == '\t'))
                q++;
        if (q >= s->end || *q != '=')
                return false;
        q++;
        while (q < s->end && (*q == ' ' || *q == '\t'))
                q++;
        return q < s->end && *q != ',' && *q != '=';
}

/* A quoted-string (the opening quote already consumed) with its backslash escapes resolved. */
static int scan_quoted(struct scanner *s, char **ret, struct rctr_error *err)
{
        cleanup_buf struct buf b = {0};

        buf_init(&b, IMAGE_CHALLENGE_MAX);
        while (s->p < s->end && *s->p != '"') {
                if (*s->p == '\\' && s->p + 1 < s->end)
                        s->p++;
                (void)buf_append(&b, s->p, 1); /* cannot pass the cap: the input is shorter */
                s->p++;
        }
        if (s->p >= s->end)
                return rctr_error_set(err, EBADMSG, "WWW-Authenticate: unterminated quoted string");
        s->p++;
        *ret = buf_detach(&b);
        return 0;
}

static char **param_slot(struct image_challenge *c, const char *name, size_t n)
{
        static const struct {
                const char *name;
                size_t offset;
        } known[] = {
                {"realm", offsetof(struct image_challenge, realm)},
                {"service", offsetof(struct image_challenge, service)},
                {"scope", offsetof(struct image_challenge, scope)},
                {"error", offsetof(struct image_challenge, error)},
        };

        for (size_t i = 0; i < ARRAY_SIZE(known); i++)
                if (strlen(known[i].name) == n && strncasecmp(name, known[i].name, n) == 0)
                        return (char **)((char *)c + known[i].offset);
        return NULL;
}

/* The auth-params after a scheme, up to the next challenge or the end. */
static int scan_params(struct scanner *s, struct image_challenge *c, struct rctr_error *err)
{
        for (;;) {
                const char *save = s->p, *name;
                cleanup_free char *value = NULL;
                char **slot;
                size_t n;
                int r;

                skip_ws_commas(s);
                name = s->p;
                n = scan_token(s);
                if (n == 0 || !at_param_equals(s)) {
                        /* The next challenge's scheme, a token68 or the end. */
                        s->p = save;
                        return 0;
                }
                skip_ws(s);
                s->p++; /* '=' */
                skip_ws(s);
                if (*s->p == '"') {
                        s->p++;
                        r = scan_quoted(s, &value, err);
                        if (r < 0)
                                return r;
                } else {
                        /*
                         * RFC 7235 wants a token here; servers send realm=https://... unquoted
                         * too, so take everything up to the next separator.
                         */
                        const char *v = s->p;
                        size_t vn;

                        while (s->p < s->end && *s->p != ',' && *s->p != ' ' && *s->p != '\t' &&
                               *s->p != '"')
                                s->p++;
                        vn = (size_t)(s->p - v);

                        if (vn == 0)
                                return rctr_error_set(err, EBADMSG,
                                                      "WWW-Authenticate: parameter %.*s: "
                                                      "invalid value",
                                                      (int)n, name);
                        value = xstrndup(v, vn);
                }
                slot = param_slot(c, name, n);
                if (slot && !*slot) /* a repeated parameter: the first one counts */
                        *slot = TAKE_PTR(value);
                skip_ws(s);
                if (s->p < s->end && *s->p != ',')
                        return rctr_error_set(err, EBADMSG,
                                              "WWW-Authenticate: expected ',' after parameter "
                                              "%.*s",
                                              (int)n, name);
        }
}

static enum image_challenge_scheme scheme_of(const char *name, size_t n)
{
        if (n == 5 && strncasecmp(name, "basic", 5) == 0)
                return IMAGE_CHALLENGE_BASIC;
        if (n == 6 && strncasecmp(name, "bearer", 6) == 0)
                return IMAGE_CHALLENGE_BEARER;
        return IMAGE_CHALLENGE_NONE;
}

int image_challenge_parse(const char *buf, size_t len, struct image_challenge *ret,
                          struct rctr_error *err)
{
        struct scanner s = {buf, buf + len};
        struct image_challenge best = {0};

        if (len > IMAGE_CHALLENGE_MAX)
                return rctr_error_set(err, EFBIG, "WWW-Authenticate: longer than %d bytes",
                                      IMAGE_CHALLENGE_MAX);
        for (;;) {
                cleanup_challenge struct image_challenge c = {0};
                const char *name, *save;
                size_t n;
                int r;

                skip_ws_commas(&s);
                if (s.p >= s.end)
                        break;
                name = s.p;
                n = scan_token(&s);
                if (n == 0) {
                        image_challenge_clear(&best);
                        return rctr_error_set(err, EBADMSG,
                                              "WWW-Authenticate: unexpected character '%c'", *s.p);
                }
                c.scheme = scheme_of(name, n);
                /*
                 * A token68 credential right after the scheme (Negotiate's, RFC 7235 §2.1) rather
                 * than parameters: not a challenge we answer, skip it.
                 */
                skip_ws(&s);
                save = s.p;
                if (scan_token(&s) > 0 && !at_param_equals(&s)) {
                        while (s.p < s.end && *s.p == '=')
                                s.p++;
                        skip_ws(&s);
                        if (s.p < s.end && *s.p != ',') {
                                image_challenge_clear(&best);
                                return rctr_error_set(err, EBADMSG,
                                                      "WWW-Authenticate: malformed challenge %.*s",
                                                      (int)n, name);
                        }
                        c.scheme = IMAGE_CHALLENGE_NONE;
                } else {
                        s.p = save;
                }
                r = scan_params(&s, &c, err);
                if (r < 0) {
                        image_challenge_clear(&best);
                        return r;
                }
                if (c.scheme > best.scheme) {
                        image_challenge_clear(&best);
                        best = c;
                        c = (struct image_challenge){0};
                }
        }
        if (best.scheme == IMAGE_CHALLENGE_NONE)
                return rctr_error_set(err, ENOENT,
                                      "WWW-Authenticate: no Basic or Bearer challenge in \"%.*s\"",
                                      (int)(len > 200 ? 200 : len), buf);
        *ret = best;
        return 0;
}

void image_challenge_clear(struct image_challenge *c)
{
        free(c->realm);
        free(c->service);
        free(c->scope);
        free(c->error);
        *c = (struct image_challenge){0};
}
