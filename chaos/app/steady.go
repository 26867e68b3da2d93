package app

import "github.com/selfheal/selfheal/chaos/kube"

// Steady is the app at its desired state: the serving workload's rollout
// complete with every pod Ready and in its Service's endpoints, and the
// database's pods Ready.
func (s Shape) Steady(c *kube.Client) kube.Check {
	ns := s.App.Namespace
	checks := []kube.Check{c.WorkloadSteady(ns, string(s.Serving.Kind), s.Serving.Name, s.App.Serving.Service)}
	if db := s.Database; db != nil {
		checks = append(checks, c.WorkloadReady(ns, string(db.Kind), db.Name))
	}
	return kube.All(checks...)
}

// SteadyWords says what Steady checks, for the report.
func (s Shape) SteadyWords() string {
	w := s.App.Name + " rollout complete with every replica Ready and in the Service's endpoints"
	if s.Database != nil {
		w += ", " + s.App.Database.Title + " Ready"
	}
	return w
}
