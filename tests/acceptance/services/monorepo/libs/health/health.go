// Package health is the monorepo's shared library, which the api module takes from
// ../../libs/health through a go.mod replace: the image must be built from the
// repository top for the build to find it.
package health

import "net/http"

// Handler answers 200 "shared ok".
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("shared ok\n"))
	})
}
