package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	_ "time/tzdata"

	_ "github.com/lib/pq"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"example.com/orderservice/internal/orders"
)

const (
	adminAddr = "127.0.0.1:6060"
	ratesURL  = "https://api.fx.example.com/v1/rates?base=CNY"

	inventoryServiceConfig = `{
  "loadBalancingConfig": [{"round_robin": {}}],
  "methodConfig": [{
    "name": [{"service": "grpc.health.v1.Health"}],
    "timeout": "2s",
    "retryPolicy": {
      "maxAttempts": 3,
      "initialBackoff": "0.1s",
      "maxBackoff": "1s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
}`
)

type config struct {
	httpPort      string
	dbHost        string
	dbPassword    string
	natsURL       string
	inventoryAddr string
}

func loadConfig() (config, error) {
	c := config{
		httpPort:      os.Getenv("ORDERS_HTTP_PORT"),
		dbHost:        os.Getenv("ORDERS_DB_HOST"),
		dbPassword:    os.Getenv("ORDERS_DB_PASSWORD"),
		natsURL:       os.Getenv("ORDERS_NATS_URL"),
		inventoryAddr: os.Getenv("ORDERS_INVENTORY_ADDR"),
	}
	if c.httpPort == "" {
		c.httpPort = "8080"
	}
	if c.inventoryAddr == "" {
		c.inventoryAddr = "dns:///inventory:50051"
	}
	if c.dbHost == "" || c.dbPassword == "" || c.natsURL == "" {
		return c, errors.New("ORDERS_DB_HOST, ORDERS_DB_PASSWORD and ORDERS_NATS_URL must be set")
	}
	return c, nil
}

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	if err := run(); err != nil {
		slog.Error("orderservice stopped", "err", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return err
	}

	dsn := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword("orders", cfg.dbPassword),
		Host:     cfg.dbHost,
		Path:     "orders",
		RawQuery: "sslmode=require",
	}
	db, err := sql.Open("postgres", dsn.String())
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()

	nc, err := nats.Connect(cfg.natsURL, nats.Name("orderservice"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connect nats: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}

	conn, err := grpc.NewClient(cfg.inventoryAddr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(inventoryServiceConfig),
	)
	if err != nil {
		return fmt.Errorf("inventory client: %w", err)
	}
	defer conn.Close()

	a := &api{
		orders:    orders.NewOrderService(db),
		db:        db,
		inventory: healthpb.NewHealthClient(conn),
		client:    &http.Client{Timeout: 5 * time.Second},
		loc:       shanghai,
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.HandleFunc("GET /metrics", a.metrics)
	mux.HandleFunc("POST /orders", a.createOrder)
	mux.HandleFunc("POST /orders/import", a.importOrders)
	srv := &http.Server{
		Addr:              ":" + cfg.httpPort,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
	}

	adminMux := http.NewServeMux()
	adminMux.HandleFunc("/debug/pprof/", pprof.Index)
	adminMux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	adminMux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	adminMux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	adminMux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	admin := &http.Server{
		Addr:              adminAddr,
		Handler:           adminMux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       60 * time.Second,
	}

	go orders.NewRelay(db, js).Run(ctx)
	go a.pollRates(ctx)

	errc := make(chan error, 2)
	go func() { errc <- listen(srv) }()
	go func() { errc <- listen(admin) }()
	slog.Info("orderservice listening", "addr", srv.Addr, "admin", admin.Addr)

	select {
	case <-ctx.Done():
		slog.Info("shutting down")
	case err := <-errc:
		return err
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return errors.Join(srv.Shutdown(shutdownCtx), admin.Shutdown(shutdownCtx))
}

func listen(s *http.Server) error {
	if err := s.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type api struct {
	orders    *orders.OrderService
	db        *sql.DB
	inventory healthpb.HealthClient
	client    *http.Client
	loc       *time.Location

	mu    sync.RWMutex
	rates map[string]float64

	created atomic.Int64 // orders accepted, for /metrics
}

func (a *api) healthz(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusOK)
}

func (a *api) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.db.PingContext(ctx); err != nil {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// metrics serves the service's counters in the Prometheus text format (scraped
// through the pod's prometheus.io annotations).
func (a *api) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# TYPE orders_created_total counter\norders_created_total %d\n", a.created.Load())
}

func (a *api) createOrder(w http.ResponseWriter, r *http.Request) {
	var o orders.Order
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&o); err != nil || o.ID == "" {
		http.Error(w, "invalid order", http.StatusBadRequest)
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	resp, err := a.inventory.Check(ctx, &healthpb.HealthCheckRequest{Service: "inventory.v1.Inventory"})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		http.Error(w, "inventory unavailable", http.StatusServiceUnavailable)
		return
	}

	o.CreatedAt = time.Now().In(a.loc)
	if err := a.orders.CreateOrder(ctx, o); err != nil {
		slog.ErrorContext(ctx, "create order", "order_id", o.ID, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	a.created.Add(1)
	w.WriteHeader(http.StatusCreated)
}

func (a *api) importOrders(w http.ResponseWriter, r *http.Request) {
	tmp, err := os.CreateTemp(os.TempDir(), "upload-*")
	if err != nil {
		slog.ErrorContext(r.Context(), "import", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()

	n, err := io.Copy(tmp, http.MaxBytesReader(w, r.Body, 32<<20))
	if err != nil {
		http.Error(w, "upload failed", http.StatusBadRequest)
		return
	}
	slog.InfoContext(r.Context(), "import spooled", "bytes", n, "file", tmp.Name())
	w.WriteHeader(http.StatusAccepted)
}

func (a *api) pollRates(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.refreshRates(ctx); err != nil {
				slog.WarnContext(ctx, "refresh rates", "err", err)
			}
		}
	}
}

func (a *api) refreshRates(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ratesURL, nil)
	if err != nil {
		return err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("rates: unexpected status %s", resp.Status)
	}
	var rates map[string]float64
	if err := json.NewDecoder(resp.Body).Decode(&rates); err != nil {
		return err
	}
	a.mu.Lock()
	a.rates = rates
	a.mu.Unlock()
	return nil
}
