package history

import (
	"context"
	"errors"
	"io/fs"

	"github.com/selfheal/selfheal/chaos/result"
)

// Load reads every result below dir as history, keeping only what Judge
// reads (result.ReadFigures; the host's samples are dropped too), so a
// directory of hundreds of runs is read fast and stays small in memory. A directory
// that does not exist or holds no result is an empty history.
func Load(ctx context.Context, dir string) ([]*result.Result, error) {
	loaded, _, err := result.ReadFigures(ctx, dir)
	switch {
	case errors.Is(err, result.ErrNoResults), errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	}
	rs := result.Results(loaded)
	for _, r := range rs {
		if r.Conditions != nil {
			r.Conditions.Timeline = nil
		}
	}
	return rs, nil
}
