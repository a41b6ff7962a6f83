// Table names for kernels whose short names collide (report/kernel_display_names.h), on kernel
// names as PyTorch 2.x on an H100 writes them (copied from ../shared/fixtures/kineto-h100 traces).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "report/kernel_display_names.h"
#include "report/text_table.h"

namespace infertrace {
namespace {

const std::string kMul =
    "void at::native::vectorized_elementwise_kernel<8, at::native::AUnaryFunctor<c10::Half, c10::Half, c10::Half, "
    "at::native::binary_internal::MulFunctor<float> >, std::array<char*, 2ul> >(int, at::native::AUnaryFunctor<c10::Half, "
    "c10::Half, c10::Half, at::native::binary_internal::MulFunctor<float> >, std::array<char*, 2ul>)";
const std::string kMulBinary =
    "void at::native::vectorized_elementwise_kernel<8, at::native::BinaryFunctor<c10::Half, c10::Half, c10::Half, "
    "at::native::binary_internal::MulFunctor<float> >, std::array<char*, 3ul> >(int, at::native::BinaryFunctor<c10::Half, "
    "c10::Half, c10::Half, at::native::binary_internal::MulFunctor<float> >, std::array<char*, 3ul>)";
const std::string kAdd =
    "void at::native::vectorized_elementwise_kernel<8, at::native::CUDAFunctor_add<c10::Half>, std::array<char*, 3ul> "
    ">(int, at::native::CUDAFunctor_add<c10::Half>, std::array<char*, 3ul>)";
const std::string kPow =
    "void at::native::vectorized_elementwise_kernel<8, at::native::(anonymous "
    "namespace)::pow_tensor_scalar_kernel_impl<c10::Half, c10::Half>(at::TensorIteratorBase&, "
    "c10::Half)::{lambda(c10::Half)#2}, std::array<char*, 2ul> >(int, at::native::(anonymous "
    "namespace)::pow_tensor_scalar_kernel_impl<c10::Half, c10::Half>(at::TensorIteratorBase&, "
    "c10::Half)::{lambda(c10::Half)#2}, std::array<char*, 2ul>)";
const std::string kTanh =
    "void at::native::vectorized_elementwise_kernel<8, at::native::tanh_kernel_cuda(at::TensorIteratorBase&)::{lambda()#2}"
    "::operator()() const::{lambda()#3}::operator()() const::{lambda(c10::Half)#1}, std::array<char*, 2ul> >(int, "
    "at::native::tanh_kernel_cuda(at::TensorIteratorBase&)::{lambda()#2}::operator()() const::{lambda()#3}::operator()() "
    "const::{lambda(c10::Half)#1}, std::array<char*, 2ul>)";
const std::string kLayerNorm =
    "void at::native::(anonymous namespace)::vectorized_layer_norm_kernel<c10::Half, float, false>(int, float, c10::Half "
    "const*, c10::Half const*, c10::Half const*, float*, float*, c10::Half*)";
const std::string kNvjet = "nvjet_sm90_hsh_192x128_64x5_1x2_h_bz_coopB_bias_NNT";

TEST(KernelNameHint, WordsOfTheFirstTemplateArgumentWithoutNamespacesOrFiller) {
  EXPECT_EQ(kernel_name_words(kMul), (std::vector<std::string>{"AUnaryFunctor", "Half", "Half", "Half", "MulFunctor", "float"}));
  EXPECT_EQ(kernel_name_words(kAdd), (std::vector<std::string>{"CUDAFunctor_add", "Half"}));
  EXPECT_EQ(kernel_name_words(kPow), (std::vector<std::string>{"pow_tensor_scalar_kernel_impl", "Half", "Half",
                                                               "TensorIteratorBase", "Half", "Half"}));
  EXPECT_EQ(kernel_name_words(kLayerNorm), (std::vector<std::string>{"Half"}));
  EXPECT_TRUE(kernel_name_words(kNvjet).empty());
}

TEST(KernelNameHint, TheFunctorOrEnclosingFunctionPastWrappersNamespacesAndTypes) {
  EXPECT_EQ(kernel_name_hint(kMul), "MulFunctor");
  EXPECT_EQ(kernel_name_hint(kMulBinary), "MulFunctor");
  EXPECT_EQ(kernel_name_hint(kAdd), "CUDAFunctor_add");
  EXPECT_EQ(kernel_name_hint(kPow), "pow_tensor_scalar_kernel_impl");
  EXPECT_EQ(kernel_name_hint(kTanh), "tanh_kernel_cuda");
  // Only scalar types and literals as template arguments, or none at all: nothing to say.
  EXPECT_EQ(kernel_name_hint(kLayerNorm), "");
  EXPECT_EQ(kernel_name_hint(kNvjet), "");
  EXPECT_EQ(kernel_name_hint("void f<8, (unbalanced>(int)"), "");
}

TEST(KernelDisplayNames, CollidingShortNamesGetWhatTellsThemApartOthersStayShort) {
  const std::vector<std::string> all = {kMul, kAdd, kPow, kTanh, kLayerNorm, kNvjet, kMulBinary, kAdd};
  const KernelDisplayNames display(all);
  EXPECT_EQ(display(kAdd), "at::native::vectorized_elementwise_kernel [CUDAFunctor_add]");
  // Over 60 characters: the base is cut, the hint kept.
  EXPECT_EQ(display(kPow), "at::native::vectorized_el... [pow_tensor_scalar_kernel_impl]");
  EXPECT_EQ(display(kTanh), "at::native::vectorized_elementwise_kernel [tanh_kernel_cuda]");
  // The same hint twice: with the first word that differs.
  EXPECT_EQ(display(kMul), "at::native::vectorized_elemen... [MulFunctor, AUnaryFunctor]");
  EXPECT_EQ(display(kMulBinary), "at::native::vectorized_elemen... [MulFunctor, BinaryFunctor]");
  // No collision: the plain short name.
  EXPECT_EQ(display(kLayerNorm), short_kernel_name(kLayerNorm));
  EXPECT_EQ(display(kLayerNorm), "at::native::vectorized_layer_norm_kernel");
  EXPECT_EQ(display(kNvjet), kNvjet);
  // A name not given at construction: the plain short name.
  EXPECT_EQ(display("void other_kernel<4>(int)"), "other_kernel");
  // Every distinct kernel gets a distinct display name.
  std::set<std::string> shown;
  for (const std::string& f : std::set<std::string>(all.begin(), all.end())) EXPECT_TRUE(shown.insert(display(f)).second) << f;
}

TEST(KernelDisplayNames, ShortensTheBaseNotTheDistinguishingPart) {
  const KernelDisplayNames display({kAdd, kTanh}, 40);
  EXPECT_EQ(display(kAdd), "at::native::vectori... [CUDAFunctor_add]");
  EXPECT_EQ(display(kAdd).size(), 40u);
  EXPECT_EQ(display(kTanh), "at::native::vector... [tanh_kernel_cuda]");
  EXPECT_EQ(display(kTanh).size(), 40u);
  // The same functor on two element types: told apart by the type.
  const std::string on_self_half =
      "void at::native::vectorized_elementwise_kernel<8, at::native::CUDAFunctorOnSelf_add<c10::Half>, std::array<char*, "
      "2ul> >(int, at::native::CUDAFunctorOnSelf_add<c10::Half>, std::array<char*, 2ul>)";
  const std::string on_self_long =
      "void at::native::vectorized_elementwise_kernel<2, at::native::CUDAFunctorOnSelf_add<long>, std::array<char*, 2ul> "
      ">(int, at::native::CUDAFunctorOnSelf_add<long>, std::array<char*, 2ul>)";
  const KernelDisplayNames typed({on_self_half, on_self_long}, 80);
  EXPECT_EQ(typed(on_self_half), "at::native::vectorized_elementwise_kernel [CUDAFunctorOnSelf_add, Half]");
  EXPECT_EQ(typed(on_self_long), "at::native::vectorized_elementwise_kernel [CUDAFunctorOnSelf_add, long]");
  // No functor or function in the template arguments: the arguments themselves (review FL58 L5:
  // "[#1]" and "[#2]" said nothing about which was which).
  const std::string a = "void k<1>(int)", b = "void k<2>(int)";
  const KernelDisplayNames by_args({a, b});
  EXPECT_EQ(by_args(a), "k [1]");
  EXPECT_EQ(by_args(b), "k [2]");
  // Nothing in the name tells them apart (a different parameter list): numbered.
  const std::string c = "void k<1>(int)", d = "void k<1>(long)";
  const KernelDisplayNames numbered({c, d});
  EXPECT_EQ(numbered(c), "k [#1]");
  EXPECT_EQ(numbered(d), "k [#2]");
}

// Kernels that differ only in a scalar type or in numbers read alike in kind: every one shows its
// template arguments, not a mix of an ordinal and a type (review FL58 L5: "rope_kernel [#1]" beside
// "rope_kernel [half]", and "gemm_kernel [#1]" / "[#2]" for <128, 64> and <64, 64>).
TEST(KernelDisplayNames, TypeOrNumberOnlyDifferencesShowTheArguments) {
  const std::string rf = "void rope_kernel<float>(float*, int)", rh = "void rope_kernel<half>(half*, int)";
  const KernelDisplayNames rope({rf, rh});
  EXPECT_EQ(rope(rf), "rope_kernel [float]");
  EXPECT_EQ(rope(rh), "rope_kernel [half]");
  const std::string g1 = "void gemm_kernel<128, 64>(float const*)", g2 = "void gemm_kernel<64, 64>(float const*)";
  const KernelDisplayNames gemm({g1, g2});
  EXPECT_EQ(gemm(g1), "gemm_kernel [128, 64]");
  EXPECT_EQ(gemm(g2), "gemm_kernel [64, 64]");
  const std::string ch = "void k2<c10::Half, 4>(int)", cf = "void k2<float, 4>(int)";
  const KernelDisplayNames typed({ch, cf});
  EXPECT_EQ(typed(ch), "k2 [Half]");  // the word that differs, as for two functors
  EXPECT_EQ(typed(cf), "k2 [float]");
}

// A name that collides with none is cut to the limit, "..." included (20 characters here).
TEST(KernelDisplayNames, UncollidingNameCutToTheLimit) {
  const KernelDisplayNames display({kLayerNorm}, 20);
  EXPECT_EQ(display(kLayerNorm), "at::native::vecto...");
  EXPECT_EQ(display(kLayerNorm).size(), 20u);
}

// Two distinct names that share their first characters read alike once cut: the second (in the
// order given) gets an ordinal within the limit; a third name, distinct once cut, is left alone
// (review S43: "k_" + 120 a's and "k_" + 119 a's + "x" were one "k_aaa..." row).
TEST(KernelDisplayNames, NamesAlikeOnceCutGetAnOrdinal) {
  const std::string a = "k_" + std::string(120, 'a'), ax = "k_" + std::string(119, 'a') + "x", b = "kb_short";
  const KernelDisplayNames display({a, b, ax, a}, 20);
  EXPECT_EQ(display(a), "k_" + std::string(15, 'a') + "...");
  EXPECT_EQ(display(ax), "k_" + std::string(12, 'a') + "... #2");
  EXPECT_EQ(display(ax).size(), 20u);
  EXPECT_EQ(display(b), "kb_short");
}

// A non-ASCII name is cut between characters, not bytes (review CX M1): 50 x U+00E9 (100 bytes)
// to 20 characters is 17 of them and "..."; with a tag " [MulFunctor]" (13 characters) in 40, the
// name keeps 40 - 13 - 3 = 24 of them. A byte-wise cut ended inside a character.
TEST(KernelDisplayNames, NonAsciiNameCutBetweenCharacters) {
  std::string e50, e17, e24;
  for (int i = 0; i < 50; ++i) e50 += "\xC3\xA9";
  for (int i = 0; i < 17; ++i) e17 += "\xC3\xA9";
  for (int i = 0; i < 24; ++i) e24 += "\xC3\xA9";
  const KernelDisplayNames alone({e50}, 20);
  EXPECT_EQ(alone(e50), e17 + "...");
  EXPECT_EQ(short_kernel_name("void " + e50 + "(int)", 20), e17 + "...");
  const std::string mul = "void " + e50 + "<8, MulFunctor<float> >(int)", add = "void " + e50 + "<8, AddFunctor<float> >(int)";
  const KernelDisplayNames group({mul, add}, 40);
  EXPECT_EQ(group(mul), e24 + "... [MulFunctor]");
  EXPECT_EQ(group(add), e24 + "... [AddFunctor]");
}

// A hint over 32 characters is cut to 29 and "..." (32 in all), so one long functor name does
// not push the kernel's own name out of the column.
TEST(KernelDisplayNames, LongHintCutTo32Characters) {
  const std::string hint(40, 'x');
  const std::string long_hint = "void k<" + hint + ">(int)", short_hint = "void k<other>(int)";
  const KernelDisplayNames display({long_hint, short_hint});
  EXPECT_EQ(display(long_hint), "k [" + std::string(29, 'x') + "...]");
  EXPECT_EQ(display(short_hint), "k [other]");
}

// Without namespaces: the last name after "::"; a name that ends in "::" (nothing after it) is
// kept as it is rather than shown empty.
TEST(KernelDisplayNames, DropNamespacesKeepsANameEndingInColons) {
  const KernelDisplayNames display({}, 60, true);
  EXPECT_EQ(display("void at::native::reduce_kernel<4>(int)"), "reduce_kernel");
  EXPECT_EQ(display("ns::"), "ns::");
}

// A '<' inside the parameter list is no template argument of the kernel: no hint from it.
TEST(KernelNameHint, NoHintFromTheParameterList) {
  EXPECT_EQ(kernel_name_hint("void fused_kernel(Params<Welford>)"), "");
  EXPECT_EQ(kernel_name_hint("void fused_kernel<Welford>(Params<Other>)"), "Welford");
}

}  // namespace
}  // namespace infertrace
