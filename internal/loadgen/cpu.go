package loadgen

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc CPU times on Linux.
const clockTicks = 100

// cpuSample is the CPU time used so far by the node, by this process and by
// the whole machine (all processes, all cores).
type cpuSample struct {
	at          time.Time
	node        time.Duration // zero when the node's pid is unknown
	self        time.Duration
	machineBusy time.Duration
	machineAll  time.Duration
}

// sampleCPU reads the CPU counters; a counter it cannot read stays zero.
func sampleCPU(nodePID int) cpuSample {
	s := cpuSample{at: time.Now()}
	if nodePID > 0 {
		s.node, _ = processCPU(nodePID)
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	s.machineBusy, s.machineAll, _ = machineCPU()
	return s
}

// processCPU reads utime + stime of a process from /proc/PID/stat.
func processCPU(pid int) (time.Duration, error) {
	bz, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// the command name may hold spaces; the fields start after its ')'
	s := string(bz)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	var ticks uint64
	for _, f := range fields[11:13] { // utime, stime (fields 14 and 15 of the line)
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += v
	}
	return ticksToDuration(ticks), nil
}

// machineCPU reads busy and total CPU time of all cores from /proc/stat.
func machineCPU() (busy, total time.Duration, err error) {
	bz, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(bz), "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var all, idle uint64
	for i, f := range fields[1:] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, 0, err
		}
		if i >= 8 { // guest times are already in user and nice
			break
		}
		all += v
		if i == 3 || i == 4 { // idle, iowait
			idle += v
		}
	}
	return ticksToDuration(all - idle), ticksToDuration(all), nil
}

func ticksToDuration(t uint64) time.Duration { return time.Duration(t) * time.Second / clockTicks }

// CPUUse is the CPU used over the load, in cores: by the node, by the
// generator, and by the whole machine (every process) out of Cores.
type CPUUse struct {
	Node        float64 `json:"node"`
	Loadgen     float64 `json:"loadgen"`
	MachineBusy float64 `json:"machine_busy"`
	Cores       int     `json:"cores"`
}

func cpuBetween(a, b cpuSample, nodeKnown bool) CPUUse {
	wall := b.at.Sub(a.at).Seconds()
	if wall <= 0 {
		return CPUUse{}
	}
	u := CPUUse{Loadgen: (b.self - a.self).Seconds() / wall, Cores: runtime.NumCPU()}
	if nodeKnown {
		u.Node = (b.node - a.node).Seconds() / wall
	}
	if all := (b.machineAll - a.machineAll).Seconds(); all > 0 {
		u.MachineBusy = (b.machineBusy - a.machineBusy).Seconds() / all * float64(u.Cores)
	}
	return u
}
