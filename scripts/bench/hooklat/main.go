// Command hooklat measures whole-process latency of hook commands: each
// command is started N times with the same stdin file, start to exit
// (fork, exec, run, wait), the commands interleaved run by run so that
// they share the machine's noise. It prints p50/p90/p99/max per command and
// fails when a run's exit code or stdout differs from its first run.
//
//	hooklat -n 1000 -stdin payload.json -- thin ./warden-hook claude \; full ./warden hook claude
//
// Commands are separated by a lone ";" argument; each starts with its name.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

type command struct {
	name  string
	argv  []string
	times []time.Duration
	want  []byte
	code  int
}

func main() {
	n := flag.Int("n", 1000, "runs of each command")
	warmup := flag.Int("warmup", 20, "unmeasured runs of each command first")
	stdin := flag.String("stdin", "", "file given as every run's stdin")
	flag.Parse()
	cmds, err := parse(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "hooklat:", err)
		os.Exit(2)
	}
	input, err := os.ReadFile(*stdin)
	if err != nil && *stdin != "" {
		fmt.Fprintln(os.Stderr, "hooklat:", err)
		os.Exit(2)
	}
	for i := -*warmup; i < *n; i++ {
		for _, c := range cmds {
			d, out, code, err := run(c.argv, input)
			if err != nil {
				fmt.Fprintf(os.Stderr, "hooklat: %s: %v\n", c.name, err)
				os.Exit(1)
			}
			if i == -*warmup {
				c.want, c.code = out, code
			} else if code != c.code || !bytes.Equal(out, c.want) {
				fmt.Fprintf(os.Stderr, "hooklat: %s: run %d answered %q exit %d, first run %q exit %d\n", c.name, i, out, code, c.want, c.code)
				os.Exit(1)
			}
			if i >= 0 {
				c.times = append(c.times, d)
			}
		}
	}
	fmt.Printf("%-28s %6s %8s %8s %8s %8s %8s  %s\n", "command", "runs", "p50", "p90", "p99", "max", "mean", "(ms)")
	for _, c := range cmds {
		slices.Sort(c.times)
		var sum time.Duration
		for _, t := range c.times {
			sum += t
		}
		pct := func(p float64) string { return ms(c.times[int(float64(len(c.times)-1)*p)]) }
		fmt.Printf("%-28s %6d %8s %8s %8s %8s %8s  exit %d, stdout %q\n", c.name, len(c.times), pct(0.5), pct(0.9), pct(0.99), ms(c.times[len(c.times)-1]), ms(sum/time.Duration(len(c.times))), c.code, strings.TrimSpace(string(c.want)))
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

func run(argv []string, input []byte) (time.Duration, []byte, int, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = bytes.NewReader(input)
	var out bytes.Buffer
	cmd.Stdout = &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if ee, ok := err.(*exec.ExitError); ok && ee.Exited() {
		return d, out.Bytes(), ee.ExitCode(), nil
	}
	return d, out.Bytes(), 0, err
}

func parse(args []string) ([]*command, error) {
	var cmds []*command
	for len(args) > 0 {
		i := slices.Index(args, ";")
		if i < 0 {
			i = len(args)
		}
		if i < 2 {
			return nil, fmt.Errorf("want NAME COMMAND [ARGS] between \";\" separators, got %q", args[:i])
		}
		cmds = append(cmds, &command{name: args[0], argv: args[1:i]})
		args = args[min(i+1, len(args)):]
	}
	if len(cmds) == 0 {
		return nil, fmt.Errorf("no command (usage: hooklat -n N -stdin FILE -- NAME CMD ARGS \\; NAME CMD ARGS)")
	}
	return cmds, nil
}
