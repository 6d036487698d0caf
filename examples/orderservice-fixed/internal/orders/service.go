package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/lib/pq"
	"github.com/nats-io/nats.go/jetstream"
)

const SubjectOrderCreated = "order.created"

type Order struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	SKU        string    `json:"sku"`
	Quantity   int       `json:"quantity"`
	CreatedAt  time.Time `json:"created_at"`
}

type OrderService struct {
	db *sql.DB
}

func NewOrderService(db *sql.DB) *OrderService {
	return &OrderService{db: db}
}

// CreateOrder stores the order and its order.created event in one
// transaction; the Relay publishes the event once the transaction commits.
func (s *OrderService) CreateOrder(ctx context.Context, o Order) error {
	payload, err := json.Marshal(o)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	if _, err := tx.ExecContext(ctx,
		"INSERT INTO orders (id, customer_id, sku, quantity, created_at) VALUES ($1, $2, $3, $4, $5)",
		o.ID, o.CustomerID, o.SKU, o.Quantity, o.CreatedAt); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		"INSERT INTO outbox (msg_id, subject, payload) VALUES ($1, $2, $3)",
		o.ID, SubjectOrderCreated, payload); err != nil {
		return err
	}
	return tx.Commit()
}

// Relay publishes committed outbox rows to JetStream. The message id lets
// JetStream drop the duplicates a retried batch can produce.
type Relay struct {
	db       *sql.DB
	js       jetstream.JetStream
	interval time.Duration
}

func NewRelay(db *sql.DB, js jetstream.JetStream) *Relay {
	return &Relay{db: db, js: js, interval: time.Second}
}

func (r *Relay) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.publishPending(ctx); err != nil {
				slog.WarnContext(ctx, "outbox relay", "err", err)
			}
		}
	}
}

type outboxRow struct {
	id      int64
	msgID   string
	subject string
	payload []byte
}

func (r *Relay) publishPending(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()

	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	rows, err := tx.QueryContext(ctx,
		"SELECT id, msg_id, subject, payload FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED")
	if err != nil {
		return err
	}
	var batch []outboxRow
	for rows.Next() {
		var m outboxRow
		if err := rows.Scan(&m.id, &m.msgID, &m.subject, &m.payload); err != nil {
			rows.Close()
			return err
		}
		batch = append(batch, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(batch) == 0 {
		return nil
	}

	ids := make([]int64, 0, len(batch))
	for _, m := range batch {
		if _, err := r.js.Publish(ctx, m.subject, m.payload, jetstream.WithMsgID(m.msgID)); err != nil {
			return err
		}
		ids = append(ids, m.id)
	}

	if _, err := tx.ExecContext(ctx,
		"UPDATE outbox SET published_at = now() WHERE id = ANY($1)", pq.Array(ids)); err != nil {
		return err
	}
	return tx.Commit()
}
