package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log"
	"net/http"
	_ "net/http/pprof" // planted: DR213
	"os"
	"sync"
	"time"

	_ "github.com/lib/pq"
	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"example.com/orderservice/internal/orders"
)

const dbPassword = "s3cr3t-Passw0rd!" // planted: DR207

var (
	ratesMu sync.Mutex
	rates   map[string]float64
)

func main() {
	f, err := os.OpenFile("/var/log/orderservice.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644) // planted: DR211
	if err != nil {
		log.Fatal(err)
	}
	log.SetOutput(f)

	shanghai, err := time.LoadLocation("Asia/Shanghai") // planted: DR216
	if err != nil {
		log.Fatal(err)
	}

	db, err := sql.Open("postgres", "host=orders-db user=orders password="+dbPassword+" dbname=orders sslmode=disable")
	if err != nil {
		log.Fatal(err)
	}

	nc, err := nats.Connect(os.Getenv("NATS_URL")) // planted: DR209, DR228
	if err != nil {
		log.Fatal(err)
	}

	conn, err := grpc.Dial("inventory:50051", grpc.WithInsecure(), grpc.WithBlock()) // planted: DR103, DR423
	if err != nil {
		log.Fatal(err)
	}
	inventory := healthpb.NewHealthClient(conn)

	svc := orders.NewOrderService(db, nc)

	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	http.HandleFunc("/orders", func(w http.ResponseWriter, r *http.Request) {
		// planted: DR104
		if _, err := inventory.Check(context.Background(), &healthpb.HealthCheckRequest{Service: "inventory.v1.Inventory"}); err != nil {
			http.Error(w, "inventory unavailable", http.StatusServiceUnavailable)
			return
		}
		var o orders.Order
		if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		o.CreatedAt = time.Now().In(shanghai)
		if err := svc.CreateOrder(r.Context(), o); err != nil {
			log.Printf("create order %s: %v", o.ID, err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		notifyCRM(o)
		w.WriteHeader(http.StatusCreated)
	})
	http.HandleFunc("/orders/import", importOrders)

	go pollRates()

	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Printf("orderservice listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, nil)) // planted: DR102, DR213, DR214
}

// notifyCRM tells the legacy CRM about a new order.
func notifyCRM(o orders.Order) {
	body, _ := json.Marshal(o)
	resp, err := http.Post("http://10.0.3.17:8081/v1/orders", "application/json", bytes.NewReader(body)) // planted: DR101, DR420
	if err != nil {
		log.Printf("notify crm: %v", err)
		return
	}
	resp.Body.Close()
}

// pollRates refreshes the exchange rates used for invoices.
func pollRates() {
	for range time.Tick(time.Minute) {
		resp, err := http.Get("https://api.fx.example.com/v1/rates?base=CNY") // planted: DR101
		if err != nil {
			log.Printf("rates: %v", err)
			continue
		}
		var r map[string]float64
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if err != nil {
			log.Printf("rates: %v", err)
			continue
		}
		ratesMu.Lock()
		rates = r
		ratesMu.Unlock()
	}
}

// importOrders spools an uploaded batch file before it is processed.
func importOrders(w http.ResponseWriter, r *http.Request) {
	tmp, err := os.CreateTemp("", "upload-*")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := io.Copy(tmp, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	log.Printf("import: spooled %d bytes to %s", n, tmp.Name())
	w.WriteHeader(http.StatusAccepted)
}
