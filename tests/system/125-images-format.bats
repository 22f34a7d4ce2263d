#!/usr/bin/env bats
# rctr images --format: podman's Go templates over each image, "table" with a header row and
# aligned columns, and one clear line for a bad template (lib/template*.c, lib/tabwriter.c).

load helpers

# busybox from the suite's registry, also tagged localhost/mybox:1; sets $id
pull_and_tag() {
        run_rctr pull -q --tls-verify=false "$RCTR_REGISTRY/busybox:latest"
        id=$output
        run_rctr tag "$RCTR_REGISTRY/busybox:latest" mybox:1
}

@test "images --format runs a Go template per tag, with podman's field names" {
        pull_and_tag
        run_rctr images --format '{{.Repository}}:{{.Tag}}'
        assert_line "$RCTR_REGISTRY/busybox:latest"
        assert_line "localhost/mybox:1"
        [ "${#lines[@]}" -eq 2 ]
        run_rctr images --format '{{.ID}}'
        [ "$output" = "${id:0:12}"$'\n'"${id:0:12}" ]
        run_rctr images --no-trunc --format '{{.ID}}'
        assert_line "sha256:$id"
        # \t in the format is a tab; Size reads like podman's
        run_rctr images --format '{{.Tag}}\t{{.Size}}'
        assert_line --regexp $'^1\t[0-9.]+ [kMG]?B$'
        run_rctr images --format '{{if eq .Tag "1"}}one{{else}}{{.Tag | upper}}{{end}} {{len .Names}}'
        assert_line 'one 2'
        assert_line 'LATEST 2'
        run_rctr images --format '{{json .RepoTags}}'
        [ "$(head -1 <<<"$output" | jq -r 'sort | join(" ")')" = "$RCTR_REGISTRY/busybox:latest localhost/mybox:1" ]
        run_rctr images --format '{{.CreatedAt}} | {{.Created}} | {{.Nope}}'
        assert_line --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} \+0000 UTC \| .* ago \| <no value>$'
        # {{json .}} is a template: one object per row; plain json is the array
        run_rctr images --format '{{json .}}'
        [ "$(head -1 <<<"$output" | jq -r .ID)" = "${id:0:12}" ]
        run_rctr images --format json
        [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
        # the template's own range over all rows, as podman allows
        run_rctr images --format '{{range .}}{{.Tag}},{{end}}'
        [[ "$output" == *latest,* && "$output" == *1,* ]]
        [ "${#lines[@]}" -eq 1 ]
}

@test "images --format table: a header row and columns aligned as podman's" {
        run_rctr images
        assert_output --regexp '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$'
        pull_and_tag
        run_rctr images --format 'table {{.ID}} {{.Repository}} {{.Tag}}'
        # podman's tabwriter: each column as wide as its widest cell plus 2, at least 12
        local w=$((${#RCTR_REGISTRY} + 10))
        [ "$w" -ge 12 ] || w=12
        [ "${lines[0]}" = "$(printf '%-14s%-*s%s' 'IMAGE ID' "$w" REPOSITORY TAG)" ]
        assert_line "$(printf '%-14s%-*s%s' "${id:0:12}" "$w" "$RCTR_REGISTRY/busybox" latest)"
        assert_line "$(printf '%-14s%-*s%s' "${id:0:12}" "$w" localhost/mybox 1)"
        run_rctr images -n --format 'table {{.ID}}\t{{.Tag}}'
        [ "${#lines[@]}" -eq 2 ]
        refute_line --partial 'IMAGE ID'
        run_rctr images --digests
        assert_line --regexp '^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE$'
        assert_line --regexp "^localhost/mybox +1 +sha256:[0-9a-f]{64} +${id:0:12} "
}

@test "a bad --format is one line naming the template's mistake, exit 125" {
        run_rctr 125 images --format '{{.ID}'
        assert_output 'rctr: images: template: images:1: unexpected "}" in operand'
        run_rctr 125 images --format '{{nosuch .ID}}'
        assert_output 'rctr: images: template: images:1: function "nosuch" not defined'
        pull_and_tag
        run_rctr 125 images --format '{{.Repository.X}}'
        assert_output "rctr: images: template: images:1:13: executing \"images\" at <.Repository.X>: can't evaluate field X in type string"
        run_rctr 125 images --format '{{index .Names 5}}'
        assert_output --partial 'error calling index: index out of range: 5'
}
