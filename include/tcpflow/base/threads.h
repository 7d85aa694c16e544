// threads.h: helper threads that never take a stop signal.
//
// SIGINT/SIGTERM/SIGHUP must reach the reading thread: its handler interrupts a blocking read of
// `-r -`. A thread that blocks signals only once it runs leaves a gap in which a signal can land
// on it, and the reading thread then waits in read(2) forever. So signals are blocked in the
// creating thread around the creation: the new thread inherits the full mask from its first
// instruction, and the creator's mask is restored at once.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <thread>
#include <utility>

namespace tcpflow {

template <class F>
std::thread start_thread_without_signals(F&& body) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    std::thread t{std::forward<F>(body)};
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return t;
}

}  // namespace tcpflow
