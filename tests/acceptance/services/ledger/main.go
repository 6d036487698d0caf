// Command ledger is the acceptance tests' vendored service: its one dependency (a
// private module) comes from vendor/, and its listen address defaults to loopback,
// which nothing outside a container reaches: the generated image must set
// LEDGER_ADDR to listen on every interface.
package main

import (
	"context"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"git.corp.example/platform/health"
)

func main() {
	addr := os.Getenv("LEDGER_ADDR")
	if addr == "" {
		addr = "127.0.0.1:9090"
	}
	mux := http.NewServeMux()
	mux.Handle("/livez", health.Handler())
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	go func() {
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			log.Fatalf("listen: %v", err)
		}
	}()
	log.Printf("listening on %s", addr)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Fatalf("shutdown: %v", err)
	}
	log.Print("drained")
}
