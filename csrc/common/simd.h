// Run-time ISA dispatch.
//
// Every file listed in RB_KERNEL_SOURCES (CMakeLists.txt) is compiled once per
// instruction set, with RB_ISA defined as that set's name and matching flags,
// and puts its kernels in namespace rb::cpu::RB_ISA. Bindings call
// RB_DISPATCH(kernel(args)), which picks the namespace of the active ISA: the
// best the CPU supports, or a lower one forced by RB_SIMD=baseline|avx2|avx512
// (for testing each path).
//
// Rule for kernel files: everything they define lives in rb::cpu::RB_ISA, and
// they use no out-of-line standard-library templates (std::vector, ...). An
// inline function emitted by two ISA objects is merged by the linker, which
// could hand AVX-512 code to a CPU without it.
#pragma once

#include <string>
#include <vector>

namespace rb {

enum class Isa : int { baseline = 0, avx2 = 1, avx512 = 2 };

const char* isa_name(Isa isa);
Isa isa_from_name(const std::string& name);   // throws on an unknown name
std::vector<Isa> compiled_isas();             // built into this module
bool cpu_supports(Isa isa);                   // this CPU (and OS) can run it
Isa best_isa();                               // highest compiled and supported
Isa active_isa();                             // the one kernels run
void set_active_isa(Isa isa);                 // throws if not runnable here

}  // namespace rb

// Declares DECLS inside every ISA namespace (declarations only; a namespace
// whose ISA is not compiled on this platform is simply never called).
#define RB_DECLARE_FOR_EACH_ISA(DECLS)      \
  namespace rb::cpu::baseline { DECLS }     \
  namespace rb::cpu::avx2 { DECLS }         \
  namespace rb::cpu::avx512 { DECLS }

#if defined(RB_HAVE_AVX512)
#define RB_DISPATCH_CASE_AVX512(call) \
  case ::rb::Isa::avx512:             \
    return ::rb::cpu::avx512::call;
#else
#define RB_DISPATCH_CASE_AVX512(call)
#endif
#if defined(RB_HAVE_AVX2)
#define RB_DISPATCH_CASE_AVX2(call) \
  case ::rb::Isa::avx2:             \
    return ::rb::cpu::avx2::call;
#else
#define RB_DISPATCH_CASE_AVX2(call)
#endif

// Calls rb::cpu::<active isa>::call and returns its result.
#define RB_DISPATCH(call)                   \
  switch (::rb::active_isa()) {             \
    RB_DISPATCH_CASE_AVX512(call)           \
    RB_DISPATCH_CASE_AVX2(call)             \
    default:                                \
      return ::rb::cpu::baseline::call;     \
  }
