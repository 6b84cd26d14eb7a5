/*
 * Lua's ldo.c, with its error handling moved from setjmp/longjmp (which
 * WebAssembly lacks) to JavaScript exceptions.
 *
 * Lua raises errors with LUAI_THROW and catches them with LUAI_TRY; both
 * appear only in luaD_throw and luaD_rawrunprotected. Here LUAI_TRY calls the
 * protected function through lockstep_lua_try, which runs it inside a JS
 * try/catch, and LUAI_THROW calls lockstep_lua_throw, which throws the
 * exception that catch recognises. A JS exception discards the wasm frames
 * between the throw and the catch just as longjmp discards C frames, so
 * Lua's own bookkeeping (the lua_longjmp chain, status codes, stack
 * restoration) works unchanged. Both functions live in src/wasm_unwind.rs.
 *
 * The pristine ldo.c is included below so that the Lua sources stay exactly
 * as released.
 */

#include "lua.h" /* brings in luaconf.h; its include guard keeps ours */

typedef void (*lockstep_protected_fn)(lua_State *L, void *ud);

/* Returns 1 when f returned normally, 0 when it raised a Lua error. */
extern int lockstep_lua_try(lockstep_protected_fn f, lua_State *L, void *ud);
/* Throws the Lua error exception; never returns. */
extern void lockstep_lua_throw(void);

#undef LUAI_THROW
#undef LUAI_TRY
#undef luai_jmpbuf

/* Nothing needs to be saved per protected call: the JS engine keeps it. */
#define luai_jmpbuf int

#define LUAI_THROW(L, c) \
  do { \
    lockstep_lua_throw(); \
    __builtin_trap(); \
  } while (0)

/* `f` and `ud` are the parameters of luaD_rawrunprotected, the only user. */
#define LUAI_TRY(L, c, a) \
  if (!lockstep_lua_try(f, L, ud)) { \
    if ((c)->status == 0) (c)->status = -1; \
  }

#include "ldo.c"
