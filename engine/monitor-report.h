/*
 * How the monitor tells the command that started it whether the container's command runs: one
 * line on a pipe, "ok" or "error ERRNO EXIT_STATUS MESSAGE", then the pipe closes.
 */
#pragma once

struct rctr_error;

/* In the monitor. */
void engine_monitor_report_ok(int fd);
void engine_monitor_report_error(int fd, const struct rctr_error *err);

/* In the caller: 0 when it runs, else -errno with err as the monitor said (or that it died). */
int engine_monitor_report_read(int fd, struct rctr_error *err);
