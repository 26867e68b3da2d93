package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/selfheal/selfheal/chaos/fault"
)

// Where the record and the lease live: kube-system exists in every
// cluster and is not the app's namespace, which a run may recreate.
const (
	Namespace  = "kube-system"
	RecordName = "selfheal-active-faults"
	LeaseName  = "selfheal-run"
)

// Entry is one active fault in the record.
type Entry struct {
	// ID is the entry's key in the ConfigMap.
	ID       string     `json:"id"`
	Scenario string     `json:"scenario"`
	Fault    string     `json:"fault"`
	Undo     fault.Undo `json:"undo"`
	// Run and Holder say which run wrote it, and where it ran.
	Run    string    `json:"run"`
	Holder string    `json:"holder"`
	At     time.Time `json:"at"`
}

func (e Entry) String() string {
	return fmt.Sprintf("%s: %s (run %s, %s)", e.Scenario, e.Undo.Detail, e.Run, e.At.Local().Format("15:04:05"))
}

// Record is the active-fault record of one cluster, as one run writes it.
// It also remembers the entries this process wrote and has not cleared:
// what a second interrupt leaves behind (Pending).
type Record struct {
	client kubernetes.Interface
	run    string
	holder string

	mu      sync.Mutex
	seq     int
	pending map[string]Entry
}

// NewRecord is the record of the cluster cs talks to, written by run
// (its id) on behalf of holder (who and where, in words).
func NewRecord(cs kubernetes.Interface, run, holder string) *Record {
	return &Record{client: cs, run: run, holder: holder, pending: map[string]Entry{}}
}

// keyChars are what a ConfigMap key may hold.
var keyChars = regexp.MustCompile(`[^-._a-zA-Z0-9]+`)

// Begin adds an entry before the fault breaks anything, and returns its
// id. The fault must not go on when it fails.
func (r *Record) Begin(ctx context.Context, scenario, faultName string, u fault.Undo) (string, error) {
	r.mu.Lock()
	r.seq++
	id := keyChars.ReplaceAllString(fmt.Sprintf("%s.%s.%d", r.run, scenario, r.seq), "_")
	r.mu.Unlock()
	e := Entry{ID: id, Scenario: scenario, Fault: faultName, Undo: u, Run: r.run, Holder: r.holder, At: time.Now().UTC()}
	data, err := json.Marshal(e)
	if err != nil {
		return "", err
	}
	err = r.update(ctx, func(cm *corev1.ConfigMap) { cm.Data[id] = string(data) })
	if err != nil {
		return "", fmt.Errorf("recording the fault in %s/%s before injecting it: %w", Namespace, RecordName, err)
	}
	r.mu.Lock()
	r.pending[id] = e
	r.mu.Unlock()
	return id, nil
}

// End removes entries whose fault was reverted.
func (r *Record) End(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	err := r.update(ctx, func(cm *corev1.ConfigMap) {
		for _, id := range ids {
			delete(cm.Data, id)
		}
	})
	if err != nil {
		return fmt.Errorf("clearing reverted faults from %s/%s: %w", Namespace, RecordName, err)
	}
	r.mu.Lock()
	for _, id := range ids {
		delete(r.pending, id)
	}
	r.mu.Unlock()
	return nil
}

// Pending are the entries this process wrote and has not cleared, oldest
// first.
func (r *Record) Pending() []Entry {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Entry, 0, len(r.pending))
	for _, e := range r.pending {
		out = append(out, e)
	}
	sortEntries(out)
	return out
}

// List reads every entry in the cluster's record, oldest first. An entry
// that does not decode is returned with an error: it cannot be repaired
// and must not be dropped silently.
func (r *Record) List(ctx context.Context) ([]Entry, error) {
	cm, err := r.client.CoreV1().ConfigMaps(Namespace).Get(ctx, RecordName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the active-fault record %s/%s: %w", Namespace, RecordName, err)
	}
	var out []Entry
	var bad []string
	for id, v := range cm.Data {
		var e Entry
		if err := json.Unmarshal([]byte(v), &e); err != nil {
			bad = append(bad, fmt.Sprintf("%s (%v)", id, err))
			continue
		}
		e.ID = id
		out = append(out, e)
	}
	sortEntries(out)
	if len(bad) > 0 {
		sort.Strings(bad)
		return out, fmt.Errorf("entries of %s/%s that cannot be read: %s (look at them with kubectl -n %s get configmap %s -o yaml, repair by hand, and delete them)",
			Namespace, RecordName, strings.Join(bad, ", "), Namespace, RecordName)
	}
	return out, nil
}

func sortEntries(es []Entry) {
	sort.Slice(es, func(i, j int) bool {
		if !es[i].At.Equal(es[j].At) {
			return es[i].At.Before(es[j].At)
		}
		return es[i].ID < es[j].ID
	})
}

// update changes the ConfigMap, creating it when missing, retrying on
// conflicts (another writer between our read and our write).
func (r *Record) update(ctx context.Context, change func(*corev1.ConfigMap)) error {
	cms := r.client.CoreV1().ConfigMaps(Namespace)
	return retry.OnError(retry.DefaultRetry, func(err error) bool { return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) }, func() error {
		cm, err := cms.Get(ctx, RecordName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: RecordName, Namespace: Namespace,
				Labels: map[string]string{"app.kubernetes.io/managed-by": "selfheal"},
				Annotations: map[string]string{"selfheal.dev/what": "faults selfheal has injected and not yet reverted; " +
					"the next selfheal run repairs them (README.md, \"After a kill\")"}}}
			change(withData(cm))
			_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
			return err
		}
		if err != nil {
			return err
		}
		change(withData(cm))
		_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
		return err
	})
}

func withData(cm *corev1.ConfigMap) *corev1.ConfigMap {
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	return cm
}
