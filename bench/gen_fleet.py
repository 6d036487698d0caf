#!/usr/bin/env python3
"""Generate a deterministic synthetic fleet of Go services for the dockready benchmark.

    python bench/gen_fleet.py OUTDIR [--services 200] [--seed 1] [--force]
                                     [--repos N] [--calls]

Each service ``svcNNN/`` gets a go.mod (and often a go.sum), a ``cmd/svc/main.go`` HTTP
server, internal packages of syntactically valid Go, a Dockerfile, usually a
``.dockerignore``, Kubernetes manifests under ``deploy/k8s/`` and sometimes a compose
file. Everything comes from templates and a seeded RNG: the same ``--seed`` gives the
same bytes, and service N does not depend on how many services are generated.

At the defaults the fleet has about 200 services, 4,200 Go files (~18 MB), 200
Dockerfiles and 430 Kubernetes manifests.

``--repos N`` lays the same services out as N repositories (``repo00/svc000/``...,
consecutive services together) and writes ``OUTDIR/fleet.txt``, the list of them, for
``dockready fleet OUTDIR/fleet.txt``. ``--calls`` adds to each Dockerfile the addresses
of 0-2 other services (``ENV UPSTREAM_1_URL=http://svc007.payments.svc.cluster.local``,
mostly services with a lower number, sometimes a higher one: a few cycles), so that
``fleet`` has a dependency graph to draw; it takes its choices from an RNG of its own,
so the other bytes stay the same.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import random
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# --------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------

NOUNS = (
    "Order", "Invoice", "Customer", "Account", "Payment", "Shipment", "Product", "Review",
    "Session", "Token", "Report", "Ticket", "Refund", "Coupon", "Address", "Profile",
    "Subscription", "Plan", "Quote", "Transfer", "Ledger", "Entry", "Batch", "Job", "Event",
    "Webhook", "Notification", "Template", "Asset", "Upload", "Tenant", "Member", "Role",
    "Policy", "Price", "Discount", "Cart", "Item", "Stock", "Warehouse", "Carrier", "Route",
    "Region", "Zone", "Metric", "Alert", "Schedule", "Task", "Export", "Device", "Channel",
    "Message", "Contract", "Vendor", "Receipt", "Balance", "Claim", "Booking", "Slot",
)  # fmt: skip
PACKAGES = (
    "store", "config", "billing", "auth", "events", "metrics", "client", "worker", "cache",
    "model", "notify", "httpx", "queue", "search", "ledger", "report", "audit", "pricing",
    "geo", "catalog", "inventory", "session", "ratelimit", "mailer", "export", "tenant",
)  # fmt: skip
VERBS = (
    "sync", "reconcile", "refresh", "expire", "rebuild", "publish", "import", "score",
    "settle", "archive", "compact", "index", "resolve", "notify", "render", "dispatch",
)  # fmt: skip
WORDS = (
    "request", "upstream", "tenant", "retry", "window", "cache", "deadline", "payload",
    "record", "batch", "cursor", "snapshot", "replica", "partition", "quota", "lease",
    "schema", "migration", "backoff", "checksum", "offset", "watermark", "shard", "token",
)  # fmt: skip
FIELD_TYPES = (
    ("string", "Name"), ("string", "Status"), ("string", "Email"), ("string", "Currency"),
    ("string", "Region"), ("string", "Reference"), ("string", "Description"),
    ("int", "Quantity"), ("int", "Attempts"), ("int64", "AmountCents"), ("int64", "Version"),
    ("float64", "Score"), ("float64", "Weight"), ("bool", "Active"), ("bool", "Archived"),
    ("[]string", "Tags"), ("map[string]string", "Labels"), ("time.Time", "UpdatedAt"),
    ("time.Time", "ExpiresAt"), ("time.Duration", "TTL"),
)  # fmt: skip
TIMEZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London", "UTC")
TEAMS = ("payments", "platform", "growth", "core", "data", "identity", "logistics", "search")

GO_MODULES: dict[str, str] = {
    "github.com/google/uuid": "v1.6.0",
    "github.com/mattn/go-sqlite3": "v1.14.22",
    "github.com/gin-gonic/gin": "v1.9.1",
    "gopkg.in/yaml.v3": "v3.0.1",
    "github.com/prometheus/client_golang": "v1.19.0",
    "go.uber.org/zap": "v1.27.0",
    "golang.org/x/sync": "v0.7.0",
}
INDIRECT_MODULES: dict[str, str] = {
    "github.com/beorn7/perks": "v1.0.1",
    "github.com/cespare/xxhash/v2": "v2.2.0",
    "golang.org/x/sys": "v0.19.0",
    "golang.org/x/net": "v0.24.0",
    "google.golang.org/protobuf": "v1.33.0",
    "go.uber.org/multierr": "v1.11.0",
}

# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"@(\w+)@")
_INDENT = re.compile(r"^((?:    )+)", re.MULTILINE)


def fill(template: str, **values: object) -> str:
    """Substitute ``@key@`` placeholders and turn 4-space indents into Go tabs."""
    text = _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)
    return _INDENT.sub(lambda m: "\t" * (len(m.group(1)) // 4), text)


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def align(rows: list[list[str]], indent: int = 1) -> str:
    """Lay rows out in space-padded columns, as gofmt does for fields and key/values."""
    widths = [
        max(len(r[i]) for r in rows if len(r) > i + 1) for i in range(max(map(len, rows)) - 1)
    ]
    out = []
    for row in rows:
        cells = [c.ljust(widths[i]) if i < len(row) - 1 else c for i, c in enumerate(row)]
        out.append("\t" * indent + " ".join(cells).rstrip())
    return "\n".join(out)


class Names:
    """Hands out identifiers that are unique within one Go package."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, base: str) -> str:
        name, n = base, 2
        while name in self.used:
            name, n = f"{base}{n}", n + 1
        self.used.add(name)
        return name


@dataclass
class Service:
    index: int
    name: str
    module: str
    rng: random.Random
    go_minor: int
    port: int
    port_env: str
    health_path: str
    has_health: bool
    signals: str  # "context", "channel", "interrupt-only" or "none"
    framework: str  # "net/http" or "gin"
    modern_routes: bool
    packages: list[str]
    features: list[str]
    requires: set[str] = field(default_factory=set)
    team: str = "core"


@dataclass
class GoCtx:
    """State while one Go file is being written."""

    svc: Service
    rng: random.Random
    package: str
    names: Names
    imports: set[str] = field(default_factory=set)

    def noun(self) -> str:
        return self.rng.choice(NOUNS)

    def sentence(self, subject: str) -> str:
        r = self.rng
        return (
            f"{subject} {r.choice(VERBS)}s the {r.choice(WORDS)} {r.choice(WORDS)} "
            f"before the {r.choice(WORDS)} {r.choice(('expires', 'is read', 'moves on', 'closes'))}."
        )

    def comment(self, subject: str, lines: int) -> str:
        return "\n".join(f"// {self.sentence(subject if i == 0 else 'It')}" for i in range(lines))


# --------------------------------------------------------------------------------------
# Go snippets: each returns top-level declarations and records the imports it uses
# --------------------------------------------------------------------------------------


def snip_consts(c: GoCtx) -> str:
    noun = c.noun()
    prefix = c.names.take(f"{lower_first(noun)}Route")
    base = f"/v{c.rng.randint(1, 3)}/{plural(noun.lower())}"
    rows = []
    for i, suffix in enumerate(
        c.rng.sample(
            ("", "/search", "/export", "/bulk", "/stats", "/{id}", "/{id}/history", "/count"), 4
        )
    ):
        rows.append([f"{prefix}{i}", f'= "{base}{suffix}"'])
    key = c.names.take(f"{lower_first(noun)}CacheKey")
    rows.append([key, f'= "{c.svc.name}:{noun.lower()}:%s"'])
    hdr = c.names.take(f"header{noun}ID")
    rows.append([hdr, f'= "X-{noun}-ID"'])
    doc = f"// Routes and keys used by the {noun.lower()} endpoints."
    return f"{doc}\nconst (\n{align(rows)}\n)"


def snip_errors(c: GoCtx) -> str:
    c.imports.add("errors")
    rows = []
    for _ in range(c.rng.randint(3, 6)):
        noun = c.noun()
        what = c.rng.choice(("NotFound", "Conflict", "Expired", "Invalid", "Locked", "Gone"))
        name = c.names.take(f"Err{noun}{what}")
        msg = f"{c.package}: {noun.lower()} {snake(what).replace('_', ' ')}"
        rows.append([name, f'= errors.New("{msg}")'])
    return f"// Sentinel errors returned by this package.\nvar (\n{align(rows)}\n)"


def snip_enum(c: GoCtx) -> str:
    noun = c.noun()
    typ = c.names.take(f"{noun}State")
    states = c.rng.sample(
        (
            "Pending",
            "Active",
            "Suspended",
            "Closed",
            "Failed",
            "Draft",
            "Queued",
            "Running",
            "Done",
            "Cancelled",
        ),
        c.rng.randint(3, 6),
    )
    consts = [f"    {typ}Unknown {typ} = iota"] + [f"    {typ}{s}" for s in states]
    cases = [f'    case {typ}{s}:\n        return "{s.lower()}"' for s in states]
    return fill(
        """// @T@ is the lifecycle state of a @n@.
type @T@ int

const (
@CONSTS@
)

// String returns the wire name of the state.
func (s @T@) String() string {
    switch s {
@CASES@
    default:
        return "unknown"
    }
}""",
        T=typ,
        n=noun.lower(),
        CONSTS="\n".join(consts),
        CASES="\n".join(cases),
    )


def _struct(c: GoCtx, noun: str) -> tuple[str, str, list[tuple[str, str]]]:
    typ = c.names.take(noun)
    c.imports.add("time")
    fields = c.rng.sample(FIELD_TYPES, c.rng.randint(4, 9))
    rows = [["ID", "string", '`json:"id"`'], ["CreatedAt", "time.Time", '`json:"created_at"`']]
    for go_type, fname in fields:
        omit = ",omitempty" if c.rng.random() < 0.3 else ""
        rows.append([fname, go_type, f'`json:"{snake(fname)}{omit}"`'])
    doc = c.comment(f"{typ} is a {noun.lower()} as the {c.package} package", c.rng.randint(1, 3))
    return typ, f"{doc}\ntype {typ} struct {{\n{align(rows)}\n}}", fields


def snip_entity(c: GoCtx) -> str:
    noun = c.noun()
    typ, struct, fields = _struct(c, noun)
    c.imports.update(("fmt", "strings"))
    checks = []
    for go_type, fname in fields:
        if go_type == "string" and c.rng.random() < 0.7:
            checks.append(
                fill(
                    """    if strings.TrimSpace(x.@F@) == "" {
        return fmt.Errorf("@n@ %s: @f@ is required", x.ID)
    }""",
                    F=fname,
                    n=noun.lower(),
                    f=snake(fname),
                )
            )
        elif go_type in ("int", "int64", "float64") and c.rng.random() < 0.6:
            checks.append(
                fill(
                    """    if x.@F@ < 0 {
        return fmt.Errorf("@n@ %s: negative @f@ %v", x.ID, x.@F@)
    }""",
                    F=fname,
                    n=noun.lower(),
                    f=snake(fname),
                )
            )
    return (
        struct
        + "\n\n"
        + fill(
            """// New@T@ returns a @T@ stamped with the current time.
func New@T@(id string) *@T@ {
    return &@T@{ID: id, CreatedAt: time.Now().UTC()}
}

// Validate reports the first problem that would stop the @n@ from being stored.
func (x *@T@) Validate() error {
    if x == nil {
        return fmt.Errorf("@n@: nil value")
    }
    if x.ID == "" {
        return fmt.Errorf("@n@: missing id")
    }
@CHECKS@
    return nil
}

// Key is the cache key of the @n@.
func (x *@T@) Key() string {
    return "@svc@/@n@/" + strings.ToLower(x.ID)
}""",
            T=typ,
            n=noun.lower(),
            svc=c.svc.name,
            CHECKS="\n".join(checks),
        )
    )


def snip_store(c: GoCtx) -> str:
    noun = c.noun()
    typ, struct, _ = _struct(c, noun)
    store = c.names.take(f"{noun}Store")
    c.imports.update(("context", "sync", "sort", "fmt"))
    text = (
        struct
        + "\n\n"
        + fill(
            """// @S@ keeps @T@ values in memory, guarded by a RWMutex.
type @S@ struct {
    mu    sync.RWMutex
    items map[string]*@T@
}

// New@S@ returns an empty store.
func New@S@() *@S@ {
    return &@S@{items: make(map[string]*@T@)}
}

// Get returns the @n@ with the given id.
func (s *@S@) Get(ctx context.Context, id string) (*@T@, error) {
    if err := ctx.Err(); err != nil {
        return nil, err
    }
    s.mu.RLock()
    defer s.mu.RUnlock()
    item, ok := s.items[id]
    if !ok {
        return nil, fmt.Errorf("get @n@ %q: not found", id)
    }
    return item, nil
}

// Put stores the @n@, replacing any previous version.
func (s *@S@) Put(ctx context.Context, item *@T@) error {
    if err := ctx.Err(); err != nil {
        return err
    }
    if item == nil || item.ID == "" {
        return fmt.Errorf("put @n@: empty id")
    }
    s.mu.Lock()
    defer s.mu.Unlock()
    s.items[item.ID] = item
    return nil
}

// Delete removes the @n@; deleting a missing id is not an error.
func (s *@S@) Delete(ctx context.Context, id string) error {
    if err := ctx.Err(); err != nil {
        return err
    }
    s.mu.Lock()
    defer s.mu.Unlock()
    delete(s.items, id)
    return nil
}

// List returns up to limit @ns@ ordered by id.
func (s *@S@) List(ctx context.Context, limit int) ([]*@T@, error) {
    if err := ctx.Err(); err != nil {
        return nil, err
    }
    s.mu.RLock()
    defer s.mu.RUnlock()
    out := make([]*@T@, 0, len(s.items))
    for _, item := range s.items {
        out = append(out, item)
    }
    sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
    if limit > 0 && len(out) > limit {
        out = out[:limit]
    }
    return out, nil
}""",
            S=store,
            T=typ,
            n=noun.lower(),
            ns=plural(noun.lower()),
        )
    )
    if c.rng.random() < 0.6:
        text += "\n\n" + snip_handler(c, noun, typ, store)
    return text


def snip_handler(c: GoCtx, noun: str, typ: str, store: str) -> str:
    handler = c.names.take(f"{noun}Handler")
    c.imports.update(("encoding/json", "io", "log", "net/http", "strconv", "strings"))
    route = f"/v1/{plural(noun.lower())}"
    modern = c.svc.modern_routes
    list_route = f"GET {route}" if modern else route
    item_route = f"GET {route}/{{id}}" if modern else f"{route}/"
    post_route = f"POST {route}" if modern else f"{route}/new"
    get_id = 'r.PathValue("id")' if modern else f'strings.TrimPrefix(r.URL.Path, "{route}/")'
    return fill(
        """// @H@ serves the @n@ HTTP API.
type @H@ struct {
    store *@S@
    log   *log.Logger
}

// Routes registers the @n@ endpoints on mux.
func (h *@H@) Routes(mux *http.ServeMux) {
    mux.HandleFunc("@LIST@", h.list)
    mux.HandleFunc("@ITEM@", h.get)
    mux.HandleFunc("@POST@", h.create)
}

func (h *@H@) list(w http.ResponseWriter, r *http.Request) {
    limit := 50
    if v := r.URL.Query().Get("limit"); v != "" {
        n, err := strconv.Atoi(v)
        if err != nil || n < 0 {
            http.Error(w, "bad limit", http.StatusBadRequest)
            return
        }
        limit = n
    }
    items, err := h.store.List(r.Context(), limit)
    if err != nil {
        h.log.Printf("list @ns@: %v", err)
        http.Error(w, "internal error", http.StatusInternalServerError)
        return
    }
    writeJSON@H@(w, http.StatusOK, items)
}

func (h *@H@) get(w http.ResponseWriter, r *http.Request) {
    id := @GETID@
    if id == "" || strings.Contains(id, "/") {
        http.NotFound(w, r)
        return
    }
    item, err := h.store.Get(r.Context(), id)
    if err != nil {
        http.Error(w, err.Error(), http.StatusNotFound)
        return
    }
    writeJSON@H@(w, http.StatusOK, item)
}

func (h *@H@) create(w http.ResponseWriter, r *http.Request) {
    var in @T@
    if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
        http.Error(w, "invalid json: "+err.Error(), http.StatusBadRequest)
        return
    }
    if err := h.store.Put(r.Context(), &in); err != nil {
        h.log.Printf("create @n@ %s: %v", in.ID, err)
        http.Error(w, "could not store @n@", http.StatusUnprocessableEntity)
        return
    }
    writeJSON@H@(w, http.StatusCreated, &in)
}

func writeJSON@H@(w http.ResponseWriter, status int, v any) {
    w.Header().Set("Content-Type", "application/json")
    w.WriteHeader(status)
    if err := json.NewEncoder(w).Encode(v); err != nil {
        log.Printf("encode response: %v", err)
    }
}""",
        H=handler,
        S=store,
        T=typ,
        n=noun.lower(),
        ns=plural(noun.lower()),
        LIST=list_route,
        ITEM=item_route,
        POST=post_route,
        GETID=get_id,
    )


def snip_config(c: GoCtx) -> str:
    typ = c.names.take(c.rng.choice(("Config", "Settings", "Options")) + c.noun())
    c.imports.update(("fmt", "os", "strconv", "time"))
    svc = c.svc.name.upper()
    return fill(
        """// @T@ holds settings read from the environment.
type @T@ struct {
    DSN          string
    MaxConns     int
    Timeout      time.Duration
    FeatureFlags string
}

// Load@T@ reads @T@ from environment variables, applying defaults.
func Load@T@() (@T@, error) {
    cfg := @T@{
        DSN:          os.Getenv("@SVC@_DSN"),
        MaxConns:     @CONNS@,
        Timeout:      @TIMEOUT@ * time.Second,
        FeatureFlags: os.Getenv("@SVC@_FLAGS"),
    }
    if v := os.Getenv("@SVC@_MAX_CONNS"); v != "" {
        n, err := strconv.Atoi(v)
        if err != nil {
            return cfg, fmt.Errorf("@SVC@_MAX_CONNS: %w", err)
        }
        cfg.MaxConns = n
    }
    if v := os.Getenv("@SVC@_TIMEOUT"); v != "" {
        d, err := time.ParseDuration(v)
        if err != nil {
            return cfg, fmt.Errorf("@SVC@_TIMEOUT: %w", err)
        }
        cfg.Timeout = d
    }
    return cfg, nil
}""",
        T=typ,
        SVC=svc,
        CONNS=c.rng.choice((4, 8, 16, 32)),
        TIMEOUT=c.rng.choice((2, 5, 10, 30)),
    )


def snip_client(c: GoCtx) -> str:
    noun = c.noun()
    typ = c.names.take(f"{noun}Client")
    c.imports.update(("context", "fmt", "io", "net/http", "time"))
    host = c.rng.choice(
        (
            "api.partner.example.com",
            "billing.internal.example.com",
            "auth.example.net",
            "hooks.example.org",
        )
    )
    scheme = "https" if "tls-client" in c.svc.features or c.rng.random() < 0.5 else "http"
    return fill(
        """// @C@ talks to the upstream @n@ API.
type @C@ struct {
    baseURL string
    http    *http.Client
}

// New@C@ returns a client with a bounded timeout.
func New@C@() *@C@ {
    return &@C@{
        baseURL: "@SCHEME@://@HOST@/v2",
        http:    &http.Client{Timeout: @SECS@ * time.Second},
    }
}

// Fetch returns the raw body of one @n@.
func (c *@C@) Fetch(ctx context.Context, id string) ([]byte, error) {
    req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL+"/@ns@/"+id, nil)
    if err != nil {
        return nil, fmt.Errorf("build request: %w", err)
    }
    req.Header.Set("Accept", "application/json")
    resp, err := c.http.Do(req)
    if err != nil {
        return nil, fmt.Errorf("fetch @n@ %s: %w", id, err)
    }
    defer resp.Body.Close()
    if resp.StatusCode != http.StatusOK {
        return nil, fmt.Errorf("fetch @n@ %s: unexpected status %d", id, resp.StatusCode)
    }
    return io.ReadAll(io.LimitReader(resp.Body, 4<<20))
}""",
        C=typ,
        n=noun.lower(),
        ns=plural(noun.lower()),
        HOST=host,
        SCHEME=scheme,
        SECS=c.rng.choice((3, 5, 10, 15)),
    )


def snip_retry(c: GoCtx) -> str:
    name = c.names.take(f"retry{c.noun()}")
    c.imports.update(("context", "fmt", "time"))
    return fill(
        """// @F@ calls fn until it succeeds, the attempts run out or ctx is done.
func @F@(ctx context.Context, attempts int, fn func(context.Context) error) error {
    delay := @MS@ * time.Millisecond
    var last error
    for i := 0; i < attempts; i++ {
        if last = fn(ctx); last == nil {
            return nil
        }
        select {
        case <-ctx.Done():
            return fmt.Errorf("after %d attempts: %w", i+1, ctx.Err())
        case <-time.After(delay):
        }
        delay *= 2
        if delay > @CAP@*time.Second {
            delay = @CAP@ * time.Second
        }
    }
    return fmt.Errorf("gave up after %d attempts: %w", attempts, last)
}""",
        F=name,
        MS=c.rng.choice((50, 100, 200, 250)),
        CAP=c.rng.choice((2, 5, 10)),
    )


def snip_strings(c: GoCtx) -> str:
    name = c.names.take(f"normalize{c.noun()}")
    parse = c.names.take(f"parse{c.noun()}Labels")
    c.imports.update(("fmt", "strings", "unicode"))
    return fill(
        """// @F@ lowercases s, trims it and collapses inner whitespace to '-'.
func @F@(s string) string {
    var b strings.Builder
    b.Grow(len(s))
    dash := false
    for _, r := range strings.TrimSpace(s) {
        switch {
        case unicode.IsLetter(r) || unicode.IsDigit(r):
            b.WriteRune(unicode.ToLower(r))
            dash = false
        case !dash:
            b.WriteByte('-')
            dash = true
        }
    }
    return strings.Trim(b.String(), "-")
}

// @P@ parses "k=v,k2=v2" into a map.
func @P@(raw string) (map[string]string, error) {
    out := make(map[string]string)
    if raw == "" {
        return out, nil
    }
    for _, pair := range strings.Split(raw, ",") {
        k, v, ok := strings.Cut(pair, "=")
        if !ok || k == "" {
            return nil, fmt.Errorf("bad label %q", pair)
        }
        out[strings.TrimSpace(k)] = strings.TrimSpace(v)
    }
    return out, nil
}""",
        F=name,
        P=parse,
    )


def snip_middleware(c: GoCtx) -> str:
    name = c.names.take(f"with{c.rng.choice(('Logging', 'RequestID', 'Timing', 'Recover'))}")
    rec = c.names.take(f"{name}Recorder")
    c.imports.update(("log", "net/http", "time"))
    return fill(
        """type @R@ struct {
    http.ResponseWriter
    status int
}

func (r *@R@) WriteHeader(code int) {
    r.status = code
    r.ResponseWriter.WriteHeader(code)
}

// @F@ logs method, path, status and latency of every request.
func @F@(next http.Handler) http.Handler {
    return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
        start := time.Now()
        rec := &@R@{ResponseWriter: w, status: http.StatusOK}
        defer func() {
            if p := recover(); p != nil {
                log.Printf("panic serving %s: %v", r.URL.Path, p)
                http.Error(w, "internal error", http.StatusInternalServerError)
            }
        }()
        next.ServeHTTP(rec, r)
        log.Printf("%s %s %d %s", r.Method, r.URL.Path, rec.status, time.Since(start))
    })
}""",
        F=name,
        R=rec,
    )


def snip_table(c: GoCtx) -> str:
    name = c.names.take(f"{lower_first(c.noun())}Table")
    rows = []
    for _ in range(c.rng.randint(40, 120)):
        key = f"{c.rng.choice(WORDS)}-{c.rng.choice(WORDS)}-{c.rng.randint(0, 999):03d}"
        rows.append(
            [f'"{key}":', f'{{Weight: {c.rng.randint(1, 100)}, Code: "{key[:3].upper()}"}},']
        )
    typ = c.names.take(f"{name}Row")
    return fill(
        f"""// {typ} is one row of the generated lookup table.
type {typ} struct {{
    Weight int
    Code   string
}}

// {name} was generated from the {c.rng.choice(WORDS)} catalogue; do not edit by hand.
var {name} = map[string]{typ}{{
"""
        + align(rows)
        + "\n}"
    )


def snip_worker(c: GoCtx) -> str:
    noun = c.noun()
    typ = c.names.take(f"{noun}Worker")
    c.imports.update(("context", "log", "sync", "time"))
    return fill(
        """@DOC@
type @W@ struct {
    interval time.Duration
    jobs     chan string
    wg       sync.WaitGroup
}

// Run processes queued @ns@ until ctx is cancelled.
func (w *@W@) Run(ctx context.Context, workers int) {
    ticker := time.NewTicker(w.interval)
    defer ticker.Stop()
    for i := 0; i < workers; i++ {
        w.wg.Add(1)
        go func(id int) {
            defer w.wg.Done()
            for {
                select {
                case <-ctx.Done():
                    return
                case job, ok := <-w.jobs:
                    if !ok {
                        return
                    }
                    log.Printf("worker %d: @VERB@ @n@ %s", id, job)
                }
            }
        }(i)
    }
    for {
        select {
        case <-ctx.Done():
            w.wg.Wait()
            return
        case <-ticker.C:
            log.Printf("@n@ worker tick: %d queued", len(w.jobs))
        }
    }
}""",
        W=typ,
        n=noun.lower(),
        ns=plural(noun.lower()),
        VERB=c.rng.choice(VERBS),
        DOC=c.comment(f"{typ} drains the {noun.lower()} queue.", c.rng.randint(1, 4)),
    )


def snip_doc(c: GoCtx) -> str:
    name = c.names.take(f"{c.rng.choice(VERBS)}{c.noun()}Window")
    c.imports.add("time")
    return fill(
        f"""{c.comment(f"{name} decides how long", c.rng.randint(4, 10))}
//
// The value is a pure function of its inputs so that it can be tested in isolation.
func {name}(attempt int, base time.Duration) time.Duration {{
    if attempt <= 0 {{
        return base
    }}
    d := base
    for i := 0; i < attempt && d < {c.rng.choice((30, 60, 300))}*time.Second; i++ {{
        d += d / 2
    }}
    return d
}}"""
    )


# Snippets that carry a migration-relevant behaviour; each service gets its own subset.


def feat_tz(c: GoCtx) -> str:
    name = c.names.take("localBusinessDay")
    c.imports.update(("fmt", "time"))
    return fill(
        """// @F@ reports the business day in the head-office time zone.
func @F@(t time.Time) (string, error) {
    loc, err := time.LoadLocation("@TZ@")
    if err != nil {
        return "", fmt.Errorf("load location: %w", err)
    }
    return t.In(loc).Format("2006-01-02"), nil
}""",
        F=name,
        TZ=c.rng.choice(TIMEZONES),
    )


def feat_writes_fs(c: GoCtx) -> str:
    name = c.names.take("persistSnapshot")
    c.imports.update(("encoding/json", "fmt", "os", "path/filepath"))
    path = c.rng.choice(
        (
            f"/var/lib/{c.svc.name}/state.json",
            "/data/snapshot.json",
            "./cache/snapshot.json",
            "/tmp/snapshot.json",
        )
    )
    return fill(
        """// @F@ writes the in-memory state to local disk so that a restart can resume.
func @F@(state any) error {
    const path = "@PATH@"
    if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
        return fmt.Errorf("mkdir: %w", err)
    }
    data, err := json.Marshal(state)
    if err != nil {
        return err
    }
    return os.WriteFile(path, data, 0o644)
}""",
        F=name,
        PATH=path,
    )


def feat_exec(c: GoCtx) -> str:
    name = c.names.take("runHook")
    c.imports.update(("context", "os/exec"))
    return fill(
        """// @F@ runs an operator-supplied shell hook.
func @F@(ctx context.Context, script string) ([]byte, error) {
    return exec.CommandContext(ctx, "@SH@", "-c", script).CombinedOutput()
}""",
        F=name,
        SH=c.rng.choice(("sh", "/bin/bash", "bash")),
    )


def feat_etc_config(c: GoCtx) -> str:
    name = c.names.take("readConfigFile")
    c.imports.update(("fmt", "os"))
    return fill(
        """// @F@ reads the mounted configuration file.
func @F@() ([]byte, error) {
    data, err := os.ReadFile("/etc/@SVC@/config.yaml")
    if err != nil {
        return nil, fmt.Errorf("read config: %w", err)
    }
    return data, nil
}""",
        F=name,
        SVC=c.svc.name,
    )


def feat_user(c: GoCtx) -> str:
    name = c.names.take("currentOperator")
    c.imports.add("os/user")
    return fill(
        """// @F@ returns the login name of the process owner.
func @F@() string {
    u, err := user.Current()
    if err != nil {
        return "unknown"
    }
    return u.Username
}""",
        F=name,
    )


def feat_sqlite(c: GoCtx) -> str:
    name = c.names.take("openLocalDB")
    c.imports.update(("database/sql", "fmt", "_ github.com/mattn/go-sqlite3"))
    c.svc.requires.add("github.com/mattn/go-sqlite3")
    return fill(
        """// @F@ opens the embedded SQLite database used as a local cache.
func @F@(path string) (*sql.DB, error) {
    db, err := sql.Open("sqlite3", path+"?_journal=WAL")
    if err != nil {
        return nil, fmt.Errorf("open sqlite: %w", err)
    }
    db.SetMaxOpenConns(1)
    return db, nil
}""",
        F=name,
    )


def feat_uuid(c: GoCtx) -> str:
    name = c.names.take("newRequestID")
    c.imports.add("github.com/google/uuid")
    c.svc.requires.add("github.com/google/uuid")
    return fill(
        """// @F@ returns a random request id.
func @F@() string {
    return uuid.NewString()
}""",
        F=name,
    )


def feat_hostname(c: GoCtx) -> str:
    name = c.names.take("instanceName")
    c.imports.add("os")
    return fill(
        """// @F@ identifies this replica in logs and leases.
func @F@() string {
    h, err := os.Hostname()
    if err != nil {
        return "@SVC@-unknown"
    }
    return h
}""",
        F=name,
        SVC=c.svc.name,
    )


FEATURES: dict[str, tuple[float, Callable[[GoCtx], str]]] = {
    "tz": (0.25, feat_tz),
    "writes-fs": (0.2, feat_writes_fs),
    "exec": (0.08, feat_exec),
    "etc-config": (0.2, feat_etc_config),
    "user": (0.05, feat_user),
    "sqlite": (0.06, feat_sqlite),
    "uuid": (0.3, feat_uuid),
    "hostname": (0.3, feat_hostname),
    "tls-client": (0.5, snip_client),
}

# (weight, snippet, rough size in bytes)
SNIPPETS: tuple[tuple[float, Callable[[GoCtx], str], int], ...] = (
    (1.0, snip_consts, 450),
    (1.0, snip_errors, 350),
    (0.8, snip_enum, 500),
    (1.6, snip_entity, 1300),
    (1.6, snip_store, 3200),
    (0.8, snip_config, 1100),
    (0.8, snip_client, 1100),
    (0.8, snip_retry, 650),
    (0.8, snip_strings, 1000),
    (0.6, snip_middleware, 900),
    (0.8, snip_worker, 1200),
    (0.8, snip_doc, 700),
    (0.25, snip_table, 3500),
)


def go_file(package: str, ctx: GoCtx, blocks: list[str], header: str = "") -> str:
    """Assemble a Go file: optional header comment, package clause, grouped imports."""
    std = sorted(i for i in ctx.imports if "." not in i.split("/")[0])
    ext = sorted((i for i in ctx.imports if i not in std), key=lambda i: i.removeprefix("_ "))
    parts = [header] if header else []
    parts.append(f"package {package}\n")
    groups = [
        [f'\t"{i}"' for i in std],
        [f'\t_ "{i[2:]}"' if i.startswith("_ ") else f'\t"{i}"' for i in ext],
    ]
    groups = [g for g in groups if g]
    if groups:
        parts.append("import (\n" + "\n\n".join("\n".join(g) for g in groups) + "\n)\n")
    return "\n".join(parts) + "\n" + "\n\n".join(blocks) + "\n"


def pick_size(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.38:
        return rng.randint(800, 2200)
    if roll < 0.80:
        return rng.randint(2200, 6500)
    if roll < 0.94:
        return rng.randint(6000, 12000)
    return rng.randint(12000, 19500)


def internal_file(svc: Service, package: str, names: Names, forced: list[str]) -> str:
    rng = svc.rng
    ctx = GoCtx(svc, rng, package, names)
    target = pick_size(rng)
    blocks = [FEATURES[f][1](ctx) for f in forced]
    size = sum(len(b) for b in blocks)
    weights = [w for w, _, _ in SNIPPETS]
    while size < target or not blocks:
        remaining = target - size
        choices = [
            (w if est <= remaining + 600 else w * 0.05)
            for w, (_, _, est) in zip(weights, SNIPPETS, strict=True)
        ]
        _, snip, _ = rng.choices(SNIPPETS, weights=choices)[0]
        block = snip(ctx)
        blocks.append(block)
        size += len(block)
    header = ""
    if rng.random() < 0.15:
        header = f"// Code owned by team {svc.team}. See docs/{package}.md.\n"
    return go_file(package, ctx, blocks, header)


def cgo_file(svc: Service, package: str) -> str:
    return fill(
        """package @P@

/*
#include <stdlib.h>
#include <string.h>

static int checksum(const char *s) {
    int sum = 0;
    for (size_t i = 0; i < strlen(s); i++) sum += s[i];
    return sum;
}
*/
import "C"

import "unsafe"

// Checksum computes a legacy checksum with the C implementation.
func Checksum(s string) int {
    cs := C.CString(s)
    defer C.free(unsafe.Pointer(cs))
    return int(C.checksum(cs))
}
""",
        P=package,
    )


def test_file(svc: Service, package: str, names: Names) -> str:
    rng = svc.rng
    ctx = GoCtx(svc, rng, package, names)
    ctx.imports.update(("strings", "testing"))
    blocks = []
    for _ in range(rng.randint(1, 4)):
        name = names.take(f"Test{rng.choice(VERBS).title()}{rng.choice(NOUNS)}")
        cases = "\n".join(
            f'        {{name: "{rng.choice(WORDS)} {i}", in: " {rng.choice(WORDS).upper()} ", '
            f'want: "{rng.choice(WORDS)}"}},'
            for i in range(rng.randint(3, 8))
        )
        blocks.append(
            fill(
                """func @T@(t *testing.T) {
    cases := []struct {
        name string
        in   string
        want string
    }{
@CASES@
    }
    for _, tc := range cases {
        t.Run(tc.name, func(t *testing.T) {
            got := strings.ToLower(strings.TrimSpace(tc.in))
            if got == "" {
                t.Fatalf("empty result for %q", tc.in)
            }
            _ = tc.want
        })
    }
}""",
                T=name,
                CASES=cases,
            )
        )
    return go_file(package, ctx, blocks)


def router_file(svc: Service, names: Names) -> str:
    ctx = GoCtx(svc, svc.rng, "api", names)
    for n in ("Register", "status", "version"):
        names.take(n)
    if svc.framework == "gin":
        ctx.imports.update(("net/http", "github.com/gin-gonic/gin"))
        svc.requires.add("github.com/gin-gonic/gin")
        body = fill(
            """// Register wires the service routes onto the engine.
func Register(r *gin.Engine) {
    r.GET("/v1/status", status)
    r.GET("/v1/version", version)
}

func status(c *gin.Context) {
    c.JSON(http.StatusOK, gin.H{"service": "@SVC@", "ok": true})
}

func version(c *gin.Context) {
    c.String(http.StatusOK, "@SVC@ 1.@MINOR@.0")
}""",
            SVC=svc.name,
            MINOR=svc.index % 17,
        )
    else:
        ctx.imports.update(("encoding/json", "net/http"))
        get = "GET " if svc.modern_routes else ""
        body = fill(
            """// Register wires the service routes onto mux.
func Register(mux *http.ServeMux) {
    mux.HandleFunc("@GET@/v1/status", status)
    mux.HandleFunc("@GET@/v1/version", version)
}

func status(w http.ResponseWriter, _ *http.Request) {
    w.Header().Set("Content-Type", "application/json")
    _ = json.NewEncoder(w).Encode(map[string]any{"service": "@SVC@", "ok": true})
}

func version(w http.ResponseWriter, _ *http.Request) {
    _, _ = w.Write([]byte("@SVC@ 1.@MINOR@.0\\n"))
}""",
            SVC=svc.name,
            GET=get,
            MINOR=svc.index % 17,
        )
    blocks = [body]
    if svc.rng.random() < 0.5:
        blocks.append(snip_middleware(ctx))
    return go_file("api", ctx, blocks)


def main_file(svc: Service) -> str:
    rng = svc.rng
    names = Names()
    ctx = GoCtx(svc, rng, "main", names)
    ctx.imports.update(("log", f"{svc.module}/internal/api"))
    if svc.port_env or svc.signals != "none":
        ctx.imports.add("os")
    for n in ("main", "listenAddr"):
        names.take(n)
    default = str(svc.port)
    if svc.port_env == "":
        addr_expr = rng.choice((f'":{default}"', f'"0.0.0.0:{default}"', f'"127.0.0.1:{default}"'))
        addr_func = f"func listenAddr() string {{\n    return {addr_expr}\n}}"
    elif svc.port_env == "LISTEN_ADDR":
        addr_func = fill(
            """func listenAddr() string {
    if v := os.Getenv("LISTEN_ADDR"); v != "" {
        return v
    }
    return "@HOST@:@PORT@"
}""",
            HOST=rng.choice(("", "localhost", "0.0.0.0")),
            PORT=default,
        )
    else:
        host = rng.choices(("", "0.0.0.0", "localhost", "127.0.0.1"), (6, 2, 1, 1))[0]
        addr_func = fill(
            """func listenAddr() string {
    port := os.Getenv("@ENV@")
    if port == "" {
        port = "@PORT@"
    }
    return "@HOST@:" + port
}""",
            ENV=svc.port_env,
            PORT=default,
            HOST=host,
        )
    addr_func = fill(addr_func)

    health = ""
    if svc.has_health and svc.framework == "net/http":
        health = fill(
            """    mux.HandleFunc("@P@", func(w http.ResponseWriter, _ *http.Request) {
        w.WriteHeader(http.StatusOK)
    })
""",
            P=svc.health_path,
        )
    elif svc.has_health:
        health = (
            f'    r.GET("{svc.health_path}", func(c *gin.Context) {{ c.Status(http.StatusOK) }})\n'
        )

    if svc.framework == "gin":
        ctx.imports.update(("net/http", "github.com/gin-gonic/gin"))
        setup = "    r := gin.New()\n    r.Use(gin.Recovery())\n" + health + "    api.Register(r)\n"
        handler = "r"
    else:
        ctx.imports.add("net/http")
        setup = "    mux := http.NewServeMux()\n" + health + "    api.Register(mux)\n"
        handler = "mux"

    if svc.signals == "none":
        body = fill(
            """func main() {
@SETUP@
    addr := listenAddr()
    log.Printf("@SVC@ listening on %s", addr)
    log.Fatal(http.ListenAndServe(addr, @H@))
}""",
            SETUP=setup.rstrip("\n"),
            SVC=svc.name,
            H=handler,
        )
    else:
        ctx.imports.update(("context", "errors", "os/signal", "time"))
        if svc.signals == "context":
            ctx.imports.add("syscall")
            sig = (
                "    ctx, stop := signal.NotifyContext(context.Background(), "
                "os.Interrupt, syscall.SIGTERM)\n    defer stop()\n"
            )
            wait = "    <-ctx.Done()\n"
        elif svc.signals == "channel":
            ctx.imports.add("syscall")
            sig = (
                "    sigs := make(chan os.Signal, 1)\n"
                "    signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)\n"
            )
            wait = '    s := <-sigs\n    log.Printf("received %s, shutting down", s)\n'
        else:  # interrupt-only: misses the SIGTERM that Kubernetes sends
            sig = "    sigs := make(chan os.Signal, 1)\n    signal.Notify(sigs, os.Interrupt)\n"
            wait = "    <-sigs\n"
        grace = rng.choice((5, 10, 15, 25, 30, 45))
        body = fill(
            """func main() {
@SETUP@
    srv := &http.Server{
        Addr:              listenAddr(),
        Handler:           @H@,
        ReadHeaderTimeout: @RHT@ * time.Second,
    }
@SIG@
    go func() {
        log.Printf("@SVC@ listening on %s", srv.Addr)
        if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
            log.Fatalf("listen: %v", err)
        }
    }()
@WAIT@
    shutdownCtx, cancel := context.WithTimeout(context.Background(), @GRACE@*time.Second)
    defer cancel()
    if err := srv.Shutdown(shutdownCtx); err != nil {
        log.Printf("shutdown: %v", err)
        os.Exit(1)
    }
    log.Printf("@SVC@ stopped")
}""",
            SETUP=setup.rstrip("\n"),
            H=handler,
            SIG=sig.rstrip("\n"),
            WAIT=wait.rstrip("\n"),
            SVC=svc.name,
            GRACE=grace,
            RHT=rng.choice((2, 5, 10)),
        )
    blocks = [body, addr_func]
    if rng.random() < 0.3:
        blocks.append(snip_config(ctx))
    if rng.random() < 0.15:
        blocks.append(snip_table(ctx))
    return go_file("main", ctx, blocks)


# --------------------------------------------------------------------------------------
# Service layout
# --------------------------------------------------------------------------------------


def make_service(seed: int, index: int) -> Service:
    digest = hashlib.sha256(f"{seed}:{index}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    name = f"svc{index:03d}"
    go_minor = rng.choice((20, 21, 21, 22, 22, 22, 23, 23))
    port = rng.choice((8080, 8080, 8080, 8000, 8081, 9090, 3000, 5000))
    port_env = rng.choices(("PORT", "HTTP_PORT", "LISTEN_ADDR", ""), (6, 2, 1, 1))[0]
    features = [f for f, (p, _) in FEATURES.items() if rng.random() < p]
    if rng.random() < 0.02:
        features.append("cgo")
    pkgs = rng.sample(PACKAGES, rng.randint(2, 6))
    return Service(
        index=index,
        name=name,
        module=f"example.com/fleet/{name}",
        rng=rng,
        go_minor=go_minor,
        port=port,
        port_env=port_env,
        health_path=rng.choice(("/healthz", "/healthz", "/health", "/readyz", "/livez")),
        has_health=rng.random() < 0.75,
        signals=rng.choices(("context", "channel", "interrupt-only", "none"), (5, 2, 1, 2))[0],
        framework="gin" if rng.random() < 0.06 else "net/http",
        modern_routes=go_minor >= 22 and rng.random() < 0.5,
        packages=pkgs,
        features=features,
        team=rng.choice(TEAMS),
    )


def go_sources(svc: Service) -> dict[str, str]:
    rng = svc.rng
    files: dict[str, str] = {"cmd/svc/main.go": main_file(svc)}
    pkg_names = {p: Names() for p in ["api", *svc.packages]}
    files["internal/api/router.go"] = router_file(svc, pkg_names["api"])
    n_files = rng.randint(9, 34)
    dirs = {p: f"{'pkg' if rng.random() < 0.15 else 'internal'}/{p}" for p in svc.packages}
    dirs["api"] = "internal/api"
    plan: list[tuple[str, bool]] = []
    for _ in range(n_files - 2):
        pkg = rng.choice(["api", *svc.packages, *svc.packages])
        plan.append((pkg, rng.random() < 0.15))
    forced: dict[int, list[str]] = {}
    code_slots = [i for i, (_, is_test) in enumerate(plan) if not is_test] or [0]
    for feat in svc.features:
        if feat != "cgo":
            forced.setdefault(rng.choice(code_slots), []).append(feat)
    stems = {p: Names() for p in pkg_names}
    for i, (pkg, is_test) in enumerate(plan):
        names = pkg_names[pkg]
        stem = stems[pkg].take(rng.choice((*PACKAGES, *(snake(n) for n in NOUNS))))
        path = f"{dirs[pkg]}/{stem}{'_test' if is_test else ''}.go"
        if is_test and i not in forced:
            files[path] = test_file(svc, pkg, names)
        else:
            files[path] = internal_file(svc, pkg, names, forced.get(i, []))
    if "cgo" in svc.features:
        files[f"{dirs[svc.packages[0]]}/checksum_cgo.go"] = cgo_file(svc, svc.packages[0])
    return files


def go_mod(svc: Service) -> tuple[str, str | None]:
    rng = svc.rng
    lines = [f"module {svc.module}", "", f"go 1.{svc.go_minor}"]
    if rng.random() < 0.3:
        lines[-1] += f".{rng.randint(0, 6)}"
        lines += ["", f"toolchain go1.{svc.go_minor}.{rng.randint(1, 9)}"]
    direct = sorted(svc.requires)
    for extra in (
        "go.uber.org/zap",
        "golang.org/x/sync",
        "gopkg.in/yaml.v3",
        "github.com/prometheus/client_golang",
    ):
        if rng.random() < 0.2:
            direct.append(extra)
    indirect = sorted(rng.sample(sorted(INDIRECT_MODULES), rng.randint(0, 4))) if direct else []
    if direct:
        lines += ["", "require ("] + [f"\t{m} {GO_MODULES[m]}" for m in sorted(set(direct))]
        lines.append(")")
    if indirect:
        lines += ["", "require ("]
        lines += [f"\t{m} {INDIRECT_MODULES[m]} // indirect" for m in indirect]
        lines.append(")")
    mod = "\n".join(lines) + "\n"
    if not direct or rng.random() < 0.3:
        return mod, None
    sums = []
    for m in sorted({*direct, *indirect}):
        v = GO_MODULES.get(m) or INDIRECT_MODULES[m]
        for suffix in ("", "/go.mod"):
            h = base64.b64encode(hashlib.sha256(f"{m}{v}{suffix}".encode()).digest()).decode()
            sums.append(f"{m} {v}{suffix} h1:{h}")
    return mod, "\n".join(sums) + "\n"


def dockerfile(svc: Service) -> str:
    rng = svc.rng
    builder_minor = svc.go_minor if rng.random() < 0.75 else svc.go_minor - rng.randint(1, 2)
    alpine = rng.random() < 0.45
    builder = f"golang:1.{builder_minor}{'-alpine' if alpine else ''}"
    cgo = "sqlite" in svc.features or "cgo" in svc.features
    runtime = rng.choices(
        (
            "scratch",
            "gcr.io/distroless/static:nonroot",
            "gcr.io/distroless/static-debian12",
            "alpine:3.19",
            "debian:bookworm-slim",
            "gcr.io/distroless/base-debian12",
        ),
        (3, 4, 1, 3, 2, 1),
    )[0]
    multi = rng.random() < 0.85
    use_arg = rng.random() < 0.3
    buildkit = rng.random() < 0.3
    ldflags = rng.choice(("-s -w", "-s -w -X main.version=${VERSION}", "-w", ""))
    env_prefix = "CGO_ENABLED=0 " if (not cgo and rng.random() < 0.85) else ""
    goos = "GOOS=linux GOARCH=amd64 " if rng.random() < 0.3 else ""
    flags = "-trimpath " if rng.random() < 0.7 else ""
    if ldflags:
        flags += f'-ldflags="{ldflags}" '
    out = rng.choice(("/out/app", "/out/app", "/bin/server", "/app/svc"))
    lines: list[str] = []
    if buildkit:
        lines.append("# syntax=docker/dockerfile:1")
    if rng.random() < 0.5:
        lines.append(f"# {svc.name}: owned by team {svc.team}")
    if use_arg:
        lines.append(f"ARG GO_VERSION=1.{builder_minor}")
        builder = f"golang:${{GO_VERSION}}{'-alpine' if alpine else ''}"
    stage = " AS build" if multi else ""
    lines.append(f"FROM {builder}{stage}")
    if "${VERSION}" in ldflags:
        lines.append("ARG VERSION=dev")
    if alpine and (cgo or rng.random() < 0.3):
        lines.append("RUN apk add --no-cache git" + (" build-base" if cgo else ""))
    lines.append(f"WORKDIR {rng.choice(('/src', '/app', '/go/src/app', '/build'))}")
    if rng.random() < 0.75:
        lines.append("COPY go.mod go.sum ./" if rng.random() < 0.7 else "COPY go.* ./")
        if buildkit:
            lines.append("RUN --mount=type=cache,target=/go/pkg/mod go mod download")
        else:
            lines.append("RUN go mod download")
    lines.append("COPY . .")
    build = f"go build {flags}-o {out} ./cmd/svc"
    if buildkit:
        lines.append(
            "RUN --mount=type=cache,target=/go/pkg/mod \\\n"
            "    --mount=type=cache,target=/root/.cache/go-build \\\n"
            f"    {env_prefix}{goos}{build}"
        )
    else:
        lines.append(f"RUN {env_prefix}{goos}{build}")
    binary = out
    if multi:
        lines += ["", f"FROM {runtime}"]
        if runtime.startswith("alpine"):
            pkgs = rng.choice(("ca-certificates", "ca-certificates tzdata", "tzdata"))
            lines.append(f"RUN apk add --no-cache {pkgs}")
            if rng.random() < 0.5:
                lines.append("RUN adduser -D -u 10001 app")
        elif runtime.startswith("debian"):
            lines.append(
                "RUN apt-get update && apt-get install -y --no-install-recommends "
                "ca-certificates && rm -rf /var/lib/apt/lists/*"
            )
        elif runtime == "scratch" and rng.random() < 0.6:
            lines.append("COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/")
            if rng.random() < 0.4:
                lines.append("COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo")
        binary = rng.choice(("/app", "/usr/local/bin/app", "/server"))
        lines.append(f"COPY --from=build {out} {binary}")
        if "etc-config" in svc.features and rng.random() < 0.5:
            lines.append(f"COPY config.yaml /etc/{svc.name}/config.yaml")
    if svc.port_env and rng.random() < 0.6:
        value = f":{svc.port}" if svc.port_env == "LISTEN_ADDR" else str(svc.port)
        lines.append(f"ENV {svc.port_env}={value}")
    if rng.random() < 0.85:
        expose = svc.port if rng.random() < 0.85 else rng.choice((80, 8080, 8443))
        lines.append(f"EXPOSE {expose}")
    if rng.random() < 0.5:
        if runtime.startswith("alpine") and multi and rng.random() < 0.7:
            user = "app" if any(ln.startswith("RUN adduser") for ln in lines) else "65534"
        elif "nonroot" in runtime:
            user = rng.choice(("nonroot:nonroot", "65532:65532"))
        else:
            user = rng.choice(("65534", "10001", "nobody"))
        lines.append(f"USER {user}")
    if rng.random() < 0.35:
        if multi and (runtime.startswith(("alpine", "debian"))):
            tool = "wget -qO- " if runtime.startswith("alpine") else "curl -fsS "
            hc = f"CMD {tool}http://localhost:{svc.port}{svc.health_path} || exit 1"
        else:
            hc = f'CMD ["{binary}", "-healthcheck"]'
        lines.append(f"HEALTHCHECK --interval=30s --timeout=3s --retries=3 {hc}")
    form = rng.random()
    if form < 0.55:
        lines.append(f'ENTRYPOINT ["{binary}"]')
    elif form < 0.8:
        lines.append(f'CMD ["{binary}"]')
    elif form < 0.92:
        lines.append(f"CMD {binary}")
    else:
        lines.append(f"ENTRYPOINT {binary} --log-level=info")
    return "\n".join(lines) + "\n"


def dockerignore(svc: Service) -> str | None:
    rng = svc.rng
    if rng.random() < 0.15:
        return None
    pool = [
        ".git",
        ".gitignore",
        "*.md",
        "bin/",
        "dist/",
        "deploy/",
        ".vscode/",
        ".idea/",
        "**/*_test.go",
        "coverage.out",
        "tmp/",
        "Dockerfile",
        ".dockerignore",
        "docker-compose*.yml",
        "vendor/",
        "*.log",
        ".env",
    ]
    entries = rng.sample(pool, rng.randint(3, 9))
    if rng.random() < 0.06:
        entries.append("go.sum")  # breaks "COPY go.mod go.sum ./"
    if rng.random() < 0.04:
        entries.append("cmd/")  # breaks the build of ./cmd/svc
    if rng.random() < 0.1:
        entries = ["*", "!go.mod", "!go.sum", "!cmd/", "!internal/", "!pkg/"]
    return "\n".join(entries) + "\n"


def k8s_docs(svc: Service) -> dict[str, str]:
    """Kubernetes objects by kind, each a YAML document without a leading '---'."""
    rng = svc.rng
    labels = f"app.kubernetes.io/name: {svc.name}"
    container_port = svc.port if rng.random() < 0.9 else rng.choice((80, 8080, 9000))
    tag = rng.choice(
        ("1.4.2", "latest", f"2024.{rng.randint(1, 12)}.{rng.randint(1, 28)}", "sha256-pinned")
    )
    image = f"registry.example.com/fleet/{svc.name}:{tag}"
    if tag == "sha256-pinned":
        image = (
            f"registry.example.com/fleet/{svc.name}@sha256:"
            + hashlib.sha256(svc.name.encode()).hexdigest()
        )
    env = ""
    if svc.port_env:
        val = f":{container_port}" if svc.port_env == "LISTEN_ADDR" else str(container_port)
        env = f'          env:\n            - name: {svc.port_env}\n              value: "{val}"\n'
    has_cm = rng.random() < 0.55
    if has_cm:
        env += f"          envFrom:\n            - configMapRef:\n                name: {svc.name}-config\n"
    probes = ""
    if rng.random() < 0.7:
        path = svc.health_path if rng.random() < 0.85 else "/health"
        for kind in ("readiness", "liveness"):
            probes += (
                f"          {kind}Probe:\n            httpGet:\n"
                f"              path: {path}\n              port: {container_port}\n"
                f"            periodSeconds: {rng.choice((5, 10, 15))}\n"
            )
    resources = ""
    if rng.random() < 0.7:
        resources = (
            "          resources:\n            requests:\n"
            f"              cpu: {rng.choice(('50m', '100m', '250m'))}\n"
            f"              memory: {rng.choice(('64Mi', '128Mi', '256Mi'))}\n"
            "            limits:\n"
            f"              memory: {rng.choice(('128Mi', '256Mi', '512Mi'))}\n"
        )
    security = ""
    if rng.random() < 0.5:
        ro = "true" if rng.random() < 0.6 else "false"
        security = (
            "          securityContext:\n            runAsNonRoot: true\n"
            f"            readOnlyRootFilesystem: {ro}\n"
            "            allowPrivilegeEscalation: false\n"
        )
    volumes = ""
    mounts = ""
    if "writes-fs" in svc.features and rng.random() < 0.5:
        mounts = (
            "          volumeMounts:\n            - name: data\n              mountPath: /data\n"
        )
        volumes = "      volumes:\n        - name: data\n          emptyDir: {}\n"
    grace = ""
    if rng.random() < 0.4:
        grace = f"      terminationGracePeriodSeconds: {rng.choice((10, 30, 60))}\n"
    replicas = rng.choice((1, 2, 2, 3, 4, 6))
    deployment = (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {svc.name}\n"
        f"  namespace: {svc.team}\n  labels:\n    {labels}\n    team: {svc.team}\n"
        f"spec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      {labels}\n"
        f"  template:\n    metadata:\n      labels:\n        {labels}\n    spec:\n{grace}"
        f"      containers:\n        - name: {svc.name}\n          image: {image}\n"
        f"          ports:\n            - name: http\n              containerPort: {container_port}\n"
        f"{env}{probes}{resources}{security}{mounts}{volumes}"
    )
    docs = {"deployment": deployment}
    docs["service"] = (
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {svc.name}\n  namespace: {svc.team}\n"
        f"spec:\n  selector:\n    {labels}\n  ports:\n    - name: http\n      port: 80\n"
        f"      targetPort: {rng.choice((container_port, container_port, 'http'))}\n"
    )
    if has_cm:
        data = "\n".join(
            f'  {w.upper()}_{i}: "{rng.choice(WORDS)}"'
            for i, w in enumerate(rng.sample(WORDS, rng.randint(2, 6)))
        )
        docs["configmap"] = (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {svc.name}-config\n"
            f"  namespace: {svc.team}\ndata:\n  LOG_LEVEL: {rng.choice(('info', 'debug'))}\n{data}\n"
        )
    if rng.random() < 0.4:
        docs["hpa"] = (
            f"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n"
            f"  name: {svc.name}\n  namespace: {svc.team}\nspec:\n  scaleTargetRef:\n"
            f"    apiVersion: apps/v1\n    kind: Deployment\n    name: {svc.name}\n"
            f"  minReplicas: {max(1, replicas - 1)}\n  maxReplicas: {replicas * 3}\n"
            "  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n"
            f"        target:\n          type: Utilization\n"
            f"          averageUtilization: {rng.choice((60, 70, 80))}\n"
        )
    if rng.random() < 0.35:
        docs["pdb"] = (
            f"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {svc.name}\n"
            f"  namespace: {svc.team}\nspec:\n  minAvailable: {rng.choice((1, '50%'))}\n"
            f"  selector:\n    matchLabels:\n      {labels}\n"
        )
    return docs


def k8s_files(svc: Service) -> dict[str, str]:
    rng = svc.rng
    docs = k8s_docs(svc)
    layout = rng.random()
    if layout < 0.3:  # everything in one multi-document file
        return {f"deploy/k8s/{svc.name}.yaml": "---\n".join(docs.values())}
    if layout < 0.75:  # Deployment+Service together, the rest split out
        files = {"deploy/k8s/app.yaml": docs.pop("deployment") + "---\n" + docs.pop("service")}
        files.update({f"deploy/k8s/{kind}.yaml": text for kind, text in docs.items()})
        return files
    return {f"deploy/k8s/{kind}.yaml": text for kind, text in docs.items()}  # one per kind


def compose(svc: Service) -> str | None:
    rng = svc.rng
    if rng.random() > 0.15:
        return None
    env = f'      {svc.port_env or "PORT"}: "{svc.port}"\n'
    hc = ""
    if svc.has_health and rng.random() < 0.5:
        hc = (
            f'    healthcheck:\n      test: ["CMD", "wget", "-qO-", '
            f'"http://localhost:{svc.port}{svc.health_path}"]\n      interval: 10s\n'
        )
    return (
        f"services:\n  {svc.name}:\n    build:\n      context: .\n      dockerfile: Dockerfile\n"
        f'    ports:\n      - "{svc.port}:{svc.port}"\n    environment:\n{env}{hc}'
    )


def service_files(seed: int, index: int) -> dict[str, str]:
    svc = make_service(seed, index)
    files = go_sources(svc)
    mod, sums = go_mod(svc)
    files["go.mod"] = mod
    if sums:
        files["go.sum"] = sums
    files["Dockerfile"] = dockerfile(svc)
    if (ignore := dockerignore(svc)) is not None:
        files[".dockerignore"] = ignore
    files.update(k8s_files(svc))
    if (comp := compose(svc)) is not None:
        name = svc.rng.choice(("docker-compose.yml", "compose.yaml", "docker-compose.yaml"))
        files[name] = comp
    if "etc-config" in svc.features:
        files["config.yaml"] = f"service: {svc.name}\nlog_level: info\n"
    files["README.md"] = f"# {svc.name}\n\nOwned by team {svc.team}. Listens on :{svc.port}.\n"
    return files


# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------


@dataclass
class Stats:
    services: int = 0
    go_files: int = 0
    go_bytes: int = 0
    dockerfiles: int = 0
    dockerignores: int = 0
    k8s_files: int = 0
    k8s_docs: int = 0
    compose_files: int = 0
    files: int = 0
    bytes: int = 0

    def add(self, rel: str, text: str) -> None:
        size = len(text.encode())
        self.files += 1
        self.bytes += size
        name = rel.rsplit("/", 1)[-1]
        if rel.endswith(".go"):
            self.go_files += 1
            self.go_bytes += size
        elif name == "Dockerfile":
            self.dockerfiles += 1
        elif name == ".dockerignore":
            self.dockerignores += 1
        elif rel.startswith("deploy/k8s/"):
            self.k8s_files += 1
            self.k8s_docs += text.count("\nkind: ") + text.startswith("kind: ")
        elif "compose" in name:
            self.compose_files += 1


def upstream_env(seed: int, index: int, services: int) -> str:
    """``ENV`` lines naming 0-2 other services by their Kubernetes Service address."""
    digest = hashlib.sha256(f"calls:{seed}:{index}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    others = [i for i in range(services) if i != index]
    lower = [i for i in others if i < index]
    picks: set[int] = set()
    for _ in range(rng.choice((0, 1, 1, 2, 2))):
        pool = lower if lower and rng.random() < 0.97 else others
        if pool:
            picks.add(rng.choice(pool))
    lines = []
    for n, other in enumerate(sorted(picks), 1):
        up = make_service(seed, other)
        lines.append(f"ENV UPSTREAM_{n}_URL=http://{up.name}.{up.team}.svc.cluster.local/v1\n")
    return "".join(lines)


def repo_of(index: int, services: int, repos: int) -> str:
    return f"repo{index * repos // services:0{len(str(repos - 1))}d}"


def generate(outdir: Path, services: int, seed: int, repos: int = 0, calls: bool = False) -> Stats:
    stats = Stats()
    for index in range(services):
        root = outdir / f"svc{index:03d}"
        if repos:
            root = outdir / repo_of(index, services, repos) / f"svc{index:03d}"
        stats.services += 1
        files = service_files(seed, index)
        if calls:
            files["Dockerfile"] += upstream_env(seed, index, services)
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            stats.add(rel, text)
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path, help="directory to create the fleet in")
    parser.add_argument("--services", type=int, default=200, help="number of services")
    parser.add_argument("--seed", type=int, default=1, help="RNG seed (same seed, same bytes)")
    parser.add_argument("--force", action="store_true", help="replace OUTDIR if it exists")
    parser.add_argument(
        "--repos",
        type=int,
        default=0,
        help="lay the services out as N repositories, listed in OUTDIR/fleet.txt",
    )
    parser.add_argument(
        "--calls", action="store_true", help="services name 0-2 others in their Dockerfile env"
    )
    args = parser.parse_args(argv)
    if args.services < 1:
        parser.error("--services must be at least 1")
    if not 0 <= args.repos <= args.services:
        parser.error("--repos must be between 1 and --services")
    out: Path = args.outdir
    if out.exists() and any(out.iterdir()):
        if not args.force:
            parser.error(f"{out} exists and is not empty (use --force to replace it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    s = generate(out, args.services, args.seed, args.repos, args.calls)
    if args.repos:
        names = sorted({repo_of(i, args.services, args.repos) for i in range(args.services)})
        (out / "fleet.txt").write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
    took = time.perf_counter() - start
    print(
        f"generated {s.services} services in {out} ({took:.1f}s): "
        f"{s.go_files} Go files ({s.go_bytes / 1e6:.1f} MB), {s.dockerfiles} Dockerfiles, "
        f"{s.dockerignores} .dockerignore, {s.k8s_files} Kubernetes files "
        f"({s.k8s_docs} objects), {s.compose_files} compose files; "
        f"{s.files} files, {s.bytes / 1e6:.1f} MB in total"
        + (f"; {args.repos} repositories listed in {out / 'fleet.txt'}" if args.repos else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
