#!/usr/bin/env bats
# rctr-oci run by root (issue 4, acceptance 6): a user namespace created with the config's own
# mappings, device nodes made with mknod, pause/resume through a freezer cgroup.

load ../helpers

setup() {
        RCTR_OCI="$(dirname "$RCTR")/rctr-oci"
        STATE="$BATS_TEST_TMPDIR/state"
        BUNDLE="$BATS_TEST_TMPDIR/bundle"
        # the container's root user (a subordinate id) must reach the bundle
        chmod 0755 "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR"
        mkdir -p "$BUNDLE/rootfs"
        tar -xzf "$RCTR_BUSYBOX_OCI/blobs/sha256/$(cut -d: -f2 <"$RCTR_BUSYBOX_OCI/.layer-digest")" \
                -C "$BUNDLE/rootfs"
        "$RCTR_OCI" spec --bundle "$BUNDLE" # root's default: no user namespace
        oci_edit "$BUNDLE" '.process.terminal = false | .hostname = "rootbox"'
        cd "$BUNDLE"
}

teardown() {
        local id
        for id in $("$RCTR_OCI" --root "$STATE" list -q 2>/dev/null); do
                "$RCTR_OCI" --root "$STATE" delete --force "$id" || true
        done
        [ -z "${FREEZER:-}" ] || rmdir "$FREEZER" 2>/dev/null || true
}

oci() {
        "$RCTR_OCI" --root "$STATE" "$@"
}

# a user namespace mapping 0-65535 to host ids 200000-265535, owning the rootfs (as a runtime's
# caller arranges: unmapped, its root could not create mount points in it)
userns() {
        chown -R 200000:200000 "$BUNDLE/rootfs"
        oci_edit "$BUNDLE" '.linux.namespaces += [{"type": "user"}] |
                .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}] |
                .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
}

@test "root: a user namespace with the config's mappings; the checks of the rootless runs pass" {
        userns
        oci_set_args "$BUNDLE" echo hi
        run oci run c1
        assert_success
        assert_output hi
        oci_set_args "$BUNDLE" sh -c 'exit 3'
        run -3 oci run c1

        touch "$BUNDLE/rootfs/rootfs-mark"
        oci_set_args "$BUNDLE" sh -c 'cat /proc/self/uid_map; echo "pid $$"; hostname; ls /;
                cat /proc/kcore && echo kcore-readable; echo 1 > /proc/sys/kernel/ostype || echo sys-ro;
                grep -E "^(CapBnd|CapEff|NoNewPrivs)" /proc/self/status; mkdir /dev/shm/d && echo made'
        run oci run c1
        assert_success
        assert_line --regexp '^ +0 +200000 +65536$'
        assert_line 'pid 1'
        assert_line rootbox
        assert_line rootfs-mark
        refute_line work
        refute_line kcore-readable
        assert_line sys-ro
        # runc spec's default set: CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE
        assert_line --regexp 'CapBnd:[[:space:]]+0000000020000420'
        assert_line --regexp 'NoNewPrivs:[[:space:]]+1'
        assert_line made

        # seccomp with the user namespace
        oci_edit "$BUNDLE" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
        oci_set_args "$BUNDLE" mkdir /dev/shm/e
        run oci run c1
        [ "$status" -ne 0 ]
        assert_output --partial 'Operation not permitted'
}

@test "root: files the container writes are owned by the mapped host ids; exec joins its user namespace" {
        userns
        mkdir -m 0777 "$BATS_TEST_TMPDIR/shared"
        oci_edit "$BUNDLE" '.mounts += [{"destination": "/shared", "type": "bind", "source": $s, "options": ["rbind"]}]' \
                --arg s "$BATS_TEST_TMPDIR/shared"
        oci_set_args "$BUNDLE" sh -c 'touch /shared/by-root; trap "exit 0" TERM; while :; do sleep 0.1; done'
        oci run -d c1 </dev/null >/dev/null 2>&1
        wait_for_file "$BATS_TEST_TMPDIR/shared/by-root"
        [ "$(stat -c %u:%g "$BATS_TEST_TMPDIR/shared/by-root")" = 200000:200000 ]
        run oci exec -u 1000:1000 c1 sh -c 'touch /shared/by-1000; cat /proc/self/uid_map'
        assert_success
        assert_line --regexp '^ +0 +200000 +65536$'
        [ "$(stat -c %u:%g "$BATS_TEST_TMPDIR/shared/by-1000")" = 201000:201000 ]
}

@test "root: linux.devices are made with mknod, owned and moded as configured" {
        oci_edit "$BUNDLE" '.linux.devices = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
                "fileMode": 416, "uid": 1000, "gid": 1001}]'
        oci_set_args "$BUNDLE" sh -c 'ls -ln /dev/mynull; echo x > /dev/mynull && echo wrote'
        oci_edit "$BUNDLE" '.process.user = {"uid": 1000, "gid": 1001}'
        run oci run c1
        assert_success
        assert_line --regexp '^crw-r----- +1 +1000 +1001 +1, +3 .*/dev/mynull$'
        assert_line wrote
        # root of the container (without CAP_DAC_OVERRIDE) may not write it: the mode holds
        oci_edit "$BUNDLE" '.process.user = {"uid": 0, "gid": 0}'
        run oci run c1
        assert_output --partial 'Permission denied'
        refute_line wrote
}

@test "root: pause and resume freeze and thaw the container's freezer cgroup" {
        oci_set_args "$BUNDLE" sh -c 'trap "exit 0" TERM; while :; do date +%s%N > /dev/shm/t; sleep 0.05; done'
        oci run -d --pid-file "$BATS_TEST_TMPDIR/pid" c1 </dev/null >/dev/null 2>&1
        local pid
        pid=$(cat "$BATS_TEST_TMPDIR/pid")
        # without a cgroup of its own there is nothing to freeze: a clear error
        run -125 oci pause c1
        assert_output --partial 'no cgroup of its own'
        # a child group of the freezer (never out of the caller's own)
        FREEZER="/sys/fs/cgroup/freezer$(awk -F: '$2 == "freezer" {print $3}' /proc/self/cgroup)/rctr-test-$BATS_TEST_NUMBER-$$"
        FREEZER=${FREEZER//\/\//\/}
        mkdir "$FREEZER"
        echo "$pid" >"$FREEZER/cgroup.procs"
        oci pause c1
        [ "$(oci state c1 | jq -r .status)" = paused ]
        [ "$(cat "$FREEZER/freezer.state")" = FROZEN ]
        run -125 oci pause c1
        assert_output --partial 'is paused, not running'
        oci resume c1
        [ "$(oci state c1 | jq -r .status)" = running ]
        [ "$(cat "$FREEZER/freezer.state")" = THAWED ]
        oci kill --all c1 KILL
        local i
        for i in $(seq 100); do
                [ "$(oci state c1 | jq -r .status)" = stopped ] && break
                sleep 0.05
        done
        [ "$(oci state c1 | jq -r .status)" = stopped ]
}
