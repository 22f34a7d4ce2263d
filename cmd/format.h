/* Human-readable times and sizes as podman and docker print them ("2 weeks ago", "4.87 MB"). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* An RFC 3339 time ("2026-01-02T03:04:05.123Z", "+01:00" offsets too) → seconds; -1: invalid. */
time_t cmd_format_parse_time(const char *text);

/* "Less than a second", "3 seconds", "About a minute", ... (docker's units.HumanDuration). */
void cmd_format_duration(time_t d, char *out, size_t size);

/* "Less than a second ago", "3 seconds ago", "About a minute ago", "2 weeks ago", ... */
void cmd_format_ago(time_t then, time_t now, char *out, size_t size);

/* Decimal units, three significant digits: "812 B", "4.87 MB", "1.2 GB". */
void cmd_format_size(uint64_t bytes, char *out, size_t size);
