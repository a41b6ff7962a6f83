// Names for kernels in tables, one per distinct kernel. short_kernel_name() drops template
// arguments, so PyTorch's elementwise kernels all read "at::native::vectorized_elementwise_kernel"
// whether they multiply, add or take a tanh; a table of the top kernels then lists the same name
// several times. Where short names collide, the name gets the functor or the enclosing function
// that tells the kernels apart ("at::native::vectorized_elementwise_kernel [CUDAFunctor_add]"), or
// where that is shared too, with the first word of the template argument that differs ("[MulFunctor,
// AUnaryFunctor]" against "[MulFunctor, BinaryFunctor]"); where a kernel has no such word, the
// whole group shows its template arguments ("[float]", "[half]"; "[128, 64]"), and an ordinal is
// the last resort ("#2"), also for distinct names that read alike once cut to the limit. The full name stays in JSON, CSV and the HTML report's hover text.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace infertrace {

// What distinguishes a kernel within its template family: in the first template argument that is
// not a number, the first name that is not a namespace, a scalar type or a generic wrapper
// (at::native::AUnaryFunctor<Half, Half, Half, MulFunctor<float>> -> "MulFunctor"; a lambda inside
// at::native::tanh_kernel_cuda(...) -> "tanh_kernel_cuda"). Empty when there is none.
std::string kernel_name_hint(std::string_view full_name);

// The words of the first template argument that is not a number, in order, without namespaces and
// C++ filler (AUnaryFunctor<c10::Half, ..., MulFunctor<float>> -> AUnaryFunctor Half Half Half
// MulFunctor float): where two kernels share a hint, the first word one has and the others lack
// tells them apart.
std::vector<std::string> kernel_name_words(std::string_view full_name);

class KernelDisplayNames {
 public:
  // `full_names`: every distinct kernel a table may show (their order fixes the ordinals).
  // `drop_namespaces`: "vectorized_elementwise_kernel [CUDAFunctor_add]" instead of
  // "at::native::vectorized_elementwise_kernel [...]", for the tight space of a chain of kernels.
  explicit KernelDisplayNames(const std::vector<std::string>& full_names, size_t max_len = 60,
                              bool drop_namespaces = false);
  // The display name of one of them (short_kernel_name() for a name not given).
  std::string operator()(const std::string& full_name) const;

 private:
  std::string base_name(const std::string& full_name) const;
  std::string fit(const std::string& name) const;  // cut to max_len_ columns with "..." (util/display_width.h)

  size_t max_len_;
  bool drop_namespaces_;
  std::unordered_map<std::string, std::string> names_;
};

}  // namespace infertrace
