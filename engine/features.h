/* The runtime-spec "features" document: what this runtime implements (rctr-oci features). */
#pragma once

#include <jansson.h>

/* A new object listing only what rctr-oci really does today. */
json_t *engine_features(void);
