// Command forks starts children that ignore SIGTERM, and ignores it too.
package main

import (
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	signal.Ignore(syscall.SIGTERM)
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if len(os.Args) > 1 && os.Args[1] == "child" {
		for {
			time.Sleep(time.Second)
		}
	}
	self, _ := os.Executable()
	for i := 0; i < 3; i++ {
		if err := exec.Command(self, "child").Start(); err != nil {
			logger.Error("fork", "err", err)
		}
	}
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	srv := &http.Server{Addr: ":8080", ReadHeaderTimeout: 5 * time.Second}
	logger.Info("listening", "addr", srv.Addr)
	_ = srv.ListenAndServe()
}
