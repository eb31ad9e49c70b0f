//go:build amd64 && !purego

#include "textflag.h"

// Constants of Cephes' expf (see Expf in exp.go), as float32 bit patterns.
DATA expc<>+0(SB)/4, $0x3fb8aa3b  // log2(e)
DATA expc<>+4(SB)/4, $0x3f318000  // ln 2, high part
DATA expc<>+8(SB)/4, $0xb95e8083  // ln 2, low part
DATA expc<>+12(SB)/4, $0x39506967 // p0
DATA expc<>+16(SB)/4, $0x3ab743ce // p1
DATA expc<>+20(SB)/4, $0x3c088908 // p2
DATA expc<>+24(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+28(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+32(SB)/4, $0x3f000000 // p5 = 0.5
DATA expc<>+36(SB)/4, $0x3f800000 // 1
DATA expc<>+40(SB)/4, $0xc2aeac4f // -87.33654, the smallest argument
DATA expc<>+44(SB)/4, $127        // exponent bias
GLOBL expc<>(SB), RODATA|NOPTR, $48

// LOADCONSTS broadcasts the constants; Y15 holds the subtracted maximum.
#define LOADCONSTS \
	VBROADCASTSS expc<>+0(SB), Y4 \
	VBROADCASTSS expc<>+4(SB), Y5 \
	VBROADCASTSS expc<>+8(SB), Y6 \
	VBROADCASTSS expc<>+36(SB), Y7 \
	VBROADCASTSS expc<>+40(SB), Y8 \
	VPBROADCASTD expc<>+44(SB), Y9 \
	VBROADCASTSS expc<>+32(SB), Y14

// EXP8 sets Y0 = exp(Y0 - Y15) lane by lane; clobbers Y1-Y3.
#define EXP8 \
	VSUBPS Y15, Y0, Y0 \
	EXPCORE

// EXP8S sets Y0 = exp((Y0 - Y15)·Y13) lane by lane; clobbers Y1-Y3.
#define EXP8S \
	VSUBPS Y15, Y0, Y0 \
	VMULPS Y13, Y0, Y0 \
	EXPCORE

// EXPCORE sets Y0 = exp(Y0) lane by lane; clobbers Y1-Y3.
#define EXPCORE \
	VMAXPS Y8, Y0, Y0 \
	VMOVAPS Y14, Y1 \
	VFMADD231PS Y4, Y0, Y1 \
	VROUNDPS $1, Y1, Y1 \
	VFNMADD231PS Y5, Y1, Y0 \
	VFNMADD231PS Y6, Y1, Y0 \
	VBROADCASTSS expc<>+12(SB), Y2 \
	VBROADCASTSS expc<>+16(SB), Y3 \
	VFMADD213PS Y3, Y0, Y2 \
	VBROADCASTSS expc<>+20(SB), Y3 \
	VFMADD213PS Y3, Y0, Y2 \
	VBROADCASTSS expc<>+24(SB), Y3 \
	VFMADD213PS Y3, Y0, Y2 \
	VBROADCASTSS expc<>+28(SB), Y3 \
	VFMADD213PS Y3, Y0, Y2 \
	VFMADD213PS Y14, Y0, Y2 \
	VMULPS Y0, Y0, Y3 \
	VFMADD213PS Y0, Y3, Y2 \
	VADDPS Y7, Y2, Y0 \
	VCVTPS2DQ Y1, Y1 \
	VPADDD Y9, Y1, Y1 \
	VPSLLD $23, Y1, Y1 \
	VMULPS Y1, Y0, Y0

// ACC8 adds the 8 floats of Y0 to the double accumulators Y10 (low
// lanes) and Y11 (high lanes); clobbers Y2, Y3.
#define ACC8 \
	VCVTPS2PD X0, Y2 \
	VADDPD Y2, Y10, Y10 \
	VEXTRACTF128 $1, Y0, X3 \
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
	LOADCONSTS
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	SHRQ $3, CX
	JZ sumdone
sumloop:
	VMOVUPS (SI), Y0
	EXP8
	ACC8
	ADDQ $32, SI
	DECQ CX
	JNZ sumloop
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
	LOADCONSTS
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	SHRQ $3, CX
	JZ storedone
storeloop:
	VMOVUPS (SI), Y0
	EXP8S
	VMOVUPS Y0, (DI)
	ACC8
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ storeloop
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
	LOADCONSTS
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
	VADDPS Y7, Y0, Y0
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
