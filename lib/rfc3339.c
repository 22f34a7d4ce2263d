/* RFC 3339 times (lib/rfc3339.h). */
#include <config.h>

#include <time.h>

#include "lib/rfc3339.h"
#include "lib/xalloc.h"

char *rfc3339_now(void)
{
        struct timespec ts;
        struct tm tm;
        char text[64];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
        return xasprintf("%s.%09ldZ", text, ts.tv_nsec);
}
