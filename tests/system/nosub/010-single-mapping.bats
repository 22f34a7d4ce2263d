#!/usr/bin/env bats
# Run as a user with no subuid/subgid range (issue 3, acceptance 5): one warning, a single-id map.

load ../helpers

@test "no subordinate range: one warning line and a working single-id mapping" {
        ! grep -q "^$(id -un):" /etc/subuid
        run --separate-stderr "$RCTR" unshare cat /proc/self/uid_map
        assert_success
        assert_output --regexp "^ +0 +$(id -u) +1$"
        [ "$(wc -l <<<"$stderr")" -eq 1 ]
        [[ "$stderr" == "rctr: warning: no subuid/subgid range for $(id -un) in /etc/subuid and /etc/subgid: using a single-id mapping"*"sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $(id -un)" ]]
        run --separate-stderr "$RCTR" unshare id -u
        assert_success
        assert_output 0
        run --separate-stderr "$RCTR" unshare cat /proc/self/gid_map
        assert_line --regexp "^ +0 +$(id -g) +1$"
        # the single map forbids setgroups, as the kernel requires (CVE-2014-8989)
        run --separate-stderr "$RCTR" unshare cat /proc/self/setgroups
        assert_output deny
}

@test "no subordinate range: files made inside still belong to the user" {
        local f="$BATS_TEST_TMPDIR/f"
        run "$RCTR" unshare touch "$f"
        assert_success
        [ "$(stat -c %u "$f")" = "$(id -u)" ]
        run "$RCTR" unshare chown 1:1 "$f"
        assert_failure
}
