// wake in Go: after an idle gap, the time from the go statement (read in the spawner) to the goroutine starting.
package main

import (
	"time"

	"weftbench/common/goharness"
)

func main() {
	samples := goharness.Arg(1, 10000)
	gapUs := goharness.Arg(2, 1000)

	latencies := make([]float64, 0, samples)
	var ran uint64 // the sum of the sample indices the goroutines add: proof that every one ran
	start := time.Now()
	for s := uint64(0); s < samples; s++ {
		time.Sleep(time.Duration(gapUs) * time.Microsecond)
		started := make(chan time.Time, 1)
		spawned := time.Now()
		go func(s uint64) {
			ran += s
			started <- time.Now()
		}(s)
		latencies = append(latencies, float64((<-started).Sub(spawned).Nanoseconds())/1e3)
	}
	ms := goharness.Ms(start)

	goharness.Check("wake", ran, samples*(samples-1)/2)
	goharness.Print("wake", samples, ms, goharness.Percentiles(latencies))
}
