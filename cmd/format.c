#include <config.h>
#include "format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

time_t cmd_format_parse_time(const char *text)
{
        struct tm tm = {0};
        const char *rest = text ? strptime(text, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
        time_t t;

        if (!rest)
                return -1;
        t = timegm(&tm);
        if (*rest == '.')
                rest += 1 + strspn(rest + 1, "0123456789");
        if (*rest == '+' || *rest == '-') {
                int h = 0, m = 0;

                if (sscanf(rest + 1, "%2d:%2d", &h, &m) != 2)
                        return -1;
                t += (*rest == '+' ? -1 : 1) * (h * 3600 + m * 60);
        } else if (*rest != 'Z' && *rest != 'z' && *rest) {
                return -1;
        }
        return t;
}

/* docker's units.HumanDuration, which podman prints too. */
void cmd_format_duration(time_t d, char *out, size_t size)
{
        static const struct {
                time_t limit, unit;
                const char *name;
        } steps[] = {
                {60 * 60 * 24 * 7 * 2, 60 * 60 * 24, "days"},
                {60 * 60 * 24 * 30 * 3, 60 * 60 * 24 * 7, "weeks"},
                {60 * 60 * 24 * 365 * 2, 60 * 60 * 24 * 30, "months"},
        };

        if (d < 1)
                snprintf(out, size, "Less than a second");
        else if (d == 1)
                snprintf(out, size, "1 second");
        else if (d < 60)
                snprintf(out, size, "%ld seconds", (long)d);
        else if (d / 60 == 1)
                snprintf(out, size, "About a minute");
        else if (d < 3600)
                snprintf(out, size, "%ld minutes", (long)(d / 60));
        else if (d / 3600 == 1)
                snprintf(out, size, "About an hour");
        else if (d < 48 * 3600)
                snprintf(out, size, "%ld hours", (long)(d / 3600));
        else {
                for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
                        if (d < steps[i].limit) {
                                snprintf(out, size, "%ld %s", (long)(d / steps[i].unit),
                                         steps[i].name);
                                return;
                        }
                snprintf(out, size, "%ld years", (long)(d / (60 * 60 * 24 * 365)));
        }
}

void cmd_format_ago(time_t then, time_t now, char *out, size_t size)
{
        char d[64];

        cmd_format_duration(now - then, d, sizeof(d));
        snprintf(out, size, "%s ago", d);
}

void cmd_format_size(uint64_t bytes, char *out, size_t size)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
        double v = (double)bytes;
        size_t u = 0;

        while (v >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
                v /= 1000;
                u++;
        }
        snprintf(out, size, "%.3g %s", v, units[u]);
}
