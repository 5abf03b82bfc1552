// Placeholder while the concat tests are being written.
