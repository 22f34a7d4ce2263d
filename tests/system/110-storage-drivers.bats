#!/usr/bin/env bats
# The rootfs drivers on an image with a whiteout and an opaque directory (issue 5, acceptance 5):
# overlay (rootless with userxattr), fuse-overlayfs and vfs all show the same tree.

load helpers

setup_file() {
        local d="$BATS_FILE_TMPDIR"
        /usr/bin/python3 "$RCTR_FIXTURES/make-oci.py" "$d/wh" --tag latest --base "$RCTR_BUSYBOX_OCI" \
                --layer homefile --layer whiteout --layer opaque --layer files
        skopeo copy -q --dest-tls-verify=false "oci:$d/wh:latest" "docker://$RCTR_REGISTRY/drivers:latest"
}

IMAGE() { echo "$RCTR_REGISTRY/drivers:latest"; }

check_driver() { # DRIVER
        run_rctr --storage-driver "$1" image mount "$(IMAGE)"
        local rootfs=$output
        [ -n "$rootfs" ]
        # what the container would see: /etc/group whited out, /home opaque (only new), files added
        run "$RCTR" unshare sh -c "ls '$rootfs/etc'; echo --; ls '$rootfs/home'; echo --; cat '$rootfs/added/file' '$rootfs/home/new'"
        assert_success
        assert_output $'passwd\n--\nnew\n--\nadded\nnew'
        # no whiteout device or marker shows through
        run "$RCTR" unshare find "$rootfs" -type c
        assert_output ''
        run_rctr image unmount "$(IMAGE)"
        run "$RCTR" unshare grep -c " $RCTR_ROOT/" /proc/self/mountinfo
        assert_output 0
        [ ! -e "$RCTR_ROOT/mounts/$(ls "$RCTR_ROOT/mounts" 2>/dev/null)/merged" ] || false
}

@test "overlay: whiteouts and opaque directories" {
        run_rctr pull -q --tls-verify=false "$(IMAGE)"
        check_driver overlay
}

@test "fuse-overlayfs: whiteouts and opaque directories" {
        command -v fuse-overlayfs >/dev/null || skip "fuse-overlayfs is not installed"
        [ -w /dev/fuse ] || skip "/dev/fuse is not usable here"
        run_rctr pull -q --tls-verify=false "$(IMAGE)"
        check_driver fuse-overlayfs
}

@test "vfs: whiteouts and opaque directories" {
        run_rctr pull -q --tls-verify=false "$(IMAGE)"
        check_driver vfs
}

@test "the store's driver is chosen once and kept; a bad --storage-driver is refused" {
        run_rctr pull -q --tls-verify=false "$(IMAGE)"
        run_rctr image mount "$(IMAGE)"
        jq -e .driver "$RCTR_ROOT/driver.json" >/dev/null || cat "$RCTR_ROOT/driver.json"
        run_rctr image unmount "$(IMAGE)"
        run_rctr 125 --storage-driver zfs images
        assert_output 'rctr: unknown --storage-driver zfs (overlay, fuse-overlayfs or vfs)'
        run_rctr 125 image unmount "$(IMAGE)"
        assert_output --partial 'is not mounted'
}
