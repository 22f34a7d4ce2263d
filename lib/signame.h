/* Signals by name or number, as kill(1), runc and podman accept them. */
#pragma once

/* "TERM", "SIGTERM", "sigterm", "15", "RTMIN+3" → the number. Returns 0 or -EINVAL. */
int signame_parse(const char *text, int *ret);
