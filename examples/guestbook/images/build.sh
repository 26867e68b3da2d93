#!/usr/bin/env bash
# Builds the guestbook example's images (images.env) the way
# fixtures/images builds the fixture's: FROM the Debian base built there
# (selfheal.local/debian:bookworm, `make base-image`), nothing pulled,
# each image skipped when its inputs did not change.
#   GUESTBOOK_IMAGE, GUESTBOOK_IMAGE_NEXT  guestbook/  the Go service, built here
#   GUESTBOOK_REDIS_IMAGE                  redis/      Redis 7.0 from Debian
# With --load CLUSTER it then puts them into the kind cluster's nodes
# (kind load docker-image); the fixture's own app images are inside its node image.
#
# Usage: examples/guestbook/images/build.sh [--load selfheal]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
example=$(cd "$here/.." && pwd)
repo=$(cd "$example/../.." && pwd)
# shellcheck source=../../../fixtures/images/lib.sh
source "$repo/fixtures/images/lib.sh"
# shellcheck source=images.env
source "$here/images.env"

load=
case ${1:-} in
--load) load=${2:?--load needs the kind cluster name} ;;
"") ;;
*) die "unknown argument $1: want --load CLUSTER" ;;
esac

# The manifests must name the images built here, and nothing else.
for want in "$GUESTBOOK_IMAGE" "$GUESTBOOK_REDIS_IMAGE"; do
	grep -rqF -- "image: $want" "$example/manifests" || die "$example/manifests names no image $want (images.env)"
done
if grep -rn 'image:' "$example/manifests" | grep -v -e "$GUESTBOOK_IMAGE" -e "$GUESTBOOK_REDIS_IMAGE" >&2; then
	die "$example/manifests name an image not built here (above)"
fi

docker info >/dev/null 2>&1 || die "no Docker engine answers: run fixtures/host/ensure-docker.sh"
# The image archive (selfheal images save) holds the cluster's images, not
# the base they were built on: build it when it is missing, as the loader's
# and the agent's recipes do.
docker image inspect "$SELFHEAL_BASE_IMAGE" >/dev/null 2>&1 || "$repo/fixtures/images/build-base.sh"
base_id=$(docker image inspect -f '{{.Id}}' "$SELFHEAL_BASE_IMAGE" 2>/dev/null) ||
	die "$SELFHEAL_BASE_IMAGE is missing after fixtures/images/build-base.sh"

# The service, static, keyed by its module's sources.
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-mod=readonly -trimpath -buildvcs=false"
sources=$(cd "$example" && go list -f '{{range .GoFiles}}{{$.Dir}}/{{.}} {{end}}{{range .EmbedFiles}}{{$.Dir}}/{{.}} {{end}}' .)
# shellcheck disable=SC2086
bin_hash=$(hash_inputs $sources "$example/go.mod" "$example/go.sum" -s "$(go env GOVERSION GOOS GOARCH)" -s "$CGO_ENABLED $GOFLAGS")
out=$SELFHEAL_CACHE/guestbook/$bin_hash
if [[ -x $out/guestbook ]]; then
	say "guestbook binary is cached in $out"
else
	mkdir -p "${out%/*}"
	tmp=$(mktemp -d "${out%/*}/.partial.XXXXXX")
	(cd "$example" && go build -ldflags "-s -w" -o "$tmp/guestbook" .) ||
		{ rm -rf "$tmp"; die "go build of the guestbook failed"; }
	rm -rf "$out" && mv "$tmp" "$out"
	say "built the guestbook binary ($out)"
fi

ctx=$(mktemp -d "${TMPDIR:-/tmp}/selfheal-guestbook.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
cp "$here/guestbook/Dockerfile" "$ctx/"
cp "$out/guestbook" "$ctx/"
for tag in "$GUESTBOOK_IMAGE" "$GUESTBOOK_IMAGE_NEXT"; do
	version=${tag##*:}
	build_image "$tag" "$ctx" "$(hash_inputs "$ctx" -s "$tag" -s "$base_id")" --build-arg "VERSION=$version"
done
build_image "$GUESTBOOK_REDIS_IMAGE" "$here/redis" "$(hash_inputs "$here/redis" -s "$GUESTBOOK_REDIS_IMAGE" -s "$base_id")"

if [[ -n $load ]]; then
	kind=$repo/bin/kind
	[[ -x $kind ]] || kind=$(command -v kind) || die "no kind: run make kind"
	say "loading into the kind cluster $load"
	"$kind" load docker-image --name "$load" "$GUESTBOOK_IMAGE" "$GUESTBOOK_IMAGE_NEXT" "$GUESTBOOK_REDIS_IMAGE"
fi
say "guestbook images: $GUESTBOOK_IMAGE $GUESTBOOK_IMAGE_NEXT $GUESTBOOK_REDIS_IMAGE"
