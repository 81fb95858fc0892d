#include "common/event_loop.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace pytorrent {
namespace {

TEST(EventLoopTest, RunsPostedTasksInOrderOnTheLoopThread) {
  EventLoop loop;
  std::vector<int> seen;  // loop thread only
  std::thread::id loop_thread;
  std::thread runner([&] {
    loop_thread = std::this_thread::get_id();
    loop.Run();
  });
  std::atomic<bool> done{false};
  std::thread::id ran_on;
  for (int i = 0; i < 100; ++i) loop.Post([&seen, i] { seen.push_back(i); });
  loop.Post([&] {
    ran_on = std::this_thread::get_id();
    done = true;
  });
  for (int i = 0; i < 5000 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  loop.Stop();
  runner.join();
  ASSERT_TRUE(done);
  EXPECT_EQ(ran_on, loop_thread);
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[i], i);
}

TEST(EventLoopTest, PostsFromManyThreadsAllRun) {
  EventLoop loop;
  int count = 0;  // loop thread only
  std::thread runner([&] { loop.Run(); });
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < 250; ++i) loop.Post([&count] { ++count; });
    });
  }
  for (auto& p : posters) p.join();
  std::atomic<int> seen{-1};
  loop.Post([&] { seen = count; });
  for (int i = 0; i < 5000 && seen < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  loop.Stop();
  runner.join();
  EXPECT_EQ(seen, 1000);
}

TEST(EventLoopTest, TimersRunWhenTheirTimeComesInOrder) {
  FakeTimeSource clock;
  EventLoop loop(&clock);
  std::vector<int> fired;
  loop.RunAfter(absl::Seconds(2), [&] { fired.push_back(2); });
  loop.RunAfter(absl::Seconds(1), [&] { fired.push_back(1); });
  EventLoop::TimerId cancelled = loop.RunAfter(absl::Seconds(1), [&] { fired.push_back(99); });
  loop.Cancel(cancelled);
  EXPECT_EQ(loop.UntilNextTimer(), absl::Seconds(1));
  loop.RunReady();
  EXPECT_TRUE(fired.empty());
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(loop.UntilNextTimer(), absl::ZeroDuration());
  loop.RunReady();
  EXPECT_EQ(fired, std::vector<int>({1}));
  clock.Advance(absl::Seconds(5));
  loop.RunReady();
  EXPECT_EQ(fired, std::vector<int>({1, 2}));
  EXPECT_EQ(loop.pending_timers(), 0u);
  EXPECT_EQ(loop.UntilNextTimer(), absl::InfiniteDuration());
}

TEST(EventLoopTest, ATimerThatReArmsForNowRunsNextRound) {
  FakeTimeSource clock;
  EventLoop loop(&clock);
  int runs = 0;
  std::function<void()> again = [&] {
    ++runs;
    loop.RunAt(clock.Now(), again);
  };
  loop.RunAt(clock.Now(), again);
  loop.RunReady();
  EXPECT_EQ(runs, 1);
  loop.RunReady();
  EXPECT_EQ(runs, 2);
}

TEST(EventLoopTest, WakeFdIsReadableOnlyAfterAPost) {
  EventLoop loop;
  uint64_t value = 0;
  EXPECT_LT(::read(loop.wake_fd(), &value, sizeof(value)), 0);  // nothing posted
  bool ran = false;
  loop.Post([&] { ran = true; });
  EXPECT_EQ(::read(loop.wake_fd(), &value, sizeof(value)), static_cast<ssize_t>(sizeof(value)));
  loop.RunReady();
  EXPECT_TRUE(ran);
}

TEST(EventLoopTest, StopEndsRunAndLaterPostsAreDropped) {
  EventLoop loop;
  std::thread runner([&] { loop.Run(); });
  loop.Stop();
  runner.join();  // bounded by the test timeout: Run must return
  EXPECT_TRUE(loop.stopping());
  bool ran = false;
  loop.Post([&] { ran = true; });
  loop.RunReady();
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace pytorrent
