#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lib/buf.h"
#include "lib/macros.h"
#include "tap.h"

int main(void)
{
        struct buf b;
        char *s;

        buf_init(&b, 0);
        is_str(b.data, "", "a new buffer is an empty string, never NULL");
        ok(buf_append(&b, "abc", 3) == 0 && b.len == 3, "append");
        ok(buf_appendf(&b, "-%d", 42) == 0, "appendf");
        is_str(b.data, "abc-42", "content is NUL-terminated");
        s = buf_detach(&b);
        is_str(s, "abc-42", "detach hands the string over");
        is_str(b.data, "", "detach leaves the buffer empty");
        free(s);

        buf_init(&b, 8);
        ok(buf_append(&b, "12345678", 8) == 0, "append up to the cap");
        ok(buf_append(&b, "9", 1) == -EFBIG, "one byte past the cap is -EFBIG");
        is_str(b.data, "12345678", "a refused append changes nothing");
        ok(buf_append(&b, "", (size_t)-1) == -EFBIG, "a huge length cannot overflow the cap check");
        buf_free(&b);

        s = buf_detach(&b);
        is_str(s, "", "detach of an empty buffer gives an owned empty string");
        free(s);
        return tap_done();
}
