package kernels

// An interpreter for the subset of Go amd64 assembly that asmgen.go
// writes. It runs the generated .s text itself, so the AVX-512 kernel,
// which this machine cannot execute, is still checked instruction by
// instruction: register use, addressing, loop counts and every memory
// access (which must fall inside the tile the kernel was given). The
// interpreter is validated by running the AVX2 text and comparing with
// the hardware bit for bit.

import (
	"fmt"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

type operand struct {
	kind  byte // 'r' general register, 'v' vector register, 'i' immediate, 'm' memory, 'a' argument
	reg   string
	vec   int // vector register number
	width int // lanes of a vector register: 4 (X), 8 (Y) or 16 (Z)
	imm   int64
	base  string // memory: base register, index register and scale
	index string
	scale int64
}

type instr struct {
	op   string
	args []operand
	text string
}

type program struct {
	code   []instr
	labels map[string]int
}

// loadProgram parses the TEXT block of fn in the assembly file name.
func loadProgram(t *testing.T, name, fn string) *program {
	t.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	p := &program{labels: map[string]int{}}
	in := false
	for _, line := range strings.Split(string(src), "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "TEXT ") {
			if in {
				break
			}
			in = strings.HasPrefix(line, "TEXT ·"+fn+"(SB)")
			continue
		}
		if !in || line == "" {
			continue
		}
		if strings.HasSuffix(line, ":") {
			p.labels[strings.TrimSuffix(line, ":")] = len(p.code)
			continue
		}
		op, rest, _ := strings.Cut(line, " ")
		ins := instr{op: op, text: line}
		if rest != "" {
			for _, a := range strings.Split(rest, ",") {
				ins.args = append(ins.args, parseOperand(t, strings.TrimSpace(a)))
			}
		}
		p.code = append(p.code, ins)
	}
	if len(p.code) == 0 {
		t.Fatalf("%s: no TEXT block for %s", name, fn)
	}
	return p
}

func parseOperand(t *testing.T, s string) operand {
	if s[0] == '$' {
		v, err := strconv.ParseInt(s[1:], 0, 64)
		if err != nil {
			t.Fatalf("immediate %q: %v", s, err)
		}
		return operand{kind: 'i', imm: v}
	}
	if strings.HasSuffix(s, "(FP)") {
		_, off, _ := strings.Cut(strings.TrimSuffix(s, "(FP)"), "+")
		v, _ := strconv.ParseInt(off, 10, 64)
		return operand{kind: 'a', imm: v}
	}
	if i := strings.IndexByte(s, '('); i >= 0 {
		o := operand{kind: 'm'}
		if i > 0 {
			v, err := strconv.ParseInt(s[:i], 10, 64)
			if err != nil {
				t.Fatalf("displacement %q: %v", s, err)
			}
			o.imm = v
		}
		parts := strings.Split(strings.TrimSuffix(s[i+1:], ")"), ")(")
		o.base = parts[0]
		if len(parts) == 2 {
			idx, sc, _ := strings.Cut(parts[1], "*")
			o.index = idx
			o.scale, _ = strconv.ParseInt(sc, 10, 64)
		}
		return o
	}
	if n, err := strconv.Atoi(s[1:]); err == nil && strings.ContainsRune("XYZ", rune(s[0])) {
		return operand{kind: 'v', vec: n, width: map[byte]int{'X': 4, 'Y': 8, 'Z': 16}[s[0]]}
	}
	return operand{kind: 'r', reg: s}
}

// region is a piece of Go memory the simulated code may touch, copied
// into data; addresses are the real ones.
type region struct {
	start uintptr
	data  []float32
}

type machine struct {
	t       *testing.T
	gpr     map[string]int64
	vec     [32][16]float32
	zf, lt  bool
	args    []int64
	regions []region
}

func (m *machine) fail(ins instr, format string, a ...any) {
	m.t.Fatalf("simulating %q: %s", ins.text, fmt.Sprintf(format, a...))
}

func (m *machine) addr(o operand) uintptr {
	a := m.gpr[o.base] + o.imm
	if o.index != "" {
		a += m.gpr[o.index] * o.scale
	}
	return uintptr(a)
}

// mem returns the lanes floats at address a, failing outside the regions.
func (m *machine) mem(ins instr, a uintptr, lanes int) []float32 {
	for _, r := range m.regions {
		if a >= r.start && a+uintptr(4*lanes) <= r.start+uintptr(4*len(r.data)) && (a-r.start)%4 == 0 {
			i := int(a-r.start) / 4
			return r.data[i : i+lanes]
		}
	}
	m.fail(ins, "access of %d bytes at %#x outside the memory it was given", 4*lanes, a)
	return nil
}

func (m *machine) src(ins instr, o operand, lanes int) []float32 {
	if o.kind == 'm' {
		return m.mem(ins, m.addr(o), lanes)
	}
	return m.vec[o.vec][:lanes]
}

func (m *machine) intVal(o operand) int64 {
	if o.kind == 'i' {
		return o.imm
	}
	return m.gpr[o.reg]
}

func (m *machine) setInt(reg string, v int64) {
	m.gpr[reg] = v
	m.zf = v == 0
}

// setVec writes the first len(v) lanes of register r and zeroes the rest,
// as VEX and EVEX instructions do.
func (m *machine) setVec(r int, v []float32) {
	var out [16]float32
	copy(out[:], v)
	m.vec[r] = out
}

func fma32(a, b, c float32) float32 {
	f := math.FMA(float64(a), float64(b), float64(c))
	r := float32(f)
	// Rounding to float64 first is exact unless it lands on a float32
	// midpoint; redo those with one rounding of the exact sum.
	if lo, hi := math.Nextafter32(r, float32(math.Inf(-1))), math.Nextafter32(r, float32(math.Inf(1))); f == (float64(lo)+float64(r))/2 || f == (float64(r)+float64(hi))/2 {
		p := new(big.Float).SetPrec(64).Mul(big.NewFloat(float64(a)), big.NewFloat(float64(b)))
		z := new(big.Float).SetPrec(24).SetMode(big.ToNearestEven).Add(p, big.NewFloat(float64(c)))
		r, _ = z.Float32()
	}
	return r
}

func (m *machine) run(p *program) {
	for pc, steps := 0, 0; ; steps++ {
		if pc >= len(p.code) || steps > 50_000_000 {
			m.t.Fatalf("simulation ran off the end or did not stop")
		}
		ins := p.code[pc]
		pc++
		a := ins.args
		jump := func(cond bool) {
			if cond {
				pc = p.labels[a[0].reg]
			}
		}
		switch ins.op {
		case "RET":
			return
		case "PREFETCHT1": // a hint: no architectural effect
		case "VZEROUPPER":
			for r := 0; r < 16; r++ {
				m.setVec(r, m.vec[r][:4])
			}
		case "MOVQ":
			switch {
			case a[0].kind == 'a':
				m.gpr[a[1].reg] = m.args[a[0].imm/8]
			case a[1].kind == 'a':
				m.args[a[1].imm/8] = m.gpr[a[0].reg]
			default:
				m.gpr[a[1].reg] = m.intVal(a[0])
			}
		case "LEAQ":
			m.gpr[a[1].reg] = int64(m.addr(a[0]))
		case "ADDQ":
			m.setInt(a[1].reg, m.gpr[a[1].reg]+m.intVal(a[0]))
		case "SUBQ":
			m.setInt(a[1].reg, m.gpr[a[1].reg]-m.intVal(a[0]))
		case "ANDQ":
			m.setInt(a[1].reg, m.gpr[a[1].reg]&m.intVal(a[0]))
		case "XORQ":
			m.setInt(a[1].reg, m.gpr[a[1].reg]^m.intVal(a[0]))
		case "SHRQ":
			m.setInt(a[1].reg, int64(uint64(m.gpr[a[1].reg])>>m.intVal(a[0])))
		case "SHLQ":
			m.setInt(a[1].reg, m.gpr[a[1].reg]<<m.intVal(a[0]))
		case "DECQ":
			m.setInt(a[0].reg, m.gpr[a[0].reg]-1)
		case "TESTQ":
			m.zf = m.intVal(a[0])&m.intVal(a[1]) == 0
		case "CMPQ":
			x, y := m.intVal(a[0]), m.intVal(a[1])
			m.zf, m.lt = x == y, x < y
		case "JMP":
			jump(true)
		case "JEQ", "JZ":
			jump(m.zf)
		case "JNZ", "JNE":
			jump(!m.zf)
		case "JLT":
			jump(m.lt)
		case "JGE":
			jump(!m.lt)
		case "VXORPS", "VPXORD":
			x, y := m.src(ins, a[0], a[2].width), m.src(ins, a[1], a[2].width)
			out := make([]float32, a[2].width)
			for i := range out {
				out[i] = math.Float32frombits(math.Float32bits(x[i]) ^ math.Float32bits(y[i]))
			}
			m.setVec(a[2].vec, out)
		case "VMOVUPS", "VMOVAPS":
			if a[1].kind == 'm' {
				copy(m.mem(ins, m.addr(a[1]), a[0].width), m.vec[a[0].vec][:a[0].width])
			} else {
				m.setVec(a[1].vec, m.src(ins, a[0], a[1].width))
			}
		case "VMOVSS":
			if a[1].kind == 'm' {
				m.mem(ins, m.addr(a[1]), 1)[0] = m.vec[a[0].vec][0]
			} else {
				m.setVec(a[1].vec, m.src(ins, a[0], 1))
			}
		case "VBROADCASTSS":
			x := m.src(ins, a[0], 1)[0]
			out := make([]float32, a[1].width)
			for i := range out {
				out[i] = x
			}
			m.setVec(a[1].vec, out)
		case "VFMADD231PS", "VFMADD231SS":
			w := a[2].width
			if ins.op == "VFMADD231SS" {
				w = 1
			}
			x, y := m.src(ins, a[0], w), m.src(ins, a[1], w)
			out := append([]float32(nil), m.vec[a[2].vec][:a[2].width]...)
			for i := 0; i < w; i++ {
				out[i] = fma32(y[i], x[i], out[i])
			}
			m.setVec(a[2].vec, out)
		case "VADDPS", "VADDSS":
			w := a[2].width
			if ins.op == "VADDSS" {
				w = 1
			}
			x, y := m.src(ins, a[0], w), m.vec[a[1].vec]
			out := append([]float32(nil), y[:a[2].width]...)
			for i := 0; i < w; i++ {
				out[i] = y[i] + x[i]
			}
			m.setVec(a[2].vec, out)
		case "VEXTRACTF128":
			m.setVec(a[2].vec, m.vec[a[1].vec][4*a[0].imm:4*a[0].imm+4])
		case "VMOVHLPS":
			x, y := m.vec[a[0].vec], m.vec[a[1].vec]
			m.setVec(a[2].vec, []float32{x[2], x[3], y[2], y[3]})
		case "VMOVSHDUP":
			x := m.vec[a[0].vec]
			m.setVec(a[1].vec, []float32{x[1], x[1], x[3], x[3]})
		default:
			m.fail(ins, "instruction not modelled")
		}
	}
}

// floatsAt returns n floats of Go memory at p, or nil for a nil p.
func floatsAt(p *float32, n int) []float32 {
	if p == nil {
		return nil
	}
	return unsafe.Slice(p, n)
}

// simGemm returns a gemmKernel that runs fn of the assembly file on the
// interpreter with nr columns per call. The kernel may touch exactly the
// mr×kc block of A, the nr/16 sub-panel blocks of B, the mr×nr tile of C
// and, in mode 2, nr floats of bias.
func simGemm(t *testing.T, file, fn string, nr int) gemmKernel {
	p := loadProgram(t, file, fn)
	return func(a *float32, lda uintptr, b *float32, bstride uintptr, kc int, c *float32, ldc uintptr, bias *float32, mode int, mr int) {
		m := &machine{t: t, gpr: map[string]int64{}}
		add := func(base unsafe.Pointer, off uintptr, n int) []float32 {
			src := floatsAt((*float32)(unsafe.Add(base, off)), n)
			r := region{start: uintptr(base) + off, data: append([]float32(nil), src...)}
			m.regions = append(m.regions, r)
			return r.data
		}
		for r := 0; r < mr; r++ {
			add(unsafe.Pointer(a), uintptr(r)*lda, kc)
		}
		for s := 0; s < nr/subWidth; s++ {
			add(unsafe.Pointer(b), uintptr(s)*bstride, kc*subWidth)
		}
		cs := make([][]float32, mr)
		for r := range cs {
			cs[r] = add(unsafe.Pointer(c), uintptr(r)*ldc, nr)
		}
		if mode == modeBias {
			add(unsafe.Pointer(bias), 0, nr)
		}
		m.args = []int64{int64(uintptr(unsafe.Pointer(a))), int64(lda), int64(uintptr(unsafe.Pointer(b))), int64(bstride), int64(kc),
			int64(uintptr(unsafe.Pointer(c))), int64(ldc), int64(uintptr(unsafe.Pointer(bias))), int64(mode), int64(mr)}
		m.run(p)
		for r := range cs {
			copy(floatsAt((*float32)(unsafe.Add(unsafe.Pointer(c), uintptr(r)*ldc)), nr), cs[r])
		}
	}
}

// simRows runs a row kernel (dotRowsAVX2 or axpyRowsAVX2) on the
// interpreter over copies of the three slices, which it writes back.
func simRows(t *testing.T, fn string, x, y, z []float32, n, d int) {
	m := &machine{t: t, gpr: map[string]int64{}}
	for _, s := range [][]float32{x, y, z} {
		m.regions = append(m.regions, region{start: uintptr(unsafe.Pointer(&s[0])), data: append([]float32(nil), s...)})
	}
	m.args = []int64{int64(m.regions[0].start), int64(m.regions[1].start), int64(m.regions[2].start), int64(n), int64(d)}
	m.run(loadProgram(t, "rows_avx2_amd64.s", fn))
	for i, s := range [][]float32{x, y, z} {
		copy(s, m.regions[i].data)
	}
}
