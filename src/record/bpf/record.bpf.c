// In-kernel half of `infertrace record`: CUDA API uprobes, scheduler, wake-up, IRQ and syscall
// tracepoints, filtered by the set of traced thread groups (which follows fork/exec/exit), writing
// fixed-size records (record_events.h) to one ring buffer. Every tracepoint program exists twice:
// tp_btf (preferred) and raw_tp (fallback for kernels where tp_btf cannot attach); user space loads
// one of the two sets. Work per hit is kept minimal: one hash lookup to filter, one reservation.
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "record_events.h"

// Older libbpf headers stop at the fifth argument; on x86-64 the sixth is in r9.
#ifndef PT_REGS_PARM6
#define PT_REGS_PARM6(x) (((struct pt_regs*)(x))->r9)
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// include/linux/sched.h: the state of a task switching out for the last time (a macro, so not in
// vmlinux.h; unchanged since 4.14).
#define IT_TASK_DEAD 0x80

// Filters, set by user space before load.
const volatile bool want_launch = true;
const volatile bool want_sched = true;
const volatile bool want_wakeup = true;
const volatile bool want_irq = true;
const volatile bool want_syscall = true;
const volatile bool syscall_counts_only = false;
// Ring-buffer fill (bytes) above which a submit wakes the consumer; below it samples are batched
// and the consumer drains them on its own timer.
const volatile __u64 wakeup_threshold = 1 << 20;
// The totals counted in the kernel (syscall-counts, folded driver calls) stop at this CLOCK_MONOTONIC
// instant: user space sets it to the --duration deadline, or to a signal's stop (the ring's events
// after the stop are left out in user space; these totals have no stamps to cut there, and went on
// counting through the teardown, review RP L4).
volatile __u64 count_until_ns = ~0ULL;
// The command `record` forks (-- CMD) is in the traced set from before its release (its exec must be
// seen), and waits for the release byte, blocked in a read, while the probes load and the output
// opens (a FIFO's open waits for its reader). That wait is the recorder's start-up: its switches,
// wake-ups and interrupts were recorded stamped before the recording's window (META
// recorded_from_ns, the release), and `sched` widened its wall, the command's off-CPU time and its
// switch counts by it (review SG L3b / S44 L5). Left out here rather than clamped by every reader:
// the CSV, SQLite and Perfetto exports would still show the rows. User space stamps the release,
// stores the stamp here, then writes the byte; until then a process still IT_TRACED_BEFORE_EXEC has
// no switch, wake-up or IRQ recorded stamped before it (recorded_at()); its TASK records are not filtered
// (its exec comes after the release). An event stamped at or after the stamp but seen before the
// store (the few instructions between them) is left out too: the command sleeps in its read then.
// --pid targets are IT_TRACED from their mark, their window's start: never held.
volatile __u64 command_released_ns = ~0ULL;
// Set by the submit that forces a wake-up, cleared by user space once it has drained the ring: one
// forced wake-up per drain. Forced on every submit above the threshold, each one raised an irq_work
// interrupt (IWI) on the traced thread's CPU while the consumer caught up, and the IRQ probe recorded
// the recorder's own interrupts as the thread's (review RT M3: 289,652 IWI in one lossy recording).
// Two CPUs racing past the check force two: harmless.
volatile __u32 wake_sent = 0;

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 8 << 20);  // resized by user space from the expected event rate
} events SEC(".maps");

// Thread groups being traced (key: tgid). Sized by user space (--max-processes): a full set cannot
// take a traced process's new child, which is then counted (IT_STAT_UNTRACED_PROCESS) and written as
// an IT_EV_UNTRACED record instead of a TASK one (on_fork). Preallocated, as every hash map here: no
// allocation in a tracepoint.
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);  // resized by user space
  __type(key, __u32);
  __type(value, struct it_traced);
} traced SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, IT_STAT_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

// The per-thread maps below (a call in progress, a launch's fold mark) are plain hash maps sized by
// user space (--max-threads), not LRU ones: an LRU map evicted another thread's entry when full and
// that call was lost without a word. Entries leave at the call's return or the thread's exit
// (on_exit), so a full map means that many traced threads in a call at once; an insert that fails is
// counted (IT_STAT_PENDING_*, META pending_full.*). Replacing a thread's own entry never fails.
// A CUDA call in progress on a thread (entry seen, return not yet).
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);  // resized by user space
  __type(key, __u32);
  __type(value, struct it_api);
} api_pending SEC(".maps");

// The last runtime launch-type call (no return probe) entered on a thread: its stack pointer at
// entry (where its return address is) and that return address. A driver call is nested in it, and
// folded into it, while that frame is live (api_entry).
struct fold_mark {
  __u64 sp;
  __u64 ret;
  __u64 ip;  // the runtime function's entry: an address in its library's text
};
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);  // resized by user space
  __type(key, __u32);
  __type(value, struct fold_mark);
} fold_pending SEC(".maps");

// Who woke each traced thread (key: the woken thread's id), noted at sched_waking and taken at its
// sched_wakeup. sched_waking runs in the waker's context; sched_wakeup does only when the wake-up is
// done on the spot: a wake-up queued to the woken thread's CPU (TTWU_QUEUE: that CPU idle or in
// another cache domain) is finished there, from the IPI, and sched_wakeup's current task is then
// whatever ran on that CPU, the idle task mostly. Taken so, 297 of a pinned pipe reader's 301 wake-ups
// by its writer on the other CPU were the idle task's (test_record_waker). An entry lives from a
// waking to its wake-up (the kernel pairs them: a task being woken cannot be woken again), so the map
// holds the wake-ups in flight, a few per CPU. One left behind (a waking whose wake-up no program
// saw: BPF programs do not run in some contexts) is replaced by the thread's next waking and removed
// at its exit (on_exit): the map, sized like the other per-thread maps (--max-threads), holds at
// most one entry per live traced thread, and only threads being woken or left so have one. Were an
// insert to fail all the same (more such threads than --max-threads), the wake-up would name
// sched_wakeup's current task, as before (not counted).
struct waker {
  __u64 id;  // bpf_get_current_pid_tgid() of the waker
  __u32 cpu;
  __u32 pad;
};
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);  // resized by user space
  __type(key, __u32);
  __type(value, struct waker);
} wakers SEC(".maps");

struct sys_start {
  __u64 ts;
  __u32 nr;
  __u32 fd_plus1;  // ioctl's fd + 1, else 0
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);  // resized by user space
  __type(key, __u32);
  __type(value, struct sys_start);
} sys_pending SEC(".maps");

struct sys_total {
  __u64 count;
  __u64 total_dur;
};

#define IT_MAX_SYSCALL 512
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, IT_MAX_SYSCALL);
  __type(key, __u32);
  __type(value, struct sys_total);
} sys_counts SEC(".maps");

// Per CPU, separate start slots for device IRQs, softirqs and x86 system vectors (the local timer,
// IPIs), so an interrupt that arrives while a softirq runs does not overwrite the softirq's start
// (each slot is timed on its own). Within one slot nothing nests: device IRQ handlers run with
// interrupts off (the kernel warns when one turns them on) and each system-vector handler runs
// with interrupts off from its entry to its exit tracepoint, softirqs only after it (irq_exit).
// A vector may interrupt a softirq, or (on a kernel whose device handler broke that rule) a
// device IRQ: its own slot keeps both starts either way.
struct irq_slot {
  __u64 ts;
  __u32 pid, tid;
  __u32 irq;
  __u32 active;
  char name[IT_IRQ_NAME_LEN];
  __u32 context;  // IT_IRQ_CTX_* of the record (softirqs: IT_IRQ_CTX_OWN when run as the thread's own work)
};

// The slot of system vectors: not a record kind (they are recorded as hard IRQs).
#define IT_IRQ_SLOT_VECTOR 2u

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 3);  // IT_IRQ_HARD, IT_IRQ_SOFT, IT_IRQ_SLOT_VECTOR
  __type(key, __u32);
  __type(value, struct irq_slot);
} irq_slots SEC(".maps");

static __always_inline void stat_add(__u32 idx) {
  __u64* v = bpf_map_lookup_elem(&stats, &idx);
  // Atomic: a program in IRQ context can interrupt this one on the same CPU between a load and a
  // store, and META dropped.* must add up to the LOSS records (review DE L1).
  if (v) __sync_fetch_and_add(v, 1);
}

static __always_inline bool is_traced(__u32 tgid) { return bpf_map_lookup_elem(&traced, &tgid) != 0; }

// A process's state in the traced set (IT_TRACED, IT_TRACED_BEFORE_EXEC), 0 when not traced. A value,
// not the entry's pointer: two pointers tested for null together (`!a && !b`) are compiled into
// `a | b`, which the verifier refuses.
static __always_inline __u32 traced_state(__u32 tgid) {
  const struct it_traced* v = bpf_map_lookup_elem(&traced, &tgid);
  return v ? v->state : 0;
}

// Whether an event stamped `now` of a process in traced state `state` is recorded: traced, and not
// the command waiting for its release (command_released_ns).
static __always_inline bool recorded_at(__u32 state, __u64 now) {
  return state != 0 && !(state == IT_TRACED_BEFORE_EXEC && now < command_released_ns);
}

// Where events were lost: per CPU, the window of the loss not yet reported and the count per event
// type. A window spans the lost records' OWN timestamps (each record's h.ts, passed to reserve():
// a launch's entry, an IRQ's or a syscall's start, ...), not the times of the failed reserves, which
// can come later (a return probe fails at the call's return, up to milliseconds after its entry)
// or, for a record stamped after its reserve, earlier: every caller stamps its record before it
// reserves. first_ts is the earliest stamp of a record lost in the window (0: nothing pending);
// last_ts the latest stamp of any record lost on this CPU so far (never reset: a window's last is
// at or after each of its own records' stamps and no later than its last failed reserve, as every
// stamp is taken before its reserve).
//
// Reported from here, not by user space polling the map: user space cannot take a per-CPU value and
// reset it in one step while the program on that CPU keeps updating it, so counts would be lost or
// reported twice; in the kernel an atomic exchange does take-and-reset. The record is written at the
// next successful reserve on the same CPU, i.e. as soon as the ring has room again, just before the
// first event recorded after the loss. User space writes what is still pending at stop
// (recorder_events.cpp, flush_loss_windows).
//
// A program on this CPU can be interrupted by another one (an IRQ tracepoint inside a uprobe program)
// that fails or reports too, so every step is atomic and ordered so that each lost event is
// reported exactly once, in a window that spans its stamp:
// - A failure raises last_ts to its stamp (compare-and-swap loop) BEFORE it adds its count, and
//   adds its count BEFORE it opens the window (compare-and-swap of first_ts from 0) or, when one is
//   open, lowers first_ts to its stamp (compare-and-swap loop). A report takes first_ts (exchange)
//   BEFORE it takes the counts, and reads last_ts after them. A count is thus never left behind
//   with no window open: either the report that takes it also takes the window it was added in, or
//   its own failure opens one afterwards; and a report that takes a count reads a last_ts at or
//   after that record's stamp. A window whose counts an earlier report took is empty and is
//   dropped unwritten.
// - One report at a time per CPU, and no report while a failure is being noted (`busy`, taken by
//   both; a failure nested in a report or in another failure finds it taken and goes on without
//   it). A report interrupted between taking first_ts and taking the counts would otherwise let a
//   nested report take the counts of the first window under a second window's start, and the
//   first window's span would be lost (review DE M1); a report nested in a failure between its
//   count and its first_ts would take the count under a first_ts later than its stamp. A report
//   that finds `busy` taken leaves the window pending for the next reserve.
// - A failure nested in a report after the report took first_ts opens a new window; the report
//   took its count if it came before the counts were taken, so the report reads first_ts again
//   after the counts and starts at the earlier of the two (a window a little too wide when the
//   count was not taken, never one that misses a lost record).
// The compare-and-swap loops retry only when a program nested on this CPU changed the value between
// the read and the swap: IT_LOSS_CAS_TRIES is more than the nesting of programs on one CPU allows
// in practice; should the tries run out, that window's edge misses that one stamp.
// The window's layout is struct it_loss_window (record_events.h), which recorder_events.cpp
// (flush_loss_windows) reads at stop too.

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct it_loss_window);
} loss_windows SEC(".maps");

#define IT_LOSS_CAS_TRIES 4

// Raises last_ts to ts.
static __always_inline void raise_last(struct it_loss_window* w, __u64 ts) {
  __u64 cur = w->last_ts;
  for (int i = 0; i < IT_LOSS_CAS_TRIES; ++i) {
    if (ts <= cur) return;
    __u64 seen = __sync_val_compare_and_swap(&w->last_ts, cur, ts);
    if (seen == cur) return;
    cur = seen;
  }
}

// Lowers an open window's first_ts (cur: its value last seen) to ts; a window taken meanwhile
// (first_ts 0) is left alone.
static __always_inline void lower_first(struct it_loss_window* w, __u64 ts, __u64 cur) {
  for (int i = 0; i < IT_LOSS_CAS_TRIES; ++i) {
    if (!cur || ts >= cur) return;
    __u64 seen = __sync_val_compare_and_swap(&w->first_ts, cur, ts);
    if (seen == cur) return;
    cur = seen;
  }
}

// A record stamped `ts` (its h.ts) could not be reserved.
static __always_inline void note_loss(__u32 type, __u64 ts) {
  __u32 zero = 0;
  struct it_loss_window* w = bpf_map_lookup_elem(&loss_windows, &zero);
  if (!w) return;
  if (!ts) ts = 1;  // first_ts 0 means no window
  const bool held = !__sync_lock_test_and_set(&w->busy, 1);
  raise_last(w, ts);
  __sync_fetch_and_add(&w->lost[type & (IT_LOSS_SLOTS - 1)], 1);
  lower_first(w, ts, __sync_val_compare_and_swap(&w->first_ts, 0, ts));  // 0 returned: opened at ts
  if (held) __sync_lock_test_and_set(&w->busy, 0);
}

static __always_inline void report_loss(void) {
  __u32 zero = 0;
  struct it_loss_window* w = bpf_map_lookup_elem(&loss_windows, &zero);
  if (!w || !w->first_ts) return;
  if (__sync_lock_test_and_set(&w->busy, 1)) return;  // a report or a failure this one interrupted is still running
  // Reserved before the window is taken: with the ring still full the window stays pending (and the
  // caller's own reserve fails and extends it).
  struct it_loss* e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    __sync_lock_test_and_set(&w->busy, 0);
    return;
  }
  __u64 first = __sync_lock_test_and_set(&w->first_ts, 0);
  if (!first) {  // taken since the check above (before this report was busy)
    bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
    __sync_lock_test_and_set(&w->busy, 0);
    return;
  }
  __u64 total = 0;
  for (int i = 0; i < IT_LOSS_SLOTS; ++i) {
    e->lost[i] = __sync_lock_test_and_set(&w->lost[i], 0);
    total += e->lost[i];
  }
  __u64 last = w->last_ts;  // read after the counts: each failure counted raised it first
  // A failure nested in this report opened a window since first_ts was taken: its count may be
  // among those just taken, so this window starts no later than that one.
  __u64 reopened = w->first_ts;
  if (reopened && reopened < first) first = reopened;
  __sync_lock_test_and_set(&w->busy, 0);
  if (!total) {
    bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
    return;
  }
  e->h.type = IT_EV_LOSS;
  e->h.cpu = bpf_get_smp_processor_id();
  e->h.ts = first;
  e->h.pid = 0;
  e->h.tid = 0;
  e->last_ts = last > first ? last : first;
  bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

// Reserves a record of `type` stamped `ts` (the h.ts it will carry: taken before this call).
static __always_inline void* reserve(__u64 size, __u32 type, __u64 ts) {
  report_loss();
  void* e = bpf_ringbuf_reserve(&events, size, 0);
  if (!e) stat_add(IT_STAT_LOST_BASE + type), note_loss(type, ts);
  return e;
}

static __always_inline void submit(void* e) {
  __u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
  if (avail >= wakeup_threshold && !wake_sent) {
    wake_sent = 1;
    bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
  } else {
    bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
  }
}

static __always_inline void fill_hdr(struct it_hdr* h, __u32 type, __u64 ts, __u32 pid, __u32 tid) {
  h->type = type;
  h->cpu = bpf_get_smp_processor_id();
  h->ts = ts;
  h->pid = pid;
  h->tid = tid;
}

// ---- CUDA API uprobes -------------------------------------------------------------------------
// The attach cookie describes the probed function (user space builds it, record/cuda_apis.cpp):
//   bits 0-7 api index, 8-11 where the stream argument is, 12-15 where the launch geometry is,
//   bit 16 runtime API, bit 17 a return probe is attached (duration measured), bits 18-21 the
//   family (record/cuda_apis.h ApiFamily: which runtime and driver calls fold together).
#define CK_API(c) ((__u32)((c) & 0xff))
#define CK_STREAM(c) ((__u32)(((c) >> 8) & 0xf))
#define CK_GEOM(c) ((__u32)(((c) >> 12) & 0xf))
#define CK_RUNTIME(c) (((c) >> 16) & 1)
#define CK_RETURN(c) (((c) >> 17) & 1)
#define CK_FAMILY(c) ((__u32)(((c) >> 18) & 0xf))

// Stream locations (x86-64 System V: args in rdi rsi rdx rcx r8 r9, then the stack).
#define ST_NONE 0
#define ST_ARG1 1   // ... ST_ARG6 = 6: the Nth integer argument register
#define ST_STACK2 7 // second stack slot (cudaLaunchKernel: after sharedMem)
#define ST_STACK3 8 // third stack slot (cuLaunchKernel: after blockDimZ, sharedMemBytes)
#define ST_CONFIG 9 // launch-config struct in arg 1, stream at offset 32 (CUlaunchConfig, cudaLaunchConfig_t)
#define ST_STACK1 10 // first stack slot (cudaMemcpyToArrayAsync: the seventh argument)
// Geometry locations.
#define GE_NONE 0
#define GE_RT_REGS 1  // dim3 grid in rsi+rdx, dim3 block in rcx+r8 (cudaLaunchKernel)
#define GE_DRV_REGS 2 // gx..by in rsi..r9, bz in the first stack slot (cuLaunchKernel)
#define GE_CONFIG 3   // six u32 at offset 0 of the config struct in arg 1

// The Nth 8-byte stack slot above the return address, into *v; false when it cannot be read.
static __always_inline bool stack_slot(struct pt_regs* ctx, int n, __u64* v) {
  return bpf_probe_read_user(v, sizeof(*v), (void*)(PT_REGS_SP(ctx) + 8 * n)) == 0;
}

// Reads every argument register at a constant offset first: a switch over PT_REGS_PARMn lets the
// compiler turn it into one ctx access at a variable offset, which the verifier rejects.
static __always_inline __u64 arg_n(struct pt_regs* ctx, __u32 n) {
  __u64 a1 = PT_REGS_PARM1(ctx), a2 = PT_REGS_PARM2(ctx), a3 = PT_REGS_PARM3(ctx);
  __u64 a4 = PT_REGS_PARM4(ctx), a5 = PT_REGS_PARM5(ctx), a6 = PT_REGS_PARM6(ctx);
  asm volatile("" : "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "+r"(a6));
  if (n == 1) return a1;
  if (n == 2) return a2;
  if (n == 3) return a3;
  if (n == 4) return a4;
  if (n == 5) return a5;
  if (n == 6) return a6;
  return 0;
}

static __always_inline void read_call_args(struct pt_regs* ctx, __u64 cookie, struct it_api* e) {
  __u32 st = CK_STREAM(cookie), ge = CK_GEOM(cookie);
  if (st >= ST_ARG1 && st <= 6) {
    e->stream = arg_n(ctx, st);
    e->flags |= IT_API_HAS_STREAM;
  } else if (st == ST_STACK1 || st == ST_STACK2 || st == ST_STACK3) {
    // A read that fails leaves the stream unknown: the zeros it writes would read as the default stream.
    if (stack_slot(ctx, st == ST_STACK1 ? 1 : st == ST_STACK2 ? 2 : 3, &e->stream)) e->flags |= IT_API_HAS_STREAM;
  } else if (st == ST_CONFIG) {
    if (bpf_probe_read_user(&e->stream, sizeof(e->stream), (void*)(PT_REGS_PARM1(ctx) + 32)) == 0)
      e->flags |= IT_API_HAS_STREAM;
  }
  if (ge == GE_RT_REGS) {
    __u64 a = PT_REGS_PARM2(ctx), b = PT_REGS_PARM3(ctx), c = PT_REGS_PARM4(ctx), d = PT_REGS_PARM5(ctx);
    e->grid[0] = (__u32)a, e->grid[1] = (__u32)(a >> 32), e->grid[2] = (__u32)b;
    e->block[0] = (__u32)c, e->block[1] = (__u32)(c >> 32), e->block[2] = (__u32)d;
    e->flags |= IT_API_HAS_GEOMETRY;
  } else if (ge == GE_DRV_REGS) {
    // bz is on the stack: the geometry is known only when that read succeeds.
    __u32 bz = 0;
    if (bpf_probe_read_user(&bz, sizeof(bz), (void*)(PT_REGS_SP(ctx) + 8)) == 0) {
      e->grid[0] = PT_REGS_PARM2(ctx), e->grid[1] = PT_REGS_PARM3(ctx), e->grid[2] = PT_REGS_PARM4(ctx);
      e->block[0] = PT_REGS_PARM5(ctx), e->block[1] = PT_REGS_PARM6(ctx), e->block[2] = bz;
      e->flags |= IT_API_HAS_GEOMETRY;
    }
  } else if (ge == GE_CONFIG) {
    __u32 g[6] = {};
    if (bpf_probe_read_user(g, sizeof(g), (void*)PT_REGS_PARM1(ctx)) == 0) {  // else unknown, not zeros
      e->grid[0] = g[0], e->grid[1] = g[1], e->grid[2] = g[2];
      e->block[0] = g[3], e->block[1] = g[4], e->block[2] = g[5];
      e->flags |= IT_API_HAS_GEOMETRY;
    }
  }
}

struct text_holds {
  __u64 addr;
  __u32 holds;
};

static long vma_holds_addr(struct task_struct* task, struct vm_area_struct* vma, void* data) {
  struct text_holds* c = data;
  __u64 start = BPF_CORE_READ(vma, vm_start), end = BPF_CORE_READ(vma, vm_end);
  c->holds = c->addr >= start && c->addr < end;
  return 0;
}

// Whether a driver call entered with stack pointer `sp` (its return address at sp) was called from
// the mapping that holds the runtime function at `runtime_ip`: from inside the runtime library. An
// application's own driver call returns into the application. Where bpf_find_vma cannot say
// (missing before 5.17, or the address space's lock taken: threads mapping memory, as an ASan
// build's do, made it fail for every direct launch of a thread in a CI run), the return address
// within 16 MiB of the runtime function stands for the same library: a runtime library's text is
// a few MiB at most, and an application calls from its own mapping, usually far from it (before,
// "undecided" folded the call away: a direct launch lost).
#define IT_RUNTIME_TEXT_NEAR (16ull << 20)
static __always_inline bool called_from_runtime_text(__u64 sp, __u64 runtime_ip) {
  __u64 ret = 0;
  if (bpf_probe_read_user(&ret, sizeof(ret), (void*)sp) != 0) return true;  // the stack test alone
  const bool near = ret - runtime_ip + IT_RUNTIME_TEXT_NEAR < 2 * IT_RUNTIME_TEXT_NEAR;
  if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_find_vma)) return near;
  struct text_holds c = {.addr = runtime_ip};
  if (bpf_find_vma(bpf_get_current_task_btf(), ret, vma_holds_addr, &c, 0) != 0) return near;
  return c.holds;
}

// The entry and return bodies, each behind two programs: one attached per function (a perf-event
// uprobe) and one loaded for uprobe_multi links (Linux 6.6+; user space sets that one's expected
// attach type). The kernel picks bpf_get_attach_cookie's implementation by the program's attach
// type, so one program cannot serve both kinds of link.
static __always_inline int on_api_entry(struct pt_regs* ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32, tid = (__u32)id;
  if (!is_traced(tgid)) return 0;
  __u64 cookie = bpf_get_attach_cookie(ctx);
  // A driver call made while a runtime call is in progress on this thread is the same logical
  // operation (cudaLaunchKernel -> cuLaunchKernel): it is folded into the runtime call.
  struct it_api* outer = bpf_map_lookup_elem(&api_pending, &tid);
  if (outer) {
    if (bpf_ktime_get_ns() <= count_until_ns) stat_add(CK_RUNTIME(cookie) ? IT_STAT_NESTED_RUNTIME : IT_STAT_NESTED_DRIVER);
    return 0;
  }
  __u64 now = bpf_ktime_get_ns();
  if (CK_RETURN(cookie)) {
    struct it_api p = {};
    fill_hdr(&p.h, IT_EV_API, now, tgid, tid);
    p.api = CK_API(cookie);
    read_call_args(ctx, cookie, &p);
    if (bpf_map_update_elem(&api_pending, &tid, &p, BPF_ANY) != 0) stat_add(IT_STAT_PENDING_API);
    return 0;
  }
  // No return probe: the event is complete at entry. A runtime launch marks the thread with where
  // its return address is (the stack pointer at its entry, SP_r), that address and its own entry
  // address. A driver call is the runtime call's own (folded) when it is
  //  - its tail call: entered with SP == SP_r and the runtime call's return address at SP, or
  //  - nested in it: entered below SP_r while the slot at SP_r still holds the runtime call's
  //    return address, and called from the runtime's library (its own return address lies in the
  //    mapping of the runtime function's entry; bpf_find_vma, 5.17+).
  // Once the runtime call has returned, a direct driver call from its caller either writes its own
  // return address at SP_r (same depth, another call site), starts above SP_r, or (stack arguments
  // pushed below an alignment slot left unwritten at SP_r) returns into the application, not the
  // runtime library: it is recorded, also after a runtime launch that returned before reaching the
  // driver (review AC M2: a family mark folded it away). A driver call that is not the runtime
  // call's ends the mark: the runtime call is over.
  if (CK_RUNTIME(cookie)) {
    struct fold_mark m = {.sp = PT_REGS_SP(ctx), .ip = PT_REGS_IP(ctx)};
    if (bpf_probe_read_user(&m.ret, sizeof(m.ret), (void*)m.sp) == 0) {
      if (bpf_map_update_elem(&fold_pending, &tid, &m, BPF_ANY) != 0) stat_add(IT_STAT_PENDING_FOLD);
    } else
      bpf_map_delete_elem(&fold_pending, &tid);  // an older mark must not stand for this call
  } else {
    struct fold_mark* m = bpf_map_lookup_elem(&fold_pending, &tid);
    if (m) {
      __u64 sp = PT_REGS_SP(ctx), slot = 0, mark_sp = m->sp, mark_ret = m->ret, mark_ip = m->ip;
      if (sp <= mark_sp && bpf_probe_read_user(&slot, sizeof(slot), (void*)mark_sp) == 0 && slot == mark_ret &&
          (sp == mark_sp || called_from_runtime_text(sp, mark_ip))) {
        if (now <= count_until_ns) stat_add(IT_STAT_NESTED_DRIVER);
        return 0;
      }
      bpf_map_delete_elem(&fold_pending, &tid);
    }
  }
  struct it_api* e = reserve(sizeof(*e), IT_EV_API, now);
  if (!e) return 0;
  __builtin_memset(e, 0, sizeof(*e));
  fill_hdr(&e->h, IT_EV_API, now, tgid, tid);
  e->api = CK_API(cookie);
  read_call_args(ctx, cookie, e);
  submit(e);
  return 0;
}

static __always_inline int on_api_return(struct pt_regs* ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tid = (__u32)id;
  struct it_api* p = bpf_map_lookup_elem(&api_pending, &tid);
  if (!p) return 0;
  __u64 cookie = bpf_get_attach_cookie(ctx);
  if (p->api != CK_API(cookie)) return 0;  // return of a nested call: the outer one is still open
  __u64 now = bpf_ktime_get_ns();
  // The record is stamped at the call's entry. A lost launch's loss is noted at that stamp (the
  // window must hold the launch); a lost sync call's at its return: a sync can block for seconds,
  // and a window reaching back over all of it would take every launch pair of every thread in that
  // span out of the analysis (review FQ M1), while the pairs the lost record touches are this
  // thread's, whose pair around the sync holds its return anyway.
  __u64 loss_ts = CK_FAMILY(cookie) == IT_API_FAMILY_SYNC ? now : p->h.ts;
  struct it_api* e = reserve(sizeof(*e), IT_EV_API, loss_ts);
  if (e) {
    __builtin_memcpy(e, p, sizeof(*e));
    e->dur = now - p->h.ts;
    e->flags |= IT_API_HAS_DUR;
    submit(e);
  }
  bpf_map_delete_elem(&api_pending, &tid);
  return 0;
}

SEC("uprobe")
int BPF_KPROBE(api_entry) { return on_api_entry(ctx); }

SEC("uretprobe")
int BPF_KRETPROBE(api_return) { return on_api_return(ctx); }

SEC("uprobe")
int BPF_KPROBE(api_entry_multi) { return on_api_entry(ctx); }

SEC("uretprobe")
int BPF_KRETPROBE(api_return_multi) { return on_api_return(ctx); }

// ---- process tree -------------------------------------------------------------------------------

static __always_inline void emit_task(struct task_struct* t, __u32 kind, __u32 parent_tid) {
  __u64 now = bpf_ktime_get_ns();
  struct it_task* e = reserve(sizeof(*e), IT_EV_TASK, now);
  if (!e) return;
  fill_hdr(&e->h, IT_EV_TASK, now, BPF_CORE_READ(t, tgid), BPF_CORE_READ(t, pid));
  e->kind = kind;
  e->parent_tid = parent_tid;
  BPF_CORE_READ_STR_INTO(&e->comm, t, comm);
  submit(e);
}

static __always_inline int on_fork(struct task_struct* parent, struct task_struct* child) {
  __u32 ptgid = BPF_CORE_READ(parent, tgid);
  __u32 ctgid = BPF_CORE_READ(child, tgid);
  if (!is_traced(ptgid)) {
    // A new process of an untraced parent whose id is still in the set: that id belonged to a
    // traced group whose leader was released but not yet freed (see on_free), and was reused.
    // Looked up first: a delete takes the bucket lock, and this runs for every fork on the machine.
    if (ctgid != ptgid && is_traced(ctgid)) bpf_map_delete_elem(&traced, &ctgid);
    return 0;
  }
  if (ctgid != ptgid) {
    struct it_traced v = {.state = IT_TRACED, .leader_start = BPF_CORE_READ(child, start_time)};
    if (bpf_map_update_elem(&traced, &ctgid, &v, BPF_ANY) != 0) {
      // The set is full: the child is not traced (nor what it starts). Counted, and written as
      // UNTRACED, not as a traced process's TASK record: its switches against traced threads would
      // otherwise make it a traced process with no calls (review RC M2). Not a lossable type: the
      // counter is the exact count, the record (when the ring has room) says which process.
      stat_add(IT_STAT_UNTRACED_PROCESS);
      __u64 now = bpf_ktime_get_ns();
      struct it_task* e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
      if (!e) return 0;
      fill_hdr(&e->h, IT_EV_UNTRACED, now, ctgid, BPF_CORE_READ(child, pid));
      e->kind = IT_TASK_NEW;
      e->parent_tid = BPF_CORE_READ(parent, pid);
      BPF_CORE_READ_STR_INTO(&e->comm, child, comm);
      submit(e);
      return 0;
    }
  }
  emit_task(child, IT_TASK_NEW, BPF_CORE_READ(parent, pid));
  return 0;
}

// A thread other than the group leader that execs takes over the leader's id (de_thread): its
// execve entered under its own tid and returns under the leader's, where sys_exit looks for the
// entry. Moved there, the call is recorded (on the id the thread has from now on); left, the call
// was lost without a drop and its entry stayed behind under a tid no thread has.
static __always_inline void move_pending_syscall(__u32 old_tid, __u32 new_tid) {
  if (old_tid == new_tid) return;
  struct sys_start* s = bpf_map_lookup_elem(&sys_pending, &old_tid);
  if (!s) return;
  struct sys_start moved = *s;
  // Deleted first: in a full map the old entry's room takes the moved one.
  bpf_map_delete_elem(&sys_pending, &old_tid);
  if (bpf_map_update_elem(&sys_pending, &new_tid, &moved, BPF_ANY) != 0) stat_add(IT_STAT_PENDING_SYSCALL);
}

static __always_inline int on_exec(struct task_struct* p, pid_t old_pid) {
  __u32 tgid = BPF_CORE_READ(p, tgid);
  struct it_traced* v = bpf_map_lookup_elem(&traced, &tgid);
  if (!v) return 0;
  if (v->state == IT_TRACED_BEFORE_EXEC) v->state = IT_TRACED;  // the command itself from here on
  move_pending_syscall((__u32)old_pid, BPF_CORE_READ(p, pid));
  emit_task(p, IT_TASK_EXEC, 0);
  return 0;
}

// An exiting thread's pending entries are forgotten under its id: its exit syscall never returns,
// and a CUDA call it was killed in never returns either. Left, a new task given the same id would
// return from fork into the old exit syscall's entry (a bogus "exit" row, started at the old thread's
// exit), or have every call taken as nested in the dead one (dropped). A non-leader's exec kills the
// old leader, whose exit comes before the exec (de_thread waits for it), so the execve entry that
// on_exec then moves under the leader's id is not the one deleted here.
static __always_inline int on_exit(struct task_struct* p) {
  __u32 tgid = BPF_CORE_READ(p, tgid);
  if (!is_traced(tgid)) return 0;
  __u32 tid = BPF_CORE_READ(p, pid);
  bpf_map_delete_elem(&sys_pending, &tid);
  bpf_map_delete_elem(&api_pending, &tid);
  bpf_map_delete_elem(&fold_pending, &tid);
  bpf_map_delete_elem(&wakers, &tid);  // a waking whose wake-up no program saw (review KT L1)
  emit_task(p, IT_TASK_EXIT, 0);
  return 0;
}

// A group leaves the traced set when its leader's task is freed, not at the exit of its last thread:
// every thread still switches out for the last time (prev_state TASK_DEAD) after its exit
// tracepoint, and when several threads exit at once, the one that sees signal->live == 0 first is
// not the last to switch out; forgetting the tgid then dropped the others' final switch-outs. The
// leader is reaped only after every other thread has been released, and freed an RCU grace period
// after both its reaping and its own final switch (a thread preempted between its release and its
// final switch for longer than that can still lose the final switch-out: rare). Between reaping
// and freeing the id can be reused: on_fork forgets a stale id when an untraced parent's new
// process gets it, and an entry made for a newer traced process (another leader_start) stays.
// The leader is the task that is its own group_leader (after a non-leader's exec, de_thread makes
// the exec'ing thread the leader, with the old leader's start_time; the old leader is freed as a
// non-leader).
static __always_inline int on_free(struct task_struct* p) {
  if (BPF_CORE_READ(p, group_leader) != p) return 0;
  __u32 tgid = BPF_CORE_READ(p, tgid);
  struct it_traced* v = bpf_map_lookup_elem(&traced, &tgid);
  if (!v) return 0;
  if (v->leader_start != 0 && v->leader_start != BPF_CORE_READ(p, start_time)) return 0;
  bpf_map_delete_elem(&traced, &tgid);
  return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_btf, struct task_struct* parent, struct task_struct* child) { return on_fork(parent, child); }
SEC("raw_tp/sched_process_fork")
int BPF_PROG(fork_raw, struct task_struct* parent, struct task_struct* child) { return on_fork(parent, child); }
SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf, struct task_struct* p, pid_t old_pid) { return on_exec(p, old_pid); }
SEC("raw_tp/sched_process_exec")
int BPF_PROG(exec_raw, struct task_struct* p, pid_t old_pid) { return on_exec(p, old_pid); }
SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf, struct task_struct* p) { return on_exit(p); }
SEC("raw_tp/sched_process_exit")
int BPF_PROG(exit_raw, struct task_struct* p) { return on_exit(p); }
SEC("tp_btf/sched_process_free")
int BPF_PROG(free_btf, struct task_struct* p) { return on_free(p); }
SEC("raw_tp/sched_process_free")
int BPF_PROG(free_raw, struct task_struct* p) { return on_free(p); }

// task:task_rename fires in the kernel's __set_task_comm under the task's lock, before the new name
// is copied into task->comm: the new name is the `comm` argument (cut to 15 bytes, as the copy
// cuts it). Without this record a thread that renamed itself (prctl(PR_SET_NAME),
// pthread_setname_np, a write to /proc/PID/task/TID/comm) and was not switched out or woken again
// before the stop kept its older name in the recording. The renamed task may be another thread's
// (a /proc write), so its own ids are taken, not the current task's. An exec renames too
// (begin_new_exec), inside the exec while the task's in_execve is set: that name is its EXEC
// record's, so no RENAME record is written for it (on a kernel without the field it is).
static __always_inline int on_rename(struct task_struct* t, const char* comm) {
  __u32 tgid = BPF_CORE_READ(t, tgid);
  if (!is_traced(tgid)) return 0;
  if (bpf_core_field_exists(t->in_execve) && BPF_CORE_READ_BITFIELD_PROBED(t, in_execve)) return 0;
  __u64 now = bpf_ktime_get_ns();
  struct it_task* e = reserve(sizeof(*e), IT_EV_TASK, now);
  if (!e) return 0;
  fill_hdr(&e->h, IT_EV_TASK, now, tgid, BPF_CORE_READ(t, pid));
  e->kind = IT_TASK_RENAME;
  e->parent_tid = 0;
  __builtin_memset(e->comm, 0, sizeof(e->comm));
  bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), comm);
  submit(e);
  return 0;
}

SEC("tp_btf/task_rename")
int BPF_PROG(rename_btf, struct task_struct* t, const char* comm) { return on_rename(t, comm); }
SEC("raw_tp/task_rename")
int BPF_PROG(rename_raw, struct task_struct* t, const char* comm) { return on_rename(t, comm); }

// ---- scheduler ---------------------------------------------------------------------------------

static __always_inline int on_switch(bool preempt, struct task_struct* prev, struct task_struct* next,
                                     unsigned int prev_state) {
  if (!want_sched) return 0;
  __u32 ptgid = BPF_CORE_READ(prev, tgid), ntgid = BPF_CORE_READ(next, tgid);
  // The next side is looked up only when the previous one is not recorded anyway: one map lookup
  // per switch of a traced thread, as before the held command's states were told apart.
  const __u32 pstate = traced_state(ptgid), nstate = pstate == IT_TRACED ? 0 : traced_state(ntgid);
  if (!pstate && !nstate) return 0;
  __u64 now = bpf_ktime_get_ns();  // before the reserve: a lost switch's window spans it
  // The held command's switches against untraced tasks are left out. Nothing else is traced before
  // the release (the traced set holds the command alone until its exec), so a held side never
  // meets a recorded one.
  if (!recorded_at(pstate, now) && !recorded_at(nstate, now)) return 0;
  struct it_switch* e = reserve(sizeof(*e), IT_EV_SWITCH, now);
  if (!e) return 0;
  fill_hdr(&e->h, IT_EV_SWITCH, now, ptgid, BPF_CORE_READ(prev, pid));
  e->next_pid = ntgid;
  e->next_tid = BPF_CORE_READ(next, pid);
  e->prev_state = prev_state;
  e->preempt = preempt;
  e->pad = 0;
  BPF_CORE_READ_STR_INTO(&e->prev_comm, prev, comm);
  BPF_CORE_READ_STR_INTO(&e->next_comm, next, comm);
  submit(e);
  return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct* prev, struct task_struct* next, unsigned int prev_state) {
  return on_switch(preempt, prev, next, prev_state);
}
SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct* prev, struct task_struct* next, unsigned int prev_state) {
  return on_switch(preempt, prev, next, prev_state);
}

static __always_inline int on_waking(struct task_struct* p) {
  if (!want_wakeup || !traced_state(BPF_CORE_READ(p, tgid))) return 0;
  __u32 tid = BPF_CORE_READ(p, pid);
  struct waker w = {.id = bpf_get_current_pid_tgid(), .cpu = bpf_get_smp_processor_id(), .pad = 0};
  bpf_map_update_elem(&wakers, &tid, &w, BPF_ANY);
  return 0;
}

static __always_inline int on_wakeup(struct task_struct* p, __u32 is_new) {
  if (!want_wakeup) return 0;
  __u32 tgid = BPF_CORE_READ(p, tgid);
  const __u32 state = traced_state(tgid);
  if (!state) return 0;
  __u32 tid = BPF_CORE_READ(p, pid);
  // Taken before any filter below, so that no entry outlives its wake-up. A new thread's first
  // wake-up has no waking: its parent, in fork, is the current task.
  struct waker w = {.id = bpf_get_current_pid_tgid(), .cpu = bpf_get_smp_processor_id(), .pad = 0};
  if (!is_new) {
    struct waker* noted = bpf_map_lookup_elem(&wakers, &tid);
    if (noted) {
      w = *noted;
      bpf_map_delete_elem(&wakers, &tid);
    }
  }
  __u64 now = bpf_ktime_get_ns();
  if (!recorded_at(state, now)) return 0;  // the command waiting for its release
  struct it_wakeup* e = reserve(sizeof(*e), IT_EV_WAKEUP, now);
  if (!e) return 0;
  fill_hdr(&e->h, IT_EV_WAKEUP, now, tgid, tid);
  e->h.cpu = w.cpu;
  e->waker_pid = w.id >> 32;
  e->waker_tid = (__u32)w.id;
  e->target_cpu = BPF_CORE_READ(p, wake_cpu);
  e->is_new = is_new;
  BPF_CORE_READ_STR_INTO(&e->comm, p, comm);
  submit(e);
  return 0;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(wakeup_waking_btf, struct task_struct* p) { return on_waking(p); }
SEC("raw_tp/sched_waking")
int BPF_PROG(wakeup_waking_raw, struct task_struct* p) { return on_waking(p); }
SEC("tp_btf/sched_wakeup")
int BPF_PROG(wakeup_btf, struct task_struct* p) { return on_wakeup(p, 0); }
SEC("raw_tp/sched_wakeup")
int BPF_PROG(wakeup_raw, struct task_struct* p) { return on_wakeup(p, 0); }
SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(wakeup_new_btf, struct task_struct* p) { return on_wakeup(p, 1); }
SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(wakeup_new_raw, struct task_struct* p) { return on_wakeup(p, 1); }

// ---- IRQs ---------------------------------------------------------------------------------------

// Starts timing an interrupt in the slot when it interrupted a traced thread; 0 otherwise.
static __always_inline struct irq_slot* irq_begin(__u32 slot_idx, __u32 irq) {
  if (!want_irq) return 0;
  struct irq_slot* s = bpf_map_lookup_elem(&irq_slots, &slot_idx);
  if (!s) return 0;
  s->active = 0;
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  const __u32 state = traced_state(tgid);
  if (!state) return 0;  // only IRQs that interrupt a traced thread
  __u64 now = bpf_ktime_get_ns();
  if (!recorded_at(state, now)) return 0;  // nor the command waiting for its release
  s->ts = now;
  s->pid = id >> 32;
  s->tid = (__u32)id;
  s->irq = irq;
  s->name[0] = 0;
  s->active = 1;
  return s;
}

static __always_inline int irq_enter(__u32 slot_idx, __u32 irq, const char* name) {
  struct irq_slot* s = irq_begin(slot_idx, irq);
  if (s) s->context = IT_IRQ_CTX_UNKNOWN;
  if (s && name) bpf_probe_read_kernel_str(s->name, sizeof(s->name), name);
  return 0;
}

// ---- softirqs a traced thread runs as its own work --------------------------------------------
//
// A thread that sends on a loopback socket raises NET_RX in its own kernel code (the send path
// queues the segment to this CPU's backlog with bottom halves off) and runs that softirq itself,
// synchronously, when it turns bottom halves back on (local_bh_enable, still inside its write()/
// sendto()). Nothing interrupted it, yet softirq_entry sees it as current just as for a softirq
// run on an interrupt's exit. The raise tells the two apart: per CPU, a bit per vector raised in
// task context by a traced thread, with that thread's id, i.e. while none of this CPU's IRQ slots is
// active (a slot is active from the entry to the exit of a hard IRQ, a system vector or a softirq
// taken on a traced current thread, which a raising traced thread is). No preempt count is read: its place differs
// between architectures and kernel versions.
//
// Cases:
// - raised in task context, run at the thread's own local_bh_enable: its own work (the point);
// - raised in task context, run at a later interrupt's exit on the same thread (bottom halves were
//   on again before it ran, or the interrupt came first): still work the thread queued, counted as
//   its own;
// - raised in task context and left to ksoftirqd (the thread returned, or the kernel deferred the
//   vector): ksoftirqd's softirq_entry clears the bit (every entry clears it, whoever is current);
// - raised by one traced thread and run by another on this CPU (the raiser was switched out with
//   the vector pending, and a tick on the other ran it): an interruption of the one that ran it,
//   as the raiser's id is not current's (review RV L1);
// - raised inside a softirq that was itself the thread's own work (NET_RX queueing the reply of a
//   loopback peer, or re-raising itself): own as well, run in the same softirq loop;
// - raised by a hard IRQ or system vector (device, tick, IPI), also one nested in a softirq: the
//   hard/vector slot is active, so the bit is not set and the softirq counts as an interruption;
// - both at once (the thread raised NET_RX, then a device IRQ raised it again before it ran): one
//   run serves both and counts as the thread's own (the bit cannot tell them apart).
// User space turns this on (softirq_own_on) only where every interrupt that raises softirqs passes
// through a slot: on x86 when the tick and the IPI vectors are traced (record/irq_vectors.h), so
// a raise in an untraced vector is never taken for task context.
#define IT_SOFTIRQ_VECTORS 10u  // HI .. RCU
volatile __u32 softirq_own_on = 0;  // set by user space after the system vectors are attached

// Per CPU: the vectors a traced thread raised in task context (a bit each), and per vector the
// thread that raised it last (a map keyed by the vector, not an array indexed by it: the verifier
// cannot follow the bound of a tracepoint argument through the compiler's register copies).
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} softirq_raised_own SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, IT_SOFTIRQ_VECTORS);
  __type(key, __u32);
  __type(value, __u32);
} softirq_raiser SEC(".maps");

static __always_inline bool slot_active(__u32 idx) {
  const struct irq_slot* s = bpf_map_lookup_elem(&irq_slots, &idx);
  return s && s->active;
}

static __always_inline int on_softirq_raise(unsigned int vec) {
  if (!softirq_own_on || vec >= IT_SOFTIRQ_VECTORS) return 0;
  const __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (!traced_state(tgid)) return 0;
  if (slot_active(IT_IRQ_HARD) || slot_active(IT_IRQ_SLOT_VECTOR)) return 0;
  const __u32 soft_idx = IT_IRQ_SOFT;
  const struct irq_slot* soft = bpf_map_lookup_elem(&irq_slots, &soft_idx);
  if (!soft || (soft->active && soft->context != IT_IRQ_CTX_OWN)) return 0;
  const __u32 zero = 0;
  __u32* bits = bpf_map_lookup_elem(&softirq_raised_own, &zero);
  const __u32 key = vec;
  __u32* raiser = bpf_map_lookup_elem(&softirq_raiser, &key);
  if (bits && raiser) {
    *bits |= 1u << vec;
    *raiser = (__u32)bpf_get_current_pid_tgid();
  }
  return 0;
}

// At every softirq entry: whether this vector was raised as the current thread's own work
// (clearing the bit, whoever runs it), then the usual slot when the current thread is traced.
static __always_inline int softirq_enter(unsigned int vec) {
  __u32 own = 0;
  const __u32 zero = 0;
  __u32* bits = bpf_map_lookup_elem(&softirq_raised_own, &zero);
  if (bits && vec < IT_SOFTIRQ_VECTORS && (*bits & (1u << vec))) {
    const __u32 key = vec;
    const __u32* raiser = bpf_map_lookup_elem(&softirq_raiser, &key);
    own = raiser && *raiser == (__u32)bpf_get_current_pid_tgid();
    *bits &= ~(1u << vec);
  }
  struct irq_slot* s = irq_begin(IT_IRQ_SOFT, vec);
  if (s) s->context = own ? IT_IRQ_CTX_OWN : IT_IRQ_CTX_UNKNOWN;
  return 0;
}

SEC("tp_btf/softirq_raise")
int BPF_PROG(softirq_raise_btf, unsigned int vec) { return on_softirq_raise(vec); }
SEC("raw_tp/softirq_raise")
int BPF_PROG(softirq_raise_raw, unsigned int vec) { return on_softirq_raise(vec); }

static __always_inline int irq_exit(__u32 slot_idx, __u32 kind) {
  struct irq_slot* s = bpf_map_lookup_elem(&irq_slots, &slot_idx);
  if (!s || !s->active) return 0;
  s->active = 0;
  __u64 start = s->ts;
  // The end is stamped before the reserve, so the recorder's own cost (loss bookkeeping, ring
  // space) stays out of the duration (review SC L1: some IRQs read 5-35 us longer than ftrace's).
  const __u64 end = bpf_ktime_get_ns();
  // With the context tail (since 2026-12-06; docs/recording-format.md): older readers read the
  // it_irq at its head and skip the rest.
  struct it_irq_ctx* e = reserve(sizeof(*e), IT_EV_IRQ, start);  // stamped at the interrupt's start
  if (!e) return 0;
  fill_hdr(&e->irq.h, IT_EV_IRQ, start, s->pid, s->tid);
  e->irq.dur = end - start;
  e->irq.kind = kind;
  e->irq.irq = s->irq;
  __builtin_memcpy(e->irq.name, s->name, sizeof(e->irq.name));
  e->context = s->context;
  e->pad = 0;
  submit(e);
  return 0;
}

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(hardirq_entry_btf, int irq, struct irqaction* action) {
  return irq_enter(IT_IRQ_HARD, irq, BPF_CORE_READ(action, name));
}
SEC("raw_tp/irq_handler_entry")
int BPF_PROG(hardirq_entry_raw, int irq, struct irqaction* action) {
  return irq_enter(IT_IRQ_HARD, irq, BPF_CORE_READ(action, name));
}
SEC("tp_btf/irq_handler_exit")
int BPF_PROG(hardirq_exit_btf) { return irq_exit(IT_IRQ_HARD, IT_IRQ_HARD); }
SEC("raw_tp/irq_handler_exit")
int BPF_PROG(hardirq_exit_raw) { return irq_exit(IT_IRQ_HARD, IT_IRQ_HARD); }
SEC("tp_btf/softirq_entry")
int BPF_PROG(softirq_entry_btf, unsigned int vec) { return softirq_enter(vec); }
SEC("raw_tp/softirq_entry")
int BPF_PROG(softirq_entry_raw, unsigned int vec) { return softirq_enter(vec); }
SEC("tp_btf/softirq_exit")
int BPF_PROG(softirq_exit_btf) { return irq_exit(IT_IRQ_SOFT, IT_IRQ_SOFT); }
SEC("raw_tp/softirq_exit")
int BPF_PROG(softirq_exit_raw) { return irq_exit(IT_IRQ_SOFT, IT_IRQ_SOFT); }

// x86 system vectors: the local APIC timer and IPIs never pass through irq_handler_entry, which
// fires for device IRQs only. Each is a hard IRQ of kind IT_IRQ_VECTOR (so a reader keeps vector
// 236 apart from IRQ 236) named as /proc/interrupts names it (both call-function IPIs count as CAL
// there), `irq` = the vector number the tracepoint passes. The
// names are packed little-endian into a u32 (the name field is NUL-padded). These tracepoints
// exist on x86 only: user space loads and attaches them one by one and records which it got
// (record/irq_vectors.h; the program names are parsed there: sysvec_<tracepoint>_{entry,exit}_*).
static __always_inline int sysvec_enter(int vector, __u32 name4) {
  struct irq_slot* s = irq_begin(IT_IRQ_SLOT_VECTOR, (__u32)vector);
  if (s) s->context = IT_IRQ_CTX_UNKNOWN;
  if (s) __builtin_memcpy(s->name, &name4, sizeof(name4));
  return 0;
}

#define IT_NAME4(a, b, c) ((__u32)(a) | (__u32)(b) << 8 | (__u32)(c) << 16)
#define IT_SYSVEC(tp, a, b, c)                                                                              \
  SEC("tp_btf/" #tp "_entry")                                                                               \
  int BPF_PROG(sysvec_##tp##_entry_btf, int vector) { return sysvec_enter(vector, IT_NAME4(a, b, c)); }     \
  SEC("raw_tp/" #tp "_entry")                                                                               \
  int BPF_PROG(sysvec_##tp##_entry_raw, int vector) { return sysvec_enter(vector, IT_NAME4(a, b, c)); }     \
  SEC("tp_btf/" #tp "_exit")                                                                                \
  int BPF_PROG(sysvec_##tp##_exit_btf) { return irq_exit(IT_IRQ_SLOT_VECTOR, IT_IRQ_VECTOR); }              \
  SEC("raw_tp/" #tp "_exit")                                                                                \
  int BPF_PROG(sysvec_##tp##_exit_raw) { return irq_exit(IT_IRQ_SLOT_VECTOR, IT_IRQ_VECTOR); }

IT_SYSVEC(local_timer, 'L', 'O', 'C')
IT_SYSVEC(reschedule, 'R', 'E', 'S')
IT_SYSVEC(call_function, 'C', 'A', 'L')
IT_SYSVEC(call_function_single, 'C', 'A', 'L')
IT_SYSVEC(irq_work, 'I', 'W', 'I')
IT_SYSVEC(x86_platform_ipi, 'P', 'L', 'T')
IT_SYSVEC(thermal_apic, 'T', 'R', 'M')
IT_SYSVEC(error_apic, 'E', 'R', 'R')
IT_SYSVEC(spurious_apic, 'S', 'P', 'U')

// ---- syscalls ----------------------------------------------------------------------------------

// The file each (process, fd) of an ioctl referred to when last named (key: tgid << 32 | fd). Both
// pointers and the mount are compared: a `struct file` freed when an fd is closed is soon reused
// for the next open, so the file pointer alone took /dev/zero for the .pyc file fd 3 had held
// before; the same dentry seen through a bind mount is another name.
struct fd_seen {
  __u64 file, dentry, mnt;
};
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, __u64);
  __type(value, struct fd_seen);
} fd_file SEC(".maps");

// Writes an IT_EV_FDNAME record when this fd of the process now refers to another file than the
// last time it was named (or was never named): ioctls on one fd cost one map lookup after the first.
static __always_inline void name_ioctl_fd(__u32 tgid, __u32 tid, __u32 fd, __u64 ts) {
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  struct fdtable* fdt = BPF_CORE_READ(task, files, fdt);
  if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds)) return;
  struct file** fds = BPF_CORE_READ(fdt, fd);
  struct file* f = 0;
  bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
  if (!f) return;
  struct dentry* d = BPF_CORE_READ(f, f_path.dentry);
  struct vfsmount* vm = BPF_CORE_READ(f, f_path.mnt);
  __u64 key = ((__u64)tgid << 32) | fd;
  struct fd_seen now = {.file = (__u64)f, .dentry = (__u64)d, .mnt = (__u64)vm};
  struct fd_seen* seen = bpf_map_lookup_elem(&fd_file, &key);
  if (seen && seen->file == now.file && seen->dentry == now.dentry && seen->mnt == now.mnt) return;
  struct it_fdname* e = reserve(sizeof(*e), IT_EV_FDNAME, ts);
  if (!e) return;  // not remembered either: the next ioctl on this fd tries again
  bpf_map_update_elem(&fd_file, &key, &now, BPF_ANY);
  fill_hdr(&e->h, IT_EV_FDNAME, ts, tgid, tid);  // the ioctl's own entry time
  e->fd = fd;
  e->pad = 0;
  // Path components are taken within the file's mount, whose root dentry is not a directory
  // name: at the root of a mount the names come from where it is mounted (the `struct mount`
  // around f_path.mnt). /dev/null on devtmpfs: "dev" + "null"; a file bind-mounted on its own
  // (a container's /dev/nvidia0): its mountpoint's parent + the mountpoint's name.
  struct dentry* root = BPF_CORE_READ(vm, mnt_root);
  struct mount* m = (struct mount*)((void*)vm - bpf_core_field_offset(struct mount, mnt));
  struct dentry* mp = BPF_CORE_READ(m, mnt_mountpoint);
  struct dentry* parent = BPF_CORE_READ(d, d_parent);
  if (d == root) {
    bpf_probe_read_kernel_str(e->name, sizeof(e->name), BPF_CORE_READ(mp, d_name.name));
    bpf_probe_read_kernel_str(e->dir, sizeof(e->dir), BPF_CORE_READ(mp, d_parent, d_name.name));
  } else if (parent == d) {
    bpf_probe_read_kernel_str(e->name, sizeof(e->name), BPF_CORE_READ(d, d_name.name));
    e->dir[0] = 0;  // an internal file system's file (pipes, sockets): no directory
  } else {
    bpf_probe_read_kernel_str(e->name, sizeof(e->name), BPF_CORE_READ(d, d_name.name));
    bpf_probe_read_kernel_str(e->dir, sizeof(e->dir), BPF_CORE_READ(parent == root ? mp : parent, d_name.name));
  }
  submit(e);
}

static __always_inline int sys_enter(struct pt_regs* regs, long nr) {
  if (!want_syscall) return 0;
#if defined(__TARGET_ARCH_x86)
  // x86-64's uretprobe syscall (335, Linux 6.11+; unassigned before) is how the trampoline of one
  // of our own return probes gets back to user space: the recorder's cost, not the program's.
  if (nr == 335) return 0;
#endif
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  struct it_traced* v = bpf_map_lookup_elem(&traced, &tgid);
  if (!v) return 0;
  // Before its exec the command runs the recorder's code: only the exec itself is its own.
  if (v->state == IT_TRACED_BEFORE_EXEC && nr != IT_NR_EXECVE && nr != IT_NR_EXECVEAT) return 0;
  __u32 tid = (__u32)id;
  struct sys_start s = {.ts = bpf_ktime_get_ns(), .nr = (__u32)nr};
#if defined(__TARGET_ARCH_x86)
  // ioctl's first argument is the fd: user space names its file (the GPU driver's /dev/nvidia*).
  if (nr == IT_NR_IOCTL) {
    const __u32 fd = (__u32)BPF_CORE_READ(regs, di);
    s.fd_plus1 = fd + 1;
    if (!syscall_counts_only) name_ioctl_fd(tgid, tid, fd, s.ts);
  }
#endif
  if (bpf_map_update_elem(&sys_pending, &tid, &s, BPF_ANY) != 0) stat_add(IT_STAT_PENDING_SYSCALL);
  return 0;
}

static __always_inline int sys_exit(long ret) {
  if (!want_syscall) return 0;
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tid = (__u32)id;
  struct sys_start* s = bpf_map_lookup_elem(&sys_pending, &tid);
  if (!s) return 0;
  __u64 now = bpf_ktime_get_ns();
  __u64 start = s->ts;
  __u32 nr = s->nr;
  __u32 fd_plus1 = s->fd_plus1;
  bpf_map_delete_elem(&sys_pending, &tid);
  if (syscall_counts_only) {
    if (nr >= IT_MAX_SYSCALL) return 0;
    const __u64 until = count_until_ns;
    if (start > until) return 0;  // began after the stop
    struct sys_total* t = bpf_map_lookup_elem(&sys_counts, &nr);
    if (t) {
      t->count += 1;
      t->total_dur += (now < until ? now : until) - start;  // a call in progress at the stop ends there
    }
    return 0;
  }
  // Stamped at the call's entry, but a loss is noted at its return, as for a sync call (api_return):
  // an epoll_wait or futex wait can last the whole recording.
  struct it_syscall* e = reserve(sizeof(*e), IT_EV_SYSCALL, now);
  if (!e) return 0;
  fill_hdr(&e->h, IT_EV_SYSCALL, start, id >> 32, tid);
  e->dur = now - start;
  e->ret = ret;
  e->nr = nr;
  e->fd_plus1 = fd_plus1;
  submit(e);
  return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_btf, struct pt_regs* regs, long id) { return sys_enter(regs, id); }
SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw, struct pt_regs* regs, long id) { return sys_enter(regs, id); }
SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs* regs, long ret) { return sys_exit(ret); }
SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_raw, struct pt_regs* regs, long ret) { return sys_exit(ret); }
