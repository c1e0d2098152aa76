// fib in Go: each call runs fib(n-1) in a goroutine with a buffered channel, computes fib(n-2) itself, then receives.
package main

import (
	"time"

	"weftbench/common/goharness"
)

func fib(n uint64) uint64 {
	if n < 2 {
		return n
	}
	a := make(chan uint64, 1)
	go func() { a <- fib(n - 1) }()
	b := fib(n - 2)
	return b + <-a
}

func main() {
	n := goharness.Arg(1, 30)
	want := goharness.Arg(2, 832040)

	start := time.Now()
	result := fib(n)
	ms := goharness.Ms(start)

	goharness.Check("fib", result, want)
	goharness.Print("fib", n, ms, "")
}
