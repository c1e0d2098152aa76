// Runs one test of this binary in a child process (for resource limits), capturing its output.
#pragma once

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace rel {

struct child_result {
    int exit_code = -1;  // -1: did not exit normally
    int signal = 0;
    std::string output;
};

inline constexpr const char *k_child_env = "WEFT_RELIABILITY_CHILD";

// True inside the child started by run_child_test for `name`.
inline bool is_child(const char *name) {
    const char *v = std::getenv(k_child_env);
    return v && std::string(v) == name;
}

// Runs this executable with --gtest_filter=filter and WEFT_RELIABILITY_CHILD=name.
inline child_result run_child_test(const char *filter, const char *name) {
    child_result r;
    std::array<char, 4096> exe{};
    const ssize_t n = readlink("/proc/self/exe", exe.data(), exe.size() - 1);
    if (n <= 0) return r;
    const std::string cmd = std::string(k_child_env) + "=" + name + " '" + std::string(exe.data(), n) +
                            "' --gtest_filter=" + filter + " 2>&1";
    FILE *p = popen(cmd.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf{};
    std::size_t got;
    while ((got = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), got);
    const int status = pclose(p);
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    return r;
}

}  // namespace rel
