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

// Lateness formats the p50, p99 and max of how late timers woke, from samples in microseconds.
func Lateness(samplesUs []float64) string {
	sort.Float64s(samplesUs)
	at := func(q float64) float64 { return samplesUs[int(q*float64(len(samplesUs)-1))] }
	return fmt.Sprintf(" late_p50_us=%.2f late_p99_us=%.2f late_max_us=%.2f", at(0.50), at(0.99),
		samplesUs[len(samplesUs)-1])
}

// CheckNotEarly exits non-zero, loudly, when a timer woke before its deadline (a negative lateness).
func CheckNotEarly(problem string, lateUs []float64) {
	for i, l := range lateUs {
		if l < 0 {
			fmt.Fprintf(os.Stderr, "WRONG ANSWER runtime=go problem=%s: task %d woke %.3f us before its deadline\n",
				problem, i, -l)
			os.Exit(1)
		}
	}
}

// TimerDurationUs is splitmix64 of seed + i reduced to 0..maxUs: the same durations as config.hpp's
// timer_duration_us.
func TimerDurationUs(seed, i, maxUs uint64) uint64 {
	z := seed + i*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return z % (maxUs + 1)
}
