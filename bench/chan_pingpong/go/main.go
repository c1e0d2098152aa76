// chan_pingpong in Go: two goroutines hand a counter back and forth through two channels of the given capacity
// (0: unbuffered, a rendezvous), n round trips; each hop adds one, so the counter ends at 2n.
package main

import (
	"fmt"
	"time"

	"weftbench/common/goharness"
)

func main() {
	n := goharness.Arg(1, 1000000)
	want := goharness.Arg(2, 0)
	capacity := goharness.Arg(3, 0)

	start := time.Now()
	ping := make(chan uint64, capacity)
	pong := make(chan uint64, capacity)
	done := make(chan uint64)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
	}()
	go func() {
		var v uint64
		for i := uint64(0); i < n; i++ {
			ping <- v
			v = <-pong + 1
		}
		close(ping)
		done <- v
	}()
	result := <-done
	ms := goharness.Ms(start)

	goharness.Check("chan_pingpong", result, want)
	goharness.Print("chan_pingpong", n, ms, fmt.Sprintf(" ns_per_op=%.1f", ms*1e6/float64(n)))
}
