#include "serve/listen_address.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "util/error.h"

namespace infertrace::serve {

void listen_socket_options(int fd) {
  const int yes = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

bool host_not_found(int rc) { return rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_ADDRFAMILY; }

std::string host_port(const std::string& host, int port) {
  // Only an IPv6 literal holds a ':' (a name or an IPv4 address cannot). Its zone's '%' written
  // %25, as RFC 6874 has it in a URL (review CT L3): "[fe80::1%25eth0]:8000".
  const size_t zone = host.find('%');
  const bool ipv6 = host.find(':') != std::string::npos;
  if (!ipv6) return host + ":" + std::to_string(port);
  const std::string h = zone == std::string::npos ? host : host.substr(0, zone) + "%25" + host.substr(zone + 1);
  return "[" + h + "]:" + std::to_string(port);
}

std::string unbracketed_host(const std::string& host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']' && host.find(':') != std::string::npos)
    return host.substr(1, host.size() - 2);
  return host;
}

void check_listen_address(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  // cpp-httplib passes no node for an empty host (then the loopback address).
  const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) {
    // EAI_SYSTEM's reason is in errno; gai_strerror says only "System error".
    const std::string why = rc == EAI_SYSTEM ? std::string(std::strerror(errno)) : gai_strerror(rc);
    if (host_not_found(rc)) throw UsageError("--host " + host + ": " + why);
    throw Error("--host " + host + ": cannot resolve it: " + why);
  }
  const std::unique_ptr<addrinfo, void (*)(addrinfo*)> addresses(found, freeaddrinfo);
  int last_errno = 0;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    listen_socket_options(fd);
    // As cpp-httplib's own socket (it sets this after the socket options): an IPv6 address ("::")
    // also takes IPv4 connections whatever net.ipv6.bindv6only says, so an IPv4 holder of the port
    // makes this bind fail as it would make the server's.
    if (a->ai_family == AF_INET6) {
      const int no = 0;
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof(no));
    }
    const bool bound = bind(fd, a->ai_addr, a->ai_addrlen) == 0;
    if (!bound) last_errno = errno;
    close(fd);
    if (bound) return;
  }
  throw Error("cannot listen on " + host_port(host, port) + ": " +
              (last_errno != 0 ? std::strerror(last_errno) : "no address to bind"));
}

}  // namespace infertrace::serve
