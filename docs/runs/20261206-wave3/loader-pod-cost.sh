#!/bin/bash
# loader-pod-cost.sh NAME ENVJSON: one loader pod at 100 requests/s (KA=true for reused connections) on selfheal-worker for 100 s,
# its CPU read from the kubelet summary API between t=20 s and t=80 s. TARGET: the app's Service address and a 20 KB page.
name=$1; env=$2
kubectl -n selfheal-bench delete pod $name --ignore-not-found >/dev/null
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
    image: selfheal.local/loader:1
    imagePullPolicy: IfNotPresent
    command: [selfheal-loader, run, --target, "${TARGET:-http://10.96.32.71/wp-includes/css/admin-bar.min.css}", --rate, "100", --keep-alive, "${KA:-false}", --max-duration, 100s, --host, "127.0.0.1:30080"]
    env: $env
    resources: {requests: {cpu: 20m, memory: 32Mi}, limits: {memory: 128Mi}}
YAML
kubectl -n selfheal-bench wait --for=condition=Ready pod/$name --timeout=60s >/dev/null
cpu() { kubectl get --raw /api/v1/nodes/selfheal-worker/proxy/stats/summary | python3 -c "
import json,sys
d=json.load(sys.stdin)
for p in d['pods']:
  if p['podRef']['name']=='$name':
    c=p['containers'][0]; print(c['cpu']['usageCoreNanoSeconds'], c['memory'].get('workingSetBytes',0), c['cpu']['time'])"; }
sleep 20; a=$(cpu); sleep 60; b=$(cpu)
python3 -c "
a='$a'.split(); b='$b'.split()
import datetime
ta=datetime.datetime.fromisoformat(a[2].replace('Z','+00:00')); tb=datetime.datetime.fromisoformat(b[2].replace('Z','+00:00'))
print('$name: cpu %.2f %% of a core over %.0f s, working set %.1f MiB' % (100*(int(b[0])-int(a[0]))/1e9/(tb-ta).total_seconds(), (tb-ta).total_seconds(), int(b[1])/2**20))"
kubectl -n selfheal-bench logs $name | grep -c " 200 " 
