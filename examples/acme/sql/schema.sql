CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, first_name TEXT,
                        active INTEGER NOT NULL DEFAULT 1);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers,
                     status TEXT NOT NULL, placed_at TEXT, paid_at TEXT, shipped_at TEXT,
                     tracking_number TEXT, cancel_reason TEXT, updated_at TEXT,
                     shipping_address_id INTEGER, gross_cents INTEGER DEFAULT 0,
                     discount_cents INTEGER DEFAULT 0, refunded_cents INTEGER DEFAULT 0);
CREATE TABLE order_lines (order_id INTEGER NOT NULL REFERENCES orders, sku TEXT NOT NULL,
                          quantity INTEGER NOT NULL, unit_price_cents INTEGER NOT NULL);
CREATE TABLE stock (sku TEXT PRIMARY KEY, on_hand INTEGER NOT NULL);
CREATE TABLE stock_reservations (order_id INTEGER NOT NULL, sku TEXT NOT NULL,
                                 quantity INTEGER NOT NULL);
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, action TEXT NOT NULL, subject_id INTEGER,
                        actor TEXT, detail TEXT, at TEXT DEFAULT CURRENT_TIMESTAMP);
