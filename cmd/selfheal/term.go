package main

import (
	"os"

	"golang.org/x/term"
)

func stdoutIsTerminal() bool { return term.IsTerminal(int(os.Stdout.Fd())) }
