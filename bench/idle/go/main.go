// idle in Go: after a burst of goroutines, the CPU time the whole process burns while main sleeps.
package main

import (
	"fmt"
	"time"

	"weftbench/common/goharness"
)

func main() {
	burst := goharness.Arg(1, 100000)
	want := goharness.Arg(2, 0)
	sleepMs := goharness.Arg(3, 2000)

	start := time.Now()
	results := make([]chan uint64, burst)
	for i := uint64(0); i < burst; i++ {
		c := make(chan uint64, 1)
		results[i] = c
		go func(i uint64) { c <- i * i }(i)
	}
	var sum uint64
	for _, c := range results {
		sum += <-c
	}
	ms := goharness.Ms(start)
	goharness.Check("idle", sum, want)

	before := goharness.ProcessCPUMs()
	time.Sleep(time.Duration(sleepMs) * time.Millisecond)
	idleCPU := goharness.ProcessCPUMs() - before

	goharness.Print("idle", burst, ms, fmt.Sprintf(" cpu_ms=%.3f", idleCPU))
}
