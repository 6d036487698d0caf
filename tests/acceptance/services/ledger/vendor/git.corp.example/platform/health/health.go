// Package health is a stand-in for a company's private module, vendored so that the
// build needs no network and no credentials.
package health

import "net/http"

// Handler answers 200 "ok".
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
}
