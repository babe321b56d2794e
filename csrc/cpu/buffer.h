// Scratch memory for kernels: an owned, 64-byte aligned array.
//
// Included by kernel files only: everything lives in rb::cpu::RB_ISA (see
// common/simd.h for why).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace rb::cpu::RB_ISA {

// `count` T, 64-byte aligned, zeroed when `zero` is true (std::bad_alloc when
// the allocation fails; that becomes MemoryError in Python).
template <class T>
class Buffer {
 public:
  explicit Buffer(int64_t count, bool zero = false) {
    const size_t bytes = (static_cast<size_t>(count > 0 ? count : 1) * sizeof(T) + 63) / 64 * 64;
    data_ = static_cast<T*>(std::aligned_alloc(64, bytes));
    if (data_ == nullptr) throw std::bad_alloc();
    if (zero) std::memset(data_, 0, bytes);
  }
  ~Buffer() { std::free(data_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  T* get() const { return data_; }

 private:
  T* data_ = nullptr;
};

}  // namespace rb::cpu::RB_ISA
