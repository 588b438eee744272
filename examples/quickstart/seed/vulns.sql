-- Vulnerability scan findings (classification: cui).
CREATE TABLE findings (
  id INTEGER PRIMARY KEY,
  cve_id TEXT NOT NULL,
  ip TEXT NOT NULL,
  hostname TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  date TEXT NOT NULL,
  remediation TEXT
);
INSERT INTO findings (cve_id, ip, hostname, severity, date, remediation) VALUES
  ('CVE-2024-3094', '10.0.0.5', 'build-01', 'critical', '2026-11-20', 'downgrade xz-utils to 5.4.6'),
  ('CVE-2023-44487', '10.0.0.7', 'edge-02', 'high', '2026-11-18', 'enable HTTP/2 rapid reset mitigation'),
  ('CVE-2021-44228', '10.0.0.5', 'build-01', 'critical', '2026-10-02', 'upgrade log4j to 2.17.1'),
  ('CVE-2022-0778', '10.0.1.12', 'db-03', 'medium', '2026-11-22', 'upgrade openssl'),
  ('CVE-2023-4863', '10.0.1.40', 'kiosk-07', 'high', '2026-09-14', 'update libwebp'),
  ('CVE-2024-6387', '10.0.0.7', 'edge-02', 'critical', '2026-11-24', 'upgrade openssh to 9.8p1'),
  ('CVE-2020-1472', '10.0.2.3', 'dc-01', 'low', '2026-08-30', 'apply netlogon secure channel patch');
