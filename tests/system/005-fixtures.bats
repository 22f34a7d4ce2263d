#!/usr/bin/env bats
# The harness's own fixtures are real: the busybox OCI layout and the two registries.

load helpers

@test "the busybox fixture is a valid OCI layout with the recorded layer" {
        run skopeo inspect "oci:$RCTR_BUSYBOX_OCI:latest"
        assert_success
        [ "$(jq -r '.Layers[0]' <<<"$output")" = "$(cat "$RCTR_BUSYBOX_OCI/.layer-digest")" ]
        [ "$(jq -r .Architecture <<<"$output")" = "$(dpkg --print-architecture)" ]
        # every blob matches its name
        local f
        for f in "$RCTR_BUSYBOX_OCI"/blobs/sha256/*; do
                [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$(basename "$f")" ]
        done
        # and the layer holds a working busybox
        run bash -c "tar -xzOf '$RCTR_BUSYBOX_OCI/blobs/sha256/$(cut -d: -f2 <"$RCTR_BUSYBOX_OCI/.layer-digest")' ./bin/busybox | head -c 4 | od -An -c"
        assert_output --partial 'E   L   F'
}

@test "the plain registry serves busybox:latest" {
        run curl -sf "http://$RCTR_REGISTRY/v2/busybox/tags/list"
        assert_success
        [ "$(jq -r '.tags[0]' <<<"$output")" = latest ]
        run skopeo inspect --tls-verify=false "docker://$RCTR_REGISTRY/busybox:latest"
        assert_success
        [ "$(jq -r '.Layers[0]' <<<"$output")" = "$(cat "$RCTR_BUSYBOX_OCI/.layer-digest")" ]
}

@test "the auth registry refuses anonymous and wrong credentials, accepts the right ones" {
        run curl -s -o /dev/null -w '%{http_code}' "http://$RCTR_AUTH_REGISTRY/v2/"
        assert_output 401
        run skopeo inspect --tls-verify=false "docker://$RCTR_AUTH_REGISTRY/busybox:latest"
        assert_failure
        run skopeo inspect --tls-verify=false --creds "$RCTR_AUTH_USER:wrong" "docker://$RCTR_AUTH_REGISTRY/busybox:latest"
        assert_failure
        run skopeo inspect --tls-verify=false --creds "$RCTR_AUTH_USER:$RCTR_AUTH_PASS" "docker://$RCTR_AUTH_REGISTRY/busybox:latest"
        assert_success
        [ "$(jq -r '.Layers[0]' <<<"$output")" = "$(cat "$RCTR_BUSYBOX_OCI/.layer-digest")" ]
}
