// Package kernels holds kshot's dense float32 kernels: a packed matrix
// multiply with Go-assembly micro-kernels selected at run time by CPU
// feature (MatMul, and MulRange for blocks of it such as attention's),
// vector max, index, add, scale, layer-norm and exponential kernels, the
// row-wise dot and axpy kernels of the trainer, and the persistent worker
// pool they share.
//
// Shapes follow llm.c's glossary: a is M×K (M rows of activations), the
// weight W is K×N, packed once with PackKN or PackNK, and dst is M×N. All
// matrices are flat row-major []float32, destination first.
//
// # Code paths
//
// Three implementations exist; the fastest one the CPU supports is used:
//
//   - "avx512": 6×64 register tiles (24 zmm accumulators), AVX-512F.
//   - "avx2":   6×16 register tiles (12 ymm accumulators), AVX2 and FMA.
//   - "portable": pure Go, every architecture (and builds tagged purego).
//
// The avx512 path also has AVX-512 versions of the exponential, layer-norm,
// add and index kernels (vec_avx512_amd64.s), which give the same bits as
// the avx2 ones (and, for the layer norm, add and index, as the portable
// code); the other vector kernels (max, scale, GELU) are AVX2 on both.
//
// The environment variable KSHOT_KERNELS (portable, avx2 or avx512) forces
// a path at start-up; SetPath and Path do the same for tests. The assembly
// is written by asmgen.go (go generate); the avx512 path cannot be run on
// CPUs without AVX-512, so its text is also checked on an interpreter of
// the generated assembly in the tests.
//
// A packed matrix pads N to a multiple of 64 columns with zeros and stores
// 16-column sub-panels, each K rows of 16 contiguous floats; the layout is
// the same for all paths. MatMul cuts dst into jobs of up to 192 rows by
// 64 columns (smaller when there are fewer jobs than 4·Threads()), and each
// job runs the micro-kernel over K in blocks that stay in cache.
//
// # Determinism
//
// Every output element is computed by one goroutine with an accumulation
// order that depends only on the shapes of the weight (K, N), never on the
// number of rows M, the row's position, or the thread count. kshot relies
// on it for bit-identical scores across batch sizes. Concretely, element
// (i, j) of MatMul is bias[j] (or 0) followed by a[i][k]·W[k][j] added for
// k = 0, 1, …, K-1 in order into a float32 accumulator: one fused
// multiply-add per step on the avx2 and avx512 paths (which therefore agree
// bit for bit), and on the portable path whatever the Go compiler emits
// for s += x·y (fused on arm64, a rounded multiply then add on amd64). K
// blocks store and reload the float32 partial sum, which changes nothing.
// DotRows' order depends only on d, and AxpyRows accumulates each lane over
// j strictly in order, so splitting the j range over calls is exact.
package kernels
