#include <config.h>
#include "base64.h"

#include <errno.h>
#include <stdint.h>

#include "macros.h"
#include "xalloc.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const void *data, size_t len)
{
        const unsigned char *in = data;
        size_t n_out, i, o = 0;
        char *out;

        if (len / 3 >= SIZE_MAX / 4 - 1)
                xalloc_die();
        n_out = (len + 2) / 3 * 4;
        out = xmalloc(n_out + 1);
        for (i = 0; i + 2 < len; i += 3) {
                uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

                out[o++] = alphabet[v >> 18];
                out[o++] = alphabet[(v >> 12) & 63];
                out[o++] = alphabet[(v >> 6) & 63];
                out[o++] = alphabet[v & 63];
        }
        if (i < len) {
                uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);

                out[o++] = alphabet[v >> 18];
                out[o++] = alphabet[(v >> 12) & 63];
                out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
                out[o++] = '=';
        }
        out[o] = '\0';
        return out;
}

static int base64_value(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

int base64_decode(const char *text, size_t len, char **ret, size_t *ret_len)
{
        cleanup_free char *out = NULL;
        size_t n_pad = 0, o = 0, bits = 0;
        uint32_t acc = 0;

        /* Up to two '=' at the end, and only where they complete a 4-character group. */
        while (n_pad < 2 && len > 0 && text[len - 1] == '=') {
                len--;
                n_pad++;
        }
        if (n_pad && (len + n_pad) % 4 != 0)
                return -EINVAL;
        /* One character alone carries 6 bits, less than a byte: not something an encoder makes. */
        if (len % 4 == 1)
                return -EINVAL;
        out = xmalloc(len / 4 * 3 + 3);
        for (size_t i = 0; i < len; i++) {
                int v = base64_value(text[i]);

                if (v < 0)
                        return -EINVAL;
                acc = (acc << 6 | (uint32_t)v) & 0xffffff;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (char)((acc >> bits) & 0xff);
                }
        }
        out[o] = '\0';
        *ret_len = o;
        *ret = TAKE_PTR(out);
        return 0;
}
