package deps

import (
	"cmp"
	"slices"
)

// sortPackages orders packages by line, then name, then version, so that
// output does not depend on map iteration.
func sortPackages(ps []Package) {
	slices.SortFunc(ps, func(a, b Package) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
	})
}
