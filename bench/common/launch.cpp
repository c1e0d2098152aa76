// Runs one benchmark program and reports its peak RSS from wait4. A child forked straight from the Python runner
// inherits Python's ~14 MiB high-water mark into ru_maxrss, so this small process forks the program instead.
// On SIGTERM (the runner's way to stop a hung program) it kills the program and still reaps it.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

namespace {
volatile sig_atomic_t g_child = 0;

void kill_child(int) {
    if (g_child > 0) kill(g_child, SIGKILL);
}
}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_launch PROGRAM [ARGS...]\n");
        return 2;
    }
    struct sigaction on_term {};
    on_term.sa_handler = kill_child;
    sigaction(SIGTERM, &on_term, nullptr);
    const pid_t pid = fork();
    if (pid < 0) {
        std::perror("bench_launch: fork");
        return 2;
    }
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        execv(argv[1], argv + 1);
        std::perror("bench_launch: exec");
        _exit(127);
    }
    g_child = pid;
    int status = 0;
    rusage usage{};
    while (wait4(pid, &status, 0, &usage) < 0) {
    }
    std::fprintf(stderr, "\nLAUNCH peak_rss_kib=%ld\n", usage.ru_maxrss);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
