//go:build amd64 && !purego

#include "textflag.h"

// func readSumAVX2(p *uint32, n int) uint32
// n is a multiple of 64 (256 bytes per iteration). Eight independent
// 8-lane integer sums of the words, so the loop is bound by the loads:
// the memory-bandwidth probe of ReadBuffer. The result is the sum of all
// words modulo 2³², which does not depend on the order of the additions.
TEXT ·readSumAVX2(SB), NOSPLIT, $0-20
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	SHRQ $6, CX
	JZ   reduce
loop:
	VPADDD 0(SI), Y0, Y0
	VPADDD 32(SI), Y1, Y1
	VPADDD 64(SI), Y2, Y2
	VPADDD 96(SI), Y3, Y3
	VPADDD 128(SI), Y4, Y4
	VPADDD 160(SI), Y5, Y5
	VPADDD 192(SI), Y6, Y6
	VPADDD 224(SI), Y7, Y7
	ADDQ   $256, SI
	DECQ   CX
	JNZ    loop
reduce:
	VPADDD Y1, Y0, Y0
	VPADDD Y3, Y2, Y2
	VPADDD Y5, Y4, Y4
	VPADDD Y7, Y6, Y6
	VPADDD Y2, Y0, Y0
	VPADDD Y6, Y4, Y4
	VPADDD Y4, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD X1, X0, X0
	VPSHUFD $0x4E, X0, X1
	VPADDD X1, X0, X0
	VPSHUFD $0xB1, X0, X1
	VPADDD X1, X0, X0
	VMOVD  X0, AX
	MOVL   AX, ret+16(FP)
	VZEROUPPER
	RET
