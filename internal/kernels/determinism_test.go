package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// TestMatMulDeterminism checks the determinism contract: a row gives the
// same bits alone (M=1), at any position inside M=7, 13 and 37 rows, and
// on 1 or 2 threads.
func TestMatMulDeterminism(t *testing.T) {
	for _, path := range pathNames {
		t.Run(path, func(t *testing.T) {
			usePath(t, path)
			useThreads(t, 1)
			r := rand.New(rand.NewPCG(9, 10))
			for _, sh := range []struct{ k, n int }{{300, 200}, {1000, 70}, {64, 1017}} {
				b := randSlice(r, sh.k*sh.n)
				w := PackKN(b, sh.k, sh.n)
				bias := randSlice(r, sh.n)
				row := randSlice(r, sh.k)
				want := make([]float32, sh.n)
				SetThreads(1)
				MatMul(want, row, 1, w, bias)
				for _, m := range []int{7, 13, 37} {
					for _, pos := range []int{0, 1, 5, 6, m / 2, m - 1} {
						for _, th := range []int{1, 2, 3} {
							SetThreads(th)
							a := randSlice(r, m*sh.k)
							copy(a[pos*sh.k:], row)
							dst := make([]float32, m*sh.n)
							MatMul(dst, a, m, w, bias)
							if got := dst[pos*sh.n : (pos+1)*sh.n]; !sameBits(got, want) {
								t.Fatalf("K=%d N=%d: row at position %d of M=%d on %d threads differs from M=1", sh.k, sh.n, pos, m, th)
							}
						}
					}
				}
			}
		})
	}
}

// TestKBlocking checks that the K block size of a path does not change a
// single bit: every element is one chain of multiply-adds over k.
func TestKBlocking(t *testing.T) {
	for _, name := range Paths() {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(11, 12))
			k, n, m := 1100, 90, 9
			w := PackNK(randSlice(r, n*k), n, k)
			a, bias := randSlice(r, m*k), randSlice(r, n)
			old := current.Load()
			t.Cleanup(func() { current.Store(old) })
			var want []float32
			for _, kc := range []int{k, 1, 5, 64, 333} {
				p := *supported[name]
				p.kc = kc
				current.Store(&p)
				dst := make([]float32, m*n)
				MatMul(dst, a, m, w, bias)
				if want == nil {
					want = dst
				} else if !sameBits(dst, want) {
					t.Errorf("K block %d changes the result", kc)
				}
			}
		})
	}
}

// TestFMAPathsAgree checks that avx2 and avx512, which both compute one
// fused multiply-add chain per element, give the same bits.
func TestFMAPathsAgree(t *testing.T) {
	if !slices.Contains(Paths(), "avx512") {
		t.Skipf("avx512 not supported by this CPU (supported: %v); not tested here", Paths())
	}
	r := rand.New(rand.NewPCG(13, 14))
	k, n, m := 700, 200, 13
	w := PackKN(randSlice(r, k*n), k, n)
	a, bias := randSlice(r, m*k), randSlice(r, n)
	var outs [][]float32
	for _, p := range []string{"avx2", "avx512"} {
		usePath(t, p)
		dst := make([]float32, m*n)
		MatMul(dst, a, m, w, bias)
		outs = append(outs, dst)
	}
	if !sameBits(outs[0], outs[1]) {
		t.Error("avx2 and avx512 MatMul differ")
	}
}

// TestRowsDeterminism checks that DotRows gives each key the same bits
// whatever n and its index, and that AxpyRows split into two calls equals
// one call bit for bit.
func TestRowsDeterminism(t *testing.T) {
	for _, path := range pathNames {
		t.Run(path, func(t *testing.T) {
			usePath(t, path)
			r := rand.New(rand.NewPCG(15, 16))
			for _, d := range []int{1, 13, 64, 65, 130} {
				n := 37
				q, k, p := randSlice(r, d), randSlice(r, n*d), randSlice(r, n)
				all := make([]float32, n)
				DotRows(all, q, k, n, d)
				for j := 0; j < n; j++ {
					one := make([]float32, 1)
					DotRows(one, q, k[j*d:], 1, d)
					if !sameBits(one, all[j:j+1]) {
						t.Fatalf("d=%d: DotRows key %d alone differs from within n=%d", d, j, n)
					}
				}
				init := randSlice(r, d)
				want := slices.Clone(init)
				AxpyRows(want, p, k, n, d)
				for _, s := range []int{0, 1, 4, 17, 36, 37} {
					got := slices.Clone(init)
					AxpyRows(got, p, k, s, d)
					AxpyRows(got, p[s:], k[s*d:], n-s, d)
					if !sameBits(got, want) {
						t.Fatalf("d=%d: AxpyRows split at %d differs from one call", d, s)
					}
				}
			}
		})
	}
}

func TestParallel(t *testing.T) {
	for _, th := range []int{1, 2, 4} {
		for _, n := range []int{0, 1, 2, 3, 100, 1000} {
			t.Run(fmt.Sprintf("threads=%d/n=%d", th, n), func(t *testing.T) {
				useThreads(t, th)
				hits := make([]atomic.Int32, n)
				Parallel(n, func(i int) { hits[i].Add(1) })
				for i := range hits {
					if h := hits[i].Load(); h != 1 {
						t.Fatalf("f(%d) called %d times", i, h)
					}
				}
			})
		}
	}
}

// TestParallelNestedConcurrent runs nested and concurrent Parallel calls,
// which must neither deadlock nor miss an index.
func TestParallelNestedConcurrent(t *testing.T) {
	useThreads(t, 3)
	var total atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				Parallel(5, func(i int) {
					Parallel(7, func(j int) { total.Add(int64(i*7 + j)) })
				})
			}
		})
	}
	wg.Wait()
	// Each inner sum is Σ_{i<5,j<7} (7i+j) = 595.
	if got, want := total.Load(), int64(4*50*595); got != want {
		t.Errorf("sum = %d, want %d", got, want)
	}
}

// TestParallelUsesWorkers checks that Parallel runs calls on more than
// one goroutine at a time when Threads() > 1: with 2 threads, two calls
// that wait for each other can only finish if they run concurrently.
func TestParallelUsesWorkers(t *testing.T) {
	useThreads(t, 2)
	for attempt := 0; ; attempt++ {
		var inside atomic.Int32
		var ok atomic.Bool
		Parallel(2, func(int) {
			inside.Add(1)
			defer inside.Add(-1)
			for range 100000 {
				if inside.Load() == 2 {
					ok.Store(true)
					return
				}
				runtime.Gosched()
			}
		})
		if ok.Load() {
			return
		}
		if attempt == 20 {
			t.Fatal("Parallel(2, …) with 2 threads never ran two calls concurrently")
		}
	}
}

// TestParallelNoLateCalls checks that no helper calls f after Parallel
// has returned, over many short calls in a row: the case where a polling
// worker picks up a call as its caller finishes it.
func TestParallelNoLateCalls(t *testing.T) {
	useThreads(t, 2)
	var late atomic.Int32
	for range 20000 {
		var done atomic.Bool
		Parallel(2, func(int) {
			if done.Load() {
				late.Add(1)
			}
		})
		done.Store(true)
	}
	// Let any straggling helper run before looking.
	time.Sleep(10 * time.Millisecond)
	if n := late.Load(); n != 0 {
		t.Errorf("f was called %d times after Parallel returned", n)
	}
}
