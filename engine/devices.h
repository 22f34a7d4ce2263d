/* linux.devices of config.json: device nodes made in the container's /dev. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

struct rctr_error;

struct engine_device {
        char *path; /* owned; absolute, in the container */
        char type;  /* 'c', 'b', 'u' (unbuffered char) or 'p' (fifo) */
        uint32_t major, minor;
        mode_t mode; /* permission bits (fileMode; default 0666) */
        uid_t uid;
        gid_t gid;
};

/*
 * Parse linux.devices (NULL: none) into *ret (owned array of *ret_n). Returns 0 or -EBADMSG with
 * err naming the field ("linux.devices[1].type: unknown type x").
 */
int engine_devices_parse(json_t *devices, struct engine_device **ret, size_t *ret_n,
                         struct rctr_error *err);

void engine_devices_free(struct engine_device *d, size_t n);

/*
 * In the container's init, before pivot_root: make each device inside rootfd. With CAP_MKNOD
 * (root without a user namespace) the node is created, owned and moded as configured; in a user
 * namespace, where the kernel refuses mknod, the host's node at the same path is bind-mounted
 * (as runc does rootless). Returns 0 or -errno with err set.
 */
int engine_devices_create(int rootfd, const struct engine_device *d, size_t n,
                          struct rctr_error *err);
