// Fused in-place optimizer steps (csrc/cpu/optim.cpp): SGD, Adagrad,
// Adadelta, RMSprop, Adam and AdamW, each updating a whole list of parameter
// arrays in one call.
//
// Every kernel takes, per list, an array of `count` pointers (entry i points
// at the i-th array of that list) and `sizes[i]`, the element count shared by
// the i-th arrays of all lists. The arrays are contiguous and do not overlap
// (the binding checks both). The hyper-parameters arrive in an options struct
// already validated by the binding; their meaning is that of the same-named
// arguments of torch.optim's functional forms.
#pragma once

#include <cstdint>

#include "common/simd.h"

namespace rb::cpu {

struct SgdOptions {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
  bool fresh_buffers;  // first step: buf = d_p, the buffers' contents are ignored
};

struct AdagradOptions {
  double lr, lr_decay, weight_decay, eps;
  int64_t step;  // the step count after this update's increment (>= 1)
  bool maximize;
};

struct AdadeltaOptions {
  double lr, rho, eps, weight_decay;
  bool maximize;
};

struct RmspropOptions {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered, maximize;
};

struct AdamOptions {
  double lr, beta1, beta2, eps, weight_decay;
  int64_t step;  // the step count after this update's increment (>= 1)
  bool amsgrad, maximize;
  // AdamW: p *= 1 - lr * weight_decay, instead of Adam's g += weight_decay * p
  bool decoupled_weight_decay;
};

}  // namespace rb::cpu

// A list that a kernel does not use (momentum buffers without momentum,
// grad_avgs when not centered, max_exp_avg_sqs without amsgrad) is nullptr.
#define RB_OPTIM_DECLS                                                                     \
  template <class T>                                                                       \
  void sgd(T* const* params, const T* const* grads, T* const* momentum_buffers,            \
           const int64_t* sizes, int64_t count, const SgdOptions& options);                \
  template <class T>                                                                       \
  void adagrad(T* const* params, const T* const* grads, T* const* state_sums,              \
               const int64_t* sizes, int64_t count, const AdagradOptions& options);        \
  template <class T>                                                                       \
  void adadelta(T* const* params, const T* const* grads, T* const* square_avgs,            \
                T* const* acc_deltas, const int64_t* sizes, int64_t count,                 \
                const AdadeltaOptions& options);                                           \
  template <class T>                                                                       \
  void rmsprop(T* const* params, const T* const* grads, T* const* square_avgs,             \
               T* const* grad_avgs, T* const* momentum_buffers, const int64_t* sizes,      \
               int64_t count, const RmspropOptions& options);                              \
  template <class T>                                                                       \
  void adam(T* const* params, const T* const* grads, T* const* exp_avgs,                   \
            T* const* exp_avg_sqs, T* const* max_exp_avg_sqs, const int64_t* sizes,        \
            int64_t count, const AdamOptions& options);

RB_DECLARE_FOR_EACH_ISA(RB_OPTIM_DECLS)

#undef RB_OPTIM_DECLS
