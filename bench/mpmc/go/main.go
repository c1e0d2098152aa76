// mpmc in Go: `senders` goroutines send 0..n-1 between them over one channel of the given capacity, `receivers`
// goroutines receive until it is closed; the sum of what they received must be n(n-1)/2. Go has no unbounded
// channel: for the unbounded case (capacity 2^64-1) the channel gets room for all n values, so no send waits.
package main

import (
	"fmt"
	"math"
	"sync"
	"time"

	"weftbench/common/goharness"
)

type tally struct{ sum, count uint64 }

func main() {
	n := goharness.Arg(1, 10000000)
	want := goharness.Arg(2, 0)
	capacity := goharness.Arg(3, 64)
	senders := goharness.Arg(4, 4)
	receivers := goharness.Arg(5, 4)
	if capacity == math.MaxUint64 {
		capacity = n
	}

	start := time.Now()
	ch := make(chan uint64, capacity)
	results := make(chan tally, receivers)
	for r := uint64(0); r < receivers; r++ {
		go func() {
			var t tally
			for v := range ch {
				t.sum += v
				t.count++
			}
			results <- t
		}()
	}
	var sending sync.WaitGroup
	for s := uint64(0); s < senders; s++ {
		sending.Add(1)
		go func(s uint64) {
			defer sending.Done()
			for v := s; v < n; v += senders {
				ch <- v
			}
		}(s)
	}
	sending.Wait()
	close(ch)
	var total tally
	for r := uint64(0); r < receivers; r++ {
		t := <-results
		total.sum += t.sum
		total.count += t.count
	}
	ms := goharness.Ms(start)

	goharness.Check("mpmc", total.count, n)
	goharness.Check("mpmc", total.sum, want)
	goharness.Print("mpmc", n, ms, fmt.Sprintf(" ns_per_op=%.1f", ms*1e6/float64(n)))
}
