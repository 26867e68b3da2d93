package catalog

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/selfheal/selfheal/chaos/fault"
	"github.com/selfheal/selfheal/chaos/fault/configbreak"
	"github.com/selfheal/selfheal/chaos/fault/dnsoutage"
	"github.com/selfheal/selfheal/chaos/fault/drain"
	"github.com/selfheal/selfheal/chaos/fault/evict"
	"github.com/selfheal/selfheal/chaos/fault/imageroll"
	"github.com/selfheal/selfheal/chaos/fault/procsignal"
	"github.com/selfheal/selfheal/chaos/fault/scale"
	"github.com/selfheal/selfheal/chaos/guard"
	"github.com/selfheal/selfheal/chaos/kube"
)

// TestStaleRecordIsCleared: entries a killed run left for objects that no
// longer exist (a deleted pod, a workload, a node) are dropped by the next
// run's repair with the catalog's own repairers, each with a line saying
// so, and the record is empty after: a stale entry must not block every
// later run while its repairer waits for its timeout (5 min) on a pod that
// will never be Ready. The deadline is far below that timeout.
func TestStaleRecordIsCleared(t *testing.T) {
	pod := map[string]string{"namespace": "selfheal", "pod": "mysql-0", "container": "mysql", "pod-uid": "uid-1",
		"statefulset": "mysql", "node": "no-such-node-stale-record-test", "container-id": "no-such-container-stale-record-test", "pid": "2084"}
	undos := []fault.Undo{
		{Kind: procsignal.KillKind, Detail: "PID 2084 SIGKILL", Params: pod},
		{Kind: procsignal.StopKind, Detail: "PID 2084 stopped", Params: pod},
		{Kind: evict.RepairKind, Detail: "pods evicted", Params: map[string]string{"namespace": "selfheal", "selector": "app=wordpress"}},
		{Kind: imageroll.RepairKind, Detail: "rolled", Params: map[string]string{"namespace": "selfheal", "kind": kube.KindDeployment, "name": "wordpress",
			"container": "wordpress", "image": "wp:1", "to": "wp:2"}},
		{Kind: scale.RepairKind, Detail: "scaled", Params: map[string]string{"namespace": "selfheal", "kind": kube.KindDeployment, "name": "wordpress", "replicas": "2"}},
		{Kind: dnsoutage.RepairKind, Detail: "CoreDNS at zero", Params: map[string]string{"namespace": "kube-system", "deployment": "coredns", "replicas": "2"}},
		{Kind: configbreak.RepairKind, Detail: "DB_HOST corrupted", Params: map[string]string{"namespace": "selfheal", "pod": "wordpress-a", "container": "wordpress",
			"broken": `["grep","-q","selfheal-fault","/var/www/html/wp-config.php"]`}},
		{Kind: drain.RepairKind, Detail: "node cordoned", Params: map[string]string{"node": "selfheal-worker2"}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs := fake.NewClientset()
	dead := guard.NewRecord(cs, "run-1", "killed run")
	for _, u := range undos {
		if _, err := dead.Begin(ctx, "s", "f", u); err != nil {
			t.Fatal(err)
		}
	}
	rec := guard.NewRecord(cs, "run-2", "next run")
	var said []string
	done, err := guard.Repair(ctx, rec, Repairers(&kube.Client{Kubernetes: cs}), func(r guard.Repaired) { said = append(said, r.String()) })
	if err != nil {
		t.Fatalf("repair: %v\nsaid:\n%s", err, strings.Join(said, "\n"))
	}
	if len(done) != len(undos) {
		t.Fatalf("%d entries dealt with, want %d", len(done), len(undos))
	}
	for i, line := range said {
		if !strings.HasPrefix(line, "dropped ") || !strings.Contains(line, "no longer exists: nothing to repair") {
			t.Errorf("entry %s: said %q, want that it was dropped because its object is gone", undos[i].Kind, line)
		}
	}
	if left, err := rec.List(ctx); err != nil || len(left) > 0 {
		t.Errorf("left in the record: %v (err %v)", left, err)
	}
}
