/* The monitor's one-line report on whether the container started (engine/monitor-report.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/monitor-report.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"

void engine_monitor_report_ok(int fd)
{
        (void)fs_write_all(fd, "ok\n", 3);
}

void engine_monitor_report_error(int fd, const struct rctr_error *err)
{
        char line[4096];
        int n = snprintf(line, sizeof(line), "error %d %d %s\n", err->code ? err->code : EIO,
                         err->exit_status, err->msg ? err->msg : "failed");

        (void)fs_write_all(fd, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

int engine_monitor_report_read(int fd, struct rctr_error *err)
{
        cleanup_buf struct buf text = {0};
        int code = 0, status = 0, used = 0;

        buf_init(&text, 8192);
        if (fs_read_fd(fd, &text, "the monitor's report", err) < 0)
                return -err->code;
        if (text.len >= 3 && strncmp(text.data, "ok\n", 3) == 0)
                return 0;
        if (text.len == 0)
                return rctr_error_set(err, EIO,
                                      "the container's monitor died before the "
                                      "container ran (see rctr logs)");
        if (sscanf(text.data, "error %d %d %n", &code, &status, &used) < 2 || code <= 0)
                return rctr_error_set(err, EIO, "the container's monitor said: %.200s", text.data);
        text.data[strcspn(text.data, "\n")] = '\0';
        rctr_error_set(err, code, "%s", text.data + used);
        err->exit_status = status;
        return -code;
}
