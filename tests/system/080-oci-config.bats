#!/usr/bin/env bats
# rctr-oci and the rest of config.json: seccomp, hooks, sysctl, devices, personality, resources,
# security modules, Intel RDT (issue 4, acceptance 3 and the config.json list).

load helpers

setup() {
        oci_setup
        cd "$BUNDLE" # runc's default bundle: the current directory
}

teardown() {
        oci_teardown
}

# args ARG...: the container's command
args() {
        oci_set_args "$BUNDLE" "$@"
}

deny_mkdir='{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'

@test "seccomp: a profile denying mkdir with EPERM makes mkdir fail with EPERM, also in exec" {
        oci_edit "$BUNDLE" ".linux.seccomp = $deny_mkdir"
        args sh -c 'mkdir /tmp/x; echo "status $?"; grep Seccomp: /proc/self/status'
        oci_edit "$BUNDLE" '.root.readonly = false'
        run oci run c1
        assert_success
        assert_line --partial 'Operation not permitted'
        assert_line 'status 1'
        assert_line --regexp 'Seccomp:[[:space:]]+2'
        # another errno, and a process started by exec gets the container's filter
        oci_edit "$BUNDLE" '.linux.seccomp.syscalls[0].errnoRet = 38'
        args sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
        oci run -d c2 </dev/null >/dev/null 2>&1
        run oci exec c2 mkdir /tmp/y
        [ "$status" -ne 0 ]
        assert_output --partial 'Function not implemented'
        # argument conditions: only a chmod to 0700 (448) is refused (mkdir -m chmods after)
        oci_edit "$BUNDLE" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
                 "args": [{"index": 1, "value": 448, "op": "SCMP_CMP_EQ"}]},
                {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
                 "args": [{"index": 2, "value": 448, "op": "SCMP_CMP_EQ"}]}]}'
        args sh -c 'mkdir -m 755 /tmp/open && echo made-755; mkdir -m 700 /tmp/closed || echo refused-700'
        run oci run c3
        assert_success
        assert_line made-755
        assert_line --partial 'Permission denied'
        assert_line refused-700
}

@test "seccomp: a bad profile is a clear error and leaves nothing behind" {
        oci_edit "$BUNDLE" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]}'
        run -125 --separate-stderr oci run c1
        [ "$stderr" = 'rctr-oci: run: linux.seccomp.syscalls[0].action: unknown action SCMP_ACT_BOGUS' ]
        [ -z "$(oci list -q)" ]
        oci_edit "$BUNDLE" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]}'
        run -125 oci run c1
        assert_output --partial 'SCMP_ARCH_VAX'
}

@test "hooks: all six run at their point with the state on stdin; poststop at delete" {
        local h="$BATS_TEST_TMPDIR/hooks"
        mkdir -p "$h"
        # each hook saves its stdin; createContainer also where it runs (the container's mounts)
        oci_edit "$BUNDLE" '.root.readonly = false | .hooks = {
                "prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > \($h)/prestart"]}],
                "createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > \($h)/createRuntime"]}],
                "createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > \($h)/createContainer; readlink /proc/self/ns/mnt > \($h)/createContainer.mnt"]}],
                "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > /tmp/started"], "env": ["A=b"]}],
                "poststart": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > \($h)/poststart"]}],
                "poststop": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > \($h)/poststop"]}]}' \
                --arg h "$h"
        args sh -c 'trap "exit 0" TERM; cat /tmp/started; echo; while :; do sleep 0.1; done'
        oci create --pid-file "$BATS_TEST_TMPDIR/pid" c1 </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
        local pid
        pid=$(cat "$BATS_TEST_TMPDIR/pid")
        [ "$(jq -r '.status + " " + .id + " " + (.pid|tostring)' "$h/prestart")" = "creating c1 $pid" ]
        [ "$(jq -r .status "$h/createRuntime")" = creating ]
        [ "$(jq -r .bundle "$h/createContainer")" = "$BUNDLE" ]
        [ "$(cat "$h/createContainer.mnt")" = "$(readlink "/proc/$pid/ns/mnt")" ]
        [ ! -e "$h/poststart" ]
        oci start c1
        wait_for_file "$h/poststart"
        [ "$(jq -r .status "$h/poststart")" = running ]
        # startContainer ran in the container, before the command
        run cat "$BATS_TEST_TMPDIR/out"
        assert_output --partial '"status":"created"'
        [ ! -e "$h/poststop" ]
        oci delete --force c1
        [ "$(jq -r '.status + " " + (.pid|tostring)' "$h/poststop")" = "stopped null" ]
}

@test "hooks: a failing or timed-out createRuntime hook stops create and leaves nothing" {
        oci_edit "$BUNDLE" '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "echo no way >&2; exit 3"]}]'
        args true
        run -125 oci create c1
        assert_output --partial 'createRuntime hook /bin/sh: exited with status 3: no way'
        [ -z "$(oci list -q)" ]
        oci_edit "$BUNDLE" '.hooks.createRuntime = [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]'
        run -125 oci run c1
        assert_output --partial 'timed out after 1 s'
        [ -z "$(oci list -q)" ]
        # poststop failures are warnings only
        oci_edit "$BUNDLE" 'del(.hooks.createRuntime) | .hooks.poststop = [{"path": "/bin/false"}]'
        run oci run c2
        assert_success
        assert_output --partial 'warning: poststop hook /bin/false'
}

@test "sysctl of the container's namespaces is set; a host sysctl is refused" {
        oci_edit "$BUNDLE" '.linux.namespaces += [{"type": "network"}] |
                .linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "4096"}'
        args sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax'
        run oci run c1
        assert_success
        assert_output $'1\n4096'
        oci_edit "$BUNDLE" '.linux.sysctl = {"kernel.printk": "1"}'
        run -125 oci run c1
        assert_output --partial 'linux.sysctl.kernel.printk: not a parameter of a container namespace'
        oci_edit "$BUNDLE" 'del(.linux.namespaces[] | select(.type == "network")) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
        run -125 oci run c1
        assert_output --partial 'needs a network namespace of the container'"'"'s own'
        # joined by path: fine when it is not the runtime's own (podman's netns), else refused
        oci_edit "$BUNDLE" '.linux.namespaces += [{"type": "network", "path": "/proc/self/ns/net"}]'
        run -125 oci run c1
        assert_output --partial 'needs a network namespace of the container'"'"'s own'
}

@test "devices: a host device is bound in rootless, a fifo is made; personality; resources recorded" {
        oci_edit "$BUNDLE" '.linux.devices = [
                {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438},
                {"path": "/dev/sub/fifo", "type": "p"}] |
                .linux.personality = {"domain": "LINUX32"} |
                .linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 100}}'
        args sh -c 'ls -l /dev/fuse; [ -p /dev/sub/fifo ] && echo fifo; uname -m; trap "exit 0" TERM; while :; do sleep 0.1; done'
        oci run -d c1 </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
        run oci state c1
        [ "$(jq -r .rctrResourcesApplied <<<"$output")" = false ]
        wait_for_file "$BUNDLE/rootfs/dev" # the command runs meanwhile
        sleep 0.5
        run cat "$BATS_TEST_TMPDIR/out"
        assert_line --regexp '^crw.* 10, *229 .*/dev/fuse$'
        assert_line fifo
        assert_line i686
        oci_edit "$BUNDLE" '.linux.devices = [{"path": "/dev/x", "type": "q"}]'
        run -125 oci run c2
        assert_output --partial 'linux.devices[0]: type: unknown type q'
}

@test "an AppArmor profile or SELinux label where the module is off, and Intel RDT, are clear errors" {
        [ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is enabled here"
        oci_edit "$BUNDLE" '.process.selinuxLabel = "system_u:system_r:container_t:s0"'
        run -125 oci run c1
        assert_output --partial 'SELinux is not enabled on this host'
        oci_edit "$BUNDLE" 'del(.process.selinuxLabel) | .linux.intelRdt = {"closID": "x"}'
        run -125 oci run c1
        assert_output --partial 'linux.intelRdt: Intel RDT (resctrl) is not supported'
        [ -z "$(oci list -q)" ]
        if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
                oci_edit "$BUNDLE" 'del(.linux.intelRdt) | .process.apparmorProfile = "p"'
                run -125 oci run c1
                assert_output --partial 'AppArmor is not enabled on this host'
        fi
}
