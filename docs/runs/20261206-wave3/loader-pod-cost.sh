#!/bin/bash
# loader-pod-cost.sh NAME: one loader pod on selfheal-worker at 100 requests/s
# for 70 s; its CPU (user and system apart) read from its pod's cgroup
# (cpuacct, what the kubelet's summary API reports) between t=10 s and t=60 s.
# Knobs: IMAGE (the loader image), KA=true for reused connections, ENVJSON
# (the container's env, loader.Env by default), TARGET (the app's Service
# address and a 20 KB file of the app), CMDJSON (the container's command,
# the loader's by default; conn-floor's image runs conn-floor.c).
name=$1
defenv='[{"name":"GODEBUG","value":"schedtrace=2147483647"}]'
: "${ENVJSON:=$defenv}"
target=${TARGET:-http://10.96.32.71/wp-includes/css/admin-bar.min.css}
defcmd="[selfheal-loader, run, --target, \"$target\", --rate, \"100\", --keep-alive, \"${KA:-false}\", --max-duration, 70s, --host, \"127.0.0.1:30080\"]"
: "${CMDJSON:=$defcmd}"
kubectl create namespace selfheal-bench >/dev/null 2>&1
kubectl -n selfheal-bench delete pod "$name" --ignore-not-found >/dev/null
kubectl -n selfheal-bench apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $name}
spec:
  nodeName: selfheal-worker
  restartPolicy: Never
  enableServiceLinks: false
  containers:
  - name: loader
    image: ${IMAGE:-selfheal.local/loader:1}
    imagePullPolicy: IfNotPresent
    command: $CMDJSON
    env: $ENVJSON
    resources: {requests: {cpu: 20m, memory: 32Mi}, limits: {memory: 128Mi}}
YAML
kubectl -n selfheal-bench wait --for=condition=Ready "pod/$name" --timeout=60s >/dev/null
uid=$(kubectl -n selfheal-bench get pod "$name" -o jsonpath='{.metadata.uid}')
dir=$(docker exec selfheal-worker sh -c "ls -d /sys/fs/cgroup/cpuacct/kubelet.slice/kubelet-kubepods.slice/*/*pod${uid//-/_}.slice")
read_cpu() { docker exec selfheal-worker sh -c "cat $dir/cpuacct.usage; cat $dir/cpuacct.stat | tr '\n' ' '; date +%s.%N"; }
sleep 10; a=$(read_cpu); sleep 50; b=$(read_cpu)
python3 - "$a" "$b" "$name" <<'PY'
import sys
a, b = sys.argv[1].split(), sys.argv[2].split()
dt = float(b[-1]) - float(a[-1])
used = (int(b[0]) - int(a[0])) / 1e9
user, system = (int(b[2]) - int(a[2])) / 100, (int(b[4]) - int(a[4])) / 100
print("%s: %.2f %% of a core over %.0f s (user %.2f %%, system %.2f %%)" % (sys.argv[3], 100*used/dt, dt, 100*user/dt, 100*system/dt))
PY
kubectl -n selfheal-bench delete pod "$name" --wait=false >/dev/null
