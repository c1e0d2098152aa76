// scale_inside in Go: one goroutine runs the scale loop (a goroutine and a buffered channel per task computing i*i,
// received in order) and sends the sum to main.
package main

import (
	"time"

	"weftbench/common/goharness"
)

func main() {
	n := goharness.Arg(1, 10000)
	want := goharness.Arg(2, 0)

	start := time.Now()
	total := make(chan uint64)
	go func() {
		results := make([]chan uint64, n)
		for i := uint64(0); i < n; i++ {
			c := make(chan uint64, 1)
			results[i] = c
			go func(i uint64) { c <- i * i }(i)
		}
		var sum uint64
		for _, c := range results {
			sum += <-c
		}
		total <- sum
	}()
	sum := <-total
	ms := goharness.Ms(start)

	goharness.Check("scale_inside", sum, want)
	goharness.Print("scale_inside", n, ms, "")
}
