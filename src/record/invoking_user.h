// Who the command runs as: through sudo, the invoking user (SUDO_UID), with that user's gid and
// supplementary groups (access to /dev/nvidia* or /dev/dri often comes from a group such as video
// or render), and the HOME, USER and LOGNAME that go with them; otherwise record's own user.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace infertrace {

struct InvokingUser {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string name, home;
};

// Looked up before any fork (NSS is not fork-safe).
InvokingUser invoking_user();

// Drops to `u` in the calling process (a forked child): groups, gid, uid. False when one failed.
bool become(const InvokingUser& u);

// Whether `u` may access `path` with `mode` (access(2) modes), checked in a child that became `u`:
// a command run through sudo is exec'd as that user, so root's access() answers for the wrong one
// (review RX L1). 0, or the errno the user's access() gave.
int access_as(const InvokingUser& u, const std::string& path, int mode);

}  // namespace infertrace
