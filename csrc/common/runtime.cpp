// Process-wide kernel settings: thread count and the active ISA.
#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include "common/check.h"
#include "common/parallel.h"
#include "common/simd.h"

namespace rb {
namespace {

int default_threads() {
  if (const char* env = std::getenv("RB_NUM_THREADS")) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    RB_CHECK(end != env && *end == '\0' && n >= 1 && n <= 4096,
             "RB_NUM_THREADS must be a positive integer, got '", env, "'");
    return static_cast<int>(n);
  }
#ifdef _OPENMP
  return omp_get_max_threads();  // honours OMP_NUM_THREADS
#else
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
#endif
}

std::atomic<int>& thread_setting() {
  static std::atomic<int> n{default_threads()};
  return n;
}

Isa initial_isa() {
  if (const char* env = std::getenv("RB_SIMD")) {
    const Isa forced = isa_from_name(env);
    RB_CHECK(cpu_supports(forced) && forced <= best_isa(), "RB_SIMD=", env,
             " is not available here; this build and CPU run up to ",
             isa_name(best_isa()));
    return forced;
  }
  return best_isa();
}

std::atomic<int>& isa_setting() {
  static std::atomic<int> isa{static_cast<int>(initial_isa())};
  return isa;
}

}  // namespace

int num_threads() { return thread_setting().load(std::memory_order_relaxed); }

void set_num_threads(int n) {
  RB_CHECK(n >= 1, "num_threads must be >= 1, got ", n);
  thread_setting().store(n, std::memory_order_relaxed);
}

int kernel_threads() {
#ifdef _OPENMP
  return omp_in_parallel() ? 1 : num_threads();
#else
  return 1;  // without OpenMP there is no second thread
#endif
}

int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    default: return "baseline";
  }
}

Isa isa_from_name(const std::string& name) {
  if (name == "baseline") return Isa::baseline;
  if (name == "avx2") return Isa::avx2;
  if (name == "avx512") return Isa::avx512;
  throw std::invalid_argument(
      cat("unknown SIMD path '", name, "'; expected baseline, avx2 or avx512"));
}

std::vector<Isa> compiled_isas() {
  std::vector<Isa> isas{Isa::baseline};
#ifdef RB_HAVE_AVX2
  isas.push_back(Isa::avx2);
#endif
#ifdef RB_HAVE_AVX512
  isas.push_back(Isa::avx512);
#endif
  return isas;
}

bool cpu_supports(Isa isa) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  switch (isa) {
    case Isa::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    default:
      return true;
  }
#else
  return isa == Isa::baseline;
#endif
}

Isa best_isa() {
  Isa best = Isa::baseline;
  for (Isa isa : compiled_isas())
    if (cpu_supports(isa)) best = isa;
  return best;
}

Isa active_isa() { return static_cast<Isa>(isa_setting().load(std::memory_order_relaxed)); }

void set_active_isa(Isa isa) {
  bool compiled = false;
  for (Isa c : compiled_isas()) compiled = compiled || c == isa;
  RB_CHECK(compiled && cpu_supports(isa), "SIMD path '", isa_name(isa),
           "' is not available here; this build and CPU run up to ", isa_name(best_isa()));
  isa_setting().store(static_cast<int>(isa), std::memory_order_relaxed);
}

}  // namespace rb
