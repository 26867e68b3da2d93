#!/bin/sh
# Gives the volume to the redis user (a node-local volume arrives owned by
# root) and execs the server as that user: redis-server is the container's
# PID 1, which is what selfheal's database faults signal.
set -eu
if [ "$(id -u)" = 0 ]; then
	chown redis:redis /data
	exec setpriv --reuid=redis --regid=redis --init-groups redis-server "$@"
fi
exec redis-server "$@"
