-- General ledger (classification: secret, financial).
CREATE TABLE ledger (
  id INTEGER PRIMARY KEY,
  account TEXT NOT NULL,
  amount_cents INTEGER NOT NULL,
  currency TEXT NOT NULL,
  date TEXT NOT NULL,
  memo TEXT
);
INSERT INTO ledger (account, amount_cents, currency, date, memo) VALUES
  ('4000-revenue', 1250000, 'EUR', '2026-11-02', 'Q4 licence renewals'),
  ('6100-payroll', -830000, 'EUR', '2026-11-15', 'November payroll'),
  ('6500-security', -42000, 'EUR', '2026-11-19', 'incident response retainer'),
  ('4000-revenue', 310000, 'EUR', '2026-11-21', 'support contracts');
