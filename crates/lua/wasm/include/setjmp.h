/*
 * wasi-libc ships no <setjmp.h>: WebAssembly has no way to jump back up the
 * stack. ldo.c still includes it, but on wasm32 its error handling is
 * replaced (see ldo_wasm.c) and nothing from this header is used.
 */
#ifndef LOCKSTEP_SETJMP_H
#define LOCKSTEP_SETJMP_H
#endif
