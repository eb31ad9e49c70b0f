package kernels

//go:generate go run asmgen.go

import (
	"fmt"
	"sync"
	"unsafe"
)

const (
	// panelWidth is the column granularity of packed matrices: N is
	// padded with zero columns to a multiple of it, for every path.
	panelWidth = 64
	// subWidth is the width of a sub-panel, the unit of the packed layout.
	subWidth = 16
	// rowTile is the number of rows of the micro-kernels' register tile.
	rowTile = 6
	// rowBlock is the number of rows of A a MatMul job works on when
	// there is enough work to share out; a multiple of rowTile.
	rowBlock = 192
)

// Packed is a K×N matrix B stored for MatMul: N is padded with zero
// columns to a multiple of 64 and cut into sub-panels of 16 columns, each
// sub-panel K rows of 16 contiguous values. The layout is the same for
// every code path. The values are float32, or F16 or BF16 kept 16-bit
// (PackKN16, PackNK16) and widened inside the kernels.
type Packed struct {
	K, N int
	data []float32 // [subPanels][K][subWidth], 64-byte aligned; nil when 16-bit
	half []uint16  // the same layout for F16 and BF16 values; nil for F32
	dt   DType
}

// subPanels returns the number of 16-column sub-panels, padding included.
func (p *Packed) subPanels() int {
	return (p.N + panelWidth - 1) / panelWidth * (panelWidth / subWidth)
}

// Bytes returns the memory the packed matrix occupies, in bytes.
func (p *Packed) Bytes() int { return 4*len(p.data) + 2*len(p.half) }

func newPacked(k, n int) *Packed {
	if k <= 0 || n <= 0 {
		panic(fmt.Sprintf("kernels: pack of a %d×%d matrix", k, n))
	}
	p := &Packed{K: k, N: n}
	size := p.subPanels() * k * subWidth
	buf := make([]float32, size+subWidth)
	off := int(uintptr(unsafe.Pointer(&buf[0]))%64) / 4
	if off != 0 {
		off = subWidth - off
	}
	p.data = buf[off : off+size : off+size]
	return p
}

// NewPacked returns a K×N packed matrix of zeros, to be filled with SetRows
// or SetColumns (a cache of attention keys or values, for instance).
func NewPacked(k, n int) *Packed { return newPacked(k, n) }

// PackKN packs b, a row-major K×N matrix (the layout of x·W weights such as
// Hugging Face's Conv1D).
func PackKN(b []float32, k, n int) *Packed {
	p := newPacked(k, n)
	if len(b) < k*n {
		panic(fmt.Sprintf("kernels: PackKN: len(b)=%d < %d×%d", len(b), k, n))
	}
	p.SetRows(0, b, n, k)
	return p
}

// PackNK packs the transpose of b, a row-major N×K matrix (the layout of
// nn.Linear weights and of an embedding used as the LM head), so that
// MatMul computes a·bᵀ.
func PackNK(b []float32, n, k int) *Packed {
	p := newPacked(k, n)
	if len(b) < k*n {
		panic(fmt.Sprintf("kernels: PackNK: len(b)=%d < %d×%d", len(b), n, k))
	}
	p.SetColumns(0, b, k, n)
	return p
}

// SetRows sets rows [r0, r0+n) of the packed K×N matrix to the rows of
// src, which are N values each, ld apart.
func (p *Packed) SetRows(r0 int, src []float32, ld, n int) {
	if p.dt != F32 {
		panic("kernels: SetRows of a " + p.dt.String() + " matrix")
	}
	if r0 < 0 || n < 0 || r0+n > p.K || ld < p.N || (n > 0 && len(src) < (n-1)*ld+p.N) {
		panic(fmt.Sprintf("kernels: SetRows(%d, %d rows, ld %d) of a %d×%d matrix from %d values", r0, n, ld, p.K, p.N, len(src)))
	}
	sub := p.K * subWidth
	for c0 := 0; c0 < p.N; c0 += subWidth {
		dst := p.data[c0/subWidth*sub+r0*subWidth:]
		if w := p.N - c0; w < subWidth {
			for i := 0; i < n; i++ {
				copy(dst[i*subWidth:i*subWidth+w], src[i*ld+c0:])
			}
			continue
		}
		for i := 0; i < n; i++ {
			*(*[subWidth]float32)(dst[i*subWidth:]) = *(*[subWidth]float32)(src[i*ld+c0:])
		}
	}
}

// SetColumns sets columns [j0, j0+n) of the packed K×N matrix to the rows
// of src, which are K values each, ld apart: for a matrix packed with
// PackNK, rows of the original N×K matrix.
func (p *Packed) SetColumns(j0 int, src []float32, ld, n int) {
	if p.dt != F32 {
		panic("kernels: SetColumns of a " + p.dt.String() + " matrix")
	}
	if j0 < 0 || n < 0 || j0+n > p.N || ld < p.K || (n > 0 && len(src) < (n-1)*ld+p.K) {
		panic(fmt.Sprintf("kernels: SetColumns(%d, %d columns, ld %d) of a %d×%d matrix from %d values", j0, n, ld, p.K, p.N, len(src)))
	}
	sub := p.K * subWidth
	for i := 0; i < n; {
		j := j0 + i
		lane := j % subWidth
		cnt := min(subWidth-lane, n-i) // columns in this sub-panel
		dst := p.data[j/subWidth*sub+lane:]
		for k := 0; k < p.K; k++ {
			row := dst[k*subWidth : k*subWidth+cnt]
			for g := range row {
				row[g] = src[(i+g)*ld+k]
			}
		}
		i += cnt
	}
}

// Cols returns columns [c0, c1) of p as a packed matrix that shares p's
// memory; c0 must be a multiple of 64. MatMul with it computes exactly
// the same elements as with p (each element's arithmetic depends only on
// K), so a wide product can be done a block of columns at a time.
func (p *Packed) Cols(c0, c1 int) *Packed {
	if c0 < 0 || c0%panelWidth != 0 || c1 <= c0 || c1 > p.N {
		panic(fmt.Sprintf("kernels: Cols(%d, %d) of a %d×%d matrix", c0, c1, p.K, p.N))
	}
	q := &Packed{K: p.K, N: c1 - c0, dt: p.dt}
	if p.dt == F32 {
		q.data = p.data[c0/subWidth*p.K*subWidth:]
	} else {
		q.half = p.half[c0/subWidth*p.K*subWidth:]
	}
	return q
}

// MatMul computes dst = a·W + bias, where a is a row-major M×K matrix, W
// the packed K×N matrix and dst a row-major M×N matrix; bias (length N) may
// be nil. Work is spread over the worker pool. Each element of dst is
// bias (or 0) plus the products a[i][k]·W[k][j] added for k = 0…K-1 in
// order, so it does not depend on m, on the row's position or on Threads().
func MatMul(dst, a []float32, m int, w *Packed, bias []float32) {
	k, n := w.K, w.N
	if m < 0 || len(a) < m*k || len(dst) < m*n || (bias != nil && len(bias) < n) {
		panic(fmt.Sprintf("kernels: MatMul shapes: len(a)=%d len(dst)=%d m=%d K=%d N=%d len(bias)=%d", len(a), len(dst), m, k, n, len(bias)))
	}
	if m == 0 {
		return
	}
	pt := current.Load()
	nr := pt.nr
	tiles := (n + nr - 1) / nr
	// A job is a block of rows times a block of column tiles. Start from
	// 64-column, rowBlock-row jobs and halve them until every thread has a
	// few jobs or they cannot shrink further.
	tilesPer := panelWidth / nr
	rowsPer := min(rowBlock, roundUp(m, rowTile))
	want := 4 * Threads()
	for (tiles+tilesPer-1)/tilesPer*((m+rowsPer-1)/rowsPer) < want {
		if tilesPer > 1 {
			tilesPer = (tilesPer + 1) / 2
		} else if rowsPer > rowTile {
			rowsPer = roundUp(rowsPer/2, rowTile)
		} else {
			break
		}
	}
	colJobs := (tiles + tilesPer - 1) / tilesPer
	rowJobs := (m + rowsPer - 1) / rowsPer
	Parallel(colJobs*rowJobs, func(job int) {
		rb, cb := job/colJobs, job%colJobs
		r0, t0 := rb*rowsPer, cb*tilesPer
		pt.block(dst, a, w, bias, r0, min(m, r0+rowsPer), t0, min(tiles, t0+tilesPer))
	})
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// MulRange computes, on the calling goroutine, the block of a product
// with rows [k0,k1) and columns [n0,n1) of the packed W:
//
//	dst[i·ldc + c] = s + Σ_{k=k0}^{k1-1} a[i·lda + k−k0]·W[k][n0+c]
//
// for i < m and c < n1−n0, where s is 0, or dst's previous value when add
// is set. Each element adds its products in order of k exactly as MatMul
// does, so an element does not depend on m, n0 or n1, and splitting
// [k0,k1) over two calls, the second with add, gives the same bits as one
// call. Attention uses it for the scores of a block of queries against a
// key cache and for the probability-weighted sum of the values.
func MulRange(dst []float32, ldc int, a []float32, lda, m int, w *Packed, k0, k1, n0, n1 int, add bool) {
	if m < 0 || k0 < 0 || k0 > k1 || k1 > w.K || n0 < 0 || n0 > n1 || n1 > w.N || lda < k1-k0 || ldc < n1-n0 ||
		(m > 0 && (len(a) < (m-1)*lda+k1-k0 || len(dst) < (m-1)*ldc+n1-n0)) {
		panic(fmt.Sprintf("kernels: MulRange shapes: len(dst)=%d ldc=%d len(a)=%d lda=%d m=%d W %d×%d k=[%d,%d) n=[%d,%d)",
			len(dst), ldc, len(a), lda, m, w.K, w.N, k0, k1, n0, n1))
	}
	if m == 0 || n0 == n1 {
		return
	}
	if k0 == k1 {
		if !add {
			for i := 0; i < m; i++ {
				clear(dst[i*ldc : i*ldc+n1-n0])
			}
		}
		return
	}
	pt := current.Load()
	nr := pt.nr
	gemm := pt.gemmFor(w)
	sub := w.K * subWidth
	bstride := uintptr(w.elemBytes() * sub)
	padded := roundUp(w.N, panelWidth) // columns the packed data holds
	// tmp is scratch for the tiles dst wants only part of.
	var tmp *scratchTile
	defer func() {
		if tmp != nil {
			scratchPool.Put(tmp)
		}
	}()
	// mul runs the kernel over K, block by block, for rows of A from row
	// i on and a tile of W starting at element b, into C at cp with row
	// stride ld.
	mul := func(i int, b int, cp *float32, ld uintptr, rows int) {
		for kb := k0; kb < k1; kb += pt.kc {
			mode := modeLoad
			if kb == k0 && !add {
				mode = modeZero
			}
			gemm(&a[i*lda+kb-k0], uintptr(4*lda), w.at(b+kb*subWidth), bstride, min(pt.kc, k1-kb), cp, ld, nil, mode, rows)
		}
	}
	for c := n0 &^ (subWidth - 1); c < n1; {
		t0 := c // the tile holds columns [t0, t0+nr) of W
		if t0+nr > padded {
			t0 = padded - nr
		}
		lo, hi := max(c, n0), min(t0+nr, n1) // the part of it dst wants
		b := t0 / subWidth * sub
		if lo == t0 && hi == t0+nr { // all of the tile: written in place
			mul(0, b, &dst[t0-n0], uintptr(4*ldc), m)
			c = t0 + nr
			continue
		}
		if tmp == nil {
			tmp = scratchPool.Get().(*scratchTile)
		}
		for i := 0; i < m; i += rowTile { // part of it: through tmp
			mr := min(rowTile, m-i)
			if add {
				for r := 0; r < mr; r++ {
					copy(tmp.c[r*nr+lo-t0:r*nr+hi-t0], dst[(i+r)*ldc+lo-n0:])
				}
			}
			mul(i, b, &tmp.c[0], uintptr(4*nr), mr)
			for r := 0; r < mr; r++ {
				copy(dst[(i+r)*ldc+lo-n0:(i+r)*ldc+hi-n0], tmp.c[r*nr+lo-t0:])
			}
		}
		c = t0 + nr
	}
}

// scratchTile is a register tile's worth of C and of bias for the tiles
// that extend past what the caller asked for; the kernels are called
// through a function value, so a local array would escape to the heap on
// every call.
type scratchTile struct {
	c    [rowTile * panelWidth]float32
	bias [panelWidth]float32
}

var scratchPool = sync.Pool{New: func() any { return new(scratchTile) }}

// block computes rows [r0,r1) and column tiles [t0,t1) of MatMul's dst;
// tile t holds columns [t·nr, (t+1)·nr).
func (pt *kernelPath) block(dst, a []float32, w *Packed, bias []float32, r0, r1, t0, t1 int) {
	k, n, nr := w.K, w.N, pt.nr
	sub := k * subWidth
	gemm := pt.gemmFor(w)
	bstride := uintptr(w.elemBytes() * sub)
	lda, ldc := uintptr(4*k), uintptr(4*n)
	full := min(t1, n/nr) // tiles [t0, full) lie entirely inside dst
	for kb := 0; kb < k; kb += pt.kc {
		kl := min(pt.kc, k-kb)
		for t := t0; t < full; t++ {
			c0 := t * nr
			b := w.at(c0/subWidth*sub + kb*subWidth)
			mode, bp := modeLoad, (*float32)(nil)
			if kb == 0 {
				mode = modeZero
				if bias != nil {
					mode, bp = modeBias, &bias[c0]
				}
			}
			gemm(&a[r0*k+kb], lda, b, bstride, kl, &dst[r0*n+c0], ldc, bp, mode, r1-r0)
		}
	}
	if full < t1 {
		pt.edgeTile(dst, a, w, bias, r0, r1, full)
	}
}

// edgeTile computes rows [r0,r1) of the last column tile t, which extends
// past N: the kernel writes to a scratch tile that is then copied out.
// The arithmetic per element is the same as for the other tiles.
func (pt *kernelPath) edgeTile(dst, a []float32, w *Packed, bias []float32, r0, r1, t int) {
	k, n, nr := w.K, w.N, pt.nr
	sub := k * subWidth
	c0 := t * nr
	cols := n - c0
	tmp := scratchPool.Get().(*scratchTile)
	defer scratchPool.Put(tmp)
	if bias != nil {
		copy(tmp.bias[:], bias[c0:n])
	}
	for i := r0; i < r1; i += rowTile {
		mr := min(rowTile, r1-i)
		for kb := 0; kb < k; kb += pt.kc {
			kl := min(pt.kc, k-kb)
			mode := modeLoad
			if kb == 0 {
				mode = modeZero
				if bias != nil {
					mode = modeBias
				}
			}
			pt.gemmFor(w)(&a[i*k+kb], uintptr(4*k), w.at(c0/subWidth*sub+kb*subWidth), uintptr(w.elemBytes()*sub),
				kl, &tmp.c[0], uintptr(4*nr), &tmp.bias[0], mode, mr)
		}
		for r := 0; r < mr; r++ {
			copy(dst[(i+r)*n+c0:(i+r)*n+n], tmp.c[r*nr:r*nr+cols])
		}
	}
}

// DotRows sets dst[j] = Σ_i q[i]·k[j·d+i] for j in [0,n): the scores of one
// query of width d against n keys stored row by row. The order of the
// additions depends only on d, so dst[j] does not depend on n or j.
func DotRows(dst, q, k []float32, n, d int) {
	if n < 0 || d < 0 || len(dst) < n || len(q) < d || len(k) < n*d {
		panic(fmt.Sprintf("kernels: DotRows shapes: len(dst)=%d len(q)=%d len(k)=%d n=%d d=%d", len(dst), len(q), len(k), n, d))
	}
	if n == 0 {
		return
	}
	if d == 0 {
		clear(dst[:n])
		return
	}
	current.Load().dot(dst, q, k, n, d)
}

// AxpyRows adds Σ_j p[j]·v[j·d:(j+1)·d] to out (length d), accumulating in
// order j = 0, 1, …, n-1 in every element of out so that splitting the rows
// over several calls gives bit-identical results.
func AxpyRows(out, p, v []float32, n, d int) {
	if n < 0 || d < 0 || len(out) < d || len(p) < n || len(v) < n*d {
		panic(fmt.Sprintf("kernels: AxpyRows shapes: len(out)=%d len(p)=%d len(v)=%d n=%d d=%d", len(out), len(p), len(v), n, d))
	}
	if n == 0 || d == 0 {
		return
	}
	current.Load().axpy(out, p, v, n, d)
}

// Column copies column j of the packed K×N matrix into dst[:K], widened
// to float32. For a matrix packed with PackNK it is row j of the original
// N×K matrix (an embedding row of a tied LM head).
func (p *Packed) Column(dst []float32, j int) {
	if j < 0 || j >= p.N || len(dst) < p.K {
		panic(fmt.Sprintf("kernels: Column(%d) of a %d×%d matrix into %d values", j, p.K, p.N, len(dst)))
	}
	base := (j/subWidth)*p.K*subWidth + j%subWidth
	if p.dt != F32 {
		for k := range dst[:p.K] {
			dst[k] = p.dt.Widen(p.half[base+k*subWidth])
		}
		return
	}
	for k := range dst[:p.K] {
		dst[k] = p.data[base+k*subWidth]
	}
}
