#!/usr/bin/env bats
# rctr pull when things go wrong (issue 5: acceptance 3 and 6): a registry that answers wrong
# digests, truncated blobs, 500s and malformed manifests (tests/fixtures/fake-registry.py serving
# images built here, well-behaved as NAME and misbehaving as NAME/FAULT); concurrent pulls into
# one store from the suite's real registry; a pull killed with SIGKILL midway.

load helpers

make_oci() {
        /usr/bin/python3 "$RCTR_FIXTURES/make-oci.py" "$@"
}

# layout_manifest OCIDIR: the path of the layout's (first) image manifest
layout_manifest() {
        local m
        m=$(jq -r '.manifests[0].digest' "$1/index.json")
        echo "$1/blobs/sha256/${m#sha256:}"
}

# layout_id OCIDIR: the image id rctr prints for it (its config's digest, without "sha256:")
layout_id() {
        jq -r '.config.digest' "$(layout_manifest "$1")" | cut -d: -f2
}

# layout_layer OCIDIR N: the digest of layer N (from 0)
layout_layer() {
        jq -r ".layers[$2].digest" "$(layout_manifest "$1")"
}

setup_file() {
        local d=$BATS_FILE_TMPDIR i
        make_oci "$d/files" --tag latest --base "$RCTR_BUSYBOX_OCI" --layer files
        make_oci "$d/wh" --tag latest --base "$RCTR_BUSYBOX_OCI" --layer whiteout --layer opaque
        # 20 MiB that does not compress: a download that takes a while when throttled
        make_oci "$d/big" --tag latest --base "$RCTR_BUSYBOX_OCI" --layer random:20M
        local kind
        for kind in files wh big; do
                skopeo copy -q --dest-tls-verify=false "oci:$d/$kind:latest" \
                        "docker://$RCTR_REGISTRY/pf-$kind:latest"
        done
        # fd 3 closed: bats waits for whoever holds it open
        /usr/bin/python3 "$RCTR_FIXTURES/fake-registry.py" "$d/fake.ports" --rate $((2 * 1024 * 1024)) \
                --image bb="$RCTR_BUSYBOX_OCI" --image files="$d/files" --image big="$d/big" \
                2>"$d/fake.log" 3>&- &
        echo $! >"$d/fake.pid"
        for i in $(seq 300); do
                [ -s "$d/fake.ports" ] && break
                sleep 0.1
        done
        [ -s "$d/fake.ports" ] || { cat "$d/fake.log" >&2; return 1; }
        local a
        read -r a _ <"$d/fake.ports"
        export FAKE="127.0.0.1:$a" FILES="$d/files" WH="$d/wh" BIG="$d/big"
}

teardown_file() {
        local pid
        pid=$(cat "$BATS_FILE_TMPDIR/fake.pid" 2>/dev/null) || return 0
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return 0
}

# the store as a sorted listing, with file sizes: what a failed pull must leave unchanged
store_listing() {
        "$RCTR" unshare find "$RCTR_ROOT" -path "$RCTR_ROOT/storage.lock" -prune -o \
                \( -type f -printf '%p %s\n' \) -o -printf '%p %y\n' | sort
}

# the fake registry's requests to PATH (one line each: "PATH RANGE", RANGE "-" for none)
fake_requests() {
        curl -sf "http://$FAKE/__log" | grep -F "$1 "
}

@test "wrong digests and malformed manifests fail with one clear line, exit 125; the store is unchanged" {
        run_rctr pull -q --tls-verify=false "$FAKE/bb:latest"
        [ "$output" = "$(layout_id "$RCTR_BUSYBOX_OCI")" ]
        local before layer config fake
        before=$(store_listing)
        # the layer busybox does not have: the one downloaded
        layer=$(layout_layer "$FILES" 1)
        config=$(jq -r '.config.digest' "$(layout_manifest "$FILES")")

        run_rctr 125 pull -q --tls-verify=false "$FAKE/files/wrongdigest:latest"
        assert_output --regexp "^rctr: pull $FAKE/files/wrongdigest:latest: layer $layer: digest mismatch: got sha256:[0-9a-f]{64}$"
        refute_output --partial "got $layer"
        [ "$(store_listing)" = "$before" ]

        # the manifest names a digest the blob does not have; the registry serves the blob for it
        fake=sha256:$(printf 'not %s' "$layer" | sha256sum | cut -d' ' -f1)
        run_rctr 125 pull -q --tls-verify=false "$FAKE/files/layerdigest:latest"
        assert_output "rctr: pull $FAKE/files/layerdigest:latest: layer $fake: digest mismatch: got $layer"
        [ "$(store_listing)" = "$before" ]

        run_rctr 125 pull -q --tls-verify=false "$FAKE/files/badconfig:latest"
        assert_output --regexp "^rctr: pull $FAKE/files/badconfig@$config: digest mismatch \(received sha256:[0-9a-f]{64}\)$"
        [ "$(store_listing)" = "$before" ]

        run_rctr 125 pull -q --tls-verify=false "$FAKE/files/badjson:latest"
        assert_output --regexp "^rctr: pull $FAKE/files/badjson:latest: manifest: invalid JSON at line 1 column [0-9]+: "
        [ "${#lines[@]}" -eq 1 ]
        [ "$(store_listing)" = "$before" ]

        # nothing of these is an image
        run_rctr images --format json
        [ "$(jq -r '[.[].Names[]] | join(" ")' <<<"$output")" = "$FAKE/bb:latest" ]
}

@test "a registry that keeps failing (500s, a blob cut off for good) fails after the retries; the store is unchanged" {
        run_rctr pull -q --tls-verify=false "$FAKE/bb:latest"
        local before layer
        before=$(store_listing)
        layer=$(layout_layer "$FILES" 1)

        run_rctr 125 pull -q --tls-verify=false "$FAKE/files/e500always:latest"
        assert_output "rctr: pull $FAKE/files/e500always:latest: internal boom (HTTP 500)"
        # the first try and 3 retries
        [ "$(fake_requests /v2/files/e500always/manifests/latest | wc -l)" -eq 4 ]
        [ "$(store_listing)" = "$before" ]

        # half the blob, then a connection that never sends the rest: resumed 3 times, in vain
        run_rctr 125 pull -q --tls-verify=false "$FAKE/files/cutoff:latest"
        assert_output --regexp "^rctr: pull $FAKE/files/cutoff@$layer: GET http://$FAKE/v2/files/cutoff/blobs/$layer: transfer closed with [0-9]+ bytes remaining to read$"
        run fake_requests "/v2/files/cutoff/blobs/$layer"
        [ "${#lines[@]}" -eq 4 ]
        [ "${lines[0]##* }" = - ]
        [ "${lines[3]##* }" = "${lines[1]##* }" ] && [[ "${lines[1]##* }" =~ ^bytes=[1-9][0-9]*-$ ]]
        [ "$(store_listing)" = "$before" ]
}

@test "a truncated blob and manifest: the pull resumes the blob with Range and gives the right image" {
        local layer size
        layer=$(layout_layer "$FILES" 0) # busybox's, 1 MB
        size=$(jq -r '.layers[0].size' "$(layout_manifest "$FILES")")
        run_rctr pull -q --tls-verify=false "$FAKE/files/truncated:latest"
        [ "$output" = "$(layout_id "$FILES")" ]
        # the fake sends half of what it announces, then closes: the rest is asked for by Range
        run fake_requests "/v2/files/truncated/blobs/$layer"
        assert_output "/v2/files/truncated/blobs/$layer -
/v2/files/truncated/blobs/$layer bytes=$((size / 2))-"
        # the manifest is small: it is fetched again whole
        [ "$(fake_requests /v2/files/truncated/manifests/latest | wc -l)" -eq 2 ]
        run "$RCTR" unshare sh -c "cat '$RCTR_ROOT'/layers/*/diff/added/file"
        assert_output added
        run "$RCTR" unshare ls -A "$RCTR_ROOT/tmp"
        assert_output ''
}

@test "500 twice for every request, then success: the pull retries and gives the right image" {
        run_rctr pull -q --tls-verify=false "$FAKE/files/e500x2:latest"
        [ "$output" = "$(layout_id "$FILES")" ]
        local d
        for d in manifests/latest "blobs/$(layout_layer "$FILES" 0)" "blobs/$(layout_layer "$FILES" 1)"; do
                [ "$(fake_requests "/v2/files/e500x2/$d" | wc -l)" -eq 3 ]
        done
        run_rctr images --format json
        [ "$(jq -r '.[0].Id' <<<"$output")" = "$(layout_id "$FILES")" ]
}

# pull_bg OUTFILE IMAGE: rctr pull -q in the background (fd 3 closed for bats); $! is rctr's pid
pull_bg() {
        "$RCTR" --root "$RCTR_ROOT" --runroot "$RCTR_RUNROOT" pull -q --tls-verify=false "$2" \
                >"$1" 2>&1 3>&- &
}

# wait_all OUTFILE...: wait for the pulls started last ($pids) and check each printed an id
wait_all() {
        local i rc=0
        for i in "${!pids[@]}"; do
                if ! wait "${pids[i]}"; then
                        echo "# pull $i failed:" && sed 's/^/# > /' "$BATS_TEST_TMPDIR/out$i"
                        rc=1
                fi
        done
        return $rc
}

# open_store_until_done: `rctr images` again and again while the pulls in $pids run: each one
# looks for stale stages in tmp/ and must never take a stage that is being made
open_store_until_done() {
        local n=0
        while kill -0 "${pids[@]}" 2>/dev/null; do
                "$RCTR" --root "$RCTR_ROOT" --runroot "$RCTR_RUNROOT" images -q >/dev/null || return 1
                n=$((n + 1))
        done
        echo "# $n store openings meanwhile" >&3
}

@test "4 concurrent pulls of one image and 4 of different images into one store all succeed" {
        local i pids=() id
        id=$(layout_id "$BIG")
        for i in 0 1 2 3; do
                pull_bg "$BATS_TEST_TMPDIR/out$i" "$RCTR_REGISTRY/pf-big:latest"
                pids+=($!)
        done
        open_store_until_done
        wait_all
        for i in 0 1 2 3; do
                [ "$(cat "$BATS_TEST_TMPDIR/out$i")" = "$id" ]
        done
        run_rctr images --format json
        [ "$(jq -r '[.[] | .Id + " " + (.Names | join(","))] | join(";")' <<<"$output")" = "$id $RCTR_REGISTRY/pf-big:latest" ]
        # busybox and the random layer, each unpacked once
        [ "$(ls "$RCTR_ROOT/layers" | wc -l)" -eq 2 ]

        # four images sharing the busybox layer, all four downloading it at once
        local repos=(busybox pf-files pf-wh pf-big) ids=()
        ids=("$(layout_id "$RCTR_BUSYBOX_OCI")" "$(layout_id "$FILES")" "$(layout_id "$WH")" "$id")
        "$RCTR" unshare rm -rf "$RCTR_ROOT"
        pids=()
        for i in 0 1 2 3; do
                pull_bg "$BATS_TEST_TMPDIR/out$i" "$RCTR_REGISTRY/${repos[i]}:latest"
                pids+=($!)
        done
        open_store_until_done
        wait_all
        for i in 0 1 2 3; do
                [ "$(cat "$BATS_TEST_TMPDIR/out$i")" = "${ids[i]}" ]
        done
        run_rctr images --format json
        [ "$(jq -r '[.[].Id] | sort | join(" ")' <<<"$output")" = "$(printf '%s\n' "${ids[@]}" | sort | paste -sd' ')" ]
        # busybox once, then files, whiteout + opaque, random
        [ "$(ls "$RCTR_ROOT/layers" | wc -l)" -eq 5 ]
        run "$RCTR" unshare ls -A "$RCTR_ROOT/tmp"
        assert_output ''
        run "$RCTR" unshare sh -c "cat '$RCTR_ROOT'/layers/*/diff/added/file"
        assert_output added
}

@test "kill -9 of a pull midway: images still works, the next command removes the stale stage, a new pull succeeds" {
        # the 20 MiB layer trickles at 2 MiB/s: kill once its unpacking has begun
        pull_bg "$BATS_TEST_TMPDIR/killed" "$FAKE/big/slow:latest"
        local pid=$! i
        for i in $(seq 300); do
                compgen -G "$RCTR_ROOT/tmp/*/diff/random-1/f00003" >/dev/null && break
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
        compgen -G "$RCTR_ROOT/tmp/*/diff/random-1/f00003" >/dev/null
        kill -9 "$pid"
        wait "$pid" || [ $? -eq 137 ]
        # what it left: a stage with part of the layer in it
        run "$RCTR" unshare ls -A "$RCTR_ROOT/tmp"
        [ -n "$output" ]
        run_rctr images -q
        assert_output ''
        run "$RCTR" unshare ls -A "$RCTR_ROOT/tmp"
        assert_output ''
        run_rctr pull -q --tls-verify=false "$FAKE/big:latest"
        [ "$output" = "$(layout_id "$BIG")" ]
        run_rctr images -q
        assert_output "$(layout_id "$BIG" | cut -c1-12)"
        run "$RCTR" unshare sh -c "ls '$RCTR_ROOT'/layers/*/diff/random-1 | wc -l"
        [ "$output" -gt 100 ]
}
