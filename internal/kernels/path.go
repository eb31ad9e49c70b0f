package kernels

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
)

// gemmKernel computes an mr×nr block of C (mr ≥ 1) over kc steps of k,
// as register tiles of rowTile rows (the last one shorter) so that one
// call covers a whole column of tiles. Row r of A starts at a + r·lda
// bytes, row r of C at c + r·ldc bytes; B is nr/subWidth sub-panels bstride bytes apart, each kc rows of
// subWidth contiguous floats. Every element starts from 0 (mode 0), its
// value in C (mode 1) or bias[column] (mode 2, bias holds nr floats) and
// adds a[r][k]·b[k][column] for k = 0, 1, …, kc-1 in order.
type gemmKernel func(a *float32, lda uintptr, b *float32, bstride uintptr, kc int, c *float32, ldc uintptr, bias *float32, mode int, mr int)

const (
	modeZero = 0
	modeLoad = 1
	modeBias = 2
)

// kernelPath is one implementation of the kernels.
type kernelPath struct {
	name string
	nr   int        // columns per micro-kernel call, a multiple of subWidth dividing panelWidth
	kc   int        // K block: the kernel is called over at most kc steps of k
	gemm gemmKernel // B of float32
	// gemmF16 and gemmBF16 take B of 16-bit values (bstride in bytes of
	// them) and widen them exactly as they load them.
	gemmF16, gemmBF16 gemmKernel
	dot               func(dst, q, k []float32, n, d int) // DotRows with checked shapes, n, d ≥ 1
	axpy              func(out, p, v []float32, n, d int) // AxpyRows with checked shapes, n, d ≥ 1
}

// pathNames lists every path name in order of preference, best last.
var pathNames = []string{"portable", "avx2", "avx512"}

// supported holds the paths this CPU can run, keyed by name.
var supported = func() map[string]*kernelPath {
	m := map[string]*kernelPath{"portable": portablePath}
	for _, p := range archPaths() {
		m[p.name] = p
	}
	return m
}()

var current atomic.Pointer[kernelPath]

// EnvVar names the environment variable read at start-up to force a code
// path: portable, avx2 or avx512. An unknown or unsupported value leaves
// the best path in place and prints a warning on standard error.
const EnvVar = "KSHOT_KERNELS"

func init() {
	current.Store(supported[Paths()[len(Paths())-1]])
	if v := os.Getenv(EnvVar); v != "" {
		if err := SetPath(v); err != nil {
			fmt.Fprintf(os.Stderr, "kshot: %s=%s: %v; using %s\n", EnvVar, v, err, Path())
		}
	}
}

// Paths returns the names of the code paths this CPU supports, from the
// slowest (always "portable") to the fastest, which is the default.
func Paths() []string {
	var out []string
	for _, n := range pathNames {
		if supported[n] != nil {
			out = append(out, n)
		}
	}
	return out
}

// Path returns the name of the code path in use: "portable", "avx2" or
// "avx512".
func Path() string { return current.Load().name }

// SetPath selects the code path by name ("portable", "avx2" or "avx512").
// It returns an error for an unknown name or a path this CPU lacks the
// instructions for, and leaves the path unchanged then. Packed matrices
// do not depend on the path; calls already running finish on the old one.
func SetPath(name string) error {
	p := supported[name]
	if p == nil {
		for _, n := range pathNames {
			if n == name {
				return fmt.Errorf("kernels: path %q is not supported by this CPU (supported: %s)", name, strings.Join(Paths(), ", "))
			}
		}
		return fmt.Errorf("kernels: unknown path %q (want one of %s)", name, strings.Join(pathNames, ", "))
	}
	current.Store(p)
	return nil
}

// peakKernel is an assembly loop of independent vector FMAs used to
// measure the float32 FMA peak of a core.
type peakKernel struct {
	run   func(n int) // n iterations
	flops int         // floating-point operations per iteration
}
