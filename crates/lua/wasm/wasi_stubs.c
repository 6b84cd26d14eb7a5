/*
 * The WASI system calls that wasi-libc's code used by Lua refers to.
 *
 * In a browser there is no WASI host, and a script must not reach files,
 * clocks or the environment anyway: the simulation passes time in and keeps
 * scripts deterministic. Defining the imports here resolves them inside the
 * module, so it needs nothing beyond what wasm-bindgen provides. Every call
 * fails (or, for writes to stdout/stderr, succeeds without output, so
 * `print` behaves like writing to /dev/null).
 *
 * The signatures are WASI preview1's, as wasi-libc declares them; a
 * mismatch would make the linker replace the call with a trap.
 */

#include <stdint.h>

#define WASI_ESUCCESS 0
#define WASI_EBADF 8
#define WASI_ENOSYS 52

#define STUB(name) __imported_wasi_snapshot_preview1_##name

int32_t STUB(fd_write)(int32_t fd, int32_t iovs, int32_t iovs_len, int32_t nwritten) {
  if (fd != 1 && fd != 2) return WASI_EBADF;
  /* struct __wasi_ciovec_t { const uint8_t *buf; size_t buf_len; } */
  const uint32_t *iov = (const uint32_t *)(uintptr_t)iovs;
  uint32_t total = 0;
  for (int32_t i = 0; i < iovs_len; i++) total += iov[2 * i + 1];
  *(uint32_t *)(uintptr_t)nwritten = total;
  return WASI_ESUCCESS;
}

int32_t STUB(fd_read)(int32_t fd, int32_t iovs, int32_t iovs_len, int32_t nread) {
  (void)fd; (void)iovs; (void)iovs_len; (void)nread;
  return WASI_EBADF;
}

int32_t STUB(fd_close)(int32_t fd) {
  (void)fd;
  return WASI_EBADF;
}

int32_t STUB(fd_seek)(int32_t fd, int64_t offset, int32_t whence, int32_t newoffset) {
  (void)fd; (void)offset; (void)whence; (void)newoffset;
  return WASI_EBADF;
}

int32_t STUB(fd_fdstat_get)(int32_t fd, int32_t stat) {
  (void)fd; (void)stat;
  return WASI_EBADF;
}

int32_t STUB(fd_fdstat_set_flags)(int32_t fd, int32_t flags) {
  (void)fd; (void)flags;
  return WASI_EBADF;
}

int32_t STUB(fd_prestat_get)(int32_t fd, int32_t prestat) {
  /* EBADF ends wasi-libc's scan of preopened directories: there are none. */
  (void)fd; (void)prestat;
  return WASI_EBADF;
}

int32_t STUB(fd_prestat_dir_name)(int32_t fd, int32_t path, int32_t path_len) {
  (void)fd; (void)path; (void)path_len;
  return WASI_EBADF;
}

int32_t STUB(fd_renumber)(int32_t fd, int32_t to) {
  (void)fd; (void)to;
  return WASI_EBADF;
}

int32_t STUB(path_open)(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len,
                        int32_t oflags, int64_t rights_base, int64_t rights_inheriting,
                        int32_t fdflags, int32_t opened_fd) {
  (void)fd; (void)dirflags; (void)path; (void)path_len; (void)oflags;
  (void)rights_base; (void)rights_inheriting; (void)fdflags; (void)opened_fd;
  return WASI_ENOSYS;
}

int32_t STUB(path_remove_directory)(int32_t fd, int32_t path, int32_t path_len) {
  (void)fd; (void)path; (void)path_len;
  return WASI_ENOSYS;
}

int32_t STUB(path_rename)(int32_t fd, int32_t old_path, int32_t old_path_len, int32_t new_fd,
                          int32_t new_path, int32_t new_path_len) {
  (void)fd; (void)old_path; (void)old_path_len; (void)new_fd; (void)new_path; (void)new_path_len;
  return WASI_ENOSYS;
}

int32_t STUB(path_unlink_file)(int32_t fd, int32_t path, int32_t path_len) {
  (void)fd; (void)path; (void)path_len;
  return WASI_ENOSYS;
}

int32_t STUB(environ_sizes_get)(int32_t count, int32_t buf_size) {
  /* An empty environment. */
  *(uint32_t *)(uintptr_t)count = 0;
  *(uint32_t *)(uintptr_t)buf_size = 0;
  return WASI_ESUCCESS;
}

int32_t STUB(environ_get)(int32_t environ, int32_t environ_buf) {
  (void)environ; (void)environ_buf;
  return WASI_ESUCCESS;
}

int32_t STUB(clock_time_get)(int32_t id, int64_t precision, int32_t time) {
  (void)id; (void)precision; (void)time;
  return WASI_ENOSYS;
}

_Noreturn void STUB(proc_exit)(int32_t code) {
  (void)code;
  __builtin_trap();
}
