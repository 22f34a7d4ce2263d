#include <config.h>
#include "error.h"

#include <stdarg.h>

#include "xalloc.h"

static int error_vset(struct rctr_error *err, int code, bool with_strerror, const char *fmt,
                      va_list ap)
{
        char *text;

        /* An error is set once; a second set would hide the first cause. Keep the first. */
        if (err->msg)
                return -err->code;
        if (vasprintf(&text, fmt, ap) < 0)
                xalloc_die();
        if (code <= 0)
                code = EIO;
        if (with_strerror) {
                err->msg = xasprintf("%s: %s", text, strerror(code));
                free(text);
        } else {
                err->msg = text;
        }
        err->code = code;
        return -code;
}

int rctr_error_sys(struct rctr_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = error_vset(err, code, true, fmt, ap);
        va_end(ap);
        return r;
}

int rctr_error_set(struct rctr_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = error_vset(err, code, false, fmt, ap);
        va_end(ap);
        return r;
}

int rctr_error_prefix(struct rctr_error *err, const char *fmt, ...)
{
        va_list ap;
        char *ctx, *msg;

        if (!err->msg)
                return -err->code;
        va_start(ap, fmt);
        if (vasprintf(&ctx, fmt, ap) < 0)
                xalloc_die();
        va_end(ap);
        msg = xasprintf("%s: %s", ctx, err->msg);
        free(ctx);
        free(err->msg);
        err->msg = msg;
        return -err->code;
}

void rctr_error_clear(struct rctr_error *err)
{
        free(err->msg);
        err->msg = NULL;
        err->code = 0;
        err->exit_status = 0;
        err->reported = false;
}
