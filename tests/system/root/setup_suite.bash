# Once per bats run of the tests that run as root: build the busybox fixture.
#   RCTR_BUSYBOX_OCI   the OCI layout directory (tag latest)

setup_suite() {
        local fixtures="${RCTR_FIXTURES:-$(cd "$BATS_TEST_DIRNAME/../../fixtures" && pwd)}"
        export RCTR_BUSYBOX_OCI="$BATS_RUN_TMPDIR/busybox-oci"
        "$fixtures/build-busybox-oci.sh" "$RCTR_BUSYBOX_OCI" latest
}
