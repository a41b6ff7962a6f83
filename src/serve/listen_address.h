// Where `infertrace serve` listens, checked before the model loads, and the socket options of the
// listening socket itself. A model of several GiB takes seconds to load: a --host that does not
// resolve, or a port another server holds, was only reported after that.
#pragma once

#include <string>

namespace infertrace::serve {

// Resolves `host` and binds a socket to host:port the way cpp-httplib's Server does (getaddrinfo
// with AF_UNSPEC and SOCK_STREAM, each address in turn until one binds, IPV6_V6ONLY off on an IPv6
// socket as cpp-httplib sets it, the options of listen_socket_options), then closes it. A host
// that does not resolve is a UsageError naming --host; an address nothing could bind (in use, not
// this machine's) an Error with the reason. Only a check: the port can still be taken between it
// and the server's own bind, which is then the error.
void check_listen_address(const std::string& host, int port);

// For the listening socket: SO_REUSEADDR alone. cpp-httplib 0.11's default sets SO_REUSEPORT
// instead, with which a second `infertrace serve --port P` (same user) bound the port the first
// one listens on and the kernel shared the connections between the two servers; SO_REUSEADDR
// still lets a restarted server bind at once while the old one's connections are in TIME_WAIT.
void listen_socket_options(int fd);

}  // namespace infertrace::serve
