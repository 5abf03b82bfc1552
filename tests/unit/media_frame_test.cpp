// Placeholder while the frame tests are being written.
