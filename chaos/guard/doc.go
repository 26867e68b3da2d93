// Package guard keeps faults from outliving the run that injected them,
// and keeps two runs against one cluster from breaking each other.
//
//   - The Record is a ConfigMap in the cluster (kube-system/
//     selfheal-active-faults), not a file of one checkout: one entry per
//     fault in place, written before the fault breaks anything (the fault's
//     fault.Undo: what it takes to put it back) and removed once its revert
//     is done. A run killed with SIGKILL, or a power cut, leaves its entries
//     behind. The API server runs on the control-plane node, which no
//     scenario halts, so the record stays readable while a worker is down.
//   - Repair reads the record and hands each entry to the fault.Repairer of
//     its kind (one per fault package), removing the entries it repaired.
//     Every entry point (go test ./e2e, selfheal run, selfheal cluster up
//     -reuse) runs it before anything else, and says what it repaired and
//     how long it took.
//   - The Lease (kube-system/selfheal-run, coordination.k8s.io) is held
//     while a run may inject faults and renewed while it runs. A second run
//     waits a bounded time for it and then refuses, naming the holder. A
//     holder that died stops renewing and its lease expires; one that died
//     on this machine is seen dead at once (its process is gone).
//   - Interrupts: the first SIGINT/SIGTERM cancels the run (the scenario in
//     flight reverts its fault); the second stops the process at once,
//     after saying which faults may be left and that the next run repairs
//     them.
package guard
