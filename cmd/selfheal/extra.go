package main

// extraCommands lists the subcommands beyond probe and report (run, images,
// cluster ...); each lives in a file of its own.
func extraCommands() []command {
	return []command{
		{"cluster", "create, check or delete the kind cluster (up|down|status)", runCluster},
		{"agent", "deploy, inspect or remove selfheal's node agent (install|status|remove)", runAgent},
		{"images", "the project's images as one archive, and in a registry (key|check|save|load|push)", runImages},
		{"run", "run the fault scenarios under load against the kind cluster, with reports", runRun},
		{"compare", "compare results: is NEW better, worse, or not clearly different from BASE", runCompare},
		{"flaky-server", "(development) serve HTTP that fails on a schedule, to try probe against", runFlakyServer},
	}
}
