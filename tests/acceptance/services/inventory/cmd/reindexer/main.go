// Command reindexer is the acceptance tests' worker: no listener, a loop that stops
// cleanly on SIGTERM.
package main

import (
	"context"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	log.Print("reindexing")
	for {
		select {
		case <-ctx.Done():
			log.Print("SIGTERM: stopped")
			return
		case <-tick.C:
		}
	}
}
