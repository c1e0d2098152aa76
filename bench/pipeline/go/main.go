// pipeline in Go: a source goroutine sends 0..n-1, `stages` goroutines in a chain each receive, add one and send
// on, a sink sums what reaches it; stages+1 channels of the given capacity. The sum must be n(n-1)/2 + stages*n.
package main

import (
	"fmt"
	"time"

	"weftbench/common/goharness"
)

func main() {
	n := goharness.Arg(1, 1000000)
	want := goharness.Arg(2, 0)
	stages := goharness.Arg(3, 8)
	capacity := goharness.Arg(4, 64)

	start := time.Now()
	links := make([]chan uint64, stages+1)
	for i := range links {
		links[i] = make(chan uint64, capacity)
	}
	go func(out chan<- uint64) {
		for v := uint64(0); v < n; v++ {
			out <- v
		}
		close(out)
	}(links[0])
	for s := uint64(0); s < stages; s++ {
		go func(in <-chan uint64, out chan<- uint64) {
			for v := range in {
				out <- v + 1
			}
			close(out)
		}(links[s], links[s+1])
	}
	done := make(chan uint64)
	go func(in <-chan uint64) {
		var sum uint64
		for v := range in {
			sum += v
		}
		done <- sum
	}(links[stages])
	result := <-done
	ms := goharness.Ms(start)

	goharness.Check("pipeline", result, want)
	goharness.Print("pipeline", n, ms, fmt.Sprintf(" ns_per_op=%.1f", ms*1e6/float64(n)))
}
