// Command inventory is the acceptance tests' HTTP service: what the generated image and
// manifests must give it is checked by its readiness route, which fails (503, with the
// reason) unless the config file it reads at a relative path is there, the temp
// directory and its cache directory are writable under a read-only root, the time
// zone database and the CA bundle are present.
package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

const cacheDir = "/var/cache/inventory"

type config struct {
	Warehouse string `json:"warehouse"`
	Zone      string `json:"zone"`
}

func loadConfig() (config, error) {
	var c config
	raw, err := os.ReadFile("configs/inventory.json")
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(raw, &c)
}

func ready(c config) error {
	tmp, err := os.CreateTemp("", "ready-*")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	tmp.Close()
	os.Remove(tmp.Name())
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return fmt.Errorf("cache dir: %w", err)
	}
	if err := os.WriteFile(cacheDir+"/last-ready", []byte(time.Now().UTC().String()), 0o644); err != nil {
		return fmt.Errorf("cache dir: %w", err)
	}
	if _, err := time.LoadLocation(c.Zone); err != nil {
		return fmt.Errorf("time zone: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool.Equal(x509.NewCertPool()) {
		return fmt.Errorf("no CA certificates: %v", err)
	}
	return nil
}

func main() {
	cfg, err := loadConfig()
	if err != nil {
		log.Fatalf("config: %v", err)
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(cfg); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "ready: warehouse %s, uid %d\n", cfg.Warehouse, os.Getuid())
	})
	// An in-flight request that SIGTERM must not cut off.
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		w.Write([]byte("done\n"))
	})

	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			log.Fatalf("listen: %v", err)
		}
	}()
	log.Printf("listening on :%s", port)
	<-ctx.Done()
	log.Print("SIGTERM: draining")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Fatalf("shutdown: %v", err)
	}
	log.Print("drained")
}
