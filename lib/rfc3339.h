/* Times as records and OCI documents write them. */
#pragma once

/* Now as RFC 3339 with nanoseconds in UTC ("2026-12-01T10:00:00.123456789Z"). Owned. */
char *rfc3339_now(void);
