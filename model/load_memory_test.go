package model

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ckptProcStatus returns a /proc/self/status field (VmRSS, VmHWM) in bytes.
func ckptProcStatus(tb testing.TB, field string) int64 {
	tb.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb << 10
		}
	}
	tb.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// ckptWriteRandom streams a random checkpoint of cfg's shapes (plus the
// real GPT-2 files' attn.bias mask buffers) with the weights stored as
// dtype (F32, F16 or BF16; the masks F32) to dir without holding it in
// memory, and returns the number of weight parameters.
func ckptWriteRandom(tb testing.TB, dir string, cfg map[string]any, c *Config, dtype string) int64 {
	tb.Helper()
	js, _ := json.Marshal(cfg)
	ckptWriteFile(tb, filepath.Join(dir, ConfigFileName), js)
	specs := expectedTensors(c)
	for i := range c.NLayer {
		specs = append(specs, tensorSpec{"h." + strconv.Itoa(i) + ".attn.bias", []int{1, 1, c.NPositions, c.NPositions}})
	}
	hdr := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	size := map[string]int64{"F32": 4, "F16": 2, "BF16": 2}[dtype]
	var off, params int64
	for _, s := range specs {
		n := int64(1)
		for _, d := range s.shape {
			n *= int64(d)
		}
		dt, es := dtype, size
		if strings.HasSuffix(s.name, "attn.bias") {
			dt, es = "F32", 4
		} else {
			params += n
		}
		hdr[s.name] = map[string]any{"dtype": dt, "shape": s.shape, "data_offsets": []int64{off, off + es*n}}
		off += es * n
	}
	hj, _ := json.Marshal(hdr)
	for len(hj)%8 != 0 {
		hj = append(hj, ' ')
	}
	f, err := os.Create(filepath.Join(dir, SafetensorsFileName))
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(hj))))
	w.Write(hj)
	rng := rand.New(rand.NewPCG(3, 4))
	var buf [4]byte
	for _, s := range specs {
		n := 1
		for _, d := range s.shape {
			n *= d
		}
		for range n {
			v := float32(int32(rng.Uint32())) * (0.02 / (1 << 31))
			switch {
			case dtype == "F32" || strings.HasSuffix(s.name, "attn.bias"):
				binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
				w.Write(buf[:])
			case dtype == "BF16": // truncated: any bfloat16 will do
				binary.LittleEndian.PutUint16(buf[:], uint16(math.Float32bits(v)>>16))
				w.Write(buf[:2])
			default: // F16 of about the same size: sign, exponent 2^-12..2^-6, random mantissa
				h := uint16(rng.Uint32())&0x83ff | uint16(3+rng.IntN(7))<<10
				binary.LittleEndian.PutUint16(buf[:], h)
				w.Write(buf[:2])
			}
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return params
}

// ckptWeightsBytes returns the memory Weights holds, in bytes.
func ckptWeightsBytes(w *Weights) int64 {
	n := int64(4 * (len(w.WTE) + len(w.WPE) + len(w.LNF.Gain) + len(w.LNF.Bias)))
	lin := func(l Linear) { n += int64(l.W.Bytes() + 4*len(l.B)) }
	for _, b := range w.Blocks {
		n += int64(4 * (len(b.LN1.Gain) + len(b.LN1.Bias) + len(b.LN2.Gain) + len(b.LN2.Bias)))
		lin(b.Attn.QKV)
		lin(b.Attn.Proj)
		lin(b.MLP.FC)
		lin(b.MLP.Proj)
	}
	lin(w.LMHead)
	return n
}

// TestLoadMemoryGPT2Small loads random checkpoints shaped like GPT-2
// small (124M parameters) stored as F32, F16 and BF16, and checks that the
// resident memory after loading is the memory the weights hold, not that
// plus the file or a decoded copy, and that a 16-bit checkpoint's weights
// hold about half the bytes of the float32 ones (its matrices stay
// 16-bit). Run it alone to read the figures:
//
//	go test ./model/ -run TestLoadMemoryGPT2Small -v
func TestLoadMemoryGPT2Small(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and loads 550 MB and 2 × 250 MB checkpoints")
	}
	for _, dtype := range []string{"F32", "F16", "BF16"} {
		t.Run(dtype, func(t *testing.T) { testLoadMemory(t, dtype) })
	}
}

func testLoadMemory(t *testing.T, dtype string) {
	cfgJSON := map[string]any{"model_type": "gpt2"} // GPT2Config defaults are GPT-2 small
	cfg, err := ParseConfig([]byte(`{"model_type": "gpt2"}`), "config.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	params := ckptWriteRandom(t, dir, cfgJSON, cfg, dtype)

	runtime.GC()
	debug.FreeOSMemory()
	before := ckptProcStatus(t, "VmRSS")
	start := time.Now()
	_, w, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	runtime.GC()
	debug.FreeOSMemory()
	after := ckptProcStatus(t, "VmRSS")
	peak := ckptProcStatus(t, "VmHWM")
	held := ckptWeightsBytes(w)
	const mb = 1e6
	t.Logf("%s: parameters %d (%.1f MB as float32); Weights hold %.1f MB (LM head packed separately: %.1f MB)",
		dtype, params, float64(4*params)/mb, float64(held)/mb, float64(w.LMHead.W.Bytes())/mb)
	t.Logf("%s: RSS before %.1f MB, after load %.1f MB (+%.1f MB); peak RSS of the process so far %.1f MB; load took %v",
		dtype, float64(before)/mb, float64(after)/mb, float64(after-before)/mb, float64(peak)/mb, elapsed.Round(time.Millisecond))
	if growth := after - before; float64(growth) > 1.05*float64(held)+32*mb {
		t.Errorf("resident memory grew by %.1f MB, more than the %.1f MB the weights hold", float64(growth)/mb, float64(held)/mb)
	}
	// A 16-bit checkpoint: 2 bytes per matrix weight (padding included),
	// 4 per position embedding, bias and LayerNorm value.
	if dtype != "F32" && float64(held) > 0.52*float64(4*params) {
		t.Errorf("the %s weights hold %.1f MB, more than 52%% of their %.1f MB as float32", dtype, float64(held)/mb, float64(4*params)/mb)
	}
	runtime.KeepAlive(w)
}
