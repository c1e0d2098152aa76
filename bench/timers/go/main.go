// timers in Go: n goroutines started from main, goroutine i sleeps TimerDurationUs(i) (0-100 ms, the same in every
// language) from when it starts; each records how late it woke and adds its index. ms is the time until every
// goroutine has woken; late_* are the percentiles of the lateness.
package main

import (
	"sync"
	"sync/atomic"
	"time"

	"weftbench/common/goharness"
)

func main() {
	n := goharness.Arg(1, 1000000)
	want := goharness.Arg(2, 0)
	maxUs := goharness.Arg(3, 100000)
	seed := goharness.Arg(4, 0x9e3779b97f4a7c15)

	lateUs := make([]float64, n) // goroutine i writes slot i; main reads them after Wait
	var sum uint64
	var all sync.WaitGroup
	all.Add(int(n))
	start := time.Now()
	for i := uint64(0); i < n; i++ {
		go func(i uint64) {
			deadline := time.Now().Add(time.Duration(goharness.TimerDurationUs(seed, i, maxUs)) * time.Microsecond)
			time.Sleep(time.Until(deadline))
			lateUs[i] = float64(time.Since(deadline).Nanoseconds()) / 1e3
			atomic.AddUint64(&sum, i)
			all.Done()
		}(i)
	}
	all.Wait()
	ms := goharness.Ms(start)

	goharness.Check("timers", sum, want)
	goharness.CheckNotEarly("timers", lateUs)
	goharness.Print("timers", n, ms, goharness.Lateness(lateUs))
}
