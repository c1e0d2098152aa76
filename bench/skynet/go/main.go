// skynet in Go: each node starts a goroutine per child, all sending into one buffered channel that the node drains.
package main

import (
	"time"

	"weftbench/common/goharness"
)

const fanout = 10

func skynet(offset, size uint64, out chan<- uint64) {
	if size == 1 {
		out <- offset
		return
	}
	child := size / fanout
	results := make(chan uint64, fanout)
	for i := uint64(0); i < fanout; i++ {
		go skynet(offset+i*child, child, results)
	}
	var sum uint64
	for i := 0; i < fanout; i++ {
		sum += <-results
	}
	out <- sum
}

func main() {
	leaves := goharness.Arg(1, 1000000)
	want := goharness.Arg(2, 499999500000)

	start := time.Now()
	root := make(chan uint64, 1)
	go skynet(0, leaves, root)
	result := <-root
	ms := goharness.Ms(start)

	goharness.Check("skynet", result, want)
	goharness.Print("skynet", leaves, ms, "")
}
