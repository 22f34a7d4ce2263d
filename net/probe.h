/* What user-mode networking needs from the host, for `rctr info`. */
#pragma once

#include <jansson.h>

/* {"devNetTun": bool, "error"?: why not}: whether /dev/net/tun opens read-write. New reference. */
json_t *net_probe(void);
