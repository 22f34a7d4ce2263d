#include <config.h>

#include <errno.h>
#include <stdbool.h>

#include "lib/error.h"
#include "tap.h"

static int fails_with_context(struct rctr_error *err)
{
        int r = rctr_error_sys(err, ENOENT, "open blob %s", "sha256:ab");

        return rctr_error_prefix(err, "layer %d/%d", 2, 5) == r ? r : 0;
}

int main(void)
{
        struct rctr_error err = {0};

        ok(fails_with_context(&err) == -ENOENT, "the errno travels up as -code");
        is_str(err.msg, "layer 2/5: open blob sha256:ab: No such file or directory",
               "context is prepended, the cause comes last");
        ok(err.code == ENOENT, "code kept for branching");
        ok(rctr_error_set(&err, EINVAL, "second") == -ENOENT, "an error is set once");
        is_str(err.msg, "layer 2/5: open blob sha256:ab: No such file or directory",
               "the first cause is not overwritten");
        rctr_error_clear(&err);
        ok(err.msg == NULL && err.code == 0, "clear forgets");
        ok(rctr_error_set(&err, 0, "odd") == -EIO, "code 0 becomes EIO, never success");
        rctr_error_clear(&err);
        ok(rctr_error_prefix(&err, "x") == 0 && err.msg == NULL, "prefix of no error is a no-op");
        return tap_done();
}
