#include "analysis/launch_count_bound.h"

#include "analysis/launch_undercount.h"
#include "trace/recorder_drops.h"

namespace infertrace {

LaunchCountBound launch_count_bound(const Trace& t) {
  Per1kDropTally drops;
  for (const LossWindow& w : t.loss_windows) tally_loss_window(drops, w.lost);
  for (const RecorderDrop& d : recorder_drops(t)) tally_per_1k_drop(drops, d.key, d.count);
  LaunchCountBound b;
  b.records_lost = per_1k_launch_records_lost(drops);
  b.up_to = drops.launch_records_lost_up_to;
  b.cause = launch_undercount_cause(b.records_lost, t.launch_coverage.partial() ? t.launch_coverage.partial_note : "", b.up_to);
  b.lower_bound = !b.cause.empty();
  return b;
}

}  // namespace infertrace
