#include "ingest/kineto/kineto_reader.h"

#include "ingest/input_pages.h"

#include <functional>
#include <string>
#include <vector>

#include "ingest/kineto/piece_reader.h"
#include "ingest/kineto/structure_scan.h"
#include "util/error.h"

namespace infertrace::kineto {

namespace {

using ReadPieces = void (*)(char*, size_t, const std::string&, const ReadOptions&, bool,
                            const std::vector<size_t>&, Trace&);

struct Kernel {
  ReadPieces read;
  const char* simdjson_name;
};

Kernel kernel_for(ParserKernel asked) {
  const ParserKernel k = asked == ParserKernel::Auto ? best_parser_kernel() : asked;
  if (!parser_kernel_supported(k))
    throw Error(std::string("this CPU cannot run the ") + parser_kernel_option_name(k) + " JSON parser kernel");
#if INFERTRACE_KINETO_HASWELL_KERNEL
  if (k == ParserKernel::Haswell) return {haswell_kernel::read_pieces, haswell_kernel::simdjson_kernel_name()};
#endif
  return {generic_kernel::read_pieces, generic_kernel::simdjson_kernel_name()};
}

// Finding the exact cut points read all of the input. It is mapped as it was read; nothing was
// written yet, so the whole mapping can be dropped again and the reader maps each piece in just
// before it reads it. Where the kernel maps large page-cache folios whole (input_buffer.cpp), even
// the quick search, a few bytes every few MB, maps 2 MiB per byte read: that left half of a big
// trace mapped (peak RSS 0.50x the JSON on 1 GB instead of 0.19x), hence its per-search drop.
void unmap_cut_search(const char* data, size_t size, const ReadOptions& opts) {
  if (opts.release_input) drop_pages(data, size);
}

}  // namespace

void read_kineto(char* data, size_t size, const std::string& file, const ReadOptions& opts, Trace& out) {
  const Kernel kernel = kernel_for(opts.kernel);
  const ReadPieces read_with_cuts = kernel.read;
  // By default a document past kWholeDocumentMax is cut, even when it fits in one piece: its events
  // between the two edge pieces then go through the direct event scan, not the on-demand parser
  // (the edges only need that parser for the document around the array). A piece size given by a
  // caller (tests, --chunk-bytes) means what it says: a document within it is read whole.
  const bool default_pieces = opts.chunk_bytes == 0;
  const size_t chunk = default_pieces ? kDefaultPiece : opts.chunk_bytes;
  const size_t whole_max = default_pieces ? kWholeDocumentMax : chunk;
  size_t first = 0;
  while (first < size && (data[first] == ' ' || data[first] == '\n' || data[first] == '\r' || data[first] == '\t'))
    ++first;
  const bool splittable = first < size && (data[first] == '{' || data[first] == '[');
  if (size <= whole_max || !splittable) {
    read_with_cuts(data, size, file, opts, splittable && data[first] == '{', {}, out);
    out.meta["ingest.parser"] = kernel.simdjson_name;
    return;
  }
  const bool object_form = data[first] == '{';
  const std::string file_name = out.file;
  const TraceSource source = out.source;
  try {
    // Each search reads a few bytes every few MB: unmapped again right away (see unmap_cut_search).
    auto unmap_searched = [&](size_t from, size_t to) { drop_blocks(data, size, data + from, to - from); };
    const std::vector<size_t> cuts =
        quick_cuts(data, size, chunk, default_pieces ? kEdgePiece : 0,
                   opts.release_input ? std::function<void(size_t, size_t)>(unmap_searched) : nullptr);
    read_with_cuts(data, size, file, opts, object_form, cuts, out);
    out.meta["ingest.cuts"] = "quick";
    out.meta["ingest.parser"] = kernel.simdjson_name;
    return;
  } catch (const InputError&) {
    // A cut may have landed inside a string or an event: start again with exact cut points (a
    // real error in the input is then reported from that second reading).
  }
  Trace fresh;
  fresh.file = file_name;
  fresh.source = source;
  out = std::move(fresh);
  const ExactCuts exact = exact_cuts(data, size, chunk, object_form);
  unmap_cut_search(data, size, opts);
  if (!exact.well_formed && size <= kMaxDocument) {
    // Unbalanced brackets or an unclosed string: let the parser name the problem on the whole text.
    read_with_cuts(data, size, file, opts, object_form, {}, out);
    throw InputError(file, exact.error_offset, "malformed JSON structure");
  }
  if (!exact.well_formed) throw InputError(file, exact.error_offset, "malformed JSON structure");
  read_with_cuts(data, size, file, opts, object_form, exact.cuts, out);
  out.meta["ingest.cuts"] = "exact";
  out.meta["ingest.parser"] = kernel.simdjson_name;
}

}  // namespace infertrace::kineto
