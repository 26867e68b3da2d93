package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/selfheal/selfheal/fixtures"
	"github.com/selfheal/selfheal/fixtures/bundle"
)

// runImages is `selfheal images key|check|save|load|push`: the images the
// project builds as one artifact (see fixtures/bundle).
func runImages(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 {
		return usagef("missing action: want key, check, save, load or push")
	}
	action, rest := args[0], args[1:]
	switch action {
	case "key":
		return imagesKey(ctx, env, rest)
	case "check":
		return imagesCheck(ctx, env, rest)
	case "save":
		return imagesSave(ctx, env, rest)
	case "load":
		return imagesLoad(ctx, env, rest)
	case "push":
		return imagesPush(ctx, env, rest)
	case "-h", "--help", "help":
		fmt.Fprintln(env.stderr, `Usage: selfheal images key|check|save|load|push [flags] [ARG]

  key                 print the key of the recipes' inputs (fixtures/images, versions.env)
  check               exit 0 when Docker holds the images of the current recipes
  save [FILE|DIR]     write the node and app images to one archive
                      (default _out/images/selfheal-images-KEY.tar)
  load [FILE|DIR]     load such an archive (one of the current recipes only)
  push REGISTRY       push them to REGISTRY (HOST[:PORT][/PATH]), from the archive`)
		return flag.ErrHelp
	default:
		return usagef("unknown action %q: want key, check, save, load or push", action)
	}
}

// imagesBundle parses an action's flags (none but -h) and at most maxArgs
// arguments, and returns the bundle of this checkout.
func imagesBundle(env *cliEnv, action, synopsis string, args []string, maxArgs int, fs *flag.FlagSet) (*bundle.Bundle, []string, error) {
	if fs == nil {
		fs = newFlagSet(env, "images "+action, synopsis)
	}
	if err := parseFlags(fs, args); err != nil {
		return nil, nil, err
	}
	if fs.NArg() > maxArgs {
		return nil, nil, usagef("unexpected arguments %q", fs.Args()[maxArgs:])
	}
	root, err := fixtures.RepoRoot()
	if err != nil {
		return nil, nil, err
	}
	b, err := bundle.New(root, bundle.WithLog(env.stderr))
	return b, fs.Args(), err
}

func imagesKey(ctx context.Context, env *cliEnv, args []string) error {
	b, _, err := imagesBundle(env, "key", "", args, 0, nil)
	if err != nil {
		return err
	}
	key, err := b.Key(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, key)
	return nil
}

func imagesCheck(ctx context.Context, env *cliEnv, args []string) error {
	b, _, err := imagesBundle(env, "check", "", args, 0, nil)
	if err != nil {
		return err
	}
	if err := b.Current(ctx); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "the images in Docker are those of the current recipes")
	return nil
}

func imagesSave(ctx context.Context, env *cliEnv, args []string) error {
	b, rest, err := imagesBundle(env, "save", "[FILE|DIR]", args, 1, nil)
	if err != nil {
		return err
	}
	a, err := b.Save(ctx, first(rest))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s\t%.2f GB\tkey %s\n", a.Path, float64(a.Size)/1e9, a.Key)
	return nil
}

func imagesLoad(ctx context.Context, env *cliEnv, args []string) error {
	b, rest, err := imagesBundle(env, "load", "[FILE|DIR]", args, 1, nil)
	if err != nil {
		return err
	}
	a, err := b.Load(ctx, first(rest))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "loaded %s (key %s): the images of the current recipes are in Docker\n", a.Path, a.Key)
	return nil
}

func imagesPush(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "images push", "[--archive FILE|DIR] REGISTRY")
	archive := fs.String("archive", "", "the archive to push from (default _out/images/selfheal-images-KEY.tar, written first when missing)")
	b, rest, err := imagesBundle(env, "push", "", args, 1, fs)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("want the registry to push to, e.g. localhost:5001")
	}
	if _, err := fixtures.ParseRegistry(rest[0]); err != nil {
		return usagef("registry: %v", err)
	}
	pushed, err := b.Push(ctx, rest[0], *archive)
	if err != nil {
		return err
	}
	for _, p := range pushed {
		fmt.Fprintf(env.stdout, "%s@%s\n", p.Ref, p.Digest)
	}
	return nil
}

func first(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}
