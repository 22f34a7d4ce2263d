#include <config.h>

#include <errno.h>
#include <string.h>

#include "image/challenge.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "tap.h"

static bool eq(const char *a, const char *b)
{
        return (!a && !b) || (a && b && streq(a, b));
}

struct good {
        const char *header;
        enum image_challenge_scheme scheme;
        const char *realm, *service, *scope, *error;
};

static const struct good goods[] = {
        /* Docker Hub's */
        {"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
         "scope=\"repository:library/alpine:pull\"",
         IMAGE_CHALLENGE_BEARER, "https://auth.docker.io/token", "registry.docker.io",
         "repository:library/alpine:pull", NULL},
        /* distribution with htpasswd */
        {"Basic realm=\"rctr-tests\"", IMAGE_CHALLENGE_BASIC, "rctr-tests", NULL, NULL, NULL},
        /* commas and an escaped quote inside quotes; spaces around '=' and ',' */
        {"Bearer realm = \"https://a/token?x=1,y=2\" , scope=\"repository:a/b:pull,push "
         "repository:c:pull\", service=\"say \\\"hi\\\"\"",
         IMAGE_CHALLENGE_BEARER, "https://a/token?x=1,y=2", "say \"hi\"",
         "repository:a/b:pull,push repository:c:pull", NULL},
        /* case-insensitive scheme and parameter names; token (unquoted) values */
        {"bEaReR Realm=https://r/t, SERVICE=reg", IMAGE_CHALLENGE_BEARER, "https://r/t", "reg",
         NULL, NULL},
        /* RFC 6750 error parameter, unknown parameters ignored */
        {"Bearer realm=\"https://r/t\",error=\"insufficient_scope\",error_description=\"no\","
         "scope=\"repository:x:pull\"",
         IMAGE_CHALLENGE_BEARER, "https://r/t", NULL, "repository:x:pull", "insufficient_scope"},
        /* several challenges in one value: Bearer wins over Basic, whatever the order */
        {"Basic realm=\"b\", Bearer realm=\"https://r/t\",service=\"s\"", IMAGE_CHALLENGE_BEARER,
         "https://r/t", "s", NULL, NULL},
        {"Bearer realm=\"https://r/t\", Basic realm=\"b\"", IMAGE_CHALLENGE_BEARER, "https://r/t",
         NULL, NULL, NULL},
        /* unknown schemes, with a token68 or parameters, are skipped */
        {"Negotiate, Basic realm=\"b\"", IMAGE_CHALLENGE_BASIC, "b", NULL, NULL, NULL},
        {"Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnag==, Basic realm=b", IMAGE_CHALLENGE_BASIC, "b",
         NULL, NULL, NULL},
        {"Digest realm=\"d\", qop=\"auth,auth-int\", nonce=\"n\", Basic realm=\"x\"",
         IMAGE_CHALLENGE_BASIC, "x", NULL, NULL, NULL},
        /* a scheme alone, empty list elements */
        {" , Basic , ", IMAGE_CHALLENGE_BASIC, NULL, NULL, NULL, NULL},
        /* repeated parameter: the first counts */
        {"Basic realm=\"one\", realm=\"two\"", IMAGE_CHALLENGE_BASIC, "one", NULL, NULL, NULL},
        /* empty quoted value */
        {"Bearer realm=\"\"", IMAGE_CHALLENGE_BEARER, "", NULL, NULL, NULL},
};

static void test_good(void)
{
        for (size_t i = 0; i < ARRAY_SIZE(goods); i++) {
                cleanup_error struct rctr_error err = {0};
                cleanup_challenge struct image_challenge c = {0};
                int r = image_challenge_parse(goods[i].header, strlen(goods[i].header), &c, &err);

                ok(r == 0 && c.scheme == goods[i].scheme && eq(c.realm, goods[i].realm) &&
                           eq(c.service, goods[i].service) && eq(c.scope, goods[i].scope) &&
                           eq(c.error, goods[i].error),
                   "parse %s", goods[i].header);
                if (r < 0)
                        printf("#   error: %s\n", err.msg);
                else if (!eq(c.realm, goods[i].realm) || !eq(c.scope, goods[i].scope) ||
                         !eq(c.service, goods[i].service))
                        printf("#   realm=%s service=%s scope=%s\n", c.realm ? c.realm : "(null)",
                               c.service ? c.service : "(null)", c.scope ? c.scope : "(null)");
        }
}

/* The length is honoured: the value need not end at a NUL. */
static void test_len(void)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_challenge struct image_challenge c = {0};
        const char *s = "Basic realm=\"abc\"GARBAGE";

        ok(image_challenge_parse(s, strlen("Basic realm=\"abc\""), &c, &err) == 0 &&
                   eq(c.realm, "abc"),
           "only len bytes are parsed");
}

static void test_bad(void)
{
        static const struct {
                const char *header;
                int code;
                const char *msg;
        } bad[] = {
                {"", -ENOENT, "WWW-Authenticate: no Basic or Bearer challenge in \"\""},
                {"Negotiate", -ENOENT, NULL},
                {"Digest realm=\"d\"", -ENOENT, NULL},
                {"Bearer realm=\"https://unterminated", -EBADMSG,
                 "WWW-Authenticate: unterminated quoted string"},
                {"Bearer realm=\"a\" service=\"b\"", -EBADMSG,
                 "WWW-Authenticate: expected ',' after parameter realm"},
                {"\"Bearer\"", -EBADMSG, "WWW-Authenticate: unexpected character '\"'"},
                /* "realm=" then a comma is a token68, not a parameter: no challenge */
                {"Bearer realm=,", -ENOENT, NULL},
        };

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                cleanup_error struct rctr_error err = {0};
                struct image_challenge c = {0};
                int r = image_challenge_parse(bad[i].header, strlen(bad[i].header), &c, &err);

                ok(r == bad[i].code && err.code == -bad[i].code && c.scheme == 0 && !c.realm,
                   "refuse [%s] with %d", bad[i].header, bad[i].code);
                if (bad[i].msg)
                        is_str(err.msg, bad[i].msg, "message for [%s]", bad[i].header);
        }
}

static void test_cap(void)
{
        cleanup_error struct rctr_error err = {0};
        struct image_challenge c = {0};
        static char big[IMAGE_CHALLENGE_MAX + 2];

        memset(big, 'a', sizeof(big) - 1);
        ok(image_challenge_parse(big, sizeof(big) - 1, &c, &err) == -EFBIG,
           "a header over the cap is refused");
}

int main(void)
{
        test_good();
        test_len();
        test_bad();
        test_cap();
        return tap_done();
}
