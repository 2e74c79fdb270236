package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/tensorcosm/tensorcosm/task"
)

// barWidth is the number of cells in the progress bar.
const barWidth = 24

// progressBar shows training progress. On a terminal it redraws one line;
// elsewhere (a log file, CI) it prints one line per epoch, which reads better
// than carriage returns.
type progressBar struct {
	w    io.Writer
	tty  bool
	drew bool
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, tty: isTerminal(w)}
}

// update draws the state after one epoch.
func (p *progressBar) update(s task.TrainProgress) {
	done := barWidth * s.Epoch / max(s.Epochs, 1)
	line := fmt.Sprintf("epoch %*d/%d [%s%s] loss %.4f", numDigits(s.Epochs), s.Epoch, s.Epochs,
		strings.Repeat("#", done), strings.Repeat(".", barWidth-done), s.Loss)
	if s.HeldOutScore >= 0 {
		line += fmt.Sprintf(" held-out score %.4f", s.HeldOutScore)
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r%s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.drew = true
}

// finish ends the redrawn line, so that what follows starts on its own.
func (p *progressBar) finish() {
	if p.tty && p.drew {
		fmt.Fprintln(p.w)
	}
}

// numDigits returns the number of decimal digits of n, to align epoch counts.
func numDigits(n int) int {
	return len(fmt.Sprint(n))
}
