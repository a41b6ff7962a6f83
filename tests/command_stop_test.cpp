// record's exit status rule (record/command_stop.h): whether the command's status is record's stop.
#include <gtest/gtest.h>

#include <csignal>

#include "record/command_stop.h"

namespace {
using infertrace::command_was_stopped;

TEST(CommandStop, AStopDuringTheLoopOrTheDurationIsRecordsStop) {
  EXPECT_TRUE(command_was_stopped(true, false, true, 1));    // Ctrl-C, then the command exited 1 as it ended
  EXPECT_TRUE(command_was_stopped(false, true, false, 143)); // --duration: record sent SIGTERM
  EXPECT_TRUE(command_was_stopped(false, true, false, 0));
}

TEST(CommandStop, TheCommandKilledByTheGroupSignalBeforeTheHandlerRanIsAStop) {
  // Reaped as if it ended by itself, the handler's flag seen only after the loop: 128+SIGINT, 128+SIGTERM.
  EXPECT_TRUE(command_was_stopped(false, false, true, 130));
  EXPECT_TRUE(command_was_stopped(false, false, true, 143));
  EXPECT_TRUE(command_was_stopped(false, false, true, 129));  // a hang-up reached both (review RX2 L2)
  EXPECT_TRUE(command_was_stopped(false, false, true, 131));  // Ctrl-\ (SIGQUIT) stops record too (review SG M3)
}

TEST(CommandStop, AFailureBeforeALateSignalIsTheCommandsOwn) {
  // The command failed by itself; a Ctrl-C came during record's teardown: the status is passed on.
  EXPECT_FALSE(command_was_stopped(false, false, true, 1));
  EXPECT_FALSE(command_was_stopped(false, false, true, 137));  // SIGKILL is no stop signal of record's
  // No signal at all: the command's own status, even 130 (it may raise SIGINT itself).
  EXPECT_FALSE(command_was_stopped(false, false, false, 130));
  EXPECT_FALSE(command_was_stopped(false, false, false, 0));
}

}  // namespace
