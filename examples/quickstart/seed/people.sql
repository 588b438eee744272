-- Employee records (classification: confidential, PII; HR and audit purposes only).
CREATE TABLE employees (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  department TEXT NOT NULL,
  ssn TEXT NOT NULL,
  hostname TEXT
);
INSERT INTO employees (name, email, department, ssn, hostname) VALUES
  ('Ada Lovelace', 'ada@example.org', 'engineering', '078-05-1120', 'build-01'),
  ('Grace Hopper', 'grace@example.org', 'engineering', '219-09-9999', 'edge-02'),
  ('Alan Turing', 'alan@example.org', 'research', '457-55-5462', 'db-03'),
  ('Katherine Johnson', 'katherine@example.org', 'finance', '123-45-6789', 'kiosk-07');
