#include "engine/gguf/ggml_type.h"

#include "util/error.h"

namespace infertrace::gguf {

namespace {

// Block layouts from ggml's type traits (values per block, bytes per block).
struct Entry {
  uint32_t id;
  TypeTraits traits;
};
constexpr Entry kTypes[] = {
    {0, {"f32", 1, 4}},      {1, {"f16", 1, 2}},      {2, {"q4_0", 32, 18}},
    {3, {"q4_1", 32, 20}},   {6, {"q5_0", 32, 22}},   {7, {"q5_1", 32, 24}},
    {8, {"q8_0", 32, 34}},   {9, {"q8_1", 32, 36}},   {10, {"q2_K", 256, 84}},
    {11, {"q3_K", 256, 110}}, {12, {"q4_K", 256, 144}}, {13, {"q5_K", 256, 176}},
    {14, {"q6_K", 256, 210}}, {15, {"q8_K", 256, 292}}, {24, {"i8", 1, 1}},
    {25, {"i16", 1, 2}},     {26, {"i32", 1, 4}},     {27, {"i64", 1, 8}},
    {28, {"f64", 1, 8}},     {30, {"bf16", 1, 2}},
    // Types the engine does not compute with, known so that a file holding them is read (`model
    // info` lists it) and the engine names the type it refuses rather than "unknown ggml type":
    // the importance-matrix, ternary and FP4 quants (ggml-common.h's block structs).
    {16, {"iq2_xxs", 256, 66}}, {17, {"iq2_xs", 256, 74}}, {18, {"iq3_xxs", 256, 98}},
    {19, {"iq1_s", 256, 50}},   {20, {"iq4_nl", 32, 18}},  {21, {"iq3_s", 256, 110}},
    {22, {"iq2_s", 256, 82}},   {23, {"iq4_xs", 256, 136}}, {29, {"iq1_m", 256, 56}},
    {34, {"tq1_0", 256, 54}},   {35, {"tq2_0", 256, 66}},  {39, {"mxfp4", 32, 17}},
    {40, {"nvfp4", 64, 36}},
};

}  // namespace

const TypeTraits* type_traits(uint32_t type_id) {
  for (const Entry& e : kTypes)
    if (e.id == type_id) return &e.traits;
  return nullptr;
}

const TypeTraits& type_traits(GgmlType type) {
  const TypeTraits* t = type_traits(static_cast<uint32_t>(type));
  if (!t) throw Error("unknown ggml type " + std::to_string(static_cast<uint32_t>(type)));
  return *t;
}

std::string type_name(uint32_t type_id) {
  const TypeTraits* t = type_traits(type_id);
  return t ? std::string(t->name) : "type " + std::to_string(type_id);
}

bool is_engine_weight_type(GgmlType type) {
  return type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16 ||
         type == GgmlType::Q8_0 || type == GgmlType::Q4_0 || type == GgmlType::Q4_1 || type == GgmlType::Q5_0 ||
         type == GgmlType::Q5_1 || type == GgmlType::Q4_K || type == GgmlType::Q5_K || type == GgmlType::Q6_K;
}

}  // namespace infertrace::gguf
