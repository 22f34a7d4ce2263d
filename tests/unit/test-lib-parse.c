#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/parse.h"
#include "tap.h"

int main(void)
{
        uint64_t v = 7;

        ok(parse_u64("0", &v) == 0 && v == 0, "0");
        ok(parse_u64("18446744073709551615", &v) == 0 && v == UINT64_MAX, "max u64");
        ok(parse_u64("18446744073709551616", &v) == -ERANGE, "max u64 + 1 overflows");
        ok(parse_u64("", &v) == -EINVAL, "empty");
        ok(parse_u64("-1", &v) == -EINVAL, "no sign");
        ok(parse_u64(" 1", &v) == -EINVAL, "no leading space");
        ok(parse_u64("12x", &v) == -EINVAL, "no trailing junk");
        ok(parse_u64_max("65536", 65535, &v) == -ERANGE, "bounded");
        v = 9;
        ok(parse_u64("x", &v) < 0 && v == 9, "output untouched on failure");
        return tap_done();
}
