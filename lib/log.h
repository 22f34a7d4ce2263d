/*
 * Diagnostics on stderr. stdout carries only results. Levels are podman's names; the level is
 * checked before formatting, and errno is preserved so a log call never hides a cause.
 */
#pragma once

enum log_level {
        LOG_LEVEL_ERROR,
        LOG_LEVEL_WARN,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
        LOG_LEVEL_TRACE,
};

extern enum log_level log_max_level;

/* Parse "error|warn|warning|info|debug|trace". Returns 0, or -EINVAL for an unknown name. */
int log_parse_level(const char *name, enum log_level *ret_level);
const char *log_level_name(enum log_level level);

void log_emit(enum log_level level, const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#define log_at(level, ...)                                                  \
        do {                                                                \
                if ((level) <= log_max_level)                               \
                        log_emit((level), __FILE__, __LINE__, __VA_ARGS__); \
        } while (0)

#define log_error(...) log_at(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_at(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_at(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_trace(...) log_at(LOG_LEVEL_TRACE, __VA_ARGS__)
