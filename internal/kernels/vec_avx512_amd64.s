//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 versions of the vector kernels of vec_avx2_amd64.s and
// exp_avx2_amd64.s (hand-written). Each repeats the AVX2 kernel's
// operations in the same order on 16 lanes where the order allows it, so
// the two paths give the same bits: the tests compare them.

// func layerNormAVX512(y *float32, x *float32, gain *float32, bias *float32, n int, eps float64)
// n is a positive multiple of 4. The two sums are the AVX2 kernel's (four
// float64 partial sums in one ymm register, lane j summing x[j], x[j+4],
// … in order, so the result is bit-identical to the portable code); the
// normalisation, 16 elements at a time in zmm registers, is element-wise
// and the same operations: float32((x−mean)·inv)·gain + bias, no fused
// multiply-add.
TEXT ·layerNormAVX512(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ gain+16(FP), R8
	MOVQ bias+24(FP), R9
	MOVQ n+32(FP), CX
	CVTSQ2SD CX, X2              // float64(n)
	MOVQ CX, DX
	SHRQ $2, DX                  // groups of 4

	// mean = ((s0+s1)+(s2+s3)) / n
	VXORPD Y0, Y0, Y0
	MOVQ SI, AX
	MOVQ DX, BX
sum:
	VCVTPS2PD (AX), Y1
	VADDPD Y1, Y0, Y0
	ADDQ $16, AX
	DECQ BX
	JNZ sum
	VHADDPD Y0, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDSD X1, X0, X0
	VDIVSD X2, X0, X0
	VBROADCASTSD X0, Z3          // mean

	// inv = 1 / sqrt(Σ(x−mean)² / n + eps)
	VXORPD Y4, Y4, Y4
	MOVQ SI, AX
	MOVQ DX, BX
sq:
	VCVTPS2PD (AX), Y1
	VSUBPD Y3, Y1, Y1
	VMULPD Y1, Y1, Y1
	VADDPD Y1, Y4, Y4
	ADDQ $16, AX
	DECQ BX
	JNZ sq
	VHADDPD Y4, Y4, Y4
	VEXTRACTF128 $1, Y4, X1
	VADDSD X1, X4, X4
	VDIVSD X2, X4, X4
	VADDSD eps+40(FP), X4, X4
	VSQRTSD X4, X4, X4
	MOVQ $0x3ff0000000000000, AX // 1.0
	VMOVQ AX, X5
	VDIVSD X4, X5, X4
	VBROADCASTSD X4, Z4          // inv

	// y = float32((x−mean)·inv)·gain + bias, 16 at a time, then 4
	MOVQ CX, BX
	SHRQ $4, BX
	JZ apply4
apply16:
	VCVTPS2PD (SI), Z0
	VCVTPS2PD 32(SI), Z1
	VSUBPD Z3, Z0, Z0
	VSUBPD Z3, Z1, Z1
	VMULPD Z4, Z0, Z0
	VMULPD Z4, Z1, Z1
	VCVTPD2PS Z0, Y0
	VCVTPD2PS Z1, Y1
	VINSERTF64X4 $1, Y1, Z0, Z0
	VMULPS (R8), Z0, Z0
	VADDPS (R9), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, DI
	DECQ BX
	JNZ apply16
apply4:
	MOVQ CX, BX
	ANDQ $15, BX
	SHRQ $2, BX
	JZ lndone
apply4loop:
	VCVTPS2PD (SI), Y0
	VSUBPD Y3, Y0, Y0
	VMULPD Y4, Y0, Y0
	VCVTPD2PSY Y0, X0
	VMULPS (R8), X0, X0
	VADDPS (R9), X0, X0
	VMOVUPS X0, (DI)
	ADDQ $16, SI
	ADDQ $16, R8
	ADDQ $16, R9
	ADDQ $16, DI
	DECQ BX
	JNZ apply4loop
lndone:
	VZEROUPPER
	RET

// func addAVX512(dst *float32, src *float32, n int)
// dst[i] += src[i] for i < n, n a positive multiple of 16.
TEXT ·addAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
add64:
	CMPQ CX, $64
	JLT  add16
	VMOVUPS (DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3
	VADDPS (SI), Z0, Z0
	VADDPS 64(SI), Z1, Z1
	VADDPS 128(SI), Z2, Z2
	VADDPS 192(SI), Z3, Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ $256, SI
	ADDQ $256, DI
	SUBQ $64, CX
	JMP  add64
add16:
	TESTQ CX, CX
	JZ    adddone
	VMOVUPS (DI), Z0
	VADDPS (SI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  add16
adddone:
	VZEROUPPER
	RET

// func indexAVX512(x *float32, n int, v float32) int
// The index of the first x[i] == v among n (a positive multiple of 16)
// elements, or -1 (an ordered, quiet comparison: a NaN equals nothing).
TEXT ·indexAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS v+16(FP), Z0
	XORQ DX, DX
find:
	VCMPPS $0, (SI)(DX*4), Z0, K1
	KMOVW K1, AX
	TESTL AX, AX
	JNZ found
	ADDQ $16, DX
	CMPQ DX, CX
	JLT find
	MOVQ $-1, ret+24(FP)
	VZEROUPPER
	RET
found:
	BSFL AX, AX
	ADDQ AX, DX
	MOVQ DX, ret+24(FP)
	VZEROUPPER
	RET

// Constants of Cephes' expf (see Expf in exp.go and exp_avx2_amd64.s),
// one float32 each, broadcast to zmm registers by the kernels.
DATA exp16<>+0(SB)/4, $0x3fb8aa3b  // log2(e)
DATA exp16<>+4(SB)/4, $0x3f318000  // ln 2, high part
DATA exp16<>+8(SB)/4, $0xb95e8083  // ln 2, low part
DATA exp16<>+12(SB)/4, $0x39506967 // p0
DATA exp16<>+16(SB)/4, $0x3ab743ce // p1
DATA exp16<>+20(SB)/4, $0x3c088908 // p2
DATA exp16<>+24(SB)/4, $0x3d2aa9c1 // p3
DATA exp16<>+28(SB)/4, $0x3e2aaaaa // p4
DATA exp16<>+32(SB)/4, $0x3f000000 // p5 = 0.5
DATA exp16<>+36(SB)/4, $0x3f800000 // 1
DATA exp16<>+40(SB)/4, $0xc2aeac4f // -87.33654, the smallest argument
DATA exp16<>+44(SB)/4, $0x0000007f // exponent bias
GLOBL exp16<>(SB), RODATA|NOPTR, $48

// EXPCONST16 broadcasts the constants to Z16–Z27.
#define EXPCONST16 \
	VBROADCASTSS exp16<>+0(SB), Z16 \
	VBROADCASTSS exp16<>+4(SB), Z17 \
	VBROADCASTSS exp16<>+8(SB), Z18 \
	VBROADCASTSS exp16<>+12(SB), Z19 \
	VBROADCASTSS exp16<>+16(SB), Z20 \
	VBROADCASTSS exp16<>+20(SB), Z21 \
	VBROADCASTSS exp16<>+24(SB), Z22 \
	VBROADCASTSS exp16<>+28(SB), Z23 \
	VBROADCASTSS exp16<>+32(SB), Z24 \
	VBROADCASTSS exp16<>+36(SB), Z25 \
	VBROADCASTSS exp16<>+40(SB), Z26 \
	VPBROADCASTD exp16<>+44(SB), Z27

// EXPCORE16 sets Z0 = exp(Z0) lane by lane with the operations of the
// AVX2 kernel's EXPCORE in the same order (VRNDSCALEPS $0 rounds to
// nearest even as VROUNDPS $0 does); clobbers Z1–Z7.
#define EXPCORE16 \
	VMAXPS Z26, Z0, Z0 \
	VMULPS Z16, Z0, Z1 \
	VRNDSCALEPS $0, Z1, Z1 \
	VFNMADD231PS Z17, Z1, Z0 \
	VFNMADD231PS Z18, Z1, Z0 \
	VCVTPS2DQ Z1, Z1 \
	VPADDD Z27, Z1, Z1 \
	VPSLLD $23, Z1, Z1 \
	VMULPS Z0, Z0, Z2 \
	VMOVAPS Z19, Z3 \
	VFMADD213PS Z20, Z0, Z3 \
	VMOVAPS Z21, Z4 \
	VFMADD213PS Z22, Z0, Z4 \
	VMOVAPS Z23, Z5 \
	VFMADD213PS Z24, Z0, Z5 \
	VMULPS Z2, Z2, Z6 \
	VFMADD213PS Z5, Z2, Z4 \
	VFMADD213PS Z4, Z6, Z3 \
	VADDPS Z25, Z0, Z7 \
	VFMADD213PS Z7, Z2, Z3 \
	VMULPS Z1, Z3, Z0

// The sums follow the AVX2 kernels exactly: float32 sums lane by lane in
// Y12 over blocks of up to eight 8-value vectors, a block's lanes added
// to the float64 accumulators Y10 (low lanes) and Y11 (high lanes). A
// zmm register holds two consecutive 8-value vectors; its low half is
// added to Y12 before its high half, as the AVX2 loop adds them.

// BLOCK16 sets DX to the number of 8-value vectors in the next block,
// min(8, CX), takes them off CX and clears Y12.
#define BLOCK16 \
	MOVQ $8, DX \
	CMPQ CX, DX \
	CMOVQLT CX, DX \
	SUBQ DX, CX \
	VXORPS Y12, Y12, Y12

// ADD16 adds the 16 values of Z0 to Y12, low half first; clobbers Y1.
#define ADD16 \
	VEXTRACTF64X4 $1, Z0, Y1 \
	VADDPS Y0, Y12, Y12 \
	VADDPS Y1, Y12, Y12

// FLUSH16 adds the block sum Y12 to Y10 and Y11; clobbers Y2, Y3.
#define FLUSH16 \
	VCVTPS2PD X12, Y2 \
	VADDPD Y2, Y10, Y10 \
	VEXTRACTF128 $1, Y12, X3 \
	VCVTPS2PD X3, Y3 \
	VADDPD Y3, Y11, Y11

// SUM16 returns Y10+Y11 reduced to X10's low double.
#define SUM16 \
	VADDPD Y11, Y10, Y10 \
	VEXTRACTF128 $1, Y10, X12 \
	VADDPD X12, X10, X10 \
	VHADDPD X10, X10, X10

// func expSumAVX512(x *float32, n int, m float32) float64
// n is a positive multiple of 8.
TEXT ·expSumAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS m+16(FP), Z31
	EXPCONST16
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	SHRQ $3, CX
	JZ sumdone
sumblock:
	BLOCK16
sumpair:
	CMPQ DX, $2
	JLT sumsingle
	VMOVUPS (SI), Z0
	VSUBPS Z31, Z0, Z0
	EXPCORE16
	ADD16
	ADDQ $64, SI
	SUBQ $2, DX
	JMP sumpair
sumsingle:
	TESTQ DX, DX
	JZ sumflush
	VMOVUPS (SI), Y0
	VSUBPS Z31, Z0, Z0
	EXPCORE16
	VADDPS Y0, Y12, Y12
	ADDQ $32, SI
sumflush:
	FLUSH16
	TESTQ CX, CX
	JNZ sumblock
sumdone:
	SUM16
	VMOVSD X10, ret+24(FP)
	VZEROUPPER
	RET

// func expStoreAVX512(dst *float32, x *float32, n int, m float32, s float32) float64
// n is a positive multiple of 8.
TEXT ·expStoreAVX512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS m+24(FP), Z31
	VBROADCASTSS s+28(FP), Z30
	EXPCONST16
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	SHRQ $3, CX
	JZ storedone
storeblock:
	BLOCK16
storepair:
	CMPQ DX, $2
	JLT storesingle
	VMOVUPS (SI), Z0
	VSUBPS Z31, Z0, Z0
	VMULPS Z30, Z0, Z0
	EXPCORE16
	VMOVUPS Z0, (DI)
	ADD16
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $2, DX
	JMP storepair
storesingle:
	TESTQ DX, DX
	JZ storeflush
	VMOVUPS (SI), Y0
	VSUBPS Z31, Z0, Z0
	VMULPS Z30, Z0, Z0
	EXPCORE16
	VMOVUPS Y0, (DI)
	VADDPS Y0, Y12, Y12
	ADDQ $32, SI
	ADDQ $32, DI
storeflush:
	FLUSH16
	TESTQ CX, CX
	JNZ storeblock
storedone:
	SUM16
	VMOVSD X10, ret+32(FP)
	VZEROUPPER
	RET
