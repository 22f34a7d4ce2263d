#!/usr/bin/env bats
# rctr info: what a user runs first when something does not work.

load helpers

@test "info shows rootless, mappings and the pause process" {
        run_rctr info
        assert_line '  rootless: true'
        assert_line --regexp '^  pausePid: [0-9]+$'
        assert_line --regexp '^  kernelOverlay:$'
        run_rctr info --format json
        local json="$output"
        [ "$(jq -r .host.rootless <<<"$json")" = true ]
        [ "$(jq -r '.host.idMappings.uidmap[0] | "\(.container_id) \(.host_id) \(.size)"' <<<"$json")" = "0 $(id -u) 1" ]
        [ "$(jq -r '.host.idMappings.uidmap[1] | "\(.container_id) \(.host_id) \(.size)"' <<<"$json")" = "1 $(rctr_subuid_start) $(rctr_subuid_count)" ]
        [ "$(jq -r '.host.idMappings.gidmap[1].host_id' <<<"$json")" = "$(rctr_subgid_start)" ]
        [ "$(jq -r .host.pausePid <<<"$json")" = "$(cat "$XDG_RUNTIME_DIR/rctr/pause.pid")" ]
        [ "$(jq -r .paths.root <<<"$json")" = "$RCTR_ROOT" ]
        [ "$(jq -r .paths.runroot <<<"$json")" = "$RCTR_RUNROOT" ]
}

@test "info reports storage drivers, tun and cgroups from real probes" {
        run_rctr info --format json
        local json="$output"
        run jq -r .storage.driver <<<"$json"
        assert_output --regexp '^(overlay|fuse-overlayfs|vfs)$'
        # the kernel here is >= 5.11: rootless overlay with userxattr must mount
        if [ "$(printf '%s\n' 5.11 "$(uname -r)" | sort -V | head -1)" = 5.11 ]; then
                [ "$(jq -r .storage.kernelOverlay.available <<<"$json")" = true ]
        fi
        # the harness (like a normal distro) leaves /dev/net/tun and /dev/fuse at 0666
        [ "$(jq -r .host.network.devNetTun <<<"$json")" = true ]
        [ "$(jq -r .storage.fuseOverlayfs.devFuse <<<"$json")" = true ]
        run jq -r .host.cgroups.version <<<"$json"
        assert_output --regexp '^(v2|v1|v1 \(hybrid\))$'
        [ "$(jq -r '.host.cgroups.controllers | length' <<<"$json")" -gt 0 ]
        # the probe leaves nothing behind in the store
        run find "$RCTR_ROOT" -name '.probe-*'
        assert_output ''
}

@test "info still reports when the user namespace cannot be made" {
        mkdir -p "$BATS_TEST_TMPDIR/bin"
        cp /usr/bin/newuidmap /usr/bin/newgidmap "$BATS_TEST_TMPDIR/bin/"
        PATH="$BATS_TEST_TMPDIR/bin:$PATH" run --separate-stderr "$RCTR" --root "$RCTR_ROOT" info --format json
        assert_success
        [[ "$stderr" == "rctr: warning: enter rootless user namespace: "*"is neither setuid root"* ]]
        run jq -r .host.usernsError <<<"$output"
        assert_output --partial 'newuidmap is neither setuid root'
}

@test "info --format refuses unknown formats" {
        run -125 --separate-stderr "$RCTR" info --format yaml
        [ "$stderr" = 'rctr: info: unknown --format yaml (use text or json)' ]
        run -125 --separate-stderr "$RCTR" info extra
        [ "$stderr" = 'rctr: info: unexpected argument extra' ]
}
