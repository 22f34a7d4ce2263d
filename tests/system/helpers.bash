# Loaded by every .bats file (`load helpers`). Each test gets its own store, state directory and
# runtime directory (so its own pause process): tests never share state and can run in parallel.
# Environment from tests/run.sh: RCTR (the binary), RCTR_PREFIX (where it is installed, if it
# is), RCTR_FIXTURES (tests/fixtures), RCTR_REGISTRY etc. (from setup_suite.bash).

bats_require_minimum_version 1.5.0
load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

: "${RCTR:?RCTR must name the rctr binary under test}"

setup() {
        rctr_test_dirs
}

rctr_test_dirs() {
        export RCTR_ROOT="$BATS_TEST_TMPDIR/root"
        export RCTR_RUNROOT="$BATS_TEST_TMPDIR/runroot"
        export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/xdg"
        mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
}

# Stop the pause process this test made (only ours: checked by its name), and wait for it.
rctr_kill_pause() {
        local pidfile="$1/rctr/pause.pid" pid i
        [ -f "$pidfile" ] || return 0
        pid=$(cat "$pidfile")
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = rctr-pause ] || return 0
        kill "$pid" 2>/dev/null || return 0
        for i in $(seq 50); do
                # gone, or a zombie waiting for init to reap it
                [ -d "/proc/$pid" ] || return 0
                [ "$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" = Z ] && return 0
                sleep 0.1
        done
}

teardown() {
        rctr_test_cleanup
}

rctr_test_cleanup() {
        rctr_kill_pause "$XDG_RUNTIME_DIR"
        # files the user namespace made with subordinate ids cannot be removed from outside
        if [ -d "$RCTR_ROOT" ] && [ -n "$(find "$RCTR_ROOT" ! -user "$(id -u)" -print -quit 2>/dev/null)" ]; then
                "$RCTR" unshare rm -rf "$RCTR_ROOT" "$RCTR_RUNROOT" 2>/dev/null || true
                rctr_kill_pause "$XDG_RUNTIME_DIR"
        fi
}

# run_rctr [EXPECTED_STATUS|?] ARGS...: run rctr with this test's store and state directory,
# assert its exit status (default 0; '?' takes any), keep $output (stdout and stderr), and show
# the command and its output when the status is wrong (in the spirit of podman's run_podman).
run_rctr() {
        local expected=0
        case "${1:-}" in
        '?') expected='?'; shift ;;
        [0-9] | [0-9][0-9] | [0-9][0-9][0-9]) expected=$1; shift ;;
        esac
        # 127 expected: tell bats (else it warns that the command was not found)
        if [ "$expected" = 127 ]; then
                run -127 "$RCTR" --root "$RCTR_ROOT" --runroot "$RCTR_RUNROOT" "$@"
        else
                run "$RCTR" --root "$RCTR_ROOT" --runroot "$RCTR_RUNROOT" "$@"
        fi
        if [ "$expected" != '?' ] && [ "$status" -ne "$expected" ]; then
                printf '# $ rctr %s\n# exit status %s, expected %s\n' "$*" "$status" "$expected"
                printf '%s\n' "$output" | sed 's/^/# > /'
                false
        fi
}

# The user's subordinate ranges as /etc/subuid and /etc/subgid give them (first range).
rctr_subid_field() {
        awk -F: -v u="$(id -un)" -v n="$(id -u)" -v f="$2" '($1 == u || $1 == n) { print $f; exit }' "$1"
}
rctr_subuid_start() { rctr_subid_field /etc/subuid 2; }
rctr_subuid_count() { rctr_subid_field /etc/subuid 3; }
rctr_subgid_start() { rctr_subid_field /etc/subgid 2; }
rctr_subgid_count() { rctr_subid_field /etc/subgid 3; }

# oci_make_bundle DIR: a bundle of the busybox fixture with `rctr-oci spec --rootless`'s
# config.json, without a terminal.
oci_make_bundle() {
        mkdir -p "$1/rootfs"
        tar -xzf "$RCTR_BUSYBOX_OCI/blobs/sha256/$(cut -d: -f2 <"$RCTR_BUSYBOX_OCI/.layer-digest")" \
                -C "$1/rootfs"
        "$(dirname "$RCTR")/rctr-oci" spec --rootless --bundle "$1"
        oci_edit "$1" '.process.terminal = false'
}

# oci_edit DIR FILTER [JQ-ARGS...]: rewrite DIR/config.json through jq FILTER.
oci_edit() {
        local dir=$1 filter=$2
        shift 2
        jq "$@" "$filter" "$dir/config.json" >"$dir/c.json"
        mv "$dir/c.json" "$dir/config.json"
}

# wait_for_file PATH: until it exists (at most ~30 s; a test then fails on its absence).
wait_for_file() {
        local i
        for i in $(seq 300); do
                [ -e "$1" ] && return 0
                sleep 0.1
        done
        return 1
}

# oci_set_args DIR ARG...: the command of DIR/config.json (jq --args would take a -c as its own)
oci_set_args() {
        local dir=$1 json='[]' a
        shift
        for a in "$@"; do
                json=$(jq -c --arg a "$a" '. + [$a]' <<<"$json")
        done
        oci_edit "$dir" '.process.args = $v' --argjson v "$json"
}

# For the rctr-oci tests: this test's runtime directory, state root ($STATE) and a rootless
# busybox bundle ($BUNDLE); oci runs rctr-oci on that state; oci_teardown removes what is left.
oci_setup() {
        RCTR_OCI="$(dirname "$RCTR")/rctr-oci"
        export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/xdg"
        mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
        STATE="$BATS_TEST_TMPDIR/state"
        BUNDLE="$BATS_TEST_TMPDIR/bundle"
        oci_make_bundle "$BUNDLE"
}

oci() {
        "$RCTR_OCI" --root "$STATE" "$@"
}

oci_teardown() {
        local id
        for id in $(oci list -q 2>/dev/null); do
                oci delete --force "$id" || true
        done
        rctr_kill_pause "$XDG_RUNTIME_DIR"
}

# Tests of containers: this test's directories and the busybox fixture from the local registry,
# tagged bb; afterwards the containers a failed test left (and their monitors) go first.
containers_setup() {
        rctr_test_dirs
        run_rctr pull -q --tls-verify=false "$RCTR_REGISTRY/busybox:latest"
        run_rctr tag "$RCTR_REGISTRY/busybox:latest" bb
}

containers_teardown() {
        "$RCTR" --root "$RCTR_ROOT" --runroot "$RCTR_RUNROOT" rm -f -a >/dev/null 2>&1 || true
        rctr_test_cleanup
}

# rctr with this test's store and state directory, without run's bookkeeping
rctr() {
        "$RCTR" --root "$RCTR_ROOT" --runroot "$RCTR_RUNROOT" "$@"
}

# pty_rctr STEP... -- ARGS: rctr on a pseudo-terminal (tests/fixtures/pty-run.py)
pty_rctr() {
        local steps=()
        while [ "$1" != -- ]; do
                steps+=("$1")
                shift
        done
        shift
        run /usr/bin/python3 "$RCTR_FIXTURES/pty-run.py" "${steps[@]}" -- \
                "$RCTR" --root "$RCTR_ROOT" --runroot "$RCTR_RUNROOT" "$@"
}
