/* Signal names (lib/signame.h). */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/parse.h"
#include "lib/signame.h"

int signame_parse(const char *text, int *ret)
{
        const char *name = strncasecmp(text, "SIG", 3) == 0 ? text + 3 : text;
        uint64_t n = 0;

        if (parse_u64_max(text, SIGRTMAX, &n) == 0 && n > 0) {
                *ret = (int)n;
                return 0;
        }
        for (int s = 1; s < SIGRTMIN; s++) {
                const char *abbrev = sigabbrev_np(s);

                if (abbrev && strcasecmp(abbrev, name) == 0) {
                        *ret = s;
                        return 0;
                }
        }
        if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
                const char *off = name + 5;
                bool min = strncasecmp(name, "RTMIN", 5) == 0;

                if (*off && ((min && *off != '+') || (!min && *off != '-')))
                        return -EINVAL;
                if (*off && parse_u64_max(off + 1, (uint64_t)(SIGRTMAX - SIGRTMIN), &n) < 0)
                        return -EINVAL;
                *ret = min ? SIGRTMIN + (int)n : SIGRTMAX - (int)n;
                return 0;
        }
        return -EINVAL;
}
