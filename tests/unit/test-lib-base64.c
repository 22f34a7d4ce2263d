#include <config.h>

#include <errno.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/macros.h"
#include "tap.h"

/* RFC 4648 §10 test vectors, and the auth.json form. */
static const struct {
        const char *plain, *encoded;
} vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
        {"rctr:secret", "cmN0cjpzZWNyZXQ="},
        {"user:pa:ss/+?", "dXNlcjpwYTpzcy8rPw=="},
};

static void test_vectors(void)
{
        for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
                cleanup_free char *enc = base64_encode(vectors[i].plain, strlen(vectors[i].plain));
                cleanup_free char *dec = NULL;
                size_t len = 99;
                int r;

                is_str(enc, vectors[i].encoded, "encode \"%s\"", vectors[i].plain);
                r = base64_decode(vectors[i].encoded, strlen(vectors[i].encoded), &dec, &len);
                ok(r == 0 && len == strlen(vectors[i].plain) && dec &&
                           memcmp(dec, vectors[i].plain, len) == 0 && dec[len] == '\0',
                   "decode \"%s\"", vectors[i].encoded);
        }
}

static void test_binary(void)
{
        unsigned char all[256];
        cleanup_free char *enc = NULL, *dec = NULL;
        size_t len = 0;

        for (int i = 0; i < 256; i++)
                all[i] = (unsigned char)i;
        for (size_t n = 0; n <= 256; n += 37) {
                free(enc);
                free(dec);
                dec = NULL;
                enc = base64_encode(all, n);
                ok(strlen(enc) == (n + 2) / 3 * 4 &&
                           base64_decode(enc, strlen(enc), &dec, &len) == 0 && len == n &&
                           memcmp(dec, all, n) == 0,
                   "round trip of %zu binary bytes", n);
        }
        free(enc);
        enc = base64_encode("\xff\xfe\xfd", 3);
        is_str(enc, "//79", "the last two alphabet characters");
}

static void test_lenient_and_invalid(void)
{
        static const char *const bad[] = {"Zg=",   "Z",    "Zm9vY", "Zm9v!A==", "Zm 9v",
                                          "Zg===", "=Zg=", "Zm=v",  "Zg==Zg==", "\xc3\xa9"};
        cleanup_free char *dec = NULL;
        size_t len = 0;

        ok(base64_decode("Zm9vYg", 6, &dec, &len) == 0 && len == 4 && memcmp(dec, "foob", 4) == 0,
           "missing padding is accepted");
        free(dec);
        dec = NULL;
        ok(base64_decode("Zm9vYmE", 7, &dec, &len) == 0 && len == 5, "one '=' missing is fine");
        free(dec);
        dec = NULL;
        /* A length is honoured: the text need not be NUL-terminated. */
        ok(base64_decode("Zm9vXXXX", 4, &dec, &len) == 0 && len == 3 && streq(dec, "foo"),
           "only len characters are read");
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                char *d = NULL;
                size_t l = 0;
                int r = base64_decode(bad[i], strlen(bad[i]), &d, &l);

                ok(r == -EINVAL && !d, "\"%s\" is refused", bad[i]);
                free(d);
        }
}

int main(void)
{
        test_vectors();
        test_binary();
        test_lenient_and_invalid();
        return tap_done();
}
