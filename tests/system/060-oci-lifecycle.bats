#!/usr/bin/env bats
# rctr-oci create / start / state / kill / delete / list (issue 4, acceptance 2).

load helpers

setup() {
        oci_setup
        # pid 1 ignores signals it does not handle: the command traps TERM, as a service would
        oci_edit "$BUNDLE" '.process.args = ["sh", "-c", "trap \"exit 0\" TERM; echo started > /tmp/mark; while :; do sleep 0.1; done"] | .root.readonly = false'
}

# create hands its stdio to the container, whose init waits before exec: give it files, never
# bats' pipes (which would stay open until the container exits). Sets $status and $output.
oci_create() {
        status=0
        "$RCTR_OCI" --root "$STATE" create "$@" </dev/null >"$BATS_TEST_TMPDIR/create.out" 2>&1 ||
                status=$?
        output=$(cat "$BATS_TEST_TMPDIR/create.out")
}

teardown() {
        oci_teardown
}

status_of() {
        oci state "$1" | jq -r .status
}

@test "create → created (blocked before exec) → start → running → kill → stopped → delete" {
        oci_create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" c1
        [ "$status" -eq 0 ]
        assert_output ''
        [ "$(status_of c1)" = created ]
        local pid
        pid=$(oci state c1 | jq -r .pid)
        [ "$pid" = "$(cat "$BATS_TEST_TMPDIR/pid")" ]
        # the process exists, with its namespaces, but has not run its command yet
        [ -d "/proc/$pid" ]
        [ ! -e "$BUNDLE/rootfs/tmp/mark" ]
        run oci list
        assert_line --regexp "^c1 +$pid +created +$BUNDLE "
        oci start c1 </dev/null >/dev/null 2>&1
        [ "$(status_of c1)" = running ]
        local i
        for i in $(seq 50); do [ -e "$BUNDLE/rootfs/tmp/mark" ] && break; sleep 0.05; done
        [ "$(cat "$BUNDLE/rootfs/tmp/mark")" = started ]
        run oci start c1
        [ "$status" -eq 125 ]
        assert_output 'rctr-oci: start: container c1 is running, not created'
        run oci kill c1 TERM
        assert_success
        for i in $(seq 100); do [ "$(status_of c1)" = stopped ] && break; sleep 0.05; done
        [ "$(status_of c1)" = stopped ]
        run oci state c1
        run jq -r '.pid // "none"' <<<"$output"
        assert_output none
        run oci delete c1
        assert_success
        run oci list -q
        assert_output ''
        run oci state c1
        [ "$status" -eq 125 ]
        assert_output 'rctr-oci: state: container c1 does not exist'
}

@test "state is the runtime spec's JSON" {
        jq '.annotations = {"org.example.a": "b"}' "$BUNDLE/config.json" >"$BUNDLE/c.json"
        mv "$BUNDLE/c.json" "$BUNDLE/config.json"
        oci_create --bundle "$BUNDLE" c1
        run oci state c1
        assert_success
        [ "$(jq -r '[.ociVersion, .id, .status, .bundle, .annotations["org.example.a"]] | join(" ")' <<<"$output")" = "1.1.0 c1 created $BUNDLE b" ]
        [ "$(jq -r '.pid | type' <<<"$output")" = number ]
        run oci list --format json
        [ "$(jq -r '.[0].id' <<<"$output")" = c1 ]
        oci delete --force c1
}

@test "kill takes names and numbers; delete refuses a live container unless --force" {
        oci_create --bundle "$BUNDLE" c1
        oci start c1
        run oci kill c1 NOSUCHSIG
        [ "$status" -eq 125 ]
        assert_output 'rctr-oci: kill: unknown signal NOSUCHSIG'
        run oci delete c1
        [ "$status" -eq 125 ]
        assert_output 'rctr-oci: delete: container c1 is running (stop it, or use --force)'
        local pid
        pid=$(oci state c1 | jq -r .pid)
        run oci kill c1 9
        assert_success
        local i
        for i in $(seq 100); do [ "$(status_of c1)" = stopped ] && break; sleep 0.05; done
        [ "$(status_of c1)" = stopped ]
        run oci delete c1
        assert_success
}

@test "delete --force kills a created or running container; of one that is gone it exits 0" {
        oci_create --bundle "$BUNDLE" c1
        local pid
        pid=$(oci state c1 | jq -r .pid)
        run oci delete --force c1
        assert_success
        [ "$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo gone)" != S ]
        run oci list -q
        assert_output ''
        run oci delete --force c1
        assert_success
}

@test "ids are checked and unique" {
        oci_create --bundle "$BUNDLE" '../x'
        [ "$status" -eq 125 ]
        assert_output 'rctr-oci: create: invalid container id ../x (letters, digits, _+.-)'
        oci_create --bundle "$BUNDLE" c1
        oci_create --bundle "$BUNDLE" c1
        [ "$status" -eq 125 ]
        assert_output 'rctr-oci: create: container c1 already exists'
        oci delete --force c1
}

@test "a failed create leaves no state and no process behind" {
        jq '.process.args = ["/no/such/program"]' "$BUNDLE/config.json" >"$BUNDLE/c.json"
        mv "$BUNDLE/c.json" "$BUNDLE/config.json"
        # the command is looked up only at start; a bad mount fails create itself
        jq '.mounts += [{"destination": "/x", "type": "bind", "source": "/no/such/source"}]' \
                "$BUNDLE/config.json" >"$BUNDLE/c.json"
        mv "$BUNDLE/c.json" "$BUNDLE/config.json"
        oci_create --bundle "$BUNDLE" c1
        [ "$status" -eq 125 ]
        assert_output 'rctr-oci: create: mounts[7]: bind mount source /no/such/source: No such file or directory'
        run oci list -q
        assert_output ''
        [ -z "$(ls -A "$STATE")" ]
}

@test "run --keep keeps the state of the stopped container; run without it does not" {
        jq '.process.args = ["true"]' "$BUNDLE/config.json" >"$BUNDLE/c.json"
        mv "$BUNDLE/c.json" "$BUNDLE/config.json"
        run oci run --bundle "$BUNDLE" c1
        assert_success
        run oci list -q
        assert_output ''
        run oci run --keep --bundle "$BUNDLE" c2
        assert_success
        [ "$(status_of c2)" = stopped ]
        oci delete c2
}

@test "ps lists the container's processes; features tells what is implemented" {
        oci_create --bundle "$BUNDLE" c1
        oci start c1
        local pid
        pid=$(oci state c1 | jq -r .pid)
        local i
        for i in $(seq 50); do [ -e "$BUNDLE/rootfs/tmp/mark" ] && break; sleep 0.05; done
        run oci ps --format json c1
        assert_success
        # the init and its sleep child, nothing of the host
        [ "$(jq -r --argjson p "$pid" 'index($p) != null' <<<"$output")" = true ]
        [ "$(jq -r 'length' <<<"$output")" -ge 1 ]
        [ "$(jq -r 'length' <<<"$output")" -le 3 ]
        run oci ps c1
        assert_line --index 0 --regexp '^PID +CMD$'
        assert_line --regexp "^$pid +sh -c trap"
        oci kill c1 KILL
        for i in $(seq 100); do [ "$(status_of c1)" = stopped ] && break; sleep 0.05; done
        run oci ps c1
        [ "$status" -eq 125 ]
        assert_output 'rctr-oci: ps: container c1 is not running'

        run oci features
        assert_success
        [ "$(jq -r .ociVersionMax <<<"$output")" = 1.1.0 ]
        [ "$(jq -r '.linux.namespaces | index("user") != null' <<<"$output")" = true ]
        [ "$(jq -r '.linux.capabilities | index("CAP_SYS_ADMIN") != null' <<<"$output")" = true ]
        [ "$(jq -r '.mountOptions | index("rbind") != null' <<<"$output")" = true ]
        [ "$(jq -r .linux.seccomp.enabled <<<"$output")" = true ]
        [ "$(jq -r '.linux.seccomp.actions | index("SCMP_ACT_ERRNO") != null' <<<"$output")" = true ]
}

@test "a time namespace with linux.timeOffsets; exec joins it; bad offsets are clear errors" {
        oci_edit "$BUNDLE" '.linux.namespaces += [{"type": "time"}] |
                .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}} |
                .process.args = ["sh", "-c", "trap \"exit 0\" TERM; cut -d. -f1 /proc/uptime > /tmp/up; while :; do sleep 0.1; done"]'
        oci_create --bundle "$BUNDLE" c1
        [ "$status" -eq 0 ]
        oci start c1
        wait_for_file "$BUNDLE/rootfs/tmp/up"
        sleep 0.2
        # ten days ahead of the host's uptime
        [ "$(cat "$BUNDLE/rootfs/tmp/up")" -ge 864000 ]
        run oci exec c1 sh -c 'cut -d. -f1 /proc/uptime; grep boottime /proc/self/timens_offsets'
        assert_success
        [ "${lines[0]}" -ge 864000 ]
        assert_line --regexp '^boottime +864000 +0$'
        oci delete --force c1
        oci_edit "$BUNDLE" '.linux.timeOffsets = {"monotonic": {"secs": "x"}}'
        oci_create --bundle "$BUNDLE" c2
        [ "$status" -eq 125 ]
        assert_output --partial 'linux.timeOffsets.monotonic: needs integer secs'
}
