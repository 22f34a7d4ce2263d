# Once per bats run: build the busybox fixture and start two real registries (plain HTTP and
# htpasswd basic auth) on 127.0.0.1, with busybox:latest pushed to both. Exported for all tests:
#   RCTR_BUSYBOX_OCI   the OCI layout directory (tag latest)
#   RCTR_REGISTRY      host:port of the plain registry
#   RCTR_AUTH_REGISTRY host:port of the auth registry; RCTR_AUTH_USER, RCTR_AUTH_PASS

setup_suite() {
        local fixtures="${RCTR_FIXTURES:-$(cd "$BATS_TEST_DIRNAME/../fixtures" && pwd)}"
        # shellcheck source=../fixtures/registry.sh
        source "$fixtures/registry.sh"
        export REGISTRY_STATE_DIR="$BATS_RUN_TMPDIR/registries"
        export RCTR_BUSYBOX_OCI="$BATS_RUN_TMPDIR/busybox-oci"
        "$fixtures/build-busybox-oci.sh" "$RCTR_BUSYBOX_OCI" latest

        registry_start plain
        export RCTR_REGISTRY="$REGISTRY_ADDR"
        registry_push "$RCTR_BUSYBOX_OCI:latest" "$RCTR_REGISTRY/busybox:latest"

        export RCTR_AUTH_USER=rctr RCTR_AUTH_PASS="secret-$RANDOM$RANDOM"
        registry_start auth --auth "$RCTR_AUTH_USER:$RCTR_AUTH_PASS"
        export RCTR_AUTH_REGISTRY="$REGISTRY_ADDR"
        registry_push "$RCTR_BUSYBOX_OCI:latest" "$RCTR_AUTH_REGISTRY/busybox:latest" \
                "$RCTR_AUTH_USER:$RCTR_AUTH_PASS"
}

teardown_suite() {
        local fixtures="${RCTR_FIXTURES:-$(cd "$BATS_TEST_DIRNAME/../fixtures" && pwd)}"
        source "$fixtures/registry.sh"
        export REGISTRY_STATE_DIR="$BATS_RUN_TMPDIR/registries"
        registry_stop plain
        registry_stop auth
}
