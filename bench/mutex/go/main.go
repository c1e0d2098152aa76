// mutex in Go: `tasks` goroutines each lock one sync.Mutex n times around `counter++`.
package main

import (
	"fmt"
	"sync"
	"time"

	"weftbench/common/goharness"
)

func main() {
	n := goharness.Arg(1, 1000000)
	want := goharness.Arg(2, 0)
	tasks := goharness.Arg(3, 4)

	start := time.Now()
	var mu sync.Mutex
	var counter uint64
	var done sync.WaitGroup
	done.Add(int(tasks))
	for t := uint64(0); t < tasks; t++ {
		go func() {
			for i := uint64(0); i < n; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			done.Done()
		}()
	}
	done.Wait()
	ms := goharness.Ms(start)

	goharness.Check("mutex", counter, want)
	goharness.Print("mutex", n, ms, fmt.Sprintf(" ns_per_op=%.1f", ms*1e6/float64(n*tasks)))
}
