#!/usr/bin/env bats
# rctr oci / rctr-oci: runc's command line; the spec verb.

load helpers

setup() {
        RCTR_OCI="$(dirname "$RCTR")/rctr-oci"
        BUNDLE="$BATS_TEST_TMPDIR/bundle"
        mkdir -p "$BUNDLE/rootfs"
}

@test "rctr-oci is installed beside rctr and speaks runc's syntax" {
        [ -L "$RCTR_OCI" ] || [ -x "$RCTR_OCI" ]
        run "$RCTR_OCI" --version
        assert_success
        assert_line --regexp '^rctr-oci version [0-9.]+$'
        assert_line 'spec: 1.1.0'
        run "$RCTR_OCI" --help
        assert_line --regexp '^  spec +write a new config.json'
        run "$RCTR" oci --help
        assert_line --regexp '^  spec +'
}

@test "spec writes runc's default config.json and never overwrites it" {
        cd "$BUNDLE"
        run "$RCTR_OCI" spec
        assert_success
        run jq -c '[.ociVersion, .process.args, .process.terminal, .root.path, .root.readonly, .hostname]' config.json
        assert_output '["1.1.0",["sh"],true,"rootfs",true,"rctr"]'
        run jq -r '[.linux.namespaces[].type] | join(",")' config.json
        assert_output 'pid,network,ipc,uts,mount,cgroup'
        run jq -r '.mounts[].destination' config.json
        assert_line /proc
        assert_line /dev/pts
        assert_line /sys/fs/cgroup
        run jq -r '.linux.maskedPaths | index("/proc/kcore") != null' config.json
        assert_output true
        run -125 --separate-stderr "$RCTR_OCI" spec
        [ "$stderr" = 'rctr-oci: spec: ./config.json exists (remove it first)' ]
}

@test "spec --rootless maps the caller to 0 and drops what needs root" {
        run "$RCTR" oci spec --rootless --bundle "$BUNDLE"
        assert_success
        local c="$BUNDLE/config.json"
        run jq -r '[.linux.namespaces[].type] | join(",")' "$c"
        assert_output 'pid,ipc,uts,mount,cgroup,user'
        run jq -c '.linux.uidMappings' "$c"
        assert_output "[{\"containerID\":0,\"hostID\":$(id -u),\"size\":1}]"
        run jq -c '.linux.gidMappings' "$c"
        assert_output "[{\"containerID\":0,\"hostID\":$(id -g),\"size\":1}]"
        run jq -c '.mounts[] | select(.destination == "/sys")' "$c"
        assert_output '{"destination":"/sys","type":"none","source":"/sys","options":["rbind","nosuid","noexec","nodev","ro"]}'
        run jq -r '[.mounts[].options // [] | .[] | select(startswith("gid=") or startswith("uid="))] | length' "$c"
        assert_output 0
        run jq -r '.linux.resources' "$c"
        assert_output null
}

@test "rctr-oci errors: unknown verb, bad option, bad bundle; --log gets them as JSON" {
        run -125 --separate-stderr "$RCTR_OCI" frobnicate
        [ "$stderr" = 'rctr-oci: unknown verb "frobnicate" (see rctr oci --help)' ]
        run -125 --separate-stderr "$RCTR" oci spec --bogus
        [ "$stderr" = 'rctr: oci: spec: unknown flag --bogus (see rctr oci spec --help)' ]
        run -125 --separate-stderr "$RCTR_OCI" --log-format xml spec
        [ "$stderr" = 'rctr-oci: invalid --log-format xml (use text or json)' ]
        local log="$BATS_TEST_TMPDIR/oci.log"
        run -125 "$RCTR_OCI" --log "$log" --log-format json spec --bundle "$BATS_TEST_TMPDIR/none"
        run jq -r '.level + " " + .msg' "$log"
        assert_output 'error spec: open bundle '"$BATS_TEST_TMPDIR"'/none: No such file or directory'
}
