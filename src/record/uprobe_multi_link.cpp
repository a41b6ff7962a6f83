#include "record/uprobe_multi_link.h"

#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstddef>

namespace infertrace {

namespace {

// The BPF_LINK_CREATE part of union bpf_attr with its uprobe_multi member (Linux 6.6 UAPI),
// written out because the UAPI header this builds against may predate it. The kernel accepts a
// shorter attr than its own and zero-fills the rest.
struct LinkCreateUprobeMulti {
  uint32_t prog_fd;
  uint32_t target_fd;
  uint32_t attach_type;
  uint32_t flags;
  uint64_t path;
  uint64_t offsets;
  uint64_t ref_ctr_offsets;
  uint64_t cookies;
  uint32_t cnt;
  uint32_t multi_flags;  // BPF_F_UPROBE_MULTI_RETURN
  uint32_t pid;          // 0: every process
  uint32_t pad;
};
static_assert(offsetof(LinkCreateUprobeMulti, path) == 16 && offsetof(LinkCreateUprobeMulti, cnt) == 48 &&
              offsetof(LinkCreateUprobeMulti, pid) == 56 && sizeof(LinkCreateUprobeMulti) == 64);

constexpr uint32_t kUprobeMultiReturn = 1;  // BPF_F_UPROBE_MULTI_RETURN

}  // namespace

int create_uprobe_multi_link(int prog_fd, const std::string& path, const std::vector<uint64_t>& offsets,
                             const std::vector<uint64_t>& cookies, bool return_probes) {
  if (offsets.empty() || offsets.size() != cookies.size()) return -EINVAL;
  LinkCreateUprobeMulti attr{};
  attr.prog_fd = static_cast<uint32_t>(prog_fd);
  attr.attach_type = kAttachUprobeMulti;
  attr.path = reinterpret_cast<uint64_t>(path.c_str());
  attr.offsets = reinterpret_cast<uint64_t>(offsets.data());
  attr.cookies = reinterpret_cast<uint64_t>(cookies.data());
  attr.cnt = static_cast<uint32_t>(offsets.size());
  attr.multi_flags = return_probes ? kUprobeMultiReturn : 0;
  const long fd = ::syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof attr);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

bool uprobe_multi_wanted(const char* value) {
  if (!value) return true;
  std::string v(value);
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v != "0" && v != "false" && v != "no" && v != "off";
}

}  // namespace infertrace
