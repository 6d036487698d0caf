// Command exitsatonce needs a file the image does not have, and exits at start.
package main

import (
	"log/slog"
	"os"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if _, err := os.ReadFile("/etc/rehearsal/config.yaml"); err != nil {
		logger.Error("config", "err", err)
		os.Exit(1)
	}
}
