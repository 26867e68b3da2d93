package nodeagent

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// renewal keeps RenewLease fresh for one fault: the agent's dead-man
// reverts the fault once it stops (this process gone), or once the lease
// is deleted (Stop, then deleteRenewal: selfheal's own revert).
type renewal struct {
	stop context.CancelFunc
	done chan struct{}
}

// startRenewal takes RenewLease for fault id, valid for grace without a
// renewal, and renews it every third of that until Stop. Renewal trouble
// goes to logf, once per run of failures: a lease left unrenewed for
// grace reverts the fault, which is the point of it.
func (a *Agent) startRenewal(ctx context.Context, id string, grace time.Duration, logf func(string, ...any)) (*renewal, error) {
	leases := a.cs.CoordinationV1().Leases(Namespace)
	secs := int32(grace / time.Second)
	now := metav1.NowMicro()
	l := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: RenewLease, Namespace: Namespace, Labels: map[string]string{PartOfLabel: Name, "app.kubernetes.io/managed-by": "selfheal"},
			Annotations: map[string]string{"selfheal.dev/what": "renewed by selfheal while the node agent's fault " + id + " is in place; deleting it reverts the fault"}},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &id, LeaseDurationSeconds: &secs, AcquireTime: &now, RenewTime: &now},
	}
	cur, err := leases.Get(ctx, RenewLease, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = leases.Create(ctx, l, metav1.CreateOptions{})
	case err == nil:
		cur.Labels, cur.Annotations, cur.Spec = l.Labels, l.Annotations, l.Spec
		_, err = leases.Update(ctx, cur, metav1.UpdateOptions{})
	}
	if err != nil {
		return nil, fmt.Errorf("taking the node agent's lease %s/%s for fault %s: %w", Namespace, RenewLease, id, err)
	}
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	r := &renewal{stop: stop, done: make(chan struct{})}
	go r.loop(rctx, a, id, grace/3, logf)
	return r, nil
}

func (r *renewal) loop(ctx context.Context, a *Agent, id string, every time.Duration, logf func(string, ...any)) {
	defer close(r.done)
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := a.renewOnce(ctx, id, every)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil && !failing:
			failing = true
			logf("warning: renewing the node agent's lease for fault %s: %v (the agent reverts the fault once it has gone unrenewed for its grace period)", id, err)
		case err == nil && failing:
			failing = false
			logf("the node agent's lease for fault %s is renewed again", id)
		}
	}
}

func (a *Agent) renewOnce(ctx context.Context, id string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	leases := a.cs.CoordinationV1().Leases(Namespace)
	cur, err := leases.Get(ctx, RenewLease, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if cur.Spec.HolderIdentity == nil || *cur.Spec.HolderIdentity != id {
		return fmt.Errorf("the lease now names %v, not fault %s", holderOf(cur), id)
	}
	now := metav1.NowMicro()
	cur.Spec.RenewTime = &now
	_, err = leases.Update(ctx, cur, metav1.UpdateOptions{})
	return err
}

// Stop stops renewing and waits for the renewals to end.
func (r *renewal) Stop() {
	if r == nil {
		return
	}
	r.stop()
	<-r.done
}

// deleteRenewal deletes RenewLease, which tells the agent holding fault id
// to revert it now (any fault when id is ""). A lease that names another
// fault is left alone.
func (a *Agent) deleteRenewal(ctx context.Context, id string) error {
	leases := a.cs.CoordinationV1().Leases(Namespace)
	cur, err := leases.Get(ctx, RenewLease, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the node agent's lease %s/%s: %w", Namespace, RenewLease, err)
	}
	if id != "" && (cur.Spec.HolderIdentity == nil || *cur.Spec.HolderIdentity != id) {
		return nil
	}
	rv := cur.ResourceVersion
	err = leases.Delete(ctx, RenewLease, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting the node agent's lease %s/%s (which asks the agent to revert): %w", Namespace, RenewLease, err)
	}
	return nil
}

func holderOf(l *coordinationv1.Lease) string {
	if l.Spec.HolderIdentity == nil {
		return "no holder"
	}
	return *l.Spec.HolderIdentity
}
