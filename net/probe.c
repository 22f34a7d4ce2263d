#include <config.h>
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/macros.h"

json_t *net_probe(void)
{
        /* Opening the clone device is enough: creating a TAP also needs a network namespace. */
        cleanup_close int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

        if (fd < 0)
                return json_pack("{s:b, s:s}", "devNetTun", 0, "error", strerror(errno));
        return json_pack("{s:b}", "devNetTun", 1);
}
