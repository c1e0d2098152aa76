// scale in Go: a goroutine and a buffered channel (capacity 1) per task computing i*i, received in order.
package main

import (
	"time"

	"weftbench/common/goharness"
)

func main() {
	n := goharness.Arg(1, 10000)
	want := goharness.Arg(2, 0)

	start := time.Now()
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
	ms := goharness.Ms(start)

	goharness.Check("scale", sum, want)
	goharness.Print("scale", n, ms, "")
}
