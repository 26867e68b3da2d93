#!/usr/bin/env bash
# Docker-level checks of the guestbook's images (build them first with
# build.sh), on a network of their own:
#  - Redis on a fresh root-owned volume: redis-server is PID 1 and runs as
#    redis, answers PING, keeps its append-only file with fsync always;
#  - the guestbook (GUESTBOOK_IMAGE) against it: the page, the entries and
#    the stylesheet answer 200, /healthz and /readyz too; writes are
#    acknowledged with their id and guestbook-count in the Redis container
#    counts them; app.yaml's break makes the pages and both probes answer
#    500 and its broken check exit 0, a new container (what a Kubernetes
#    restart makes) is whole again;
#  - Redis killed (SIGKILL to its PID 1) and started again on the same
#    volume still holds every acknowledged write;
#  - GUESTBOOK_IMAGE_NEXT serves and says it is the other version.
# Everything it starts is removed on exit, also when a step fails.
#
# Usage: examples/guestbook/images/verify.sh   (needs docker and curl)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=images.env
source "$here/images.env"

run=guestbook-verify-$$
net=$run redis=$run-redis gb=$run-gb data=$run-data
cleanup() {
	local rc=$?
	if ((rc != 0)); then
		echo "verify: FAILED; last logs:" >&2
		for c in "$gb" "$redis"; do docker logs --tail 15 "$c" 2>&1 | sed "s/^/  $c: /" >&2 || true; done
	fi
	docker ps -aq --filter "name=^$run-" | xargs -r docker rm -f >/dev/null 2>&1 || true
	docker network rm "$net" >/dev/null 2>&1 || true
	docker volume rm "$data" >/dev/null 2>&1 || true
	exit "$rc"
}
trap cleanup EXIT
step() { echo "verify: $*"; }
fail() { echo "verify: FAIL: $*" >&2; exit 1; }
# ip of a container on the network, for curl from the host
ip() { docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "$1"; }
# wait_for URL CODE: until URL answers CODE (30 s)
wait_for() {
	for _ in $(seq 60); do
		[[ $(curl -s -o /dev/null -w '%{http_code}' "$1") == "$2" ]] && return 0
		sleep 0.5
	done
	fail "$1 did not answer $2 within 30s (last: $(curl -s -w ' %{http_code}' "$1"))"
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

docker network create "$net" >/dev/null
docker volume create "$data" >/dev/null

start_redis() {
	docker run -d --name "$redis" --network "$net" --network-alias redis -v "$data:/data" "$GUESTBOOK_REDIS_IMAGE" >/dev/null
	for _ in $(seq 60); do
		docker exec "$redis" redis-cli ping 2>/dev/null | grep -qx PONG && return 0
		sleep 0.5
	done
	fail "redis did not answer PING"
}
step "redis: PID 1, user, append-only file"
start_redis
[[ $(docker exec "$redis" cat /proc/1/comm) == redis-server ]] || fail "PID 1 is $(docker exec "$redis" cat /proc/1/comm), not redis-server"
[[ $(docker exec "$redis" stat -c %U /proc/1) == redis ]] || fail "redis-server does not run as redis"
[[ $(docker exec "$redis" redis-cli config get appendfsync | tail -1) == always ]] || fail "appendfsync is not always"

start_gb() { # NAME IMAGE
	docker run -d --name "$1" --network "$net" -e GUESTBOOK_REDIS_ADDR=redis:6379 "$2" >/dev/null
	wait_for "http://$(ip "$1"):8080/readyz" 200
}
step "guestbook: pages, probes"
start_gb "$gb" "$GUESTBOOK_IMAGE"
base=http://$(ip "$gb"):8080
for p in / /entries /static/style.css /healthz /readyz; do
	[[ $(code "$base$p") == 200 ]] || fail "$p answers $(code "$base$p")"
done

step "writes: acknowledged with their id, counted in the Redis container"
for i in $(seq 1 20); do
	curl -s -X POST "$base/writes?id=verify.$$.$i" | grep -q "\"id\":\"verify.$$.$i\"" || fail "write $i not acknowledged"
done
[[ $(docker exec "$redis" guestbook-count "verify.$$." | wc -l) == 20 ]] || fail "guestbook-count does not count 20 writes"

step "config break (app.yaml's commands): 500 everywhere, a new container is whole"
docker exec "$gb" sh -c "set -e; grep -q '^redis_addr =' \"\$GUESTBOOK_CONFIG\"; sed -i 's/^redis_addr =/redis_adr =/' \"\$GUESTBOOK_CONFIG\"; ! guestbook check-config >/dev/null 2>&1"
docker exec "$gb" sh -c '! guestbook check-config >/dev/null 2>&1' || fail "the broken check says whole after the break"
for p in / /entries /healthz /readyz; do
	[[ $(code "$base$p") == 500 ]] || fail "broken: $p answers $(code "$base$p"), want 500"
done
docker rm -f "$gb" >/dev/null
start_gb "$gb" "$GUESTBOOK_IMAGE"
base=http://$(ip "$gb"):8080
docker exec "$gb" guestbook check-config >/dev/null || fail "a new container is not whole"

step "redis killed (SIGKILL to PID 1) and started again keeps every acknowledged write"
docker kill -s KILL "$redis" >/dev/null
docker rm -f "$redis" >/dev/null
start_redis
[[ $(docker exec "$redis" guestbook-count "verify.$$." | wc -l) == 20 ]] || fail "writes lost to the crash"
wait_for "$base/readyz" 200

step "the next image"
start_gb "$run-next" "$GUESTBOOK_IMAGE_NEXT"
curl -s "http://$(ip "$run-next"):8080/healthz" | grep -q "ok ${GUESTBOOK_IMAGE_NEXT##*:}" || fail "the next image does not say its version"
step "all passed"
