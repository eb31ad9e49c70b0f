// Package kernels holds kshot's dense float32 kernels: a packed matrix
// multiply with Go-assembly micro-kernels selected at run time by CPU
// feature (AVX-512, AVX2+FMA, portable Go), the row-wise dot and axpy
// kernels attention uses, and the persistent worker pool they share.
//
// Determinism contract: every output element is computed by one goroutine
// with an accumulation order that depends only on the shapes of the weight
// (K, N), never on the number of rows M, the row's position, or the thread
// count. kshot relies on it for bit-identical scores across batch sizes.
package kernels
