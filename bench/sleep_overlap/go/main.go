// sleep_overlap in Go: n goroutines each sleep sleep_ms at once; the whole should take about sleep_ms. Each checks
// it slept at least that long and adds its index.
package main

import (
	"sync"
	"sync/atomic"
	"time"

	"weftbench/common/goharness"
)

func main() {
	n := goharness.Arg(1, 64)
	want := goharness.Arg(2, 0)
	sleepMs := goharness.Arg(3, 100)

	lateUs := make([]float64, n)
	var sum uint64
	var all sync.WaitGroup
	all.Add(int(n))
	start := time.Now()
	for i := uint64(0); i < n; i++ {
		go func(i uint64) {
			deadline := time.Now().Add(time.Duration(sleepMs) * time.Millisecond)
			time.Sleep(time.Duration(sleepMs) * time.Millisecond)
			lateUs[i] = float64(time.Since(deadline).Nanoseconds()) / 1e3
			atomic.AddUint64(&sum, i)
			all.Done()
		}(i)
	}
	all.Wait()
	ms := goharness.Ms(start)

	goharness.Check("sleep_overlap", sum, want)
	goharness.CheckNotEarly("sleep_overlap", lateUs)
	goharness.Print("sleep_overlap", n, ms, goharness.Lateness(lateUs))
}
