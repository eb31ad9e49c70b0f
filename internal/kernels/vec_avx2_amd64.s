//go:build amd64 && !purego

#include "textflag.h"

// func layerNormAVX2(y *float32, x *float32, gain *float32, bias *float32, n int, eps float64)
// n is a positive multiple of 4. The same arithmetic as the portable
// layerNormRow, operation by operation: four float64 partial sums (lane j
// sums x[j], x[j+4], … in order) combined as (s0+s1)+(s2+s3), the mean and
// 1/sqrt(var+eps) in float64, each output rounded to float32, multiplied
// by the gain and the bias added (no fused multiply-add).
TEXT ·layerNormAVX2(SB), NOSPLIT, $0-48
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
	VBROADCASTSD X0, Y3          // mean

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
	VBROADCASTSD X4, Y4          // inv

	// y = float32((x−mean)·inv)·gain + bias, 8 at a time, then 4
	MOVQ CX, BX
	SHRQ $3, BX
	JZ apply4
apply8:
	VCVTPS2PD (SI), Y0
	VCVTPS2PD 16(SI), Y1
	VSUBPD Y3, Y0, Y0
	VSUBPD Y3, Y1, Y1
	VMULPD Y4, Y0, Y0
	VMULPD Y4, Y1, Y1
	VCVTPD2PSY Y0, X0
	VCVTPD2PSY Y1, X1
	VINSERTF128 $1, X1, Y0, Y0
	VMULPS (R8), Y0, Y0
	VADDPS (R9), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, DI
	DECQ BX
	JNZ apply8
apply4:
	TESTQ $4, CX
	JZ done
	VCVTPS2PD (SI), Y0
	VSUBPD Y3, Y0, Y0
	VMULPD Y4, Y0, Y0
	VCVTPD2PSY Y0, X0
	VMULPS (R8), X0, X0
	VADDPS (R9), X0, X0
	VMOVUPS X0, (DI)
done:
	VZEROUPPER
	RET

// func addAVX2(dst *float32, src *float32, n int)
// dst[i] += src[i] for i < n, n a positive multiple of 8.
TEXT ·addAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
add32:
	CMPQ CX, $32
	JLT  add8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  add32
add8:
	TESTQ CX, CX
	JZ    adddone
	VMOVUPS (DI), Y0
	VADDPS (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  add8
adddone:
	VZEROUPPER
	RET

// func indexAVX2(x *float32, n int, v float32) int
// The index of the first x[i] == v among n (a positive multiple of 8)
// elements, or -1.
TEXT ·indexAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS v+16(FP), Y0
	XORQ DX, DX
find:
	VCMPPS $0, (SI)(DX*4), Y0, Y1
	VMOVMSKPS Y1, AX
	TESTL AX, AX
	JNZ found
	ADDQ $8, DX
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
