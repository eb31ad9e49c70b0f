// Package deps holds only a test: it enforces the dependency direction
// between kshot's packages (see ../shared/STYLE.md), the way
// go/build/deps_test.go does for the standard library.
package deps
