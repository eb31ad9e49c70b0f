//go:build amd64 && !purego

#include "textflag.h"

// Constants of Cephes' expf (see Expf in exp.go) as float32 bit patterns,
// each repeated in the eight lanes of a 32-byte vector so that the
// exponential can use them as memory operands and keep its registers for
// the polynomial.
// 0: log2(e)
DATA expv<>+0(SB)/4, $0x3fb8aa3b
DATA expv<>+4(SB)/4, $0x3fb8aa3b
DATA expv<>+8(SB)/4, $0x3fb8aa3b
DATA expv<>+12(SB)/4, $0x3fb8aa3b
DATA expv<>+16(SB)/4, $0x3fb8aa3b
DATA expv<>+20(SB)/4, $0x3fb8aa3b
DATA expv<>+24(SB)/4, $0x3fb8aa3b
DATA expv<>+28(SB)/4, $0x3fb8aa3b
// 32: ln 2, high part
DATA expv<>+32(SB)/4, $0x3f318000
DATA expv<>+36(SB)/4, $0x3f318000
DATA expv<>+40(SB)/4, $0x3f318000
DATA expv<>+44(SB)/4, $0x3f318000
DATA expv<>+48(SB)/4, $0x3f318000
DATA expv<>+52(SB)/4, $0x3f318000
DATA expv<>+56(SB)/4, $0x3f318000
DATA expv<>+60(SB)/4, $0x3f318000
// 64: ln 2, low part
DATA expv<>+64(SB)/4, $0xb95e8083
DATA expv<>+68(SB)/4, $0xb95e8083
DATA expv<>+72(SB)/4, $0xb95e8083
DATA expv<>+76(SB)/4, $0xb95e8083
DATA expv<>+80(SB)/4, $0xb95e8083
DATA expv<>+84(SB)/4, $0xb95e8083
DATA expv<>+88(SB)/4, $0xb95e8083
DATA expv<>+92(SB)/4, $0xb95e8083
// 96: p0
DATA expv<>+96(SB)/4, $0x39506967
DATA expv<>+100(SB)/4, $0x39506967
DATA expv<>+104(SB)/4, $0x39506967
DATA expv<>+108(SB)/4, $0x39506967
DATA expv<>+112(SB)/4, $0x39506967
DATA expv<>+116(SB)/4, $0x39506967
DATA expv<>+120(SB)/4, $0x39506967
DATA expv<>+124(SB)/4, $0x39506967
// 128: p1
DATA expv<>+128(SB)/4, $0x3ab743ce
DATA expv<>+132(SB)/4, $0x3ab743ce
DATA expv<>+136(SB)/4, $0x3ab743ce
DATA expv<>+140(SB)/4, $0x3ab743ce
DATA expv<>+144(SB)/4, $0x3ab743ce
DATA expv<>+148(SB)/4, $0x3ab743ce
DATA expv<>+152(SB)/4, $0x3ab743ce
DATA expv<>+156(SB)/4, $0x3ab743ce
// 160: p2
DATA expv<>+160(SB)/4, $0x3c088908
DATA expv<>+164(SB)/4, $0x3c088908
DATA expv<>+168(SB)/4, $0x3c088908
DATA expv<>+172(SB)/4, $0x3c088908
DATA expv<>+176(SB)/4, $0x3c088908
DATA expv<>+180(SB)/4, $0x3c088908
DATA expv<>+184(SB)/4, $0x3c088908
DATA expv<>+188(SB)/4, $0x3c088908
// 192: p3
DATA expv<>+192(SB)/4, $0x3d2aa9c1
DATA expv<>+196(SB)/4, $0x3d2aa9c1
DATA expv<>+200(SB)/4, $0x3d2aa9c1
DATA expv<>+204(SB)/4, $0x3d2aa9c1
DATA expv<>+208(SB)/4, $0x3d2aa9c1
DATA expv<>+212(SB)/4, $0x3d2aa9c1
DATA expv<>+216(SB)/4, $0x3d2aa9c1
DATA expv<>+220(SB)/4, $0x3d2aa9c1
// 224: p4
DATA expv<>+224(SB)/4, $0x3e2aaaaa
DATA expv<>+228(SB)/4, $0x3e2aaaaa
DATA expv<>+232(SB)/4, $0x3e2aaaaa
DATA expv<>+236(SB)/4, $0x3e2aaaaa
DATA expv<>+240(SB)/4, $0x3e2aaaaa
DATA expv<>+244(SB)/4, $0x3e2aaaaa
DATA expv<>+248(SB)/4, $0x3e2aaaaa
DATA expv<>+252(SB)/4, $0x3e2aaaaa
// 256: p5 = 0.5
DATA expv<>+256(SB)/4, $0x3f000000
DATA expv<>+260(SB)/4, $0x3f000000
DATA expv<>+264(SB)/4, $0x3f000000
DATA expv<>+268(SB)/4, $0x3f000000
DATA expv<>+272(SB)/4, $0x3f000000
DATA expv<>+276(SB)/4, $0x3f000000
DATA expv<>+280(SB)/4, $0x3f000000
DATA expv<>+284(SB)/4, $0x3f000000
// 288: 1
DATA expv<>+288(SB)/4, $0x3f800000
DATA expv<>+292(SB)/4, $0x3f800000
DATA expv<>+296(SB)/4, $0x3f800000
DATA expv<>+300(SB)/4, $0x3f800000
DATA expv<>+304(SB)/4, $0x3f800000
DATA expv<>+308(SB)/4, $0x3f800000
DATA expv<>+312(SB)/4, $0x3f800000
DATA expv<>+316(SB)/4, $0x3f800000
// 320: -87.33654, the smallest argument
DATA expv<>+320(SB)/4, $0xc2aeac4f
DATA expv<>+324(SB)/4, $0xc2aeac4f
DATA expv<>+328(SB)/4, $0xc2aeac4f
DATA expv<>+332(SB)/4, $0xc2aeac4f
DATA expv<>+336(SB)/4, $0xc2aeac4f
DATA expv<>+340(SB)/4, $0xc2aeac4f
DATA expv<>+344(SB)/4, $0xc2aeac4f
DATA expv<>+348(SB)/4, $0xc2aeac4f
// 352: exponent bias
DATA expv<>+352(SB)/4, $0x0000007f
DATA expv<>+356(SB)/4, $0x0000007f
DATA expv<>+360(SB)/4, $0x0000007f
DATA expv<>+364(SB)/4, $0x0000007f
DATA expv<>+368(SB)/4, $0x0000007f
DATA expv<>+372(SB)/4, $0x0000007f
DATA expv<>+376(SB)/4, $0x0000007f
DATA expv<>+380(SB)/4, $0x0000007f
GLOBL expv<>(SB), RODATA|NOPTR, $384

// EXP8 sets Y0 = exp(Y0 - Y15) lane by lane; clobbers Y1-Y7.
#define EXP8 \
	VSUBPS Y15, Y0, Y0 \
	EXPCORE

// EXP8S sets Y0 = exp((Y0 - Y15)·Y13) lane by lane; clobbers Y1-Y7.
#define EXP8S \
	VSUBPS Y15, Y0, Y0 \
	VMULPS Y13, Y0, Y0 \
	EXPCORE

// EXPCORE sets Y0 = exp(Y0) lane by lane; clobbers Y1-Y7. n = round(x·log2 e),
// r = x − n·ln 2 (in two parts), exp(x) = 2^n·(1 + r + r²·p(r)) with
// Cephes' degree-5 p evaluated by Estrin's scheme,
// p = (p0·r + p1)·r⁴ + ((p2·r + p3)·r² + (p4·r + p5)), whose dependency
// chain is half as long as Horner's: the loop is bound by that chain.
#define EXPCORE \
	VMAXPS expv<>+320(SB), Y0, Y0 \
	VMULPS expv<>+0(SB), Y0, Y1 \
	VROUNDPS $0, Y1, Y1 \
	VFNMADD231PS expv<>+32(SB), Y1, Y0 \
	VFNMADD231PS expv<>+64(SB), Y1, Y0 \
	VCVTPS2DQ Y1, Y1 \
	VPADDD expv<>+352(SB), Y1, Y1 \
	VPSLLD $23, Y1, Y1 \
	VMULPS Y0, Y0, Y2 \
	VMOVUPS expv<>+96(SB), Y3 \
	VFMADD213PS expv<>+128(SB), Y0, Y3 \
	VMOVUPS expv<>+160(SB), Y4 \
	VFMADD213PS expv<>+192(SB), Y0, Y4 \
	VMOVUPS expv<>+224(SB), Y5 \
	VFMADD213PS expv<>+256(SB), Y0, Y5 \
	VMULPS Y2, Y2, Y6 \
	VFMADD213PS Y5, Y2, Y4 \
	VFMADD213PS Y4, Y6, Y3 \
	VADDPS expv<>+288(SB), Y0, Y7 \
	VFMADD213PS Y7, Y2, Y3 \
	VMULPS Y1, Y3, Y0

// The sums are kept in float32 in Y12, lane by lane, over blocks of up
// to eight vectors (64 values), and each block's lanes are added to the
// double accumulators Y10 (low lanes) and Y11 (high lanes): converting
// every vector to double took a third of the loop's time, while a float32
// sum of eight values in [0, 1] loses at most a few units in the 24th bit.
// The order depends only on n.

// BLOCK sets DX to the number of vectors in the next block, min(8, CX),
// takes them off CX and clears Y12.
#define BLOCK \
	MOVQ $8, DX \
	CMPQ CX, DX \
	CMOVQLT CX, DX \
	SUBQ DX, CX \
	VXORPS Y12, Y12, Y12

// FLUSH adds the block sum Y12 to Y10 and Y11; clobbers Y2, Y3.
#define FLUSH \
	VCVTPS2PD X12, Y2 \
	VADDPD Y2, Y10, Y10 \
	VEXTRACTF128 $1, Y12, X3 \
	VCVTPS2PD X3, Y3 \
	VADDPD Y3, Y11, Y11

// SUM returns Y10+Y11 reduced to X10's low double.
#define SUM \
	VADDPD Y11, Y10, Y10 \
	VEXTRACTF128 $1, Y10, X12 \
	VADDPD X12, X10, X10 \
	VHADDPD X10, X10, X10

// func expSumAVX2(x *float32, n int, m float32) float64
TEXT ·expSumAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS m+16(FP), Y15
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	SHRQ $3, CX
	JZ sumdone
sumblock:
	BLOCK
sumloop:
	VMOVUPS (SI), Y0
	EXP8
	VADDPS Y0, Y12, Y12
	ADDQ $32, SI
	DECQ DX
	JNZ sumloop
	FLUSH
	TESTQ CX, CX
	JNZ sumblock
sumdone:
	SUM
	VMOVSD X10, ret+24(FP)
	VZEROUPPER
	RET

// func expStoreAVX2(dst *float32, x *float32, n int, m float32, s float32) float64
TEXT ·expStoreAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS m+24(FP), Y15
	VBROADCASTSS s+28(FP), Y13
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	SHRQ $3, CX
	JZ storedone
storeblock:
	BLOCK
storeloop:
	VMOVUPS (SI), Y0
	EXP8S
	VMOVUPS Y0, (DI)
	VADDPS Y0, Y12, Y12
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ DX
	JNZ storeloop
	FLUSH
	TESTQ CX, CX
	JNZ storeblock
storedone:
	SUM
	VMOVSD X10, ret+32(FP)
	VZEROUPPER
	RET

DATA geluc<>+0(SB)/4, $0x3d372713 // 0.044715
DATA geluc<>+4(SB)/4, $0xbfcc422a // -2·√(2/π)
DATA geluc<>+8(SB)/4, $0x42b00000 // 88, the largest exponent argument
GLOBL geluc<>(SB), RODATA|NOPTR, $12

// func geluAVX2(x *float32, n int)
TEXT ·geluAVX2(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPS Y15, Y15, Y15
	VBROADCASTSS geluc<>+0(SB), Y10
	VBROADCASTSS geluc<>+4(SB), Y11
	SHRQ $3, CX
	JZ geludone
gelubody:
	VMOVUPS (SI), Y12
	VMULPS Y12, Y12, Y13
	VMULPS Y12, Y13, Y13
	VMOVAPS Y12, Y0
	VFMADD231PS Y10, Y13, Y0
	VMULPS Y11, Y0, Y0
	VBROADCASTSS geluc<>+8(SB), Y13
	VMINPS Y13, Y0, Y0
	EXP8
	VADDPS expv<>+288(SB), Y0, Y0
	VDIVPS Y0, Y12, Y0
	VMOVUPS Y0, (SI)
	ADDQ $32, SI
	DECQ CX
	JNZ gelubody
geludone:
	VZEROUPPER
	RET

// func maxAVX2(x *float32, n int) float32
// n is a positive multiple of 8; four accumulators over 32 floats at a
// time, then 8 at a time, reduced by a fixed tree.
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VMOVUPS (SI), Y0
	VMOVAPS Y0, Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y3
	ADDQ $32, SI
	SUBQ $8, CX

max32:
	CMPQ CX, $32
	JLT  max8
	VMAXPS (SI), Y0, Y0
	VMAXPS 32(SI), Y1, Y1
	VMAXPS 64(SI), Y2, Y2
	VMAXPS 96(SI), Y3, Y3
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  max32

max8:
	TESTQ CX, CX
	JZ    maxreduce
	VMAXPS (SI), Y0, Y0
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  max8

maxreduce:
	VMAXPS Y1, Y0, Y0
	VMAXPS Y3, Y2, Y2
	VMAXPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VMAXPS X1, X0, X0
	VZEROUPPER
	MOVSS X0, ret+16(FP)
	RET

// func scaleAVX2(dst *float32, x *float32, n int, s float32)
// n is a positive multiple of 8.
TEXT ·scaleAVX2(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Y15

scale32:
	CMPQ CX, $32
	JLT  scale8
	VMULPS (SI), Y15, Y0
	VMULPS 32(SI), Y15, Y1
	VMULPS 64(SI), Y15, Y2
	VMULPS 96(SI), Y15, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  scale32

scale8:
	TESTQ CX, CX
	JZ    scaledone
	VMULPS (SI), Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  scale8

scaledone:
	VZEROUPPER
	RET
