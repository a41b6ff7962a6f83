// Whether a traced process still runs, as `record --pid` decides when its targets are gone (review
// RP H1: kill(pid, 0) succeeds on a zombie, a process that exited and waits for its parent to reap
// it, and on a pid the kernel gave to another process since), and whether record itself runs in a
// nested PID namespace, where its process ids are not the kernel's (review RP M5); and the state of
// a thread alive at the attach (review RP M3).
#pragma once

#include <sys/types.h>

#include <string_view>

namespace infertrace {

// The process's start time (field 22 of /proc/PID/stat, clock ticks since boot); 0 when there is
// no such process or its stat cannot be read.
unsigned long long process_start_ticks(pid_t pid);

// Whether pid is a live process: /proc/PID/stat exists and its state is not Z (zombie) or X (dead),
// and, when start_ticks is not 0, it started at start_ticks (else the pid was reused).
bool process_running(pid_t pid, unsigned long long start_ticks = 0);

// The state letter of /proc/PID/task/TID/stat's text (field 3, after the command name, which may
// hold spaces and parentheses): 'R', 'S', 'D', ...; 0 when the text has none.
char stat_state(std::string_view stat_text);

// The state of thread tid of process pid now, as stat_state reads it from /proc; 0 when it cannot be
// read (the thread has exited).
char thread_state(pid_t pid, pid_t tid);

// From /proc/self/status's text: whether its NSpid line lists more than one id (this process runs
// in a PID namespace below the initial one). A container that mounts its own /proc shows only its
// own level there, hence the namespace's inode below.
bool nested_pid_namespace(std::string_view proc_status);

// From the /proc/self/ns/pid link ("pid:[4026531836]"): whether it names a namespace other than the
// initial one, whose inode number is fixed (PROC_PID_INIT_INO, 0xEFFFFFFC, since Linux 3.8); false
// for a link that does not read as one.
bool pid_namespace_not_initial(std::string_view ns_link);

// Whether this process runs in a PID namespace below the initial one, by either test (false when
// neither can be read).
bool in_nested_pid_namespace();

}  // namespace infertrace
