#include <config.h>
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "macros.h"

enum log_level log_max_level = LOG_LEVEL_WARN;

static const char *const level_names[] = {
        [LOG_LEVEL_ERROR] = "error", [LOG_LEVEL_WARN] = "warn",   [LOG_LEVEL_INFO] = "info",
        [LOG_LEVEL_DEBUG] = "debug", [LOG_LEVEL_TRACE] = "trace",
};

int log_parse_level(const char *name, enum log_level *ret_level)
{
        for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
                if (streq(name, level_names[i])) {
                        *ret_level = (enum log_level)i;
                        return 0;
                }
        }
        if (streq(name, "warning")) {
                *ret_level = LOG_LEVEL_WARN;
                return 0;
        }
        return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
        return level < ARRAY_SIZE(level_names) ? level_names[level] : "?";
}

/* __FILE__ is "../rootless/pause.c" in an out-of-tree build: show the path from the top. */
static const char *source_path(const char *file)
{
        while (strncmp(file, "../", 3) == 0 || strncmp(file, "./", 2) == 0)
                file += file[1] == '.' ? 3 : 2;
        return file;
}

void log_emit(enum log_level level, const char *file, int line, const char *fmt, ...)
{
        int saved = errno;
        va_list ap;

        /*
         * Debug lines carry pid and position because the CLI, the pause process and (later) the
         * monitor interleave on one stderr.
         */
        if (level >= LOG_LEVEL_DEBUG)
                fprintf(stderr, "rctr[%d] %s %s:%d: ", (int)getpid(), log_level_name(level),
                        source_path(file), line);
        else if (level == LOG_LEVEL_WARN)
                fputs("rctr: warning: ", stderr);
        else if (level == LOG_LEVEL_ERROR)
                fputs("rctr: error: ", stderr);
        else
                fputs("rctr: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        errno = saved;
}
