// Placeholder while the probe tests are being written.
