// scale_malloc in Go: each goroutine allocates its result with new(uint64) and sends the pointer through its channel.
package main

import (
	"time"

	"weftbench/common/goharness"
)

func main() {
	n := goharness.Arg(1, 10000)
	want := goharness.Arg(2, 0)

	start := time.Now()
	results := make([]chan *uint64, n)
	for i := uint64(0); i < n; i++ {
		c := make(chan *uint64, 1)
		results[i] = c
		go func(i uint64) {
			p := new(uint64)
			*p = i * i
			c <- p
		}(i)
	}
	var sum uint64
	for _, c := range results {
		sum += *<-c
	}
	ms := goharness.Ms(start)

	goharness.Check("scale_malloc", sum, want)
	goharness.Print("scale_malloc", n, ms, "")
}
