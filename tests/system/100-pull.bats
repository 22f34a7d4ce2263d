#!/usr/bin/env bats
# rctr pull, images, inspect, tag, untag, rmi, image prune, login, logout against the suite's
# real registries (issue 5: acceptance 1, 2, 3 (malformed), 4, 7 (json)). The variants of the
# busybox fixture are built here and pushed once per file.

load helpers

make_oci() {
        /usr/bin/python3 "$RCTR_FIXTURES/make-oci.py" "$@"
}

push() { # OCIDIR REPO [skopeo flags...]
        local dir=$1 repo=$2
        shift 2
        skopeo copy -q --dest-tls-verify=false "$@" "oci:$dir:latest" "docker://$RCTR_REGISTRY/$repo:latest"
}

setup_file() {
        local d="$BATS_FILE_TMPDIR"
        push "$RCTR_BUSYBOX_OCI" bb-v2s2 --format v2s2
        push "$RCTR_BUSYBOX_OCI" bb-oci --format oci
        push "$RCTR_BUSYBOX_OCI" bb-zstd --format oci --dest-compress-format zstd
        make_oci "$d/arm" --tag latest --base "$RCTR_BUSYBOX_OCI" --arch arm64 --layer files
        make_oci "$d/multi" --tag latest --index "$RCTR_BUSYBOX_OCI" "$d/arm"
        push "$d/multi" multi --all
        local kind
        for kind in escape abs symlink hardlink; do
                make_oci "$d/$kind" --tag latest --base "$RCTR_BUSYBOX_OCI" --layer "$kind"
                push "$d/$kind" "hostile-$kind"
        done
        make_oci "$d/wh" --tag latest --base "$RCTR_BUSYBOX_OCI" --layer homefile --layer whiteout --layer opaque --layer files
        push "$d/wh" whiteouts
}

pull() {
        run_rctr "$@"
}

# the store as a sorted listing: what a failed pull must leave unchanged
store_listing() {
        "$RCTR" unshare find "$RCTR_ROOT" -path "$RCTR_ROOT/storage.lock" -prune -o -print | sort
}

@test "pull by tag prints the id; by digest gives the same image; images and inspect show it" {
        run_rctr pull -q --tls-verify=false "$RCTR_REGISTRY/busybox:latest"
        [[ "$output" =~ ^[0-9a-f]{64}$ ]]
        local id=$output
        run_rctr images --digests --format json
        jq -e . <<<"$output" >/dev/null
        [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
        local digest
        digest=$(jq -r '.[0].Digest' <<<"$output")
        [[ "$digest" == sha256:* ]]
        run_rctr pull -q --tls-verify=false "$RCTR_REGISTRY/busybox@$digest"
        [ "$output" = "$id" ]
        run_rctr images
        assert_line --regexp "^$RCTR_REGISTRY/busybox +latest +${id:0:12} "
        run_rctr inspect "$RCTR_REGISTRY/busybox"
        [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
        [ "$(jq -r '.[0].Config.Cmd[0]' <<<"$output")" = sh ]
        run_rctr images -q
        [ "$output" = "${id:0:12}" ]
}

@test "docker v2s2, OCI, zstd layers and a manifest list all give the same image" {
        local repo ids=()
        for repo in busybox bb-v2s2 bb-oci bb-zstd multi; do
                run_rctr pull -q --tls-verify=false "$RCTR_REGISTRY/$repo:latest"
                ids+=("$output")
        done
        # one config, one set of layers: the same id, unpacked once
        [ "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)" -eq 1 ]
        [ "$(ls "$RCTR_ROOT/layers" | wc -l)" -eq 1 ]
        run "$RCTR" unshare cat "$RCTR_ROOT/layers/$(ls "$RCTR_ROOT/layers")/diff/etc/passwd"
        assert_line --partial root:x:0:0
        # the index's other platform on request; one it lacks is a clear error
        run_rctr pull -q --tls-verify=false --platform linux/arm64 "$RCTR_REGISTRY/multi:latest"
        [ "$output" != "${ids[0]}" ]
        run_rctr 125 pull --tls-verify=false --platform linux/s390x "$RCTR_REGISTRY/multi:latest"
        assert_output --partial 'no image for linux/s390x in the index (it has: linux/amd64, linux/arm64)'
}

@test "basic auth: a wrong password is a clear error; login then pull works; logout and it fails" {
        local reg=$RCTR_AUTH_REGISTRY
        run_rctr 125 pull --tls-verify=false --creds "$RCTR_AUTH_USER:wrong" "$reg/busybox:latest"
        assert_output --partial 'authentication failed (HTTP 401)'
        [ "${#lines[@]}" -eq 1 ]
        run_rctr 125 pull --tls-verify=false "$reg/busybox:latest"
        assert_output --partial "authentication required"
        run bash -c "printf wrong | '$RCTR' login --tls-verify=false -u '$RCTR_AUTH_USER' --password-stdin '$reg'"
        [ "$status" -eq 125 ]
        run bash -c "printf '%s' '$RCTR_AUTH_PASS' | '$RCTR' login --tls-verify=false -u '$RCTR_AUTH_USER' --password-stdin '$reg'"
        assert_success
        assert_output 'Login Succeeded!'
        [ "$(stat -c %a "$XDG_RUNTIME_DIR/containers/auth.json")" = 600 ]
        run_rctr pull -q --tls-verify=false "$reg/busybox:latest"
        run "$RCTR" logout "$reg"
        assert_success
        run_rctr 125 pull --tls-verify=false "$reg/busybox:latest"
        assert_output --partial "authentication required"
}

@test "unknown images, bad names and malformed references are one clear line, exit 125" {
        run_rctr 125 pull --tls-verify=false "$RCTR_REGISTRY/no-such-image:latest"
        assert_output "rctr: pull $RCTR_REGISTRY/no-such-image:latest: manifest unknown (HTTP 404)"
        run_rctr 125 pull "UPPER/case"
        assert_output --partial 'must be lowercase'
        run_rctr 125 pull --tls-verify=maybe busybox
        run_rctr 125 pull
        run_rctr 125 rmi nothing-here
        assert_output 'rctr: rmi: nothing-here: image not known (see rctr images)'
        # nothing of these reached the store
        [ ! -e "$RCTR_ROOT/images.json" ]
}

@test "hostile layers fail the pull with a clear error; nothing is written outside the store, the store is unchanged" {
        run_rctr pull -q --tls-verify=false "$RCTR_REGISTRY/busybox:latest"
        local before kind
        before=$(store_listing)
        for kind in escape abs symlink hardlink; do
                run_rctr 125 pull --tls-verify=false "$RCTR_REGISTRY/hostile-$kind:latest"
                assert_output --partial "hostile-$kind"
                assert_output --partial 'layer entry'
                [ "$(store_listing)" = "$before" ]
        done
        # where the entries aimed: next to the store, and the host's /tmp and /etc
        [ ! -e "$BATS_TEST_TMPDIR/escape" ] && [ ! -e "$(dirname "$RCTR_ROOT")/escape" ]
        [ ! -e /abs-file ] && [ ! -e /tmp/owned-through-link ]
}

@test "whiteouts and opaque directories are stored as overlay expects them" {
        run_rctr pull -q --tls-verify=false "$RCTR_REGISTRY/whiteouts:latest"
        run_rctr inspect "$RCTR_REGISTRY/whiteouts"
        local layers
        layers=$(jq -r '.[0].RootFS.diff_ids | length' <<<"$output")
        [ "$layers" -eq 5 ]
        # the whiteout of /etc/group: a 0/0 character device; /home: opaque
        run "$RCTR" unshare sh -c "cd '$RCTR_ROOT/layers' && for d in */diff; do
                [ -c \$d/etc/group ] && stat -c '%t,%T' \$d/etc/group
                getfattr -n user.overlay.opaque --only-values \$d/home 2>/dev/null && echo
                done; true"
        assert_line 0,0
        assert_line y
}

@test "tag, untag, rmi by name and by id, image prune; layers nobody uses go" {
        run_rctr pull -q --tls-verify=false "$RCTR_REGISTRY/busybox:latest"
        local id=$output
        run_rctr tag "$RCTR_REGISTRY/busybox" mybox:1 other
        run_rctr images --format json
        [ "$(jq -r '.[0].Names | sort | join(" ")' <<<"$output")" = "$RCTR_REGISTRY/busybox:latest localhost/mybox:1 localhost/other:latest" ]
        run_rctr rmi mybox:1
        assert_output 'Untagged: localhost/mybox:1'
        run_rctr untag other localhost/other:latest
        run_rctr images --format json
        [ "$(jq -r '.[0].Names | join(" ")' <<<"$output")" = "$RCTR_REGISTRY/busybox:latest" ]
        # without names: all of them
        run_rctr untag "$RCTR_REGISTRY/busybox:latest"
        run_rctr images
        assert_line --regexp "^<none> +<none> +${id:0:12} "
        run_rctr image prune
        assert_output "$id"
        [ -z "$(ls "$RCTR_ROOT/layers")" ]
        run_rctr pull -q --tls-verify=false "$RCTR_REGISTRY/busybox:latest"
        run_rctr rmi "${id:0:8}"
        assert_line "Deleted: $id"
        run_rctr images -q
        assert_output ''
}

@test "system df counts each layer once" {
        run_rctr pull -q --tls-verify=false "$RCTR_REGISTRY/busybox:latest"
        run_rctr tag "$RCTR_REGISTRY/busybox:latest" again
        run_rctr system df --format json
        [ "$(jq -r '.[0].Total' <<<"$output")" -eq 1 ]
        local size
        size=$(jq -r '.[0].Size' <<<"$output")
        [ "$size" -gt 1000000 ]
        run_rctr images --format json
        [ "$(jq -r '.[0].Size' <<<"$output")" -eq "$size" ]
        run_rctr system df
        assert_line --regexp '^Images +1 +0 +'
}
