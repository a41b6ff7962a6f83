// Where `infertrace serve` listens, checked before the model loads, and the socket options of the
// listening socket itself. A model of several GiB takes seconds to load: a --host that does not
// resolve, or a port another server holds, was only reported after that.
#pragma once

#include <string>

namespace infertrace::serve {

// Resolves `host` and binds a socket to host:port the way cpp-httplib's Server does (getaddrinfo
// with AF_UNSPEC and SOCK_STREAM, each address in turn until one binds, IPV6_V6ONLY off on an IPv6
// socket as cpp-httplib sets it, the options of listen_socket_options), then closes it. A host
// that does not exist (host_not_found) is a UsageError naming --host; any other resolver failure
// (a DNS server that does not answer, out of memory) is an Error with the resolver's text, as is
// an address nothing could bind (in use, not this machine's) with the reason. Only a check: the
// port can still be taken between it and the server's own bind, which is then the error.
void check_listen_address(const std::string& host, int port);

// Whether getaddrinfo's result `rc` says the name has no address (the user's to correct: a typo,
// a name that does not exist, or none of the asked family) rather than that the lookup itself
// failed (EAI_AGAIN: no answer from the DNS server now; EAI_SYSTEM, EAI_MEMORY, ...), which may
// pass on a second try.
bool host_not_found(int rc);

// host:port as the messages and URLs write it: an IPv6 literal in brackets ("[::1]:8000"), as a
// URL needs it and so that the port does not read as part of the address.
// An IPv6 zone's '%' is written %25 (RFC 6874), as `bench serve --url` reads it back.
std::string host_port(const std::string& host, int port);

// --host as the server binds it: an IPv6 literal written in brackets, as host_port prints it
// ("[::1]"), without them (review CT L4); any other text as it is.
std::string unbracketed_host(const std::string& host);

// For the listening socket: SO_REUSEADDR alone. cpp-httplib 0.11's default sets SO_REUSEPORT
// instead, with which a second `infertrace serve --port P` (same user) bound the port the first
// one listens on and the kernel shared the connections between the two servers; SO_REUSEADDR
// still lets a restarted server bind at once while the old one's connections are in TIME_WAIT.
void listen_socket_options(int fd);

}  // namespace infertrace::serve
