// park in Go: n goroutines each block receiving from one channel; closing it resumes them all. ms is the time from
// the close until the last goroutine has resumed; kib_per_task is the resident memory the parked goroutines added.
package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"weftbench/common/goharness"
)

func main() {
	n := goharness.Arg(1, 100000)
	want := goharness.Arg(2, 0)
	settleMs := goharness.Arg(3, 10)

	gate := make(chan struct{})
	var waiting, done sync.WaitGroup
	var sum uint64
	before := goharness.ResidentKiB()
	waiting.Add(int(n))
	done.Add(int(n))
	for i := uint64(0); i < n; i++ {
		go func(i uint64) {
			waiting.Done()
			<-gate
			atomic.AddUint64(&sum, i)
			done.Done()
		}(i)
	}
	waiting.Wait()
	// The last goroutines to say they are about to wait get a moment to block on the channel.
	time.Sleep(time.Duration(settleMs) * time.Millisecond)
	parked := goharness.ResidentKiB()

	start := time.Now()
	close(gate)
	done.Wait()
	ms := goharness.Ms(start)

	goharness.Check("park", atomic.LoadUint64(&sum), want)
	goharness.Print("park", n, ms, fmt.Sprintf(" kib_per_task=%.3f", (parked-before)/float64(n)))
}
