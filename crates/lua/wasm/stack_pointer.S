# Read and write the shadow-stack pointer, the global that C and Rust code
# compiled for wasm32 use for stack frames in linear memory. A JS exception
# skips the epilogues that would restore it, so lockstep_lua_try puts it
# back after catching one.

	.globaltype __stack_pointer, i32

	.globl lockstep_stack_pointer
	.type lockstep_stack_pointer,@function
lockstep_stack_pointer:
	.functype lockstep_stack_pointer () -> (i32)
	global.get __stack_pointer
	end_function

	.globl lockstep_set_stack_pointer
	.type lockstep_set_stack_pointer,@function
lockstep_set_stack_pointer:
	.functype lockstep_set_stack_pointer (i32) -> ()
	local.get 0
	global.set __stack_pointer
	end_function
