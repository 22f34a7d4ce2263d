#!/bin/bash
# The registry client against real servers on 127.0.0.1 (TAP, run by `make check`): Debian's
# docker-registry, plain and with htpasswd, with the busybox fixture pushed by skopeo; and
# tests/fixtures/fake-registry.py for what a good registry never does (5xx, truncated bodies,
# ignored Range, wrong Content-Type, Bearer tokens, redirects to another host). Runs
# tests/unit/test-image-registry, which skips what has no server. Stops only what it started.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
fixtures="$top_srcdir/tests/fixtures"
work=$(mktemp -d "${TMPDIR:-/tmp}/rctr-test-registry.XXXXXX")
fake_pid=

cleanup() {
        if [ -n "$fake_pid" ]; then
                kill "$fake_pid" 2>/dev/null
                wait "$fake_pid" 2>/dev/null
        fi
        if [ -n "${REGISTRY_STATE_DIR:-}" ]; then
                registry_stop plain
                registry_stop auth
        fi
        rm -rf "$work"
}
trap cleanup EXIT

# The fake registry (python3 from the distribution, not a user's pyenv shim).
/usr/bin/python3 "$fixtures/fake-registry.py" "$work/fake.ports" 2>"$work/fake.log" &
fake_pid=$!
# up to 30 s on a loaded machine; the file is complete once it ends with a newline
for _ in $(seq 300); do
        [ -s "$work/fake.ports" ] && [ "$(tail -c1 "$work/fake.ports" | od -An -c | tr -d ' ')" = '\n' ] && break
        sleep 0.1
done
if [ -s "$work/fake.ports" ] && read -r port_a port_b <"$work/fake.ports"; then
        export FAKE_REGISTRY="127.0.0.1:$port_a" FAKE_REGISTRY_B="127.0.0.1:$port_b"
else
        # python3 is always there: a fake registry that does not start is a failure.
        sed 's/^/# /' "$work/fake.log"
        export FAKE_REGISTRY_FAIL="fake-registry.py did not start"
fi

missing=
for tool in docker-registry skopeo htpasswd ss busybox; do
        command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
        export RCTR_REGISTRY_SKIP="not installed:$missing"
else
        export REGISTRY_STATE_DIR="$work/registries"
        # shellcheck source=../fixtures/registry.sh
        source "$fixtures/registry.sh"
        export RCTR_BUSYBOX_OCI="$work/busybox-oci"
        if "$fixtures/build-busybox-oci.sh" "$RCTR_BUSYBOX_OCI" latest >"$work/setup.log" 2>&1 &&
                registry_start plain >>"$work/setup.log" 2>&1 &&
                RCTR_REGISTRY=$REGISTRY_ADDR &&
                registry_push "$RCTR_BUSYBOX_OCI:latest" "$RCTR_REGISTRY/busybox:latest" >>"$work/setup.log" 2>&1 &&
                RCTR_AUTH_USER=rctr RCTR_AUTH_PASS="secret-$RANDOM$RANDOM" &&
                registry_start auth --auth "$RCTR_AUTH_USER:$RCTR_AUTH_PASS" >>"$work/setup.log" 2>&1 &&
                RCTR_AUTH_REGISTRY=$REGISTRY_ADDR &&
                registry_push "$RCTR_BUSYBOX_OCI:latest" "$RCTR_AUTH_REGISTRY/busybox:latest" \
                        "$RCTR_AUTH_USER:$RCTR_AUTH_PASS" >>"$work/setup.log" 2>&1; then
                export RCTR_REGISTRY RCTR_AUTH_REGISTRY RCTR_AUTH_USER RCTR_AUTH_PASS
        else
                # A broken setup is a failure, not a skip: the tools are there.
                sed 's/^/# /' "$work/setup.log"
                export RCTR_REGISTRY_FAIL="start docker-registry and push the busybox fixture"
        fi
fi

# RCTR_TEST_WRAPPER="valgrind -q --leak-check=full --error-exitcode=9" runs it under a checker.
# shellcheck disable=SC2086
${RCTR_TEST_WRAPPER:-} "$top_builddir/tests/unit/test-image-registry"
