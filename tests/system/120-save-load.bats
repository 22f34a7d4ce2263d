#!/usr/bin/env bats
# rctr save, load and import (issue acceptance: "save → rmi → load gives back the same image
# id"): both archive formats, to and from files and pipes, compressed archives, damaged ones
# (which must leave the store as it was), and root file system tarballs.

load helpers

make_oci() {
        /usr/bin/python3 "$RCTR_FIXTURES/make-oci.py" "$@"
}

setup_file() {
        local d="$BATS_FILE_TMPDIR"
        make_oci "$d/wh" --tag latest --base "$RCTR_BUSYBOX_OCI" --layer homefile --layer whiteout --layer opaque --layer files
        skopeo copy -q --dest-tls-verify=false "oci:$d/wh:latest" "docker://$RCTR_REGISTRY/save-whiteouts:latest"
}

pull_busybox() {
        run_rctr pull -q --tls-verify=false "$RCTR_REGISTRY/busybox:latest"
        id=$output
}

# the store as a sorted listing: what a failed load must leave unchanged
store_listing() {
        "$RCTR" unshare find "$RCTR_ROOT" -path "$RCTR_ROOT/storage.lock" -prune -o -print | sort
}

@test "docker-archive: save -o, rmi, load -i gives back the same id and name" {
        local id name="$RCTR_REGISTRY/busybox:latest" a="$BATS_TEST_TMPDIR/bb.tar"
        pull_busybox
        run_rctr save -o "$a" "$name"
        assert_line --partial 'Copying blob'
        # podman's layout: the config under its digest, each layer under its diff_id
        run tar -tf "$a"
        assert_line manifest.json
        assert_line "$id.json"
        run tar -xOf "$a" manifest.json
        [ "$(jq -r '.[0].RepoTags[0]' <<<"$output")" = "$name" ]
        local layer
        layer=$(jq -r '.[0].Layers[0]' <<<"$output")
        # the layer is the registry's layer, uncompressed, byte for byte: its digest is the diff_id
        run_rctr inspect "$name"
        [ "sha256:$(tar -xOf "$a" "$layer" | sha256sum | cut -d' ' -f1)" = "$(jq -r '.[0].RootFS.diff_ids[0]' <<<"$output")" ]
        run_rctr rmi "$name"
        [ -z "$(ls "$RCTR_ROOT/layers")" ]
        run_rctr load -q -i "$a"
        assert_output "Loaded image: $name"
        run_rctr images --format json
        jq -e . <<<"$output" >/dev/null
        [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
        [ "$(jq -r '.[0].Names[0]' <<<"$output")" = "$name" ]
        # and the image is whole again: its files, its config
        run "$RCTR" unshare cat "$RCTR_ROOT/layers/$(ls "$RCTR_ROOT/layers")/diff/etc/passwd"
        assert_line --partial root:x:0:0
        run_rctr inspect "$name"
        [ "$(jq -r '.[0].Config.Cmd[0]' <<<"$output")" = sh ]
}

@test "oci-archive: save to stdout, rmi, load from stdin gives back the same id" {
        local id name="$RCTR_REGISTRY/busybox:latest" a="$BATS_TEST_TMPDIR/bb-oci.tar"
        pull_busybox
        rctr save -q --format oci-archive "$name" >"$a"
        run tar -xOf "$a" index.json
        [ "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' <<<"$output")" = "$name" ]
        run tar -xOf "$a" oci-layout
        assert_output '{"imageLayoutVersion":"1.0.0"}'
        run_rctr rmi "$name"
        run bash -c "'$RCTR' --root '$RCTR_ROOT' --runroot '$RCTR_RUNROOT' load -q <'$a'"
        assert_success
        assert_output "Loaded image: $name"
        run_rctr images --format json
        jq -e . <<<"$output" >/dev/null
        [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
}

@test "a compressed archive from a pipe; save by id has no name; -m saves several images" {
        local id wh
        pull_busybox
        run_rctr pull -q --tls-verify=false "$RCTR_REGISTRY/save-whiteouts:latest"
        wh=$output
        rctr save -q "$id" | gzip >"$BATS_TEST_TMPDIR/byid.tar.gz"
        rctr save -q -m "$RCTR_REGISTRY/busybox" "$RCTR_REGISTRY/save-whiteouts" | zstd -q >"$BATS_TEST_TMPDIR/two.tar.zst"
        run_rctr rmi -a
        run bash -c "'$RCTR' --root '$RCTR_ROOT' --runroot '$RCTR_RUNROOT' load -q <'$BATS_TEST_TMPDIR/byid.tar.gz'"
        assert_success
        assert_output "Loaded image: sha256:$id"
        run_rctr rmi -a
        run_rctr load -q -i "$BATS_TEST_TMPDIR/two.tar.zst"
        assert_line "Loaded image: $RCTR_REGISTRY/busybox:latest"
        assert_line "Loaded image: $RCTR_REGISTRY/save-whiteouts:latest"
        run_rctr images --format json
        [ "$(jq -r '[.[].Id] | sort | join(" ")' <<<"$output")" = "$(printf '%s\n' "$id" "$wh" | sort | paste -sd' ')" ]
}

@test "whiteouts and opaque directories come back byte for byte: the same id in both formats" {
        local wh name="$RCTR_REGISTRY/save-whiteouts:latest" fmt
        run_rctr pull -q --tls-verify=false "$name"
        wh=$output
        for fmt in docker-archive oci-archive; do
                run_rctr save -q --format "$fmt" -o "$BATS_TEST_TMPDIR/wh.tar" "$name"
                run_rctr rmi "$name"
                run_rctr load -q -i "$BATS_TEST_TMPDIR/wh.tar"
                assert_output "Loaded image: $name"
                run_rctr images -q --no-trunc
                assert_output "sha256:$wh"
        done
        # the overlay form is back on disk: a 0/0 device for /etc/group, /home opaque
        run "$RCTR" unshare sh -c "cd '$RCTR_ROOT/layers' && for d in */diff; do
                [ -c \$d/etc/group ] && stat -c '%t,%T' \$d/etc/group
                getfattr -n user.overlay.opaque --only-values \$d/home 2>/dev/null && echo
                done; true"
        assert_line 0,0
        assert_line y
}

@test "a layer stored without its tar-split record is repacked: a warning and a new id" {
        local id layer cfg newid a="$BATS_TEST_TMPDIR/re.tar"
        pull_busybox
        layer=$(ls "$RCTR_ROOT/layers")
        # what a store written by an older rctr looks like
        "$RCTR" unshare rm "$RCTR_ROOT/layers/$layer/tar-split.gz"
        run_rctr save -o "$a" "$RCTR_REGISTRY/busybox:latest"
        assert_output --partial "warning: sha256:$id: layers stored by an older rctr have no record of their original tar"
        cfg=$(tar -xOf "$a" manifest.json | jq -r '.[0].Config')
        newid=${cfg%.json}
        [ "$newid" != "$id" ]
        # the archive is consistent: the config lists the repacked layer's digest
        [ "$(tar -xOf "$a" "$cfg" | jq -r '.rootfs.diff_ids[0]')" = "sha256:$(tar -xOf "$a" "$(tar -xOf "$a" manifest.json | jq -r '.[0].Layers[0]')" | sha256sum | cut -d' ' -f1)" ]
        run_rctr rmi -a
        run_rctr load -q -i "$a"
        assert_output "Loaded image: $RCTR_REGISTRY/busybox:latest"
        run_rctr images -q --no-trunc
        assert_output "sha256:$newid"
        # the same files: busybox's applets are symlinks, /tmp is sticky
        run "$RCTR" unshare sh -c "cd '$RCTR_ROOT/layers'/*/diff && readlink bin/sh && stat -c %a tmp && cat etc/passwd"
        assert_line busybox
        assert_line 1777
        assert_line --partial root:x:0:0
        # loaded, the layer has a record again: it now saves with its (new) id unchanged
        run_rctr save -q -o "$BATS_TEST_TMPDIR/again.tar" "$RCTR_REGISTRY/busybox:latest"
        refute_output --partial warning
        cmp "$a" "$BATS_TEST_TMPDIR/again.tar"
}

@test "save: a terminal, an unknown format or image, -m with oci-archive are clear errors" {
        local name="$RCTR_REGISTRY/busybox:latest"
        pull_busybox
        run script -qec "'$RCTR' --root '$RCTR_ROOT' --runroot '$RCTR_RUNROOT' save '$name'" /dev/null
        [ "$status" -eq 125 ]
        assert_output --partial 'rctr: save: refusing to write an archive to a terminal: use -o FILE or redirect stdout'
        run_rctr 125 save --format docker-dir -o "$BATS_TEST_TMPDIR/x" "$name"
        assert_output 'rctr: save: unsupported --format docker-dir (docker-archive or oci-archive)'
        run_rctr 125 save -m --format oci-archive -o "$BATS_TEST_TMPDIR/x" "$name"
        assert_output 'rctr: save: --multi-image-archive needs --format docker-archive'
        run_rctr 125 save -o "$BATS_TEST_TMPDIR/x" nothing-here
        assert_output 'rctr: save: nothing-here: image not known (see rctr images)'
        # a failed save leaves no file
        [ ! -e "$BATS_TEST_TMPDIR/x" ]
        [ -z "$(ls -A "$BATS_TEST_TMPDIR" | grep rctr-save)" ]
        run_rctr 125 save
        assert_output --partial 'no image given'
}

@test "load: a truncated archive, a layer that is not its diff_id, a changed blob fail and change nothing" {
        local name="$RCTR_REGISTRY/busybox:latest" d="$BATS_TEST_TMPDIR" before size
        pull_busybox
        run_rctr save -q -o "$d/good.tar" "$name"
        run_rctr save -q --format oci-archive -o "$d/good-oci.tar" "$name"
        run_rctr rmi "$name"
        before=$(store_listing)

        size=$(stat -c %s "$d/good.tar")
        head -c $((size / 2)) "$d/good.tar" >"$d/truncated.tar"
        run_rctr 125 load -q -i "$d/truncated.tar"
        assert_output --regexp '^rctr: load: read the archive: .*[Tt]runcated'
        [ "$(store_listing)" = "$before" ]

        # the same manifest and config, another layer tar in place of the real one
        mkdir -p "$d/x" "$d/other"
        tar -xf "$d/good.tar" -C "$d/x"
        echo other >"$d/other/file"
        local layer
        layer=$(jq -r '.[0].Layers[0]' "$d/x/manifest.json")
        tar -cf "$d/x/$layer" -C "$d/other" .
        tar -cf "$d/bad-layer.tar" -C "$d/x" .
        run_rctr 125 load -q -i "$d/bad-layer.tar"
        assert_output --regexp "^rctr: load: archive member $layer: layer: diff_id mismatch: got sha256:[0-9a-f]{64}, expected sha256:[0-9a-f]{64}\$"
        [ "$(store_listing)" = "$before" ]

        # an oci-archive whose manifest blob was changed: its digest no longer matches
        mkdir -p "$d/o"
        tar -xf "$d/good-oci.tar" -C "$d/o"
        local m
        m=$(jq -r '.manifests[0].digest' "$d/o/index.json" | cut -d: -f2)
        jq -c '.annotations = {"x": "y"}' "$d/o/blobs/sha256/$m" >"$d/m" && mv "$d/m" "$d/o/blobs/sha256/$m"
        tar -cf "$d/bad-oci.tar" -C "$d/o" .
        run_rctr 125 load -q -i "$d/bad-oci.tar"
        assert_output --regexp "^rctr: load: index.json: manifests\[0\]: blob sha256:$m: digest mismatch: got sha256:[0-9a-f]{64}\$"
        [ "$(store_listing)" = "$before" ]

        # not an image archive at all
        tar -cf "$d/plain.tar" -C "$d/other" .
        run_rctr 125 load -q -i "$d/plain.tar"
        assert_output 'rctr: load: not a docker-archive or oci-archive: no manifest.json or index.json in it'
        head -c 4096 /dev/urandom >"$d/random"
        run_rctr 125 load -q -i "$d/random"
        assert_output --partial 'rctr: load: read the archive: '
        [ "$(store_listing)" = "$before" ]
        run_rctr 125 load -q -i "$d/no-such-file"
        assert_output "rctr: load: open $d/no-such-file: No such file or directory"
}

@test "import: a tarball becomes a one-layer image with the files; save and load keep its id" {
        local d="$BATS_TEST_TMPDIR" id
        mkdir -p "$d/rootfs/etc" "$d/rootfs/bin"
        echo "imported" >"$d/rootfs/etc/hello"
        ln -s ../etc/hello "$d/rootfs/bin/hello-link"
        tar -cf "$d/rootfs.tar" -C "$d/rootfs" .
        run_rctr import -q "$d/rootfs.tar" myimport:1
        [[ "$output" =~ ^[0-9a-f]{64}$ ]]
        id=$output
        run_rctr images --format json
        [ "$(jq -r '.[0].Names[0]' <<<"$output")" = localhost/myimport:1 ]
        run_rctr inspect myimport:1
        [ "$(jq -r '.[0].Os' <<<"$output")" = linux ]
        [ "$(jq -r '.[0].RootFS.diff_ids | length' <<<"$output")" -eq 1 ]
        local diff
        diff=$(jq -r '.[0].RootFS.diff_ids[0]' <<<"$output")
        # one layer: its chain id is its diff_id, and it holds the files
        run "$RCTR" unshare cat "$RCTR_ROOT/layers/${diff#sha256:}/diff/etc/hello"
        assert_output imported
        run "$RCTR" unshare readlink "$RCTR_ROOT/layers/${diff#sha256:}/diff/bin/hello-link"
        assert_output ../etc/hello
        # gzip from stdin, no name: <none>
        run bash -c "gzip -c '$d/rootfs.tar' | '$RCTR' --root '$RCTR_ROOT' --runroot '$RCTR_RUNROOT' import -q -"
        assert_success
        [[ "$output" =~ ^[0-9a-f]{64}$ ]]
        run_rctr images
        assert_line --regexp '^<none> +<none> +'
        # an imported image goes through save and load unchanged too
        run_rctr save -q -o "$d/imported.tar" myimport:1
        run_rctr rmi myimport:1
        run_rctr load -q -i "$d/imported.tar"
        assert_output "Loaded image: localhost/myimport:1"
        run_rctr inspect myimport:1
        [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
        # a hostile tarball is refused like a hostile layer, and a missing file is one line
        python3 -c '
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as tf:
    info = tarfile.TarInfo("../../escape"); data = b"x"; info.size = len(data)
    tf.addfile(info, io.BytesIO(data))' "$d/hostile.tar"
        run_rctr 125 import -q "$d/hostile.tar"
        assert_output --partial 'layer entry ../../escape'
        [ ! -e "$d/escape" ]
        run_rctr 125 import -q "$d/none.tar"
        assert_output "rctr: import: open $d/none.tar: No such file or directory"
}
