// Package goharness gives the Go benchmark programs their arguments, answer checks and the RESULT line.
package goharness

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// Arg returns os.Args[index] as an unsigned number, or fallback when it is absent; it exits on garbage.
func Arg(index int, fallback uint64) uint64 {
	if len(os.Args) <= index {
		return fallback
	}
	v, err := strconv.ParseUint(os.Args[index], 10, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bad argument %q\n", os.Args[index])
		os.Exit(2)
	}
	return v
}

// Check exits non-zero, loudly, when a program computed the wrong answer.
func Check(problem string, got, want uint64) {
	if got != want {
		fmt.Fprintf(os.Stderr, "WRONG ANSWER runtime=go problem=%s got=%d want=%d\n", problem, got, want)
		os.Exit(1)
	}
}

// Ms is the time since start in milliseconds.
func Ms(start time.Time) float64 {
	return float64(time.Since(start).Nanoseconds()) / 1e6
}

// Print writes the one machine-readable line; extra is appended as-is (" key=value ...").
func Print(problem string, n uint64, ms float64, extra string) {
	fmt.Printf("RESULT runtime=go problem=%s n=%d ms=%.3f%s\n", problem, n, ms, extra)
}

// Percentiles formats the p50 and p99 of latency samples in microseconds.
func Percentiles(samplesUs []float64) string {
	sort.Float64s(samplesUs)
	at := func(q float64) float64 { return samplesUs[int(q*float64(len(samplesUs)-1))] }
	return fmt.Sprintf(" p50_us=%.2f p99_us=%.2f", at(0.50), at(0.99))
}

// ProcessCPUMs is the user plus system CPU time the whole process has used, in milliseconds.
func ProcessCPUMs() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fmt.Fprintln(os.Stderr, "getrusage:", err)
		os.Exit(2)
	}
	ms := func(t syscall.Timeval) float64 { return float64(t.Sec)*1e3 + float64(t.Usec)/1e3 }
	return ms(ru.Utime) + ms(ru.Stime)
}

// ResidentKiB is the process's resident set size now, from /proc/self/statm, in KiB.
func ResidentKiB() float64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		fmt.Fprintln(os.Stderr, "read /proc/self/statm:", err)
		os.Exit(2)
	}
	var size, resident uint64
	if _, err := fmt.Sscan(string(data), &size, &resident); err != nil {
		fmt.Fprintln(os.Stderr, "parse /proc/self/statm:", err)
		os.Exit(2)
	}
	return float64(resident*uint64(os.Getpagesize())) / 1024
}
