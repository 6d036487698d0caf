package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go"
)

// Order is what a client submits to POST /orders.
type Order struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	SKU        string    `json:"sku"`
	Quantity   int       `json:"quantity"`
	CreatedAt  time.Time `json:"created_at"`
}

// OrderService stores orders and announces them on NATS.
type OrderService struct {
	db   *sql.DB
	nats *nats.Conn
}

func NewOrderService(db *sql.DB, nc *nats.Conn) *OrderService {
	return &OrderService{db: db, nats: nc}
}

// CreateOrder writes the order and then publishes order.created.
func (s *OrderService) CreateOrder(ctx context.Context, o Order) error {
	_, err := s.db.ExecContext(ctx,
		"INSERT INTO orders (id, customer_id, sku, quantity, created_at) VALUES ($1, $2, $3, $4, $5)",
		o.ID, o.CustomerID, o.SKU, o.Quantity, o.CreatedAt)
	if err != nil {
		return err
	}
	data, _ := json.Marshal(o)
	s.nats.Publish("order.created", data) // planted: DR108, DR109
	return nil
}
