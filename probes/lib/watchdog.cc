// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/watchdog.h"

#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace automon::probe {
namespace {

// Signal plumbing: the handler can only see static storage. Written before
// the handler is installed, read only by the handler.
char g_message[1024];
size_t g_message_length = 0;
int g_exit_code = kUnknown;
struct sigaction g_previous_action;
std::atomic<bool> g_armed{false};

void OnAlarm(int /*signo*/) {
  size_t done = 0;
  while (done < g_message_length) {
    ssize_t n = ::write(STDOUT_FILENO, g_message + done, g_message_length - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::_exit(g_exit_code);
}

}  // namespace

Result<std::unique_ptr<Watchdog>> Watchdog::Arm(std::chrono::milliseconds after,
                                                const std::string& message, State state) {
  AUTOMON_CHECK(!g_armed.exchange(true));
  size_t length = std::min(message.size(), sizeof(g_message) - 2);
  std::memcpy(g_message, message.data(), length);
  g_message[length] = '\n';
  g_message_length = length + 1;
  g_exit_code = state;
  std::atomic_signal_fence(std::memory_order_seq_cst);

  struct sigaction action {};
  action.sa_handler = OnAlarm;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGALRM, &action, &g_previous_action) != 0) {
    int saved = errno;
    g_armed = false;
    return SystemError("sigaction", saved, "SIGALRM");
  }
  struct itimerval timer {};
  long ms = std::max<long>(1, static_cast<long>(after.count()));
  timer.it_value.tv_sec = ms / 1000;
  timer.it_value.tv_usec = (ms % 1000) * 1000;
  if (setitimer(ITIMER_REAL, &timer, nullptr) != 0) {
    int saved = errno;
    sigaction(SIGALRM, &g_previous_action, nullptr);
    g_armed = false;
    return SystemError("setitimer", saved, "ITIMER_REAL");
  }
  return std::unique_ptr<Watchdog>(new Watchdog());
}

Watchdog::~Watchdog() {
  struct itimerval off {};
  setitimer(ITIMER_REAL, &off, nullptr);
  sigaction(SIGALRM, &g_previous_action, nullptr);
  g_armed = false;
}

}  // namespace automon::probe
