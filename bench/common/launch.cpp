// Runs one benchmark program and reports its peak RSS from wait4. A child forked straight from the Python runner
// inherits Python's ~14 MiB high-water mark into ru_maxrss, so this small process forks the program instead.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_launch PROGRAM [ARGS...]\n");
        return 2;
    }
    const pid_t pid = fork();
    if (pid < 0) {
        std::perror("bench_launch: fork");
        return 2;
    }
    if (pid == 0) {
        execv(argv[1], argv + 1);
        std::perror("bench_launch: exec");
        _exit(127);
    }
    int status = 0;
    rusage usage{};
    while (wait4(pid, &status, 0, &usage) < 0) {
    }
    std::fprintf(stderr, "\nLAUNCH peak_rss_kib=%ld\n", usage.ru_maxrss);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
