package kernels

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

// BenchmarkFMAPeak measures the float32 FMA peak of this machine with
// register-only loops of independent vector FMAs, on 1 and 2 goroutines.
func BenchmarkFMAPeak(b *testing.B) {
	peaks := peakKernels()
	names := make([]string, 0, len(peaks))
	for n := range peaks {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		b.Skip("no assembly FMA loop for this CPU")
	}
	for _, name := range names {
		pk := peaks[name]
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", name, th), func(b *testing.B) {
				var flops float64
				for b.Loop() {
					flops += pk.round(th)
				}
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// gpt2Shapes are the K×N of GPT-2 small's matrix products: attention
// qkv and projection, MLP up and down, and the LM head.
var gpt2Shapes = []struct {
	name string
	k, n int
}{
	{"qkv", 768, 2304}, {"attnproj", 768, 768}, {"mlpup", 768, 3072}, {"mlpdown", 3072, 768}, {"lmhead", 768, 50257},
}

// BenchmarkMatMul measures MatMul on the current path (set KSHOT_KERNELS
// to choose) at GPT-2 small shapes, 128 and 1024 rows, 1 and 2 threads.
func BenchmarkMatMul(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, sh := range gpt2Shapes {
		w := PackKN(randSlice(r, sh.k*sh.n), sh.k, sh.n)
		bias := randSlice(r, sh.n)
		for _, m := range []int{128, 1024} {
			a := randSlice(r, m*sh.k)
			dst := make([]float32, m*sh.n)
			for _, th := range []int{1, 2} {
				name := fmt.Sprintf("%s/M=%d/%s/K=%d/N=%d/threads=%d", Path(), m, sh.name, sh.k, sh.n, th)
				b.Run(name, func(b *testing.B) {
					useThreads(b, th)
					n := 0
					for b.Loop() {
						MatMul(dst, a, m, w, bias)
						n++
					}
					flops := 2 * float64(n) * float64(m) * float64(sh.k) * float64(sh.n)
					b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkRows measures DotRows and AxpyRows on the current path at the
// attention shape of GPT-2 small: head width 64, 1024 keys.
func BenchmarkRows(b *testing.B) {
	const n, d = 1024, 64
	r := rand.New(rand.NewPCG(9, 10))
	q, k, p := randSlice(r, d), randSlice(r, n*d), randSlice(r, n)
	dst, out := make([]float32, n), make([]float32, d)
	for _, bm := range []struct {
		name string
		f    func()
	}{
		{"DotRows", func() { DotRows(dst, q, k, n, d) }},
		{"AxpyRows", func() { AxpyRows(out, p, k, n, d) }},
	} {
		b.Run(fmt.Sprintf("%s/%s/n=%d/d=%d", Path(), bm.name, n, d), func(b *testing.B) {
			cnt := 0
			for b.Loop() {
				bm.f()
				cnt++
			}
			b.ReportMetric(2*float64(cnt)*n*d/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkMicroKernel runs the current path's micro-kernel on one tile
// with A and B in cache (kc = 64 and 256): the kernel's own ceiling,
// without the memory traffic of a whole product.
func BenchmarkMicroKernel(b *testing.B) {
	pt := current.Load()
	r := rand.New(rand.NewPCG(1, 2))
	for _, kc := range []int{64, 256} {
		b.Run(fmt.Sprintf("%s/kc=%d", pt.name, kc), func(b *testing.B) {
			a := randSlice(r, rowTile*kc)
			w := PackKN(randSlice(r, kc*pt.nr), kc, pt.nr)
			c := make([]float32, rowTile*pt.nr)
			n := 0
			for b.Loop() {
				for range 100 {
					pt.gemm(&a[0], uintptr(4*kc), &w.data[0], uintptr(4*kc*subWidth), kc, &c[0], uintptr(4*pt.nr), nil, modeZero, rowTile)
				}
				n += 100
			}
			b.ReportMetric(2*float64(n*rowTile*pt.nr*kc)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkReadBandwidth measures the memory read bandwidth with
// ReadBuffer (512 MiB, streamed by vector loads) on 1 and 2 goroutines.
func BenchmarkReadBandwidth(b *testing.B) {
	rb := NewReadBuffer(512 << 20)
	for _, th := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", th), func(b *testing.B) {
			var gbps float64
			n := 0
			for b.Loop() {
				gbps += rb.GBps(th, 0)
				n++
			}
			b.ReportMetric(gbps/float64(n), "GB/s")
		})
	}
}
