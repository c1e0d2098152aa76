// Install test: a C++ program built against the installed weft with find_package(weft).
#include <weft/weft.hpp>

#include <cstdio>

int main() {
    weft::runtime rt(weft::options{.workers = 2});
    auto f = rt.spawn([] { return weft::spawn([] { return 20; }).get() + 22; });
    const int r = f.get();
    if (r != 42) {
        std::printf("wrong result %d\n", r);
        return 1;
    }
    std::printf("weft C++ consumer ok\n");
    return 0;
}
