// Event records shared by the BPF programs (record.bpf.c) and the user-space recorder. Each struct is
// what one ring-buffer sample holds and, unchanged, the payload of one record in the .itrace file,
// so the layouts here ARE the file format (docs/recording-format.md; offsets checked by
// static_asserts in record/itrace_writer.cpp against ingest/recording/itrace_format.h).
// Little-endian, naturally aligned, no implicit padding.
#ifndef INFERTRACE_RECORD_EVENTS_H
#define INFERTRACE_RECORD_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define IT_COMM_LEN 16
#define IT_IRQ_NAME_LEN 32

// Record types (also the `type` field of every event header).
enum it_event_type {
  IT_EV_META = 1,  // user space only: one key/value pair
  IT_EV_API = 2,
  IT_EV_SWITCH = 3,
  IT_EV_WAKEUP = 4,
  IT_EV_IRQ = 5,
  IT_EV_SYSCALL = 6,
  IT_EV_TASK = 7,
  IT_EV_SYSCALL_COUNT = 8,  // user space only, at the end: in-kernel syscall counts
  IT_EV_END = 9,            // user space only: the recorder finished cleanly
  IT_EV_GPU = 10,           // user space only (CUPTI): one kernel/memcpy/memset as the GPU ran it
  IT_EV_STRING = 11,        // user space only: an interned string (kernel names), id + bytes
  IT_EV_FDNAME = 12,        // the file behind an ioctl's fd, when that fd is first seen on a new file
  IT_EV_LOSS = 13,          // a window of time on one CPU in which events were lost to a full ring
  IT_EV_UNTRACED = 14,      // a new process of a traced one that the traced set had no room for
  IT_EV_NTYPES = 15,
};

// Counters kept in the `stats` per-CPU array (lost events per type use the event type as index).
enum it_stat {
  IT_STAT_NESTED_DRIVER = 0,  // driver calls made inside a runtime call: folded into it, not recorded
  IT_STAT_NESTED_RUNTIME = 1, // runtime calls made inside another runtime call
  // A map the kernel side keeps was full (its insert failed), so something went unrecorded:
  IT_STAT_UNTRACED_PROCESS = 2,  // `traced`: a traced process's new child process was not added (not traced)
  IT_STAT_PENDING_SYSCALL = 3,   // `sys_pending`: a syscall's entry was not kept: the call is not recorded
  IT_STAT_PENDING_API = 4,       // `api_pending`: a timed CUDA call's entry was not kept: the call is not recorded
  IT_STAT_PENDING_FOLD = 5,      // `fold_pending`: a runtime launch's mark was not kept: a driver call it
                                 // made may be recorded as a launch of its own instead of folded into it
  IT_STAT_LOST_BASE = 16,     // + event type: ring buffer full, event lost
  IT_STAT_COUNT = 32,
};

struct it_hdr {
  __u32 type;
  __u32 cpu;
  __u64 ts;   // CLOCK_MONOTONIC ns (bpf_ktime_get_ns)
  __u32 pid;  // thread group id (the process)
  __u32 tid;  // thread id
};

// Flags of it_api.flags.
// The sync family of record/cuda_apis.h ApiFamily (bits 18-21 of a probe's cookie): the BPF side
// notes a lost sync record's loss at the call's return, not its entry (record.bpf.c api_return).
#define IT_API_FAMILY_SYNC 5u

#define IT_API_HAS_DUR 1u
#define IT_API_HAS_STREAM 2u
#define IT_API_HAS_GEOMETRY 4u
#define IT_API_HAS_CORRELATION 8u  // the record is an it_api_corr (CUPTI mode)

struct it_api {
  struct it_hdr h;  // ts = entry
  __u32 api;        // index into the api.<n> names written as META records
  __u32 flags;
  __u64 dur;        // ns, valid with IT_API_HAS_DUR
  __u64 stream;     // CUstream / cudaStream_t handle, valid with IT_API_HAS_STREAM
  __u32 grid[3];
  __u32 block[3];
};

// CUPTI mode: an API call with the correlation id that links it to its GPU work. Written as an
// IT_EV_API record whose payload is longer than it_api (readers of version 1 layouts ignore the tail).
struct it_api_corr {
  struct it_api a;
  __u64 correlation;  // (pid << 32) | CUPTI correlation id: CUPTI ids are per process
};

#define IT_GPU_KERNEL 0u
#define IT_GPU_MEMCPY 1u
#define IT_GPU_MEMSET 2u

// CUPTI mode: one GPU activity. h.ts = start (CLOCK_MONOTONIC ns), h.pid = the launching process,
// h.tid = 0 and h.cpu = 0 (not meaningful for GPU work).
struct it_gpu {
  struct it_hdr h;
  __u64 dur;
  __u32 kind;    // IT_GPU_*
  __u32 device;
  __u64 stream;  // CUPTI stream id
  __u64 correlation;  // (pid << 32) | CUPTI correlation id, as in it_api_corr
  __u32 name;    // IT_EV_STRING id of the kernel name (0: none)
  __u32 copy_kind;
  __u32 grid[3];
  __u32 block[3];
  __u64 bytes;   // memcpy/memset size
};

struct it_switch {
  struct it_hdr h;  // pid/tid = the outgoing (prev) thread
  __u32 next_pid;
  __u32 next_tid;
  __u64 prev_state;  // the kernel's task state of prev (0 = still runnable)
  __u32 preempt;     // the kernel's own preemption flag
  __u32 pad;
  char prev_comm[IT_COMM_LEN];
  char next_comm[IT_COMM_LEN];
};

struct it_wakeup {
  struct it_hdr h;  // pid/tid = the woken thread; cpu = CPU of the waker
  __u32 waker_pid;
  __u32 waker_tid;
  __u32 target_cpu;
  __u32 is_new;  // sched_wakeup_new (first wake-up of a new thread)
  char comm[IT_COMM_LEN];
};

#define IT_IRQ_HARD 0u
#define IT_IRQ_SOFT 1u
// An x86 system vector (local timer, IPIs: irq_vectors tracepoints), a hard IRQ whose `irq` is the
// vector number, not an IRQ number. Written since 2026-12-03 (late); before, system vectors were
// written as IT_IRQ_HARD, which a reader that predates this kind still takes them for.
#define IT_IRQ_VECTOR 2u

struct it_irq {
  struct it_hdr h;  // ts = handler entry; pid/tid = the traced thread it interrupted
  __u64 dur;
  __u32 kind;  // IT_IRQ_HARD / IT_IRQ_SOFT / IT_IRQ_VECTOR
  __u32 irq;   // IRQ number, softirq vector or system vector number
  char name[IT_IRQ_NAME_LEN];  // hard IRQ handler name (empty for softirqs)
};

// The record an IRQ is written as since 2026-12-06: it_irq, then how it came to run. A reader takes
// the tail when the record is long enough; an older reader reads the it_irq and skips it.
#define IT_IRQ_CTX_UNKNOWN 0u  // on an interrupt's exit, or not told (hard IRQs; META irq.softirq_context)
#define IT_IRQ_CTX_OWN 1u      // a softirq raised in the thread's own kernel code and run by it
struct it_irq_ctx {
  struct it_irq irq;
  __u32 context;  // IT_IRQ_CTX_*
  __u32 pad;
};

struct it_syscall {
  struct it_hdr h;  // ts = syscall entry
  __u64 dur;
  __s64 ret;
  __u32 nr;
  __u32 fd_plus1;  // ioctl: its fd + 1 (the recorder names the fd's file); 0: not recorded
};

#define IT_NR_IOCTL 16u  // x86-64
#define IT_NR_EXECVE 59u
#define IT_NR_EXECVEAT 322u

// Values of the `traced` map (key: tgid): a state and the start time (task_struct start_time) of
// the group leader the entry was made for, 0 when user space made it (the command, --pid targets).
// A leader's free removes the entry only when it is that leader's: an id reused by a new traced
// process between the old leader's reaping and its free keeps its entry.
#define IT_TRACED 1
#define IT_TRACED_BEFORE_EXEC 2  // the command `record` forked, until its exec: no syscalls yet

struct it_traced {
  __u8 state;
  __u8 pad[7];
  __u64 leader_start;
};

#define IT_TASK_EXISTING 0u  // written by user space for threads alive when recording started
#define IT_TASK_NEW 1u       // fork/clone (a new thread or process)
#define IT_TASK_EXEC 2u
#define IT_TASK_EXIT 3u
// The thread was renamed (task:task_rename: prctl(PR_SET_NAME), pthread_setname_np, a write to
// /proc/PID/task/TID/comm): comm is the new name, stamped at the rename; parent_tid 0. Not written
// for the rename an exec makes (its EXEC record holds that name). Added 2026-12-06 inside file
// version 2: a reader that predates it skips the record as a TASK kind it does not know
// (`task_unknown_kind`), and still names the thread by its comm.
#define IT_TASK_RENAME 4u

struct it_task {
  struct it_hdr h;
  __u32 kind;
  __u32 parent_tid;  // IT_TASK_NEW: the thread that created it
  char comm[IT_COMM_LEN];
};

// Payload of IT_EV_UNTRACED: the same layout as it_task (kind IT_TASK_NEW): a traced process forked
// process h.pid (thread h.tid, by thread parent_tid; comm is the parent's name the child starts with),
// but the traced set (record.bpf.c `traced`, --max-processes) was full, so neither it nor anything it
// starts is traced. Written instead of its TASK record, so that no reader takes it for a traced process
// whose calls and switches are all missing. The count is META untraced.processes (an exact counter,
// also when this record was lost to a full ring: it is not among the lossable types). Added
// 2026-12-06 inside file version 2 (older readers skip it as an unknown type).

// An IT_TASK_EXISTING record as user space writes it since 2026-12-05 (inside file version 2): the
// 48 bytes above, then the thread's state letter at the attach, field 3 of /proc/PID/task/TID/stat
// read after the process entered the traced set ('R' running or runnable; 'S', 'D', 'T', 't', 'I',
// ... off the CPU; 0 when it could not be read). The kernel side never writes it: its TASK records
// stay 48 bytes. A 48-byte kind-0 record (older recordings) has no state: unknown.
struct it_task_state {
  struct it_task t;
  __u32 state;
  __u32 pad;
};

// Payload of IT_EV_FDNAME: the last two components of the path of the file an fd of process
// `h.pid` refers to, within its mount (dentry names: "dev" + "nvidia0"), written by sys_enter of an
// ioctl when the fd is seen on another file, dentry or mount than last time. Names are read in the
// kernel at the call, so a close and reopen before user space drains the record cannot mislabel it
// (docs/recording-format.md FDNAME says what is left).
#define IT_FDNAME_LEN 40
struct it_fdname {
  struct it_hdr h;
  __u32 fd;
  __u32 pad;
  char dir[IT_FDNAME_LEN];
  char name[IT_FDNAME_LEN];
};

// Payload of IT_EV_LOSS: on CPU h.cpu, between h.ts and last_ts (the earliest and latest stamp of a
// lost record: a launch's entry, a sync call's or syscall's return; before 2026-12-04 the first and
// last failed reserve), lost[T] events of type T were lost because the ring buffer was full (h.pid = h.tid = 0).
// Written by the kernel side at the first successful reserve on that CPU after the loss, and by
// user space at stop for a window still open then; summed over a recording, lost[T] equals META
// dropped.<T>. Added 2026-12-03 inside file version 2 (older readers skip it as an unknown type).
#define IT_LOSS_SLOTS 16  // indexed by event type (< IT_EV_NTYPES)
// The BPF side indexes lost[] by `type & (IT_LOSS_SLOTS - 1)`: a 17th type would alias silently.
#ifdef __cplusplus
static_assert(IT_EV_NTYPES <= IT_LOSS_SLOTS, "a LOSS record has one slot per event type");
#else
_Static_assert(IT_EV_NTYPES <= IT_LOSS_SLOTS, "a LOSS record has one slot per event type");
#endif
struct it_loss {
  struct it_hdr h;  // ts: the earliest stamp of a record lost in the window
  __u64 last_ts;    // at or after the latest stamp of a record lost in it
  __u64 lost[IT_LOSS_SLOTS];
};

// The event types the kernel side can lose (a failed ring reserve), with the name META dropped.<name>,
// a LOSS record's per-type keys, loss_windows.csv and SQLite's loss_window columns give them, in
// that column order. The one list: the recorder, the reader and the exports expand it
// (X(type, name)); a type added here reaches all of them.
#define IT_LOSSABLE_EVENTS(X) \
  X(IT_EV_API, "api")         \
  X(IT_EV_SWITCH, "switch")   \
  X(IT_EV_WAKEUP, "wakeup")   \
  X(IT_EV_IRQ, "irq")         \
  X(IT_EV_SYSCALL, "syscall") \
  X(IT_EV_TASK, "task")       \
  X(IT_EV_FDNAME, "fdname")

// The per-CPU loss window the BPF side keeps between failed reserves (record.bpf.c, note_loss and
// report_loss) and the recorder reads at stop for a window still open (recorder_events.cpp,
// flush_loss_windows): one layout for both, so neither can fall out of step with the other.
struct it_loss_window {
  __u64 first_ts;  // the earliest loss stamp (note_loss) of a record lost since the last report, 0 when none is pending
  __u64 last_ts;   // the latest stamp of a record lost on this CPU (record.bpf.c, note_loss)
  __u64 lost[IT_LOSS_SLOTS];
  __u64 busy;      // a report, or a failure being noted, is in progress on this CPU
};

// Payload of IT_EV_SYSCALL_COUNT (one per syscall number seen when counting in-kernel).
struct it_syscall_count {
  __u32 nr;
  __u32 pad;
  __u64 count;
  __u64 total_dur;
};

#endif
