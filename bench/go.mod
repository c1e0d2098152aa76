// The Go module of the benchmark peers: standard library only, so it builds offline.
module weftbench

go 1.19
